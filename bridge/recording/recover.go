package recording

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// recover brings the ledger up to date with what happened while no recorder ran (herod was
// stopped, killed, upgraded; the host rebooted), before live signals are processed:
//   - systemd's records in the journal since the saved cursor: every run that started or ended
//     meanwhile is recorded exactly once, a requested stop told from a crash;
//   - jobs still open are checked against the units as they are now: a run of an earlier boot
//     ends with its boot, a start's job whose run never began is closed as not started;
//   - running hero units the ledger does not know are adopted, one job each.
func (r *Recorder) recover(ctx context.Context) error {
	led := r.w.Ledger
	units, err := r.w.Units.HeroUnits(ctx)
	if err != nil {
		return fmt.Errorf("recovering runs: %w", err)
	}
	snaps := map[string]Snapshot{}
	for _, u := range units {
		s, err := r.w.Units.Snapshot(ctx, u.Name)
		if err != nil {
			return fmt.Errorf("recovering runs: %w", err)
		}
		snaps[u.Name] = s
	}
	open, err := led.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("recovering runs: %w", err)
	}
	rc := &recovery{r: r, ctx: ctx, batch: &jobdb.Batch{}, byInv: map[string]*jobdb.Job{}, open: map[*jobdb.Job]bool{}}
	for i := range open {
		j := &open[i]
		rc.open[j] = true
		if j.InvocationID != "" {
			rc.byInv[j.InvocationID] = j
		}
	}
	cursor, err := led.State(ctx, stateCursor)
	if err != nil {
		return fmt.Errorf("recovering runs: %w", err)
	}
	if err := rc.readOrigin(cursor == "" && len(open) == 0); err != nil {
		return fmt.Errorf("recovering runs: %w", err)
	}
	last, err := rc.replay(cursor, open)
	if err != nil {
		// The journal is a source, not a precondition: without it, open runs are still
		// settled from the units' state below.
		r.w.Log.Warn("reading systemd's records from the journal failed", "err", err)
	}
	rc.settleOpen(snaps)
	rc.adopt(snaps)
	switch {
	case last != "":
		rc.setState(stateCursor, last)
	case cursor == "":
		if c, err := r.w.Journal.Cursor(ctx, time.Now()); err == nil && c != "" {
			rc.setState(stateCursor, c)
		}
	}
	if err := led.Apply(ctx, rc.batch); err != nil {
		return fmt.Errorf("recovering runs: %w", err)
	}
	rc.initViews(snaps)
	r.publish()
	for _, j := range rc.endedIDs() {
		r.tails.queue(j)
	}
	rc.announceEnds()
	if n := len(rc.batch.Create) + len(rc.batch.Change); n > 0 {
		r.w.Log.Info("recorded runs that changed while herod was not running", "new", len(rc.batch.Create), "changed", len(rc.batch.Change))
	}
	return nil
}

type recovery struct {
	r      *Recorder
	ctx    context.Context
	batch  *jobdb.Batch
	byInv  map[string]*jobdb.Job // jobs by invocation: open ones, and those created here
	open   map[*jobdb.Job]bool   // jobs not ended (as changed here), including those created here
	ended  []*jobdb.Job
	origin time.Time // when this ledger began recording: runs that began before are not its own
}

// stateOrigin is when the ledger began recording (RFC 3339, UTC).
const stateOrigin = "recording-origin"

// readOrigin reads when the ledger began recording; fresh (no cursor, no open job: nothing of
// the journal is replayed) makes it now. The journal cursor a fresh ledger starts from is the
// newest entry journald had written, which on a loaded machine can be seconds behind: without
// the origin, the next replay from it recorded runs of the same units that ended before this
// ledger existed.
func (rc *recovery) readOrigin(fresh bool) error {
	v, err := rc.r.w.Ledger.State(rc.ctx, stateOrigin)
	if err != nil {
		return err
	}
	if v == "" && fresh {
		rc.origin = time.Now().UTC()
		rc.setState(stateOrigin, rc.origin.Format(time.RFC3339Nano))
		return nil
	}
	if v != "" {
		rc.origin, _ = time.Parse(time.RFC3339Nano, v)
	}
	return nil
}

func (rc *recovery) setState(k, v string) {
	if rc.batch.State == nil {
		rc.batch.State = map[string]string{}
	}
	rc.batch.State[k] = v
}

