package bridge

import (
	"context"
	"fmt"
	"sort"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// planner works out an apply's plan (bridge/plan): what runs (systemd's hero units and the
// definition each was created with) against the config directory as read, touching nothing.
type planner struct {
	svc     *services
	sd      *systemd.Client
	texts   *unitTexts
	pending *applyPending
}

// plan compares what runs (systemd's hero units and the definition each was created
// with) with next: what to restart, stop, and what only changes in the loaded services.
func (p *planner) plan(ctx context.Context, next *config.Set) (plan.Apply, error) {
	ap := plan.Apply{}.WithLists()
	units, err := p.sd.HeroUnits(ctx)
	if err != nil {
		return ap, err
	}
	running := map[string]string{} // service -> its running unit
	for _, u := range units {
		if !state.HasProcesses(u.ActiveState) {
			continue
		}
		_, name, _ := unitgen.ParseUnitName(u.Name)
		if svc := next.Service(name); svc == nil || unitOf(svc) != u.Name {
			ap.Stop = append(ap.Stop, name)
			continue
		}
		running[name] = u.Name
	}
	sort.Strings(ap.Stop)
	for name, unit := range running {
		c, changed, err := p.change(ctx, next, name, unit)
		if err != nil {
			return ap, err
		}
		if changed {
			ap.Changed = append(ap.Changed, c)
		}
	}
	sort.Slice(ap.Changed, func(i, j int) bool { return ap.Changed[i].Service < ap.Changed[j].Service })
	if err := p.restarts(ctx, next, &ap, running); err != nil {
		return ap, err
	}
	p.loadedChanges(next, &ap, running)
	return ap, nil
}

// change compares the definition of name's running unit with next's: the change (with the
// texts its diff is made from) when they differ. A bad-config service keeps running its last
// good definition: no change.
func (p *planner) change(ctx context.Context, next *config.Set, name, unit string) (plan.Change, bool, error) {
	if next.BadConfig(name) {
		return plan.Change{}, false, nil
	}
	svc := next.Service(name)
	gen, err := p.svc.unit(next, svc)
	if err != nil {
		return plan.Change{}, false, fmt.Errorf("%s: %w", name, err)
	}
	old := p.sd.LoadedDefinition(ctx, unit)
	if old == gen.Definition {
		return plan.Change{}, false, nil
	}
	text, known := p.texts.get(unit, old)
	return plan.Change{Service: name, Unit: unit, File: svc.File, Dependents: []string{},
		OldText: text, NewText: gen.Text(), NewWithheld: gen.WithheldText(), OldKnown: known}, true, nil
}

// restarts fills p's Restart (in start order) and each change's Dependents: the changed
// services, the running services that must stop for them (dependents), and what an earlier
// apply could not start again.
func (p *planner) restarts(ctx context.Context, next *config.Set, ap *plan.Apply, running map[string]string) error {
	restart := p.pending.get()
	for n := range restart {
		if _, ok := running[n]; ok {
			delete(restart, n) // started since: only a change of its own restarts it
		}
	}
	for i, c := range ap.Changed {
		restart[c.Service] = true
		deps, err := p.dependents(ctx, next, c, running)
		if err != nil {
			return err
		}
		for _, d := range deps {
			ap.Changed[i].Dependents = append(ap.Changed[i].Dependents, d)
			restart[d] = true
		}
	}
	var err error
	if ap.Restart, err = startOrder(next, restart); err != nil {
		return fmt.Errorf("the order of the restarts: %w", err)
	}
	for i := range ap.Changed {
		ap.Changed[i].Dependents = inOrderOf(ap.Changed[i].Dependents, ap.Restart)
	}
	for n := range running {
		if !restart[n] {
			ap.Unchanged++
		}
	}
	return nil
}

// dependents are the running services that must stop for a changed service's new unit: those
// that require it (by next's dependencies or by the loaded ones, which the running units
// follow: systemd's cascade stops them), and the running services whose units refer to its unit
// otherwise (After=, Wants=: systemd keeps the old unit loaded for them, and the new one could
// not be created), with the running services that require those.
func (p *planner) dependents(ctx context.Context, next *config.Set, c plan.Change, running map[string]string) ([]string, error) {
	deps := map[string]bool{}
	add := func(name string) error {
		for _, set := range []*config.Set{next, p.svc.get()} {
			if set.Service(name) == nil || set.BadConfig(name) {
				continue
			}
			sp, err := set.Graph.Stop(name)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			for _, d := range sp.StoppedDependents {
				if _, ok := running[d]; ok && usable(next, d) {
					deps[d] = true
				}
			}
		}
		return nil
	}
	if err := add(c.Service); err != nil {
		return nil, err
	}
	for _, h := range p.sd.Holders(ctx, c.Unit) {
		if _, name, ok := unitgen.ParseUnitName(h); ok && name != c.Service && running[name] == h && usable(next, name) {
			deps[name] = true
			if err := add(name); err != nil {
				return nil, err
			}
		}
	}
	delete(deps, c.Service)
	out := make([]string, 0, len(deps))
	for d := range deps {
		out = append(out, d)
	}
	return out, nil
}

// loadedChanges fills what changes only in the services the bridge has loaded: services added,
// removed, and those that do not run whose definition changed.
func (p *planner) loadedChanges(next *config.Set, ap *plan.Apply, running map[string]string) {
	loaded := p.svc.get()
	for _, s := range next.Services {
		old := loaded.Service(s.Name)
		if old == nil {
			ap.Added = append(ap.Added, s.Name)
			continue
		}
		if _, runs := running[s.Name]; runs || next.BadConfig(s.Name) {
			continue
		}
		if p.svc.definitionOf(loaded, old) != p.svc.definitionOf(next, s) {
			ap.Updated = append(ap.Updated, s.Name)
		}
	}
	for _, s := range loaded.Services {
		if next.Service(s.Name) == nil {
			ap.Removed = append(ap.Removed, s.Name)
		}
	}
	sort.Strings(ap.Added)
	sort.Strings(ap.Updated)
	sort.Strings(ap.Removed)
}
