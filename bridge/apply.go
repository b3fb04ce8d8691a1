package bridge

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// ApplyPlan is what an apply does to make what runs match the config directory.
type ApplyPlan struct {
	DryRun bool `json:"dry_run"`
	// Changed are the running services whose definition differs from the unit systemd runs,
	// with the difference.
	Changed []ApplyChange `json:"changed"`
	// Restart is what stops and starts again, in dependency (start) order: the changed
	// services, the services that require them and run, and services an earlier apply
	// stopped and could not start again.
	Restart []string `json:"restart"`
	// Stop are the services whose unit runs but which no file defines any more.
	Stop []string `json:"stop"`
	// Unchanged counts the running services left as they are.
	Unchanged int `json:"unchanged"`
	// Started and Failed say what an apply that ran did (empty for a dry run).
	Started []string `json:"started"`
	Failed  []string `json:"failed"`
}

// ApplyChange is one changed service.
type ApplyChange struct {
	Service string `json:"service"`
	Unit    string `json:"unit"`
	// Diff is a unified diff of the unit text, from what systemd runs to the new definition
	// (environment values masked by the caller where the reader may not see them). When herod
	// did not create the running unit itself, the old text is unknown and the diff says so.
	Diff string `json:"diff"`
	// Dependents are the running services that require it, restarted with it.
	Dependents []string `json:"dependents"`
}

// unitTexts remembers the text of every unit the bridge created, by unit name, so that an apply
// can show what changed.
type unitTexts struct {
	mu    sync.Mutex
	texts map[string]unitText
}

type unitText struct{ definition, text string }

func (t *unitTexts) remember(u *unitgen.Unit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.texts == nil {
		t.texts = map[string]unitText{}
	}
	t.texts[u.Name] = unitText{definition: u.Definition, text: u.Text()}
}

func (t *unitTexts) get(unit, definition string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ut, ok := t.texts[unit]
	return ut.text, ok && ut.definition == definition
}

// PlanApply computes what Apply would do, touching nothing.
func (b *Bridge) PlanApply(ctx context.Context) (ApplyPlan, error) {
	set := b.Config()
	plan := ApplyPlan{DryRun: true, Changed: []ApplyChange{}, Restart: []string{}, Stop: []string{}, Started: []string{}, Failed: []string{}}
	units, err := b.heroUnits(ctx)
	if err != nil {
		return plan, fmt.Errorf("apply: %w", err)
	}
	running := map[string]bool{}
	for _, u := range units {
		if !hasProcesses(u.ActiveState) {
			continue
		}
		_, name, _ := unitgen.ParseUnitName(u.Name)
		svc := set.Service(name)
		if svc == nil || unitOf(svc) != u.Name {
			plan.Stop = append(plan.Stop, name)
			continue
		}
		running[name] = true
		if set.BadConfig(name) {
			continue // keeps its last good definition, which is what runs
		}
		gen, err := unitgen.Generate(set, svc, b.unitOptions())
		if err != nil {
			return plan, fmt.Errorf("apply %s: %w", name, err)
		}
		if old := b.loadedDefinition(ctx, u.Name); old != gen.Definition {
			plan.Changed = append(plan.Changed, ApplyChange{Service: name, Unit: u.Name, Diff: b.unitDiff(u.Name, old, gen)})
		}
	}
	sort.Strings(plan.Stop)
	restart := b.applyPending()
	for i, c := range plan.Changed {
		restart[c.Service] = true
		sp, err := set.Graph.Stop(c.Service)
		if err != nil {
			return plan, err
		}
		plan.Changed[i].Dependents = []string{}
		for _, d := range sp.StoppedDependents {
			if running[d] {
				plan.Changed[i].Dependents = append(plan.Changed[i].Dependents, d)
				restart[d] = true
			}
		}
	}
	plan.Restart, err = startOrder(set, restart)
	for i := range plan.Changed {
		plan.Changed[i].Dependents = inOrderOf(plan.Changed[i].Dependents, plan.Restart)
	}
	plan.Unchanged = 0
	for n := range running {
		if !restart[n] {
			plan.Unchanged++
		}
	}
	return plan, err
}

