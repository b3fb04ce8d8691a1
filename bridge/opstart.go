package bridge

import (
	"context"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/graphs"
)

// start starts names with their requires closures (see Bridge.Start).
func (o *operations) start(ctx context.Context, names []string, replace bool, obs Observer) (StartReply, error) {
	if len(names) == 0 {
		return newStartReply(""), nil
	}
	reply := newStartReply(names[0])
	set := o.svc.get()
	plan, err := startPlan(set, names)
	if err != nil {
		return reply, failed("start", names, err)
	}
	release, err := o.locks.acquire(ctx, lockSet(set, plan.Order))
	if err != nil {
		return reply, failed("start", names, fmt.Errorf("waiting for other operations on these services: %w", err))
	}
	reply, err = o.starter.start(ctx, set, names, plan, startMode{replace: replace}, obs, reply)
	release()
	reply.Warnings = append(softWarnings(set, plan.Order), reply.Warnings...)
	if stale := heldByRunning(err); stale != nil {
		// Running services hold an older unit of one to start: restart them with it.
		reply, err = o.restartHolders(ctx, names, stale, obs, reply)
	}
	return reply, failed("start", names, err)
}

// precheckStart tells what a start of names would do, without locking anything (see
// Bridge.PrecheckStart).
func (o *operations) precheckStart(ctx context.Context, names []string) (StartCheck, error) {
	set := o.svc.get()
	plan, err := startPlan(set, names)
	if err != nil {
		return StartCheck{}, failed("start", names, err)
	}
	_, running, err := o.starter.states(ctx, set, plan)
	if err != nil {
		return StartCheck{}, failed("start", names, err)
	}
	check := StartCheck{AlreadyRunning: true, Starting: []string{}}
	for _, m := range plan.Order {
		check.AlreadyRunning = check.AlreadyRunning && running(m)
	}
	if check.AlreadyRunning {
		return check, nil
	}
	if err := checkConflicts(set, plan.Order, running); err != nil {
		return StartCheck{}, err
	}
	for _, m := range plan.Order {
		if !running(m) {
			if err := o.env.refuse(set.Service(m)); err != nil {
				return StartCheck{}, err
			}
			check.Starting = append(check.Starting, m)
		}
	}
	return check, nil
}

// restartHolders frees stale units held by running services: it stops each holder with its
// cascade, then starts names together with everything it stopped, under the locks of all of
// it. reply carries what the first attempt did.
func (o *operations) restartHolders(ctx context.Context, names []string, stale *StaleError, obs Observer, reply StartReply) (StartReply, error) {
	set := o.svc.get()
	plans := map[string]graphs.StopPlan{}
	members := append([]string(nil), names...)
	for i, h := range stale.HeldBy {
		if s := set.Service(h); s == nil || unitOf(s) != stale.heldUnits[i] {
			return reply, fmt.Errorf("%s, which is no longer defined so, runs with a unit that refers to the older unit: 'systemctl stop %s' first",
				stale.heldUnits[i], stale.heldUnits[i])
		}
		p, err := stopPlan(set, h)
		if err != nil {
			return reply, err
		}
		plans[h] = p
		members = append(members, p.Order...)
	}
	all, err := set.Graph.StartAll(members)
	if err != nil {
		return reply, err
	}
	release, err := o.locks.acquire(ctx, append(lockSet(set, all.Order), members...))
	if err != nil {
		return reply, fmt.Errorf("waiting for other operations on these services: %w", err)
	}
	defer release()
	again := append([]string(nil), names...)
	for _, h := range stale.HeldBy {
		o.log.Info("restarting a service that holds an older unit", "service", h, "for", strings.Join(names, " "))
		sr, err := o.stopper.stop(ctx, set, h, plans[h], false, obs)
		if err != nil {
			return reply, err
		}
		again = append(again, h)
		again = append(again, sr.StoppedDependents...)
	}
	plan, err := set.Graph.StartAll(again)
	if err != nil {
		return reply, err
	}
	r2, err := o.starter.start(ctx, set, again, plan, startMode{replace: true}, obs, newStartReply(reply.Service))
	r2.Started = append(reply.Started, r2.Started...)
	for k, v := range reply.Jobs {
		if _, ok := r2.Jobs[k]; !ok {
			r2.Jobs[k] = v
		}
	}
	return r2, err
}
