package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/cmd/client"
)

func init() { verbs = append(verbs, newApplyCmd) }

// applyPlan is the JSON shape of an apply's plan (herod's ApplyPlan).
type applyPlan struct {
	DryRun  bool `json:"dry_run"`
	Changed []struct {
		Service    string   `json:"service"`
		Unit       string   `json:"unit"`
		Diff       string   `json:"diff"`
		Dependents []string `json:"dependents"`
	} `json:"changed"`
	Restart   []string `json:"restart"`
	Stop      []string `json:"stop"`
	Unchanged int      `json:"unchanged"`
	Started   []string `json:"started"`
	Failed    []string `json:"failed"`
}

func newApplyCmd(g *globals) *cobra.Command {
	var of opFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply [--dry-run]",
		Short: "Make what runs match the config directory: restart what changed, stop what was removed",
		Long: `apply makes the running services match the configs herod has loaded (run 'heroctl
daemon-reload' first): every running service whose definition differs from the unit systemd
runs is stopped together with the running services that require it, and all of them start
again on their new definitions, dependencies first; services no file defines any more are
stopped; unchanged services are not touched. A service whose new definition fails to start
fails only what requires it (those are not started); everything else keeps running, and the
next apply, after a fix, starts what is left.

--dry-run prints the plan and changes nothing: for each changed service a unified diff of its
unit text (environment values masked) and the dependents restarted with it, then what restarts
(in start order) and what stops. With -o json the plan is printed as one object with the keys
dry_run, changed (a list of objects with service, unit, diff and dependents), restart, stop,
unchanged, started and failed (after an apply, started and failed say what it did).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dryRun {
				return online(cmd, g, func(ctx context.Context, c *client.Client) error {
					text, err := c.ApplyPlan(ctx)
					if err != nil {
						return advise(err)
					}
					return printApplyPlan(g, text, nil)
				})
			}
			c, err := dial(cmd, g)
			if err != nil {
				return err
			}
			defer c.Close()
			var text string
			_, out, err := operation(cmd, g, c, of, "apply", func(ctx context.Context) (client.Queued, error) {
				q, plan, err := c.Apply(ctx)
				text = plan
				return q, err
			})
			if text != "" && !g.json() && !g.quiet && !of.noBlock {
				printApplyPlan(g, text, nil)
			}
			if err != nil {
				return err
			}
			return printApplyPlan(g, text, &out)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan (diffs, what restarts and stops) and change nothing")
	of.add(cmd)
	return cmd
}

// printApplyPlan prints a plan: as JSON with -o json (with what the apply did, given out), as
// text otherwise (only when it has not been printed: out is nil).
func printApplyPlan(g *globals, text string, out *client.Outcome) error {
	var p applyPlan
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return fmt.Errorf("apply: herod's plan is not JSON: %w", err)
	}
	if out != nil {
		p.Started, p.Failed = out.Strings(api.SummaryStarted), out.Strings(api.SummaryFailed)
		if p.Started == nil {
			p.Started = []string{}
		}
		if p.Failed == nil {
			p.Failed = []string{}
		}
	}
	if g.json() {
		return printJSON(p)
	}
	if out != nil {
		if !g.quiet && len(p.Restart) == 0 && len(p.Stop) == 0 {
			fmt.Fprintln(Stderr, "Nothing to apply: what runs matches the configs.")
		}
		return nil
	}
	w := Stdout
	if !p.DryRun {
		w = Stderr // the plan of a real apply is progress, as start's lines are
	}
	for _, c := range p.Changed {
		fmt.Fprintf(w, "%s changed", c.Service)
		if len(c.Dependents) > 0 {
			fmt.Fprintf(w, "; restarts with it: %s", strings.Join(c.Dependents, ", "))
		}
		fmt.Fprintf(w, "\n%s", c.Diff)
	}
	fmt.Fprintf(w, "restart: %s\nstop: %s\nunchanged: %d running service(s)\n", listOrNone(p.Restart), listOrNone(p.Stop), p.Unchanged)
	return nil
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, " ")
}
