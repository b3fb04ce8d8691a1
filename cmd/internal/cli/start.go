package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/client"
	"github.com/hero-systemd/hero-systemd/graphs"
)

func init() { verbs = append(verbs, newStartCmd) }

func newStartCmd(g *globals) *cobra.Command {
	var jobMode string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "start [--dry-run] NAME...",
		Short: "Start services, after what they require",
		Long: `start starts each service after the services it requires (its requires closure), wave by
wave, like 'systemctl start'. Several names are started together. A start is blocked, with
nothing started, when a service it would start conflicts with a running one. Each started
service's ended jobs are pruned first; running jobs are never touched. One line per started
service goes to stderr. With -o json: {"service","started","already_running"}.
With --dry-run nothing is started: the start plan of the services together is printed (with
-o json: {"service","order","waves","dependencies"}), from herod or, with --config-dir, the
directory.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dryRun && len(args) > 1 {
				return startAllDryRun(cmd, g, args)
			}
			if dryRun {
				return startDryRun(cmd, g, args[0])
			}
			if jobMode != "replace" && jobMode != "fail" {
				return exitWith(ExitFailure, fmt.Errorf("--job-mode must be replace or fail, not %q", jobMode))
			}
			return online(cmd, g, func(ctx context.Context, c *client.Client) error {
				prog := startProgress(c, g)
				var started []string
				var err error
				already := false
				if len(args) == 1 {
					started, already, err = c.Start(ctx, args[0], jobMode == "replace")
				} else {
					started, err = c.StartMany(ctx, args, jobMode == "replace")
				}
				prog.finish("Started", started)
				if err != nil {
					return advise(err)
				}
				if started == nil {
					started = []string{}
				}
				if g.json() {
					return printJSON(struct {
						Service        string   `json:"service"`
						Started        []string `json:"started"`
						AlreadyRunning bool     `json:"already_running"`
					}{strings.Join(args, " "), started, already})
				}
				if !g.quiet && already {
					fmt.Fprintf(Stderr, "%s is already running.\n", args[0])
				} else if !g.quiet && len(started) > 1 {
					fmt.Fprintf(Stderr, "Started %d services: %s.\n", len(started), strings.Join(started, ", "))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&jobMode, "job-mode", "replace", "systemd job mode: replace (a queued conflicting job is replaced) or fail")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the start plan; start nothing")
	return cmd
}

func startDryRun(cmd *cobra.Command, g *globals, name string) error {
	return dryRun(cmd, g, name, func(ctx context.Context, c *client.Client) (graphs.StartPlan, error) {
		p, err := c.StartPlan(ctx, name)
		deps := []string{}
		for _, m := range p.Order {
			if m != name {
				deps = append(deps, m)
			}
		}
		return graphs.StartPlan{Service: name, Order: p.Order, Waves: p.Waves, Dependencies: deps}, err
	}, func(gr *graphs.Graph) (graphs.StartPlan, error) { return gr.Start(name) }, printStartPlan)
}
