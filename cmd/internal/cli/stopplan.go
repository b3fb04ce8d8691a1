package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/graphs"
)

// stopPreview is what 'heroctl stop --dry-run' prints: the cascade of the named services (as
// stop takes them, one after the other) and which of its members run, so its count is what
// the stop itself will report.
type stopPreview struct {
	graphs.StopPlan
	// Running are the members of Order that run (stop order); nil when neither herod nor
	// systemd could say.
	Running []string `json:"running"`
}

// runsNow reports a systemd ActiveState whose unit has processes a stop ends (the bridge's
// hasProcesses).
func runsNow(active string) bool {
	switch active {
	case "active", "activating", "reloading", "deactivating":
		return true
	}
	return false
}

// stopDryRun prints the stop plan of names: herod's plans and states, or, with --config-dir
// (or herod not reachable), the directory's plans and systemd's states when it can be asked.
func stopDryRun(cmd *cobra.Command, g *globals, names []string) error {
	var plans []graphs.StopPlan
	var active map[string]string // service -> systemd's ActiveState; nil: unknown
	err := withDaemon(cmd, g, func(ctx context.Context, c *client.Client) error {
		for _, name := range names {
			p, err := c.StopPlan(ctx, name)
			if err != nil {
				return err
			}
			plans = append(plans, graphs.StopPlan{Service: p.Service, Order: p.Order, Waves: p.Waves, StoppedDependents: p.StoppedDependents})
		}
		list, err := c.ListUnits(ctx)
		if err != nil {
			return err
		}
		active = map[string]string{}
		for _, st := range list {
			active[st.Service] = st.ActiveState
		}
		return nil
	}, func() error {
		set, err := loadUsable(g)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := usableService(g, set, name, false); err != nil {
				return err
			}
			p, err := set.Graph.Stop(name)
			if err != nil {
				return graphErr(g, name, err)
			}
			plans = append(plans, p)
		}
		if v, err := readSystemdView(cmd.Context(), g); err == nil {
			active = map[string]string{}
			for name, st := range v.statuses {
				active[name] = st.ActiveState
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return printStopPreview(g, mergeStopPlans(names, plans, active))
}

// mergeStopPlans joins the plans of names stopped one after the other: each one's waves in
// turn, without the members an earlier one already stopped. active (nil: unknown) tells which
// members run.
func mergeStopPlans(names []string, plans []graphs.StopPlan, active map[string]string) stopPreview {
	named := map[string]bool{}
	for _, n := range names {
		named[n] = true
	}
	p := stopPreview{StopPlan: graphs.StopPlan{Service: strings.Join(names, " "), Order: []string{}, Waves: [][]string{}, StoppedDependents: []string{}}}
	seen := map[string]bool{}
	for _, plan := range plans {
		for _, wave := range plan.Waves {
			var w []string
			for _, m := range wave {
				if !seen[m] {
					seen[m] = true
					w = append(w, m)
				}
			}
			if len(w) > 0 {
				p.Waves = append(p.Waves, w)
			}
		}
	}
	for _, w := range p.Waves {
		p.Order = append(p.Order, w...)
	}
	for _, m := range p.Order {
		if !named[m] {
			p.StoppedDependents = append(p.StoppedDependents, m)
		}
	}
	if active != nil {
		p.Running = []string{}
		for _, m := range p.Order {
			if runsNow(active[m]) {
				p.Running = append(p.Running, m)
			}
		}
	}
	return p
}

// printStopPreview prints a preview: the waves of what runs, and what does not run.
func printStopPreview(g *globals, p stopPreview) error {
	if g.json() {
		return printJSON(p)
	}
	if g.quiet {
		return nil
	}
	if p.Running == nil {
		fmt.Fprintf(Stdout, "Stopping %s stops those of these %d service(s) that run (neither herod nor systemd could say which do), in %d wave(s):\n",
			p.Service, len(p.Order), len(p.Waves))
		printWaves(p.Waves)
		return nil
	}
	runs := map[string]bool{}
	for _, m := range p.Running {
		runs[m] = true
	}
	var waves [][]string
	var idle []string
	for _, wave := range p.Waves {
		var w []string
		for _, m := range wave {
			if runs[m] {
				w = append(w, m)
			} else {
				idle = append(idle, m)
			}
		}
		if len(w) > 0 {
			waves = append(waves, w)
		}
	}
	if len(waves) == 0 {
		fmt.Fprintf(Stdout, "Stopping %s stops nothing: none of its %d service(s) runs.\n", p.Service, len(p.Order))
		return nil
	}
	fmt.Fprintf(Stdout, "Stopping %s stops %d running service(s) in %d wave(s):\n", p.Service, len(p.Running), len(waves))
	printWaves(waves)
	if len(idle) > 0 {
		fmt.Fprintf(Stdout, "Not running, left as they are: %s.\n", strings.Join(idle, ", "))
	}
	return nil
}

func printWaves(waves [][]string) {
	for i, w := range waves {
		fmt.Fprintf(Stdout, "  wave %d: %s\n", i+1, strings.Join(w, " "))
	}
}
