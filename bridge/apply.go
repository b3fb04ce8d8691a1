package bridge

import (
	"context"
	"fmt"
	"sort"

	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// PlanApply computes what Apply(next) would do now, touching nothing: neither systemd nor the
// services the bridge has loaded. It takes no lock (a read), so an operation under way may make
// it out of date; Apply computes its own under its locks.
func (b *Bridge) PlanApply(ctx context.Context, next *config.Set) (plan.Apply, error) {
	p, err := b.planApply(ctx, next)
	p.DryRun = true
	return p, err
}

// planApply compares what runs (systemd's hero units and the definition each was created
// with) with next: what to restart, stop, and what only changes in the loaded services.
func (b *Bridge) planApply(ctx context.Context, next *config.Set) (plan.Apply, error) {
	p := plan.Apply{}.WithLists()
	units, err := b.heroUnits(ctx)
	if err != nil {
		return p, err
	}
	running := map[string]string{} // service -> its running unit
	for _, u := range units {
		if !hasProcesses(u.ActiveState) {
			continue
		}
		_, name, _ := unitgen.ParseUnitName(u.Name)
		if svc := next.Service(name); svc == nil || unitOf(svc) != u.Name {
			p.Stop = append(p.Stop, name)
			continue
		}
		running[name] = u.Name
	}
	sort.Strings(p.Stop)
	for name, unit := range running {
		c, changed, err := b.change(ctx, next, name, unit)
		if err != nil {
			return p, err
		}
		if changed {
			p.Changed = append(p.Changed, c)
		}
	}
	sort.Slice(p.Changed, func(i, j int) bool { return p.Changed[i].Service < p.Changed[j].Service })
	if err := b.restarts(ctx, next, &p, running); err != nil {
		return p, err
	}
	b.loadedChanges(next, &p, running)
	return p, nil
}

// change compares the definition of name's running unit with next's: the change (with the
// texts its diff is made from) when they differ. A bad-config service keeps running its last
// good definition: no change.
func (b *Bridge) change(ctx context.Context, next *config.Set, name, unit string) (plan.Change, bool, error) {
	if next.BadConfig(name) {
		return plan.Change{}, false, nil
	}
	svc := next.Service(name)
	gen, err := unitgen.Generate(next, svc, b.unitOptions())
	if err != nil {
		return plan.Change{}, false, fmt.Errorf("%s: %w", name, err)
	}
	old := b.loadedDefinition(ctx, unit)
	if old == gen.Definition {
		return plan.Change{}, false, nil
	}
	text, known := b.texts.get(unit, old)
	return plan.Change{Service: name, Unit: unit, File: svc.File, Dependents: []string{},
		OldText: text, NewText: gen.Text(), NewWithheld: gen.WithheldText(), OldKnown: known}, true, nil
}

// restarts fills p's Restart (in start order) and each change's Dependents: the changed
// services, the running services that must stop for them (dependents), and what an earlier
// apply could not start again.
func (b *Bridge) restarts(ctx context.Context, next *config.Set, p *plan.Apply, running map[string]string) error {
	restart := b.applyPending()
	for n := range restart {
		if _, ok := running[n]; ok {
			delete(restart, n) // started since: only a change of its own restarts it
		}
	}
	for i, c := range p.Changed {
		restart[c.Service] = true
		deps, err := b.dependents(ctx, next, c, running)
		if err != nil {
			return err
		}
		for _, d := range deps {
			p.Changed[i].Dependents = append(p.Changed[i].Dependents, d)
			restart[d] = true
		}
	}
	var err error
	if p.Restart, err = startOrder(next, restart); err != nil {
		return fmt.Errorf("the order of the restarts: %w", err)
	}
	for i := range p.Changed {
		p.Changed[i].Dependents = inOrderOf(p.Changed[i].Dependents, p.Restart)
	}
	for n := range running {
		if !restart[n] {
			p.Unchanged++
		}
	}
	return nil
}

// dependents are the running services that must stop for a changed service's new unit: those
// that require it (by next's dependencies or by the loaded ones, which the running units
// follow: systemd's cascade stops them), and the running services whose units refer to its unit
// otherwise (After=, Wants=: systemd keeps the old unit loaded for them, and the new one could
// not be created), with the running services that require those.
func (b *Bridge) dependents(ctx context.Context, next *config.Set, c plan.Change, running map[string]string) ([]string, error) {
	deps := map[string]bool{}
	add := func(name string) error {
		for _, set := range []*config.Set{next, b.Config()} {
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
	for _, h := range b.holdersOf(ctx, c.Unit) {
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

// usable reports whether next defines name so that it can start.
func usable(next *config.Set, name string) bool {
	return next.Service(name) != nil && !next.BadConfig(name)
}

// loadedChanges fills what changes only in the services the bridge has loaded: services added,
// removed, and those that do not run whose definition changed.
func (b *Bridge) loadedChanges(next *config.Set, p *plan.Apply, running map[string]string) {
	loaded := b.Config()
	for _, s := range next.Services {
		old := loaded.Service(s.Name)
		if old == nil {
			p.Added = append(p.Added, s.Name)
			continue
		}
		if _, runs := running[s.Name]; runs || next.BadConfig(s.Name) {
			continue
		}
		if b.definitionOf(loaded, old) != b.definitionOf(next, s) {
			p.Updated = append(p.Updated, s.Name)
		}
	}
	for _, s := range loaded.Services {
		if next.Service(s.Name) == nil {
			p.Removed = append(p.Removed, s.Name)
		}
	}
	sort.Strings(p.Added)
	sort.Strings(p.Updated)
	sort.Strings(p.Removed)
}

// definitionOf is the digest of svc's unit in set ("" when it has none: bad-config).
func (b *Bridge) definitionOf(set *config.Set, svc *config.Service) string {
	if set.BadConfig(svc.Name) {
		return ""
	}
	u, err := unitgen.Generate(set, svc, b.unitOptions())
	if err != nil {
		return ""
	}
	return u.Definition
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

// Apply makes what runs match next, the config directory as read (with no problems): under the
// locks of every service (an apply looks at them all), it computes the plan, gives it to
// planned (herod shows it) before anything acts, loads next, and then does exactly that plan:
// removed services are stopped; changed ones are stopped with the running services that
// require them, then started again on their new definitions, dependencies first. A service
// whose new definition fails to start fails what requires it (not started), nothing else; it is
// kept pending, so the next apply, after a fix, starts it and its dependents. Unchanged services
// are not touched. The plan returned says what was started and what failed.
func (b *Bridge) Apply(ctx context.Context, next *config.Set, planned func(plan.Apply), obs Observer) (plan.Apply, error) {
	release, err := b.locks.acquire(ctx, applyLocks(b.Config(), next))
	if err != nil {
		return plan.Apply{}.WithLists(), fmt.Errorf("waiting for other operations: %w", err)
	}
	defer release()
	p, err := b.planApply(ctx, next)
	if err != nil {
		return p, err
	}
	if planned != nil {
		planned(p)
	}
	b.SetConfig(next)
	b.rebind.intend(append(append([]string(nil), p.Restart...), p.Stop...)...) // stopped on purpose
	for _, name := range p.Stop {
		if err := b.stopRemoved(ctx, name, obs); err != nil {
			return p, err
		}
	}
	if len(p.Restart) == 0 {
		return p, nil
	}
	return b.restartChanged(ctx, next, p, obs)
}

// applyLocks is every service an apply may touch: those loaded, those next defines, and the
// services they conflict with.
func applyLocks(loaded, next *config.Set) []string {
	var names []string
	for _, set := range []*config.Set{loaded, next} {
		for _, s := range set.Services {
			names = append(names, s.Name)
		}
		names = lockSet(set, names)
	}
	return names
}

// restartChanged stops the changed services of p with their running dependents (each
// service's cascade: most dependent first), then starts p.Restart again, dependencies first.
func (b *Bridge) restartChanged(ctx context.Context, set *config.Set, p plan.Apply, obs Observer) (plan.Apply, error) {
	all, err := set.Graph.StartAll(p.Restart)
	if err != nil {
		return p, fmt.Errorf("the order of the restarts: %w", err)
	}
	var stops []string
	for _, c := range p.Changed {
		stops = append(append(stops, c.Dependents...), c.Service)
	}
	stopped := map[string]bool{}
	for _, name := range stops {
		if stopped[name] {
			continue
		}
		sp, err := stopPlan(set, name)
		if err != nil {
			return p, fmt.Errorf("%s: %w", name, err)
		}
		if _, err := b.stop(ctx, set, name, sp, false, obs); err != nil {
			return p, err
		}
		for _, m := range sp.Order {
			stopped[m] = true
		}
	}
	reply, err := b.start(ctx, set, p.Restart, all, startMode{replace: true}, obs, newStartReply(p.Restart[0]))
	p.Started, p.Failed = reply.Started, reply.Failed
	b.setApplyPending(reply.Failed)
	return p, err
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
				return fmt.Errorf("stopping %s, which no file defines: %w", name, err)
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

// dropApplyPending forgets names as services an apply could not start again: they were
// stopped on purpose since.
func (b *Bridge) dropApplyPending(names ...string) {
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	for _, n := range names {
		delete(b.pending, n)
	}
}
