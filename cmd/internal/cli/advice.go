package cli

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// suggest is a heroctl command line for advice: verb with the flags that chose which herod or
// config directory this run used (--user, -H, --config-dir), so the advice works as printed.
func (g *globals) suggest(verb string) string {
	parts := []string{"heroctl"}
	if g.user {
		parts = append(parts, "--user")
	}
	if g.host != "" {
		parts = append(parts, "-H", shellQuote(g.host))
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

// asRoot says how to run this command line as root: sudo, or for -H, as root on the host.
func (g *globals) asRoot() string {
	if g != nil && g.host != "" {
		return fmt.Sprintf("run it as root there ('heroctl -H root@%s ...')", hostOnly(g.host))
	}
	return fmt.Sprintf("run 'sudo heroctl %s'", g.commandLine())
}

// hostOnly is the host of [USER@]HOST[:PORT] as given (port kept).
func hostOnly(host string) string {
	if _, h, ok := strings.Cut(host, "@"); ok {
		return h
	}
	return host
}

// startAdvice says how to start the herod this run wanted, and how to do without it.
func (g *globals) startAdvice() string {
	if g != nil && g.host != "" {
		ssh := "ssh"
		if target, port, err := client.SplitHost(g.host); err == nil {
			if port != "" {
				ssh += " -p " + port
			}
			ssh += " " + target
		}
		return fmt.Sprintf("See '%s systemctl status herod'; start it there with 'systemctl start herod'.\n"+
			"The host must run sshd and have systemd-stdio-bridge (systemd's), as systemctl -H needs.", ssh)
	}
	start := "See 'systemctl status herod' and 'journalctl -u herod' (why it is not running).\n" +
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
