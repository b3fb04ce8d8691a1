package bridge

import (
	"context"
	"fmt"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// stop stops name and its cascade (see Bridge.Stop).
func (o *operations) stop(ctx context.Context, name string, removeJobs bool, obs Observer) (StopReply, error) {
	reply := StopReply{Service: name, StoppedDependents: []string{}}
	set := o.svc.get()
	if set.Service(name) == nil {
		return reply, noSuchService(name)
	}
	plan, err := stopPlan(set, name)
	if err != nil {
		return reply, failed("stop", []string{name}, err)
	}
	release, err := o.locks.acquire(ctx, plan.Order)
	if err != nil {
		return reply, failed("stop", []string{name}, fmt.Errorf("waiting for other operations on these services: %w", err))
	}
	defer release()
	o.waits.intend(ctx, plan.Order...) // stopped on purpose: nothing brings them back
	o.pending.drop(plan.Order...)      // nor does the next apply
	reply, err = o.stopper.stop(ctx, set, name, plan, removeJobs, obs)
	return reply, failed("stop", []string{name}, err)
}

// precheckStop returns the services a stop of name would take down (those running, stop order).
func (o *operations) precheckStop(ctx context.Context, name string) ([]string, error) {
	set := o.svc.get()
	if set.Service(name) == nil {
		return nil, noSuchService(name)
	}
	plan, err := stopPlan(set, name)
	if err != nil {
		return nil, failed("stop", []string{name}, err)
	}
	units := unitsOf(set, plan.Order)
	states, err := o.sd.States(ctx, units)
	if err != nil {
		return nil, failed("stop", []string{name}, err)
	}
	out := []string{}
	for i, m := range plan.Order {
		if state.HasProcesses(states[units[i]].ActiveState) {
			out = append(out, m)
		}
	}
	return out, nil
}

// restart stops name with its cascade and starts it again with the dependents that ran (see
// Bridge.Restart).
func (o *operations) restart(ctx context.Context, name string, obs Observer) (RestartReply, error) {
	var reply RestartReply
	set := o.svc.get()
	if set.Service(name) == nil {
		return reply, noSuchService(name)
	}
	if err := checkUsable(set, name); err != nil {
		return reply, err
	}
	stopPlan, err := set.Graph.Stop(name)
	if err != nil {
		return reply, failed("restart", []string{name}, err)
	}
	// Every dependent may come back, with its requires closure: lock all of it.
	startAll, err := set.Graph.StartAll(stopPlan.Order)
	if err != nil {
		return reply, failed("restart", []string{name}, err)
	}
	release, err := o.locks.acquire(ctx, lockSet(set, startAll.Order))
	if err != nil {
		return reply, failed("restart", []string{name}, fmt.Errorf("waiting for other operations on these services: %w", err))
	}
	reply, again, err := o.restartLocked(ctx, set, name, stopPlan, obs)
	release()
	if stale := heldByRunning(err); stale != nil {
		// Running services outside the cascade hold an older unit: restart them with it.
		reply.Start, err = o.restartHolders(ctx, again, stale, obs, reply.Start)
		reply.Restarted = restarted(reply.Start.Started, reply.Stop.StoppedDependents)
	}
	return reply, failed("restart", []string{name}, err)
}

// restartLocked stops name with its cascade and starts name and the dependents that ran again
// (under the caller's locks); it returns what it started again.
func (o *operations) restartLocked(ctx context.Context, set *config.Set, name string, stopPlan graphs.StopPlan, obs Observer) (RestartReply, []string, error) {
	var reply RestartReply
	sr, err := o.stopper.stop(ctx, set, name, stopPlan, false, obs)
	reply.Stop = sr
	again := append([]string{name}, sr.StoppedDependents...)
	if err != nil {
		return reply, again, err
	}
	startPlan, err := set.Graph.StartAll(again)
	if err != nil {
		return reply, again, err
	}
	st, err := o.starter.start(ctx, set, again, startPlan, startMode{replace: true}, obs, newStartReply(name))
	reply.Start = st
	reply.Restarted = restarted(st.Started, sr.StoppedDependents)
	return reply, again, err
}

// kill sends signal to every process of name's unit (see Bridge.Kill).
func (o *operations) kill(ctx context.Context, name string, signal int) error {
	svc, err := o.svc.lookup(name)
	if err != nil {
		return err
	}
	unit := unitOf(svc)
	st, err := o.sd.States(ctx, []string{unit})
	if err != nil {
		return failed("kill", []string{name}, err)
	}
	if !state.HasProcesses(st[unit].ActiveState) {
		return failed("kill", []string{name}, ErrNotRunning)
	}
	err = o.sd.Kill(ctx, unit, signal)
	if systemd.Named(err) == systemd.NoSuchUnit {
		err = ErrNotRunning // it ended meanwhile
	}
	return failed("kill", []string{name}, err)
}

// resetFailed resets systemd's failed state of name's unit and forgets its ended jobs (see
// Bridge.ResetFailed).
func (o *operations) resetFailed(ctx context.Context, name string) error {
	svc, err := o.svc.lookup(name)
	if err != nil {
		return err
	}
	release, err := o.locks.acquire(ctx, []string{name})
	if err != nil {
		return failed("reset-failed", []string{name}, fmt.Errorf("waiting for other operations on it: %w", err))
	}
	defer release()
	unit := unitOf(svc)
	o.sd.ResetFailed(ctx, unit)
	o.rec.ResetFailed(unit)
	if _, err := o.ledger.PruneInactive(ctx, name); err != nil {
		return failed("reset-failed", []string{name}, err)
	}
	o.rec.Publish()
	o.events.emit(Event{Kind: EventStateChanged, Service: name, State: StateInactive})
	return nil
}