// change applies fn to j now (so later steps see it) and queues it for the ledger.
func (rc *recovery) change(j *jobdb.Job, fn func(*jobdb.Job)) {
	fn(j)
	if j.ID == 0 {
		return // created in this batch: the change is in the job itself
	}
	if rc.batch.Change == nil {
		rc.batch.Change = map[int64]func(*jobdb.Job) error{}
	}
	snapshot := *j
	rc.batch.Change[j.ID] = func(dst *jobdb.Job) error {
		out, saved, partial := dst.Output, dst.OutputSaved, dst.OutputPartial // read without them: keep the ledger's
		*dst = snapshot
		dst.Output, dst.OutputSaved, dst.OutputPartial = out, saved || snapshot.OutputSaved, partial && !snapshot.OutputSaved
		return nil
	}
}

func (rc *recovery) end(j *jobdb.Job, e facts) {
	rc.change(j, func(j *jobdb.Job) {
		if e.Apply(j) {
			rc.ended = append(rc.ended, j)
		}
	})
	delete(rc.open, j)
}

func (rc *recovery) create(j *jobdb.Job) {
	rc.batch.Create = append(rc.batch.Create, j)
	if rc.batch.Trim == nil {
		rc.batch.Trim = map[string]bool{}
	}
	rc.batch.Trim[j.ServiceID] = true
	rc.byInv[j.InvocationID] = j
}

// replay applies systemd's records since cursor (or, with none, since the oldest open job).
func (rc *recovery) replay(cursor string, open []jobdb.Job) (string, error) {
	var since time.Time
	if cursor == "" {
		if len(open) == 0 {
			return "", nil
		}
		since = open[0].StartedAt
		for _, j := range open {
			if j.StartedAt.Before(since) {
				since = j.StartedAt
			}
		}
		since = since.Add(-time.Minute)
	}
	entries, last, err := rc.r.w.Journal.Records(rc.ctx, cursor, since)
	if err != nil {
		return "", err
	}
	for _, run := range runsFromRecords(entries, rc.r.fields) {
		j := rc.jobFor(run)
		if j == nil || j.Phase.Ended() {
			continue
		}
		if run.Ended {
			rc.end(j, run.End)
		}
	}
	return last, nil
}

// jobFor finds or makes the job of a run from the journal: the one that has its invocation,
// else the oldest start's job of its unit still waiting for a run, else a new one.
func (rc *recovery) jobFor(run *journalRun) *jobdb.Job {
	if j := rc.byInv[run.Invocation]; j != nil {
		return j
	}
	existing, err := rc.r.w.Ledger.ByInvocation(rc.ctx, run.Invocation)
	if err == nil {
		return existing
	}
	if !errors.Is(err, jobdb.ErrNotFound) {
		return nil
	}
	if forgotten, err := rc.r.w.Ledger.Forgotten(rc.ctx, run.Invocation); err != nil || forgotten {
		return nil // recorded, then deleted (pruned, trimmed, removed): stays deleted
	}
	if p := rc.pendingOf(run.Unit, run.Started); p != nil {
		rc.change(p, func(j *jobdb.Job) {
			j.InvocationID, j.BootID, j.Phase, j.StartedAt = run.Invocation, run.Boot, jobdb.PhaseRunning, run.Started
		})
		rc.byInv[run.Invocation] = p
		return p
	}
	if !run.Started.IsZero() && run.Started.Before(rc.origin) {
		return nil // it began before this ledger recorded anything: not its run
	}
	ctxName, name, _ := unitgen.ParseUnitName(run.Unit)
	j := &jobdb.Job{ServiceID: name, Context: ctxName, Unit: run.Unit, InvocationID: run.Invocation, BootID: run.Boot,
		Phase: jobdb.PhaseRunning, StartedAt: run.Started}
	rc.create(j)
	rc.open[j] = true
	return j
}

// pendingOf returns the oldest job of unit that waits for a run begun after it was created.
func (rc *recovery) pendingOf(unit string, started time.Time) *jobdb.Job {
	var best *jobdb.Job
	for j := range rc.open {
		if j.Unit == unit && j.Phase == jobdb.PhasePending && !started.Before(j.StartedAt.Add(-time.Second)) {
			if best == nil || j.ID < best.ID {
				best = j
			}
		}
	}
	return best
}

