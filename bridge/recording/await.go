package recording

import (
	"context"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
)

// AwaitRecorded waits until cond holds, in the recorder's written view, for every unit: the
// recorder learns of runs from signals, so it waits while they come (each wait of at most
// patience that brings some unit to cond is followed by another), and reads from systemd only
// the units that still miss cond when a whole wait brought none (syncUnits), then waits once
// more. It reports whether cond holds for all.
func (r *Recorder) AwaitRecorded(ctx context.Context, patience time.Duration, units []string, cond func(*View) bool) bool {
	behind := units
	for len(behind) > 0 {
		if r.WaitUntil(ctx, patience, behind, cond) {
			return true
		}
		still := r.missing(behind, cond)
		if len(still) == 0 {
			// The view holds it: the batch that writes it is under way.
			return r.WaitUntil(ctx, patience, behind, cond)
		}
		if len(still) == len(behind) || ctx.Err() != nil {
			behind = still
			break
		}
		behind = still
	}
	if ctx.Err() != nil {
		return false
	}
	r.syncUnits(ctx, behind)
	return r.WaitUntil(ctx, patience, behind, cond)
}

// missing returns the units for which cond does not hold in the recorder's view.
func (r *Recorder) missing(units []string, cond func(*View) bool) []string {
	var out []string
	r.do(func() {
		for _, u := range units {
			if !cond(r.view(u)) {
				out = append(out, u)
			}
		}
	})
	return out
}

// Unit is the view's unit.
func (v *View) Unit() string { return v.unit }

// Invocation is the run the view's job belongs to (hex; "" before the first).
func (v *View) Invocation() string { return v.invocation }

// JobID is the ledger's job of Invocation (0 while it is only in the unwritten batch).
func (v *View) JobID() int64 { return v.jobID }

// Pending is the job a start created that waits for its run (0: none).
func (v *View) Pending() int64 { return v.pending }

// Ended reports whether the job of Invocation has ended.
func (v *View) Ended() bool { return v.ended }

// Attached holds once the unit's run has its job in the ledger (no start waits for one).
func Attached(v *View) bool { return v.pending == 0 && v.invocation != "" }

// CurrentRuns returns the invocation of each unit's current run that has not ended.
func (r *Recorder) CurrentRuns(units []string) map[string]string {
	out := map[string]string{}
	r.do(func() {
		for _, u := range units {
			if v := r.view(u); !v.ended {
				out[u] = v.invocation
			}
		}
	})
	return out
}

// ResetFailed forgets what systemd's reset-failed clears: a hit start limit and a planned
// restart. What Status reads is published with the next batch, or by Publish.
func (r *Recorder) ResetFailed(unit string) {
	r.do(func() {
		v := r.view(unit)
		v.limitHit, v.restartPlanned, r.dirty = false, false, true
	})
}

// Publish makes what Status reads (Info) current now.
func (r *Recorder) Publish() { r.do(r.publish) }

// Fields are the journal fields this recorder's units carry.
func (r *Recorder) Fields() journal.Fields { return r.fields }
