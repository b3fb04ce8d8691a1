package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/cmd/client"
	"github.com/hero-systemd/hero-systemd/graphs"
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
		Use:   "stop [--dry-run] [--remove-jobs] NAME",
		Short: "Stop a service and every service that requires it",
		Long: `stop stops NAME and, first, every service with a transitive requires chain into it (the
cascade), most-dependent first. Services only ordered after NAME, and independent ones, keep
running. Job records are kept so you can read why something died; --remove-jobs deletes
NAME's own (never its dependents'). heroctl waits until the stop is done, printing one line per
stopped service to stderr; --no-block and --timeout work as for start. With -o json:
{"ok","cancelled","stopped_dependents"}.

With --dry-run nothing is stopped: the cascade plan is computed from the config directory and
printed (with -o json: {"service","order","waves","stopped_dependents"}).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.dryRun {
				return stopDryRun(cmd, g, args[0])
			}
			return stopOnline(cmd, g, a, args[0])
		},
	}
	cmd.Flags().BoolVar(&a.dryRun, "dry-run", false, "print the cascade plan; stop nothing")
	cmd.Flags().BoolVar(&a.removeJobs, "remove-jobs", false, "also delete the service's own job records")
	a.op.add(cmd)
	return cmd
}

func stopDryRun(cmd *cobra.Command, g *globals, name string) error {
	return dryRun(cmd, g, name, func(ctx context.Context, c *client.Client) (graphs.StopPlan, error) {
		p, err := c.StopPlan(ctx, name)
		return graphs.StopPlan{Service: p.Service, Order: p.Order, Waves: p.Waves, StoppedDependents: p.StoppedDependents}, err
	}, func(gr *graphs.Graph) (graphs.StopPlan, error) { return gr.Stop(name) }, printStopPlan)
}

// stopReply is what 'heroctl stop -o json' prints.
type stopReply struct {
	OK                bool     `json:"ok"`
	Cancelled         uint32   `json:"cancelled"`
	StoppedDependents []string `json:"stopped_dependents"`
	Operation         uint64   `json:"operation,omitempty"`
	Stopping          []string `json:"stopping,omitempty"`
}

func stopOnline(cmd *cobra.Command, g *globals, a stopArgs, name string) error {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	q, out, err := operation(cmd, g, c, a.op, name, func(ctx context.Context) (client.Queued, error) {
		return c.Stop(ctx, name, a.removeJobs)
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
		switch {
		case len(q.Services) == 0:
			fmt.Fprintf(Stderr, "%s was not running.\n", name)
		case len(r.StoppedDependents) > 0:
			fmt.Fprintf(Stderr, "Stopped %s and %d dependent(s): %s.\n", name, len(r.StoppedDependents), strings.Join(r.StoppedDependents, ", "))
		}
	}
	return nil
}