// inOrderOf returns names in the order they have in order.
func inOrderOf(names, order []string) []string {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := []string{}
	for _, n := range order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}

// startOrder returns names in the order a start of all of them takes (dependencies first).
func startOrder(set *config.Set, names map[string]bool) ([]string, error) {
	out := []string{}
	if len(names) == 0 {
		return out, nil
	}
	var list []string
	for n := range names {
		if set.Service(n) != nil && !set.BadConfig(n) {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	p, err := set.Graph.StartAll(list)
	if err != nil {
		return out, err
	}
	for _, m := range p.Order {
		if names[m] {
			out = append(out, m)
		}
	}
	return out, nil
}

// unitDiff is the unified diff from the text systemd runs (as the bridge created it) to gen's.
func (b *Bridge) unitDiff(unit, oldDefinition string, gen *unitgen.Unit) string {
	old, ok := b.texts.get(unit, oldDefinition)
	header := fmt.Sprintf("--- %s (running)\n+++ %s (config)\n", unit, unit)
	if !ok {
		return header + fmt.Sprintf("@@ the running unit (definition %.12s) was created before this herod started: its text is unknown @@\n", oldDefinition) +
			prefixLines("+", gen.Text())
	}
	return header + UnifiedDiff(old, gen.Text(), 3)
}

func prefixLines(p, text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(p + strings.TrimSuffix(l, "\n") + "\n")
	}
	return b.String()
}

// Apply makes what runs match the config directory: removed services are stopped, changed
// ones are stopped with the services that require them and run, then started again on their
// new definitions, dependencies first. A service whose new definition fails to start fails
// what requires it (not started), nothing else; it is kept pending, so the next apply, after a
// fix, starts it and its dependents. Unchanged services are not touched.
func (b *Bridge) Apply(ctx context.Context, obs Observer) (ApplyPlan, error) {
	plan, err := b.PlanApply(ctx)
	plan.DryRun = false
	if err != nil {
		return plan, err
	}
	for _, name := range plan.Stop {
		if err := b.stopRemoved(ctx, name, obs); err != nil {
			return plan, err
		}
	}
	if len(plan.Restart) == 0 {
		return plan, nil
	}
	set := b.Config()
	all, err := set.Graph.StartAll(plan.Restart)
	if err != nil {
		return plan, err
	}
	release, err := b.locks.acquire(ctx, lockSet(set, all.Order))
	if err != nil {
		return plan, fmt.Errorf("apply: waiting for other operations on these services: %w", err)
	}
	defer release()
	for _, c := range plan.Changed {
		sp, err := stopPlan(set, c.Service)
		if err != nil {
			return plan, err
		}
		if _, err := b.stop(ctx, set, c.Service, sp, false, obs); err != nil {
			return plan, err
		}
	}
	reply, err := b.start(ctx, set, plan.Restart, all, true, obs, StartReply{Service: plan.Restart[0], Started: []string{}, Failed: []string{}, Jobs: map[string]int64{}})
	plan.Started, plan.Failed = reply.Started, reply.Failed
	b.setApplyPending(reply.Failed)
	return plan, err
}

// stopRemoved stops the running unit of a service no file defines any more.
func (b *Bridge) stopRemoved(ctx context.Context, name string, obs Observer) error {
	units, err := b.heroUnits(ctx)
	if err != nil {
		return err
	}
	for _, u := range units {
		if _, n, _ := unitgen.ParseUnitName(u.Name); n == name && hasProcesses(u.ActiveState) {
			if err := b.stopUnits(ctx, []string{u.Name}); err != nil {
				return fmt.Errorf("apply: stop removed %s: %w", name, err)
			}
			obs.report(Progress{Service: name, Event: "stopped"})
		}
	}
	return nil
}

// applyPending returns (a copy of) the services the last apply could not start again.
func (b *Bridge) applyPending() map[string]bool {
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	out := map[string]bool{}
	for n := range b.pending {
		out[n] = true
	}
	return out
}

func (b *Bridge) setApplyPending(failed []string) {
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.pending = map[string]bool{}
	for _, n := range failed {
		b.pending[n] = true
	}
}
