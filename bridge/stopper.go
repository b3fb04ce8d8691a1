package bridge

import (
	"context"
	"log/slog"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// stopper stops services whose locks its caller holds. systemd runs the cascade itself:
// stopping a unit stops, in one transaction and in reverse After= order, every unit that
// Requires= (or BindsTo=) it. The stopper then checks every member of the plan is down
// (stopping stragglers itself) and waits until every run it ended is recorded.
type stopper struct {
	sd     *systemd.Client
	ledger jobdb.Ledger
	rec    *recording.Recorder
	waits  *waitBook
	log    *slog.Logger
}

// stopWait bounds how long a stop waits for the recorder to see the ends systemd reported,
// before reading the units itself.
const stopWait = 3 * time.Second

// stop stops name with plan, its cascade; removeJobs deletes name's own ended jobs.
func (s *stopper) stop(ctx context.Context, set *config.Set, name string, plan graphs.StopPlan, removeJobs bool, obs Observer) (StopReply, error) {
	t := newStopwatch(s.log, "stop")
	defer t.done()
	reply := StopReply{Service: name, StoppedDependents: []string{}}
	units := unitsOf(set, plan.Order)
	before, err := s.sd.States(ctx, units)
	if err != nil {
		return reply, err
	}
	var wasUp, upUnits []string
	for i, m := range plan.Order {
		if state.HasProcesses(before[units[i]].ActiveState) {
			wasUp, upUnits = append(wasUp, m), append(upUnits, units[i])
		}
	}
	if len(wasUp) > 0 {
		s.waits.intend(ctx, wasUp...)
		s.rec.Stopping(upUnits)
		runs := s.rec.CurrentRuns(upUnits)
		t.lap("states")
		if err := s.sd.StopUnits(ctx, []string{unitOf(set.Service(name))}); err != nil {
			return reply, err
		}
		t.lap("systemd's cascade")
		if err := s.stopStragglers(ctx, set, plan); err != nil {
			return reply, err
		}
		t.lap("checked")
		over := func(v *recording.View) bool { return v.Invocation() != runs[v.Unit()] || v.Ended() }
		s.rec.AwaitRecorded(ctx, stopWait, upUnits, over)
		t.lap("recorded")
		for i, m := range wasUp {
			if runs[upUnits[i]] != "" {
				reply.Cancelled++
			}
			if m != name {
				reply.StoppedDependents = append(reply.StoppedDependents, m)
			}
			obs.report(Progress{Service: m, Event: "stopped", JobID: s.rec.Info(upUnits[i]).JobID})
		}
	}
	if removeJobs {
		n, err := s.ledger.DeleteService(ctx, name)
		if err != nil {
			return reply, err
		}
		reply.RemovedJobs = n
	}
	reply.OK = true
	s.log.Info("stopped", "service", name, "dependents", reply.StoppedDependents, "cancelled", reply.Cancelled)
	return reply, nil
}

// stopStragglers stops, wave by wave, members systemd's cascade left running (a dependency link
// it no longer has, or a unit it was not loaded with).
func (s *stopper) stopStragglers(ctx context.Context, set *config.Set, plan graphs.StopPlan) error {
	after, err := s.sd.States(ctx, unitsOf(set, plan.Order))
	if err != nil {
		return err
	}
	for _, wave := range plan.Waves {
		var left []string
		for _, u := range unitsOf(set, wave) {
			if state.HasProcesses(after[u].ActiveState) {
				left = append(left, u)
			}
		}
		if len(left) > 0 {
			s.log.Warn("stopping units systemd's cascade left running", "units", left)
			if err := s.sd.StopUnits(ctx, left); err != nil {
				return err
			}
		}
	}
	return nil
}
