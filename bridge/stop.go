package bridge

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// StopReply says what a stop did.
type StopReply struct {
	OK                bool     `json:"ok"`
	Service           string   `json:"service"`
	Cancelled         int      `json:"cancelled"`          // running jobs this stop ended (the service's and its dependents')
	StoppedDependents []string `json:"stopped_dependents"` // dependents that ran and were stopped, most-dependent first
	RemovedJobs       int64    `json:"removed_jobs"`       // the service's own job records deleted (remove_jobs)
}

// Stop stops name and every service with a transitive requires chain into it, most-dependent
// first; services only ordered after it and independent ones keep running. systemd runs the
// cascade itself: stopping name's unit stops, in one transaction and in reverse After= order,
// every unit that Requires= it. The bridge then checks every member of the plan is down
// (stopping stragglers itself) and waits until every run it ended is recorded. Job records are
// kept; with removeJobs the service's own (never its dependents') ended ones are deleted.
// Stopping a stopped service is not an error: it reports cancelled 0.
func (b *Bridge) Stop(ctx context.Context, name string, removeJobs bool, obs Observer) (StopReply, error) {
	set := b.Config()
	if _, err := b.service(name); err != nil {
		return StopReply{Service: name, StoppedDependents: []string{}}, err
	}
	plan, err := stopPlan(set, name)
	if err != nil {
		return StopReply{Service: name, StoppedDependents: []string{}}, err
	}
	release, err := b.locks.acquire(ctx, plan.Order)
	if err != nil {
		return StopReply{Service: name, StoppedDependents: []string{}}, fmt.Errorf("stop %s: waiting for other operations on these services: %w", name, err)
	}
	defer release()
	b.rebind.intend(plan.Order...)    // stopped on purpose: nothing brings them back
	b.dropApplyPending(plan.Order...) // nor does the next apply
	return b.stop(ctx, set, name, plan, removeJobs, obs)
}

// stopPlan is what stopping name takes down. A bad-config service is not in the graph (nothing
// usable requires it): its own unit is all there is to stop, if it runs from before its file
// broke.
func stopPlan(set *config.Set, name string) (graphs.StopPlan, error) {
	if set.BadConfig(name) {
		return graphs.StopPlan{Service: name, Order: []string{name}, Waves: [][]string{{name}}, StoppedDependents: []string{}}, nil
	}
	return set.Graph.Stop(name)
}

// stopWait bounds how long a stop waits for the recorder to see the ends systemd reported,
// before reading the units itself.
const stopWait = 3 * time.Second

func (b *Bridge) stop(ctx context.Context, set *config.Set, name string, plan graphs.StopPlan, removeJobs bool, obs Observer) (StopReply, error) {
	t := newStopwatch(b.log, "stop")
	defer t.done()
	reply := StopReply{Service: name, StoppedDependents: []string{}}
	unitOfMember := map[string]string{}
	var units []string
	for _, m := range plan.Order {
		unitOfMember[m] = unitOf(set.Service(m))
		units = append(units, unitOfMember[m])
	}
	before, err := b.states(ctx, units)
	if err != nil {
		return reply, fmt.Errorf("stop %s: %w", name, err)
	}
	var wasUp, upUnits []string
	for _, m := range plan.Order {
		if hasProcesses(before[unitOfMember[m]].ActiveState) {
			wasUp = append(wasUp, m)
			upUnits = append(upUnits, unitOfMember[m])
		}
	}
	if len(wasUp) > 0 {
		b.rebind.intend(wasUp...)
		b.rec.Stopping(upUnits)
		runs := b.rec.CurrentRuns(upUnits)
		t.lap("states")
		if err := b.stopUnits(ctx, []string{unitOfMember[name]}); err != nil {
			return reply, fmt.Errorf("stop %s: %w", name, err)
		}
		t.lap("systemd's cascade")
		if err := b.stopStragglers(ctx, plan, unitOfMember); err != nil {
			return reply, fmt.Errorf("stop %s: %w", name, err)
		}
		t.lap("checked")
		over := func(v *recording.View) bool { return v.Invocation() != runs[v.Unit()] || v.Ended() }
		b.rec.AwaitRecorded(ctx, stopWait, upUnits, over)
		t.lap("recorded")
		for _, m := range wasUp {
			if runs[unitOfMember[m]] != "" {
				reply.Cancelled++
			}
			if m != name {
				reply.StoppedDependents = append(reply.StoppedDependents, m)
			}
			obs.report(Progress{Service: m, Event: "stopped", JobID: b.rec.Info(unitOfMember[m]).JobID})
		}
	}
	if removeJobs {
		n, err := b.ledger.DeleteService(ctx, name)
		if err != nil {
			return reply, err
		}
		reply.RemovedJobs = n
	}
	reply.OK = true
	b.log.Info("stopped", "service", name, "dependents", reply.StoppedDependents, "cancelled", reply.Cancelled)
	return reply, nil
}

