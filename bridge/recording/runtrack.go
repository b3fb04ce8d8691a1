package recording

import (
	"context"
	"errors"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/state"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// evaluate turns a unit's new snapshot into the ledger's changes: a new invocation is a new run
// (a job of its own, or the job a start created for it), and a run is over once the unit is
// inactive, failed, or waiting to be restarted.
func (r *Recorder) evaluate(v *View) {
	s := v.snap
	if s.invocation != "" && s.invocation != v.invocation {
		if v.invocation != "" && !v.ended {
			// The last run ended without a snapshot that said so (signals of both arrived
			// together): the journal has its end.
			r.settle = append(r.settle, settleLater{v.jobRef(), v.invocation})
		}
		r.beginRun(v)
	}
	if v.invocation == "" || v.ended {
		switch {
		case s.sub == "auto-restart":
			v.restartPlanned = true
		case s.active == "failed" && v.restartPlanned && !v.stopping:
			// systemd planned a restart (systemd 252 shows a crash as failed, then
			// auto-restart), and the unit failed again without a new run: the restart was
			// refused. Its start limit is the usual reason; the journal says.
			v.restartPlanned = false
			r.checkLimit(v)
		}
		return
	}
	if up(s.active) {
		v.seenUp = true
	}
	if s.active == "active" && !v.seenActive {
		// The run is up for its dependents: its start job (a health check included) is over.
		v.seenActive = true
		r.event(EventRunActive, v, state.Running)
	}
	if s.active == "deactivating" && v.mainAlive() {
		v.sawStopAlive = true
	}
	if s.mainPID != 0 && s.active != "inactive" && s.active != "failed" {
		pid := int(s.mainPID)
		r.change(v, func(j *jobdb.Job) {
			if j.MainPID != pid && !j.Phase.Ended() {
				j.MainPID = pid
			}
		})
	}
	if v.runOver() {
		r.endRun(v, v.endFromSnapshot())
	}
}

// limitRecordWait bounds the wait for systemd's record of a refused restart (its start limit) to
// be in the journal.
const limitRecordWait = time.Second

// checkLimit asks the journal, off the recorder's goroutine, whether systemd refused the
// unit's restart for its start limit, and records it.
func (r *Recorder) checkLimit(v *View) {
	if v.limitHit || v.checkingLimit {
		return
	}
	v.checkingLimit = true
	unit, since := v.unit, v.runSeen
	go func() {
		// journald may write the record a moment after the unit failed.
		hit := poll.Holds(r.stop, limitRecordWait, 100*time.Millisecond, func() bool { return r.w.LimitHit(r.stop, unit, since) })
		r.do(func() {
			v := r.view(unit)
			v.checkingLimit = false
			if hit && !v.limitHit {
				v.limitHit, r.dirty = true, true
				r.event(EventStateChanged, v, state.Failed)
			}
		})
	}()
}

// runOver reports whether v's current run has ended. systemd may send the first snapshot of a
// new invocation while the unit still says inactive (the signal was queued when the transient
// unit was loaded): "inactive" ends a run only once it was seen up, or its main process exited,
// or a stop was asked for; or while it still says failed (a start of a failed unit), with the
// new run's Result, success: no end.
func (v *View) runOver() bool {
	s := v.snap
	switch {
	case s.active == "failed" && s.result == "success" && s.loaded:
		// A start of a failed unit (systemctl start, a start systemd pulls in): systemd 252
		// announces the new invocation, with its Result reset to success and its new main
		// process, while the unit still says failed. A failed unit's Result is never success:
		// the run has only begun.
		return false
	case s.active == "failed" || s.sub == "auto-restart":
		return true
	case s.active == "inactive":
		return v.seenUp || v.stopping || !s.loaded || v.execFresh() && s.execExit != 0
	}
	return false
}

// unitOver reports whether a unit's snapshot says no run is going on (for a unit first seen now).
func unitOver(s Snapshot) bool {
	return s.active == "inactive" || s.active == "failed" || s.sub == "auto-restart"
}

// mainAlive reports whether the current run's main process runs (its exit is not recorded).
func (v *View) mainAlive() bool {
	return v.execFresh() && v.snap.execExit == 0
}

// execFresh reports whether the snapshot's ExecMain* fields are the current run's: systemd
// resets them when it starts a main process, and keeps the last run's until then.
func (v *View) execFresh() bool {
	start := usecTime(v.snap.execStart)
	return !start.IsZero() && !start.Before(v.runSeen.Add(-2*time.Second))
}

// endFromSnapshot describes the run's end as the unit's properties tell it.
func (v *View) endFromSnapshot() facts {
	s := v.snap
	return fromUnit(unitEnd{Loaded: s.loaded, Result: s.result, ExecCode: s.execCode, ExecStatus: s.execStatus,
		ExecFresh: v.execFresh(), ExitAt: usecTime(s.execExit), StopRequested: v.stopping || v.sawStopAlive, Now: time.Now()})
}

// beginRun records the snapshot's invocation as a new run: the job a start created for it, or a
// job of its own (a restart systemd did, or a start by someone else).
func (r *Recorder) beginRun(v *View) {
	s := v.snap
	now := time.Now()
	v.invocation, v.ended, v.jobID, v.newJob = s.invocation, false, 0, nil
	v.runSeen, v.stopping, v.sawStopAlive, v.restartPlanned, v.limitHit, v.seenUp = now, false, false, false, false, false
	v.seenActive = false
	started := now
	if v.execFresh() {
		started = usecTime(s.execStart)
	}
	started = started.UTC()
	// Exactly once: a run hero did not start itself may be in the ledger already (recovered
	// from the journal while its signals were on their way). A run a start of hero's waits for
	// is new: systemd made its invocation ID after that start's job was created.
	if v.pending == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		existing, err := r.w.Ledger.ByInvocation(ctx, s.invocation)
		cancel()
		if err == nil {
			v.jobID, v.ended = existing.ID, existing.Phase.Ended()
			return
		}
		if !errors.Is(err, jobdb.ErrNotFound) {
			r.w.Log.Warn("looking up a run in the ledger failed", "unit", v.unit, "err", err)
		}
	}
	restarts, inv, boot, pid := int(s.restarts), s.invocation, r.w.BootID, int(s.mainPID)
	if v.pending != 0 {
		v.jobID, v.pending = v.pending, 0
		r.changeJob(v.jobID, func(j *jobdb.Job) {
			j.InvocationID, j.BootID, j.Phase, j.StartedAt, j.Restarts = inv, boot, jobdb.PhaseRunning, started, restarts
			if pid != 0 {
				j.MainPID = pid
			}
		})
		r.event(EventJobStarted, v, string(jobdb.PhaseRunning))
		return
	}
	v.newJob = &jobdb.Job{ServiceID: v.service, Context: v.context, Unit: v.unit, InvocationID: inv, BootID: boot,
		Phase: jobdb.PhaseRunning, StartedAt: started, Restarts: restarts, MainPID: pid}
	r.create(v.newJob)
	r.event(EventJobStarted, v, string(jobdb.PhaseRunning))
}

// endRun records how v's current run ended.
func (r *Recorder) endRun(v *View, e facts) {
	v.ended = true
	if v.snap.sub == "auto-restart" {
		v.restartPlanned = true
	}
	phase := e.Phase()
	r.change(v, func(j *jobdb.Job) { e.Apply(j) })
	r.ended = append(r.ended, v.jobRef())
	r.event(EventJobFinished, v, string(phase))
	r.event(EventStateChanged, v, stateAfter(phase))
}

func stateAfter(p jobdb.Phase) string {
	switch p {
	case jobdb.PhaseSucceeded:
		return state.Success
	case jobdb.PhaseCancelled:
		return state.Stopped
	}
	return state.Failed
}
