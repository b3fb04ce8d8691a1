package cli

import (
	"os"
	"regexp"
	"strings"
)

// suggest is a heroctl command line for advice: verb with the flags that chose which herod or
// config directory this run used (--user, --config-dir), so the advice works as printed.
func (g *globals) suggest(verb string) string {
	parts := []string{"heroctl"}
	if g.user {
		parts = append(parts, "--user")
	}
	parts = append(parts, verb)
	if g.localConfig {
		parts = append(parts, "--config-dir", shellQuote(g.configDir))
	}
	return strings.Join(parts, " ")
}

// commandLine is the command line of this run, quoted for a shell (for "run 'sudo heroctl ...'").
func (g *globals) commandLine() string {
	args := os.Args[1:]
	if g != nil && g.args != nil {
		args = g.args
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// startAdvice says how to start the herod this run wanted, and how to do without it.
func (g *globals) startAdvice() string {
	start := "See 'systemctl status herod' (a broken service file keeps it from starting: 'heroctl validate' names it).\n" +
		"Start it with 'systemctl start herod' (or run 'herod' as root)"
	if g != nil && g.user {
		start = "Start yours with 'systemd-run --user herod --user' (or run 'herod --user')"
	}
	return start + "; the offline verbs (validate, cat, list-dependencies, graph, start --dry-run,\n" +
		"stop --dry-run) also work without it: add --config-dir DIR"
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,+@%-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
