package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// A service whose file has problems keeps its last good definition (herod loads the rest of the
// directory, see daemon-reload): a start or restart then runs that definition, not the file the
// user just edited. start and restart say so, as systemctl warns of a unit file changed on disk.

// addStrict adds --strict, which makes such a warning fail the verb.
func addStrict(cmd *cobra.Command, strict *bool) {
	cmd.Flags().BoolVar(strict, "strict", false, "exit 1 when a service runs its last good definition because its file has problems")
}

// warnLastGood warns on stderr about each of names whose file on disk has problems (as herod's
// Validate tells them to this caller): it runs its last good definition, not the file. With
// strict, such a warning is an error (exit 1); the services run either way.
func warnLastGood(ctx context.Context, g *globals, c *client.Client, names []string, strict bool) error {
	probs, err := c.Validate(ctx)
	if err != nil {
		if strict {
			return adviseFor(g, err)
		}
		return nil
	}
	byService := map[string][]client.Problem{}
	for _, p := range probs {
		if name, ok := config.ServiceOfFile(p.File); ok {
			byService[name] = append(byService[name], p)
		}
	}
	var warned []string
	seen := map[string]bool{}
	for _, n := range names {
		ps := byService[n]
		if len(ps) == 0 || seen[n] {
			continue
		}
		seen[n] = true
		warned = append(warned, n)
		if g.quiet {
			continue
		}
		fmt.Fprintf(Stderr, "heroctl: warning: %s runs its last good definition, not its file: %s has %d problem(s):\n", n, ps[0].File, len(ps))
		for _, p := range ps {
			fmt.Fprintf(Stderr, "  %s\n", config.Problem{File: p.File, Line: int(p.Line), Key: p.Key, Message: p.Message})
		}
	}
	if len(warned) == 0 {
		return nil
	}
	if !g.quiet {
		fmt.Fprintln(Stderr, "Fix the file, then 'heroctl apply' runs it ('heroctl validate' lists every problem).")
	}
	if strict {
		return exitWith(ExitFailure, fmt.Errorf("--strict: %s run(s) a last good definition, not the file", strings.Join(warned, ", ")))
	}
	return nil
}