// stopStragglers stops, wave by wave, members systemd's cascade left running (a dependency link
// it no longer has, or a unit it was not loaded with).
func (b *Bridge) stopStragglers(ctx context.Context, plan graphs.StopPlan, unitOfMember map[string]string) error {
	var units []string
	for _, m := range plan.Order {
		units = append(units, unitOfMember[m])
	}
	after, err := b.states(ctx, units)
	if err != nil {
		return err
	}
	for _, wave := range plan.Waves {
		var left []string
		for _, m := range wave {
			if hasProcesses(after[unitOfMember[m]].ActiveState) {
				left = append(left, unitOfMember[m])
			}
		}
		if len(left) > 0 {
			b.log.Warn("stopping units systemd's cascade left running", "units", left)
			if err := b.stopUnits(ctx, left); err != nil {
				return err
			}
		}
	}
	return nil
}

// stopUnits stops units and waits for systemd's jobs (awaitJobs: a job whose signal does not
// come is settled from its unit's state). A unit systemd no longer knows is already stopped.
func (b *Bridge) stopUnits(ctx context.Context, units []string) error {
	ends := make(chan jobEnd, len(units))
	stop := make(chan struct{})
	defer close(stop)
	var waits []jobWait
	var waitUnit []string
	for _, u := range units {
		ch := make(chan string, 1) // buffered: go-systemd sends while holding a lock
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		id, err := b.conn.StopUnitContext(cctx, u, "replace", ch)
		cancel()
		if err != nil {
			if dbusErrorName(err) != errNoSuchUnit {
				return fmt.Errorf("stop %s: %w", u, err)
			}
			continue
		}
		waits = append(waits, jobWait{unit: u, job: jobPath(id), succeeded: func(active string) bool { return !hasProcesses(active) }})
		waitUnit = append(waitUnit, u)
		go forward(len(waits)-1, ch, ends, stop)
	}
	var failed error
	err := b.awaitJobs(ctx, waits, ends, func(e jobEnd) {
		if e.result != "done" && failed == nil {
			failed = fmt.Errorf("stop %s: systemd job %s", waitUnit[e.index], e.result)
		}
	})
	if err != nil {
		return fmt.Errorf("stop %s: %w", strings.Join(units, " "), err)
	}
	return failed
}

// RestartReply says what a restart did.
type RestartReply struct {
	Stop  StopReply  `json:"stop"`
	Start StartReply `json:"start"`
	// Restarted are the dependents that ran before and were started again, in start order.
	Restarted []string `json:"restarted_dependents"`
}

// Restart stops name with its cascade, then starts name and the dependents that were running
// (systemd's try-restart semantics for dependents: those that were stopped stay stopped), all
// under one lock of every service involved.
func (b *Bridge) Restart(ctx context.Context, name string, obs Observer) (RestartReply, error) {
	var reply RestartReply
	set := b.Config()
	if _, err := b.service(name); err != nil {
		return reply, err
	}
	if err := checkUsable(set, name); err != nil {
		return reply, err
	}
	stopPlan, err := set.Graph.Stop(name)
	if err != nil {
		return reply, err
	}
	// Every dependent may come back, with its requires closure: lock all of it.
	startAll, err := set.Graph.StartAll(stopPlan.Order)
	if err != nil {
		return reply, err
	}
	release, err := b.locks.acquire(ctx, lockSet(set, startAll.Order))
	if err != nil {
		return reply, fmt.Errorf("restart %s: waiting for other operations on these services: %w", name, err)
	}
	reply, again, err := b.restart(ctx, set, name, stopPlan, obs)
	release()
	if stale := heldByRunning(err); stale != nil {
		// Running services outside the cascade hold an older unit: restart them with it.
		reply.Start, err = b.restartHolders(ctx, again, stale, obs, reply.Start)
		reply.Restarted = restarted(reply.Start.Started, reply.Stop.StoppedDependents)
	}
	return reply, err
}

