package bridge

import (
	"context"
	"fmt"
	"slices"

	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// planApply computes what apply(next) would do now, touching nothing (see Bridge.PlanApply).
func (o *operations) planApply(ctx context.Context, next *config.Set) (plan.Apply, error) {
	p, err := o.planner.plan(ctx, next)
	p.DryRun = true
	return p, failed("apply", nil, err)
}

// apply makes what runs match next, under the locks of every service (see Bridge.Apply).
func (o *operations) apply(ctx context.Context, next *config.Set, planned func(plan.Apply), obs Observer) (plan.Apply, error) {
	release, err := o.locks.acquire(ctx, applyLocks(o.svc.get(), next))
	if err != nil {
		return plan.Apply{}.WithLists(), failed("apply", nil, fmt.Errorf("waiting for other operations: %w", err))
	}
	defer release()
	p, err := o.planner.plan(ctx, next)
	if err != nil {
		return p, failed("apply", nil, err)
	}
	if planned != nil {
		planned(p)
	}
	o.svc.replace(next)
	o.waits.intend(ctx, append(append([]string(nil), p.Restart...), p.Stop...)...) // stopped on purpose
	for _, name := range p.Stop {
		if err := o.stopRemoved(ctx, name, obs); err != nil {
			return p, failed("apply", nil, err)
		}
	}
	if len(p.Restart) == 0 {
		return p, nil
	}
	p, err = o.restartChanged(ctx, next, p, obs)
	return p, failed("apply", nil, err)
}

// restartChanged stops the changed services of p with their running dependents (each
// service's cascade: most dependent first), then starts p.Restart again, dependencies first.
func (o *operations) restartChanged(ctx context.Context, set *config.Set, p plan.Apply, obs Observer) (plan.Apply, error) {
	all, err := set.Graph.StartAll(p.Restart)
	if err != nil {
		return p, fmt.Errorf("the order of the restarts: %w", err)
	}
	var stops []string
	for _, c := range p.Changed {
		stops = append(append(stops, c.Dependents...), c.Service)
	}
	plans := make([]graphs.StopPlan, len(stops))
	for i, name := range stops {
		if plans[i], err = stopPlan(set, name); err != nil {
			return p, fmt.Errorf("stopping %s: %w", name, err)
		}
	}
	stopped := map[string]bool{}
	for i, name := range stops {
		if stopped[name] || stoppedLater(name, plans[i+1:]) {
			continue
		}
		if _, err := o.stopper.stop(ctx, set, name, plans[i], false, obs); err != nil {
			return p, fmt.Errorf("stopping %s: %w", name, err)
		}
		for _, m := range plans[i].Order {
			stopped[m] = true
		}
	}
	reply, err := o.starter.start(ctx, set, p.Restart, all, startMode{replace: true}, obs, newStartReply(p.Restart[0]))
	p.Started, p.Failed = reply.Started, reply.Failed
	o.pending.set(reply.Failed)
	return p, err
}

// stoppedLater reports whether a later stop's cascade (one of later) stops name: it is not
// stopped on its own then. A changed service's dependents that require it stop with it in
// systemd's one transaction, most dependent first, as systemctl restart stops them; stopped one
// by one, each stop was a transaction of its own and a wait for the ledger, and the requests
// failed for as long. A dependent that only refers to it otherwise (After=, Wants=) is in no
// cascade of it and is still stopped first, on its own.
func stoppedLater(name string, later []graphs.StopPlan) bool {
	for _, sp := range later {
		if slices.Contains(sp.Order, name) {
			return true
		}
	}
	return false
}

// stopRemoved stops the running unit of a service no file defines any more.
func (o *operations) stopRemoved(ctx context.Context, name string, obs Observer) error {
	units, err := o.sd.HeroUnits(ctx)
	if err != nil {
		return err
	}
	for _, u := range units {
		if _, n, _ := unitgen.ParseUnitName(u.Name); n == name && state.HasProcesses(u.ActiveState) {
			if err := o.sd.StopUnits(ctx, []string{u.Name}); err != nil {
				return fmt.Errorf("stopping %s, which no file defines: %w", name, err)
			}
			obs.report(Progress{Service: name, Event: "stopped"})
		}
	}
	return nil
}
