package bridge

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
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
// every unit that Requires= it. The bridge then checks every member of the plan is down (stopping
// stragglers itself, wave by wave) and records all their jobs as cancelled in one transaction.
// Job records are kept; with removeJobs the service's own (never its dependents') are deleted.
// Stopping a stopped service is not an error: it reports cancelled 0.
func (b *Bridge) Stop(ctx context.Context, name string, removeJobs bool) (StopReply, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stop(ctx, name, removeJobs)
}

func (b *Bridge) stop(ctx context.Context, name string, removeJobs bool) (StopReply, error) {
	reply := StopReply{Service: name, StoppedDependents: []string{}}
	set := b.Config()
	if _, err := b.service(name); err != nil {
		return reply, err
	}
	plan, err := set.Graph.Stop(name)
	if err != nil {
		return reply, err
	}
	members := map[string]bool{}
	unitOf := map[string]string{}
	var units []string
	for _, m := range plan.Order {
		members[m] = true
		s := set.Service(m)
		unitOf[m] = unitgen.UnitName(s.Context, s.Name)
		units = append(units, unitOf[m])
	}
	// Runs that ended on their own are recorded as such, not as cancelled by this stop.
	if err := b.reconcile(ctx, members); err != nil {
		return reply, err
	}
	before, err := b.states(ctx, units)
	if err != nil {
		return reply, fmt.Errorf("stop %s: %w", name, err)
	}
	var wasUp []string
	for _, m := range plan.Order {
		if up(before[unitOf[m]].ActiveState) {
			wasUp = append(wasUp, m)
		}
	}
	if len(wasUp) > 0 {
		if err := b.stopUnits(ctx, []string{unitOf[name]}); err != nil {
			return reply, fmt.Errorf("stop %s: %w", name, err)
		}
		// Stragglers: units systemd did not take down (a dependency link it no longer has).
		after, err := b.states(ctx, units)
		if err != nil {
			return reply, fmt.Errorf("stop %s: %w", name, err)
		}
		for _, wave := range plan.Waves {
			var left []string
			for _, m := range wave {
				if st := after[unitOf[m]]; up(st.ActiveState) || st.ActiveState == "deactivating" {
					left = append(left, unitOf[m])
				}
			}
			if len(left) > 0 {
				b.log.Warn("stopping units systemd's cascade left running", "units", left)
				if err := b.stopUnits(ctx, left); err != nil {
					return reply, fmt.Errorf("stop %s: %w", name, err)
				}
			}
		}
	}
	// Record every member's running job as ended by this stop, all in one transaction.
	active, err := b.ledger.Active(ctx)
	if err != nil {
		return reply, err
	}
	final, err := b.states(ctx, units)
	if err != nil {
		return reply, fmt.Errorf("stop %s: %w", name, err)
	}
	now := time.Now().UTC()
	changes := map[int64]func(*jobdb.Job) error{}
	var ended []jobdb.Job
	for _, j := range active {
		if !members[j.ServiceID] {
			continue
		}
		var ri runInfo
		if st := final[j.Unit]; st.LoadState == "loaded" {
			ri, _ = b.runInfo(ctx, j.Unit)
			ri.loaded = true
		}
		changes[j.ID] = b.finish(j.ServiceID, ri, true, now)
		ended = append(ended, j)
	}
	if err := b.ledger.UpdateAll(ctx, changes); err != nil {
		return reply, fmt.Errorf("stop %s: %w", name, err)
	}
	reply.Cancelled = len(ended)
	for _, m := range wasUp {
		if m != name {
			reply.StoppedDependents = append(reply.StoppedDependents, m)
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
	// Report in the order systemd stopped them: most-dependent first.
	pos := map[string]int{}
	for i, m := range plan.Order {
		pos[m] = i
	}
	sort.SliceStable(ended, func(a, b int) bool { return pos[ended[a].ServiceID] < pos[ended[b].ServiceID] })
	for _, j := range ended {
		b.emit(Event{Kind: "job-finished", Service: j.ServiceID, JobID: j.ID, State: string(jobdb.PhaseCancelled)})
	}
	for _, m := range wasUp {
		b.emit(Event{Kind: "state-changed", Service: m, State: StateStopped})
	}
	b.log.Info("stopped", "service", name, "dependents", reply.StoppedDependents, "cancelled", reply.Cancelled)
	return reply, nil
}

// stopUnits stops units in parallel and waits for systemd's jobs. A unit systemd no longer
// knows is already stopped.
func (b *Bridge) stopUnits(ctx context.Context, units []string) error {
	errs := make([]error, len(units))
	var wg sync.WaitGroup
	for i, u := range units {
		wg.Add(1)
		go func(i int, u string) {
			defer wg.Done()
			ch := make(chan string, 1)
			if _, err := b.conn.StopUnitContext(ctx, u, "replace", ch); err != nil {
				if dbusErrorName(err) != errNoSuchUnit {
					errs[i] = fmt.Errorf("stop %s: %w", u, err)
				}
				return
			}
			r, err := waitJob(ctx, ch)
			if err != nil {
				errs[i] = fmt.Errorf("stop %s: %w", u, err)
			} else if r != "done" {
				errs[i] = fmt.Errorf("stop %s: systemd job %s", u, r)
			}
		}(i, u)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// RestartReply says what a restart did.
type RestartReply struct {
	Stop  StopReply  `json:"stop"`
	Start StartReply `json:"start"`
	// Restarted are the dependents that ran before and were started again, in start order.
	Restarted []string `json:"restarted_dependents"`
}

// Restart stops name with its cascade, then starts name and the dependents that were running
// (systemd's try-restart semantics for dependents: those that were stopped stay stopped).
func (b *Bridge) Restart(ctx context.Context, name string) (RestartReply, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var reply RestartReply
	sr, err := b.stop(ctx, name, false)
	reply.Stop = sr
	if err != nil {
		return reply, err
	}
	st, err := b.start(ctx, []string{name}, true)
	reply.Start = st
	if err != nil {
		return reply, err
	}
	// Dependents come back in start order: the reverse of the stop order.
	for i := len(sr.StoppedDependents) - 1; i >= 0; i-- {
		d := sr.StoppedDependents[i]
		if _, err := b.start(ctx, []string{d}, true); err != nil {
			return reply, fmt.Errorf("restart %s: starting dependent %s again: %w", name, d, err)
		}
		reply.Restarted = append(reply.Restarted, d)
	}
	return reply, nil
}

// Kill sends signal to every process of name's unit (systemctl kill). What happens next is the
// service's and systemd's business (a restart policy may bring it back); the ledger records it.
func (b *Bridge) Kill(ctx context.Context, name string, signal int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	svc, err := b.service(name)
	if err != nil {
		return err
	}
	unit := b.unitName(svc)
	st, err := b.states(ctx, []string{unit})
	if err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	if !up(st[unit].ActiveState) {
		return fmt.Errorf("kill %s: %w", name, ErrNotRunning)
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := b.conn.KillUnitWithTarget(cctx, unit, "all", int32(signal)); err != nil {
		return fmt.Errorf("kill %s: %w", name, err)
	}
	return nil
}