// restart stops name with its cascade and starts name and the dependents that ran again (under
// the caller's locks); it returns what it started again.
func (b *Bridge) restart(ctx context.Context, set *config.Set, name string, stopPlan graphs.StopPlan, obs Observer) (RestartReply, []string, error) {
	var reply RestartReply
	sr, err := b.stop(ctx, set, name, stopPlan, false, obs)
	reply.Stop = sr
	again := append([]string{name}, sr.StoppedDependents...)
	if err != nil {
		return reply, again, err
	}
	startPlan, err := set.Graph.StartAll(again)
	if err != nil {
		return reply, again, err
	}
	st, err := b.start(ctx, set, again, startPlan, startMode{replace: true}, obs, newStartReply(name))
	reply.Start = st
	reply.Restarted = restarted(st.Started, sr.StoppedDependents)
	return reply, again, err
}

// restarted are the dependents (of a cascade stop) that were started again, in start order.
func restarted(started, dependents []string) []string {
	var out []string
	for _, s := range started {
		for _, d := range dependents {
			if s == d {
				out = append(out, d)
			}
		}
	}
	return out
}

// maxSignal is the highest signal systemd sends (its SIGNAL_VALID: below _NSIG, 65).
const maxSignal = 64

// Kill sends signal to every process of name's unit (systemctl kill). What happens next is the
// service's and systemd's business (a restart policy may bring it back); the recorder records
// it. Kill takes no lock: like systemctl kill, it works while an operation runs.
func (b *Bridge) Kill(ctx context.Context, name string, signal int) error {
	svc, err := b.service(name)
	if err != nil {
		return err
	}
	if signal < 1 || signal > maxSignal {
		return fmt.Errorf("kill %s: signal %d is out of range 1..%d", name, signal, maxSignal)
	}
	unit := unitOf(svc)
	st, err := b.states(ctx, []string{unit})
	if err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	if !hasProcesses(st[unit].ActiveState) {
		return fmt.Errorf("kill %s: %w", name, ErrNotRunning)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := b.conn.KillUnitWithTarget(cctx, unit, "all", int32(signal)); err != nil {
		switch dbusErrorName(err) {
		case errNoSuchUnit:
			return fmt.Errorf("kill %s: %w", name, ErrNotRunning) // it ended meanwhile
		case errInvalidArgs:
			// systemd signalled the main process, then failed to signal the unit's other
			// processes (they were the main process's and were going with it): the kill happened.
			b.log.Debug("kill: signalling the unit's other processes failed", "service", name, "err", err)
			return nil
		}
		return fmt.Errorf("kill %s: %w", name, err)
	}
	return nil
}

// ResetFailed resets systemd's failed state and start limit of name's unit and forgets the
// service's ended jobs, as systemctl reset-failed forgets a unit's result. Running jobs stay.
func (b *Bridge) ResetFailed(ctx context.Context, name string) error {
	svc, err := b.service(name)
	if err != nil {
		return err
	}
	release, err := b.locks.acquire(ctx, []string{name})
	if err != nil {
		return fmt.Errorf("reset-failed %s: %w", name, err)
	}
	defer release()
	unit := unitOf(svc)
	b.resetFailed(ctx, unit)
	b.rec.ResetFailed(unit)
	if _, err := b.ledger.PruneInactive(ctx, name); err != nil {
		return err
	}
	b.rec.Publish()
	b.emit(Event{Kind: "state-changed", Service: name, State: StateInactive})
	return nil
}
