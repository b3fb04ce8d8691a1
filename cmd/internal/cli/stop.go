package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

func init() { verbs = append(verbs, newStopCmd) }

type stopArgs struct {
	dryRun     bool
	removeJobs bool
	op         opFlags
}

func newStopCmd(g *globals) *cobra.Command {
	var a stopArgs
	cmd := &cobra.Command{
		Use:   "stop [--dry-run] [--remove-jobs] NAME...",
		Short: "Stop services and every service that requires them",
		Long: `stop stops NAME and, first, every service with a transitive requires chain into it (the
cascade), most-dependent first. Services only ordered after NAME, and independent ones, keep
running. Several names are stopped as one operation, each with its cascade, in the order given.
Job records are kept so you can read why something died; --remove-jobs deletes the named
services' own (never their dependents'). heroctl waits until the stop is done, printing one
line per stopped service to stderr; --no-block and --timeout work as for start. With -o json:
{"ok","cancelled","stopped_dependents"}.

With --dry-run nothing is stopped: the cascade plan is printed, counting the services that run
and would really be stopped (herod's view, or with --config-dir systemd's), and naming those
that do not run (with -o json: {"service","order","waves","stopped_dependents","running"}:
order and waves are the whole cascade, running the members that run, null when unknown).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.dryRun {
				return stopDryRun(cmd, g, args)
			}
			return stopOnline(cmd, g, a, args)
		},
	}
	cmd.Flags().BoolVar(&a.dryRun, "dry-run", false, "print the cascade plan; stop nothing")
	cmd.Flags().BoolVar(&a.removeJobs, "remove-jobs", false, "also delete the named services' own job records")
	a.op.add(cmd)
	return cmd
}

// stopReply is what 'heroctl stop -o json' prints.
type stopReply struct {
	OK                bool     `json:"ok"`
	Cancelled         uint32   `json:"cancelled"`
	StoppedDependents []string `json:"stopped_dependents"`
	Operation         uint64   `json:"operation,omitempty"`
	Stopping          []string `json:"stopping,omitempty"`
}

func stopOnline(cmd *cobra.Command, g *globals, a stopArgs, names []string) error {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	q, out, err := operation(cmd, g, c, a.op, strings.Join(names, " "), func(ctx context.Context) (client.Queued, error) {
		if len(names) == 1 {
			return c.Stop(ctx, names[0], a.removeJobs)
		}
		return c.StopMany(ctx, names, a.removeJobs)
	})
	if err != nil {
		return err
	}
	r := stopReply{OK: true, Cancelled: out.Uint(api.SummaryCancelled), StoppedDependents: out.Strings(api.SummaryStoppedDependents)}
	if a.op.noBlock {
		r.Operation, r.Stopping = q.Operation, q.Services
	}
	if g.json() {
		return printJSON(r)
	}
	if !g.quiet && !a.op.noBlock {
		if msg := stopMessage(names, q.Services, r.StoppedDependents); msg != "" {
			fmt.Fprintln(Stderr, msg)
		}
	}
	return nil
}

// stopMessage sums up a stop of names that took down running (the services that ran, stop
// order) and, of them, the dependents: what did not run is named, and the dependents when any
// were (the per-service lines already said which stopped).
func stopMessage(names, running, dependents []string) string {
	ran := map[string]bool{}
	for _, s := range running {
		ran[s] = true
	}
	var idle, stopped []string
	for _, n := range names {
		if ran[n] {
			stopped = append(stopped, n)
		} else {
			idle = append(idle, n)
		}
	}
	var parts []string
	switch {
	case len(running) == 0 && len(names) == 1:
		return names[0] + " was not running."
	case len(running) == 0:
		return "None of " + strings.Join(names, ", ") + " was running."
	case len(dependents) > 0 && len(stopped) > 0:
		parts = append(parts, fmt.Sprintf("Stopped %s and %d dependent(s): %s.", strings.Join(stopped, ", "), len(dependents), strings.Join(dependents, ", ")))
	case len(dependents) > 0:
		parts = append(parts, fmt.Sprintf("Stopped %d dependent(s): %s.", len(dependents), strings.Join(dependents, ", ")))
	}
	if len(idle) > 0 && len(names) > 1 {
		parts = append(parts, fmt.Sprintf("Not running: %s.", strings.Join(idle, ", ")))
	}
	return strings.Join(parts, " ")
}
