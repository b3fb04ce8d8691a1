package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// loadConfig reads the config directory. An unreadable directory is an error; problems in the
// files are returned for the caller to report or refuse on.
func loadConfig(g *globals) (*config.Set, config.Problems, error) {
	set, probs, err := configdir.Load((g.configDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, exitWith(ExitFailure, fmt.Errorf("config directory %s does not exist (set --config-dir or HERO_CONFIG_DIR)", g.configDir))
		}
		return nil, nil, exitWith(ExitFailure, fmt.Errorf("reading config directory %s: %w", g.configDir, err))
	}
	return set, probs, nil
}

// loadUsable reads the config directory and serves its valid part: plans, graphs and units of
// every service no problem stands in the way of. When there are problems, it says on stderr
// which services it leaves out (bad-config) or can only plan stops for (blocked).
func loadUsable(g *globals) (*config.Set, error) {
	set, probs, err := loadConfig(g)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 && !g.quiet {
		fmt.Fprintf(Stderr, "heroctl: %s has %d problem(s) (run '%s')%s\n", g.configDir, len(probs), g.suggest("validate"), leftOut(set))
	}
	return set, nil
}

// leftOut names the services a directory with problems cannot serve, for a note.
func leftOut(set *config.Set) string {
	var out string
	if bad := set.BadConfigServices(); len(bad) > 0 {
		out += "; left out, bad-config: " + strings.Join(bad, ", ")
	}
	var blocked []string
	for _, s := range set.Services {
		if w := set.Blocked(s.Name); len(w) > 0 {
			blocked = append(blocked, fmt.Sprintf("%s (waiting for %s)", s.Name, strings.Join(w, ", ")))
		}
	}
	if len(blocked) > 0 {
		out += "; blocked: " + strings.Join(blocked, ", ")
	}
	return out
}

// usableService refuses a service of set that does not exist or is bad-config, naming its
// problems; with forStart, also one that is blocked.
func usableService(g *globals, set *config.Set, name string, forStart bool) error {
	switch {
	case set.Service(name) == nil:
		return noSuchService(g, name)
	case set.BadConfig(name):
		return exitWith(ExitFailure, fmt.Errorf("%s is bad-config:\n%s", name, set.Problems(name).Error()))
	case forStart && len(set.Blocked(name)) > 0:
		return exitWith(ExitFailure, fmt.Errorf("%s is blocked, waiting for %s (not defined in %s)", name, strings.Join(set.Blocked(name), ", "), g.configDir))
	}
	return nil
}

// noSuchService is the error (exit 4) for a name the config directory does not define.
func noSuchService(g *globals, name string) error {
	return exitWith(ExitNoSuchService, fmt.Errorf("no such service %q in %s", name, g.configDir))
}

func graphErr(g *globals, name string, err error) error {
	if errors.Is(err, graphs.ErrNoSuchService) {
		return noSuchService(g, name)
	}
	return exitWith(ExitFailure, err)
}
