package cli

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hero-systemd/hero-systemd/cmd/configdir"
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

// loadValid reads the config directory and refuses to go on when any file has a problem: plans
// and units computed from a broken directory would be wrong.
func loadValid(g *globals) (*config.Set, error) {
	set, probs, err := loadConfig(g)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintln(Stderr, p.String())
		}
		return nil, exitWith(ExitFailure, fmt.Errorf("%s has %d problem(s); run '%s'", g.configDir, len(probs), g.suggest("validate")))
	}
	return set, nil
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