// settleOpen decides every job still open against the unit as it is now.
func (rc *recovery) settleOpen(snaps map[string]Snapshot) {
	boot := rc.r.w.BootID
	var jobs []*jobdb.Job
	for j := range rc.open {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].StartedAt.Before(jobs[b].StartedAt) })
	now := time.Now()
	for _, j := range jobs {
		snap := snaps[j.Unit]
		switch {
		case j.BootID != "" && boot != "" && j.BootID != boot:
			rc.end(j, facts{Result: resultBootEnded, At: now})
		case j.Phase == jobdb.PhasePending:
			if snap.invocation != "" && up(snap.active) && rc.byInv[snap.invocation] == nil &&
				!usecTime(snap.execStart).Before(j.StartedAt.Add(-time.Second)) {
				inv := snap.invocation
				rc.change(j, func(j *jobdb.Job) {
					j.InvocationID, j.BootID, j.Phase = inv, boot, jobdb.PhaseRunning
				})
				rc.byInv[inv] = j
				continue
			}
			rc.change(j, func(j *jobdb.Job) { j.OutputSaved = true })
			rc.end(j, facts{Result: resultNotStarted, StopRequested: true, At: now})
		case j.InvocationID == snap.invocation && snap.loaded:
			if unitOver(snap) {
				rc.end(j, fromUnit(unitEnd{Loaded: true, Result: snap.result, ExecCode: snap.execCode,
					ExecStatus: snap.execStatus, ExecFresh: true, ExitAt: usecTime(snap.execExit), Now: now}))
			}
		default:
			// The run is over, and neither the journal nor the unit says how.
			rc.end(j, facts{Result: resultUnknown, At: now})
		}
	}
}

// adopt gives a job to every running hero unit whose run the ledger does not know.
func (rc *recovery) adopt(snaps map[string]Snapshot) {
	for unit, snap := range snaps {
		if snap.invocation == "" || !up(snap.active) || rc.byInv[snap.invocation] != nil {
			continue
		}
		if _, err := rc.r.w.Ledger.ByInvocation(rc.ctx, snap.invocation); err == nil {
			continue
		}
		ctxName, name, _ := unitgen.ParseUnitName(unit)
		started := usecTime(snap.execStart)
		if started.IsZero() {
			started = time.Now().UTC()
		}
		j := &jobdb.Job{ServiceID: name, Context: ctxName, Unit: unit, InvocationID: snap.invocation, BootID: rc.r.w.BootID,
			Phase: jobdb.PhaseRunning, StartedAt: started, Restarts: int(snap.restarts), MainPID: int(snap.mainPID)}
		rc.create(j)
		rc.r.w.Log.Info("adopted a running unit", "service", name, "unit", unit)
	}
}

// initViews gives the recorder its picture of every loaded hero unit and its job.
func (rc *recovery) initViews(snaps map[string]Snapshot) {
	for unit, snap := range snaps {
		v := rc.r.view(unit)
		v.snap = snap
		v.invocation = snap.invocation
		v.runSeen = usecTime(snap.execStart)
		if j := rc.byInv[snap.invocation]; j != nil {
			v.jobID, v.ended = j.ID, j.Phase.Ended()
		} else if j, err := rc.r.w.Ledger.ByInvocation(rc.ctx, snap.invocation); err == nil {
			v.jobID, v.ended = j.ID, j.Phase.Ended()
		} else {
			v.ended = true // no job to end: a run of before the ledger, already over
		}
		if snap.sub == "auto-restart" {
			v.restartPlanned = true
		}
		v.seenUp, v.seenActive = up(snap.active), snap.active == "active"
	}
}

// announceEnds emits the end of each run recovery ended, in the order they ended, as the live
// path does (what the ends stopped is told by them: see the bridge's reviver).
func (rc *recovery) announceEnds() {
	ended := slices.Clone(rc.ended)
	sort.SliceStable(ended, func(i, j int) bool { return endOf(ended[i]).Before(endOf(ended[j])) })
	for _, j := range ended {
		if j.ID != 0 && j.Phase.Ended() {
			rc.r.w.Emit(Event{Kind: EventJobFinished, Service: j.ServiceID, JobID: j.ID, State: string(j.Phase)})
		}
	}
}

func endOf(j *jobdb.Job) time.Time {
	if j.EndedAt == nil {
		return time.Time{}
	}
	return *j.EndedAt
}

func (rc *recovery) endedIDs() []int64 {
	var ids []int64
	for _, j := range rc.ended {
		if j.ID != 0 && !j.OutputSaved {
			ids = append(ids, j.ID)
		}
	}
	return ids
}
