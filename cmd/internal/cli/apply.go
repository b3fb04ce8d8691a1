package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
)

func init() { verbs = append(verbs, newApplyCmd) }

func newApplyCmd(g *globals) *cobra.Command {
	var of opFlags
	var dryRun, maskEnv bool
	cmd := &cobra.Command{
		Use:   "apply [--dry-run]",
		Short: "Make what runs match the config directory: restart what changed, stop what was removed",
		Long: `apply makes the running services match the config directory as it is on disk: herod reads
and validates it (a problem in any file refuses the apply, every problem is printed, nothing
changes), then, holding every service's lock, works out the plan, and heroctl prints it before
anything happens: for each running service whose definition differs from the unit systemd runs,
a unified diff of its unit text (environment values shown to a caller who may read its file,
as root; masked for others, marked where a hidden value changed) and the running services
that require it; what restarts (in start order), what stops (services no file defines any
more), services added, changed while not running, or removed, and how many run unchanged.
Then herod loads the directory (as daemon-reload) and does exactly that plan, heroctl printing
each step, and says what it did. Unchanged services are not touched. A service whose new
definition fails to start fails only what requires it (those are not started; the exit status
is 1); everything else keeps running, and the next apply, after a fix, starts what is left.

--dry-run prints the plan and changes nothing, not even the configs herod has loaded; with
--config-dir DIR (or $HERO_CONFIG_DIR) it is the plan of DIR as if it were herod's directory:
what files not yet in place would do (herod reads DIR, so this needs the right to apply).
--mask-env masks environment values in the diffs for a reader who may see them too, for output
that others read (logs; the Ansible module hero.systemd.apply does so by default).
daemon-reload, by contrast, only loads the directory (as systemctl daemon-reload): running
services keep their definitions until they start again. With -o json the plan is printed as
one object: dry_run, changed (objects with service, unit, file, diff, dependents), restart,
stop, added, updated, removed, unchanged, started and failed (what an apply did).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dryRun {
				dir := ""
				if g.localConfig {
					abs, err := filepath.Abs(g.configDir)
					if err != nil {
						return exitWith(ExitFailure, err)
					}
					dir = abs
				}
				return online(cmd, g, func(ctx context.Context, c *client.Client) error {
					p, err := c.ApplyPlan(ctx, dir)
					if err != nil {
						return err
					}
					return printApplyPlan(g, Stdout, masked(p, maskEnv))
				})
			}
			if cmd.Flags().Changed("config-dir") {
				return usageError(cmd, "apply applies herod's own config directory; --config-dir DIR goes with --dry-run only (the plan of DIR as if it were herod's)")
			}
			return applyOnline(cmd, g, of, maskEnv)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (diffs, what restarts and stops) and change nothing")
	cmd.Flags().BoolVar(&maskEnv, "mask-env", false, "mask environment values in the diffs even where you may read them (for output others read, such as logs)")
	of.add(cmd)
	return cmd
}

// applyOnline queues an apply and follows it: the plan as soon as herod has it (before anything
// acts), each step, then what it did.
func applyOnline(cmd *cobra.Command, g *globals, of opFlags, maskEnv bool) error {
	c, err := dial(cmd, g)
	if err != nil {
		return err
	}
	defer c.Close()
	var shown *plan.Apply
	show := func(ctx context.Context, op uint64) {
		p, err := c.OperationPlan(ctx, op)
		if err != nil || shown != nil {
			return
		}
		p = masked(p, maskEnv)
		shown = &p
		if !g.json() && !g.quiet {
			printApplyPlan(g, Stderr, p) // the plan of a real apply is progress, as start's lines are
		}
	}
	var op uint64
	of.progress = func(p client.Progress) bool {
		if p.Event != "planned" {
			return false
		}
		show(cmd.Context(), op)
		return true
	}
	q, out, err := operation(cmd, g, c, of, "apply", func(ctx context.Context) (client.Queued, error) {
		q, err := c.Apply(ctx)
		op = q.Operation
		return q, err
	})
	if q.Operation == 0 || of.noBlock {
		return err
	}
	if shown == nil {
		show(cmd.Context(), q.Operation) // its "planned" step was missed: the plan still comes first
	}
	final, perr := c.OperationPlan(cmd.Context(), q.Operation)
	final = masked(final, maskEnv)
	if perr != nil && shown != nil {
		final = *shown
		final.Started, final.Failed = out.Strings(api.SummaryStarted), out.Strings(api.SummaryFailed)
	}
	if g.json() && (perr == nil || shown != nil) {
		if jerr := printJSON(final.WithLists()); jerr != nil {
			return jerr
		}
	} else if err == nil && !g.quiet {
		fmt.Fprintln(Stderr, appliedLine(final))
	}
	return err
}

// masked is p with its diffs' environment values masked when mask is set.
func masked(p plan.Apply, mask bool) plan.Apply {
	if mask {
		return p.Masked()
	}
	return p
}

// appliedLine says what an apply did.
func appliedLine(p plan.Apply) string {
	if !p.Acts() {
		if len(p.Added)+len(p.Updated)+len(p.Removed) > 0 {
			return "Applied: the configs are loaded; nothing to restart or stop."
		}
		return "Nothing to apply: what runs matches the configs."
	}
	var did []string
	if len(p.Started) > 0 {
		did = append(did, "restarted "+strings.Join(p.Started, ", "))
	}
	if len(p.Stop) > 0 {
		did = append(did, "stopped "+strings.Join(p.Stop, ", "))
	}
	return "Applied: " + strings.Join(did, "; ") + "."
}

// printApplyPlan prints a plan to w: as JSON with -o json, as text otherwise (nothing with -q).
func printApplyPlan(g *globals, w io.Writer, p plan.Apply) error {
	if g.json() {
		return printJSON(p.WithLists())
	}
	if g.quiet {
		return nil
	}
	for _, c := range p.Changed {
		fmt.Fprintf(w, "%s changed", c.Service)
		if len(c.Dependents) > 0 {
			fmt.Fprintf(w, "; restarts with it: %s", strings.Join(c.Dependents, ", "))
		}
		fmt.Fprintf(w, "\n%s", c.Diff)
	}
	fmt.Fprintf(w, "restart: %s\nstop: %s\n", listOrNone(p.Restart), listOrNone(p.Stop))
	stopped := map[string]bool{}
	for _, s := range p.Stop {
		stopped[s] = true
	}
	var removed []string
	for _, r := range p.Removed {
		if !stopped[r] {
			removed = append(removed, r)
		}
	}
	for _, l := range []struct {
		label string
		names []string
	}{
		{"added (not started)", p.Added},
		{"changed, not running (its next start runs the new definition)", p.Updated},
		{"removed (not running)", removed},
	} {
		if len(l.names) > 0 {
			fmt.Fprintf(w, "%s: %s\n", l.label, strings.Join(l.names, " "))
		}
	}
	fmt.Fprintf(w, "unchanged: %d running service(s)\n", p.Unchanged)
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, " ")
}
