package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/graphs"
)

func init() { verbs = append(verbs, newStartCmd) }

func newStartCmd(g *globals) *cobra.Command {
	var jobMode string
	var dryRun, strict bool
	var of opFlags
	cmd := &cobra.Command{
		Use:   "start [--dry-run] NAME...",
		Short: "Start services, after what they require",
		Long: `start starts each service after the services it requires (its requires closure), like
'systemctl start': herod queues every start job at once, dependencies first, and systemd's
ordering makes each wait for what it requires. Several names are started together. A start is
blocked, with nothing started, when a service it would start conflicts with a running one. Every
member of the closure that is not running (stopped, failed, stopped by a requirement's death)
is started, so a service never counts as already running while something it requires is down;
services it wants are started too, but softly: a wanted service that no file defines, that
cannot start as its config stands, or that fails to start is named in a warning and the start
goes on without it (exit status 0), as systemctl does for Wants= and compose for depends_on with
required: false. Each started service's ended jobs are pruned first; running jobs are never
touched.
heroctl waits until the start is done (a health check may take a while), printing one line per
service to stderr; --no-block returns once herod queued it, --timeout stops waiting (the start
goes on in herod either way, as after Ctrl-C). With -o json: {"service","started","failed",
"already_running","jobs","warnings"}.
With --dry-run nothing is started: the start plan of the services together is printed (with
-o json: {"service","order","waves","dependencies"}), from herod or, with --config-dir, the
directory.
A service whose file on disk has problems runs its last good definition (see daemon-reload):
start warns on stderr, naming the problems; the exit status stays 0 unless --strict.`,
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
			return startOnline(cmd, g, of, args, jobMode == "replace", strict)
		},
	}
	cmd.Flags().StringVar(&jobMode, "job-mode", "replace", "systemd job mode: replace (a queued conflicting job is replaced) or fail")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the start plan; start nothing")
	addStrict(cmd, &strict)
	of.add(cmd)
	return cmd
}

func startOnline(cmd *cobra.Command, g *globals, of opFlags, names []string, replace, strict bool) (err error) {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	q, out, err := operation(cmd, g, c, of, strings.Join(names, " "), func(ctx context.Context) (client.Queued, error) {
		if len(names) == 1 {
			return c.Start(ctx, names[0], replace)
		}
		return c.StartMany(ctx, names, replace)
	})
	if err != nil {
		return err
	}
	started := out.Strings(api.SummaryStarted)
	defer func() {
		if werr := warnLastGood(cmd.Context(), g, c, append(append(slices.Clone(names), q.Services...), started...), strict); err == nil {
			err = werr
		}
	}()
	warnings := out.Strings(api.SummaryWarnings)
	if !g.json() && !g.quiet {
		for _, w := range warnings {
			fmt.Fprintf(Stderr, "Warning: %s.\n", w)
		}
	}
	if g.json() {
		return printJSON(struct {
			Service        string           `json:"service"`
			Started        []string         `json:"started"`
			Failed         []string         `json:"failed"`
			AlreadyRunning bool             `json:"already_running"`
			Queued         []string         `json:"queued,omitempty"`
			Operation      uint64           `json:"operation,omitempty"`
			Jobs           map[string]int64 `json:"jobs"`
			Warnings       []string         `json:"warnings,omitempty"`
		}{strings.Join(names, " "), started, out.Strings(api.SummaryFailed), q.AlreadyRunning, q.Services, q.Operation, out.Jobs(), warnings})
	}
	if !g.quiet && q.AlreadyRunning {
		fmt.Fprintf(Stderr, "%s already running.\n", strings.Join(names, ", "))
	} else if !g.quiet && len(started) > 1 {
		fmt.Fprintf(Stderr, "Started %d services: %s.\n", len(started), strings.Join(started, ", "))
	}
	return nil
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
