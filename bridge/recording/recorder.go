package recording

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// The recorder keeps the ledger in step with systemd: one job per invocation of a hero unit,
// begun and ended as systemd's signals say. It is the only writer of runs' starts and ends; it
// owns its state on one goroutine, and other goroutines reach it with commands. Changes are
// written in one transaction per burst of signals.
type Recorder struct {
	w      *World
	sig    *dbus.Conn
	in     chan *dbus.Signal
	cmds   chan func()
	quit   chan struct{}
	done   chan struct{}
	stop   context.Context // ends at Close: what waits off the recorder's goroutine gives up
	cancel context.CancelFunc
	tails  *tailCopier
	fields journal.Fields

	// Owned by the recorder goroutine.
	views   map[string]*View
	batch   *jobdb.Batch
	events  []pendingEvent
	ended   []jobRef      // jobs whose end this batch records: their tails are copied after it lands
	settle  []settleLater // runs whose end the journal must tell, once the batch lands
	waiters []*waiter
	retry   <-chan time.Time

	dirty bool // what Status reads changed without a ledger change

	clean atomic.Bool // nothing is waiting to be written: the journal cursor may advance
	pubMu sync.RWMutex
	pub   map[string]RunInfo // what Status reads, by unit
}

// RunInfo is what the recorder knows of a unit's current run, for status.
type RunInfo struct {
	Invocation string
	JobID      int64
	Restarts   int
	LimitHit   bool // systemd refused to start it again: its start limit was hit
}

// View is the recorder's picture of one hero unit.
type View struct {
	unit, service, context string
	snap                   Snapshot
	runSeen                time.Time // when the recorder first saw the current invocation

	invocation string     // the run the ledger job belongs to
	jobID      int64      // its job (0 while it is only in the unwritten batch)
	newJob     *jobdb.Job // its job, when it is in the unwritten batch
	ended      bool       // the job of invocation has ended

	seenUp         bool  // the current run was seen activating or active
	seenActive     bool  // the current run was seen active (its start job, health check included, is over)
	pending        int64 // a job hero's start created, waiting for its run
	stopping       bool  // a stop is under way: this run ends cancelled
	sawStopAlive   bool  // the unit was deactivating while its main process ran: a stop job
	restartPlanned bool  // systemd scheduled an automatic restart after the last run
	limitHit       bool
	checkingLimit  bool // the journal is being asked whether the start limit was hit
}

const (
	signalMatchPath = "/org/freedesktop/systemd1/unit/"
	ifaceUnit       = "org.freedesktop.systemd1.Unit"
	ifaceService    = "org.freedesktop.systemd1.Service"
)

// do runs fn on the recorder goroutine and waits for it.
func (r *Recorder) do(fn func()) {
	done := make(chan struct{})
	select {
	case r.cmds <- func() { fn(); close(done) }:
		<-done
	case <-r.done:
	}
}

func (r *Recorder) view(unit string) *View {
	v := r.views[unit]
	if v == nil {
		ctxName, name, _ := unitgen.ParseUnitName(unit)
		v = &View{unit: unit, service: name, context: ctxName}
		r.views[unit] = v
	}
	return v
}

// change queues a change of the job of v's current run.
func (r *Recorder) change(v *View, fn func(*jobdb.Job)) {
	if v.newJob != nil {
		fn(v.newJob)
		return
	}
	if v.jobID == 0 {
		return
	}
	r.changeJob(v.jobID, fn)
}

func (r *Recorder) changeJob(id int64, fn func(*jobdb.Job)) {
	if r.batch.Change == nil {
		r.batch.Change = map[int64]func(*jobdb.Job) error{}
	}
	prev := r.batch.Change[id]
	r.batch.Change[id] = func(j *jobdb.Job) error {
		if prev != nil {
			if err := prev(j); err != nil {
				return err
			}
		}
		fn(j)
		return nil
	}
}

func (r *Recorder) create(j *jobdb.Job) {
	r.batch.Create = append(r.batch.Create, j)
	if r.batch.Trim == nil {
		r.batch.Trim = map[string]bool{}
	}
	r.batch.Trim[j.ServiceID] = true
}

// flush writes the batch. On failure (a full disk, a read-only ledger) it keeps it and tries
// again a second later: no run is lost while the ledger cannot be written.
func (r *Recorder) flush() {
	if !r.batch.Empty() {
		r.clean.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.w.Ledger.Apply(ctx, r.batch)
		cancel()
		if err != nil {
			r.w.Log.Error("recording runs in the ledger failed; trying again", "err", err)
			if r.retry == nil {
				r.retry = time.After(time.Second)
			}
			return
		}
		for _, v := range r.views {
			if v.newJob != nil && v.newJob.ID != 0 {
				v.jobID, v.newJob = v.newJob.ID, nil
			}
		}
		r.batch = &jobdb.Batch{}
	}
	r.clean.Store(true)
	if len(r.events) == 0 && len(r.ended) == 0 && len(r.settle) == 0 && !r.dirty {
		r.wake()
		return
	}
	events, ended, settle := r.events, r.ended, r.settle
	r.events, r.ended, r.settle, r.dirty = nil, nil, nil, false
	r.publish()
	for _, s := range settle {
		r.tails.queueSettle(s.ref.ID(), s.invocation)
	}
	for _, ref := range ended {
		r.tails.queue(ref.ID())
	}
	for _, pe := range events {
		e := pe.Event
		if e.JobID == 0 {
			e.JobID = pe.ref.ID()
		}
		r.w.Emit(e)
	}
	r.wake()
}

// pendingEvent is an event whose job may get its ID only when the batch is written.
type pendingEvent struct {
	Event
	ref jobRef
}

type settleLater struct {
	ref        jobRef
	invocation string
}

func (r *Recorder) event(kind string, v *View, state string) {
	r.events = append(r.events, pendingEvent{Event{Kind: kind, Service: v.service, JobID: v.jobID, State: state}, v.jobRef()})
}

// publish copies what Status reads.
func (r *Recorder) publish() {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	for unit, v := range r.views {
		r.pub[unit] = RunInfo{Invocation: v.invocation, JobID: v.jobID, Restarts: int(v.snap.restarts), LimitHit: v.limitHit}
	}
}

// Info is what the recorder knows of unit's current run, as last written.
func (r *Recorder) Info(unit string) RunInfo {
	r.pubMu.RLock()
	defer r.pubMu.RUnlock()
	return r.pub[unit]
}

// waiter is an operation waiting until cond holds for every unit of units, in the written ledger.
type waiter struct {
	units []string
	cond  func(*View) bool
	ch    chan struct{}
}

func (r *Recorder) wake() {
	if !r.batch.Empty() {
		return
	}
	kept := r.waiters[:0]
	for _, w := range r.waiters {
		all := true
		for _, u := range w.units {
			all = all && w.cond(r.view(u))
		}
		if all {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	r.waiters = kept
}

// WaitUntil waits, at most timeout, until cond holds for each unit as written in the ledger.
func (r *Recorder) WaitUntil(ctx context.Context, timeout time.Duration, units []string, cond func(*View) bool) bool {
	if len(units) == 0 {
		return true
	}
	w := &waiter{units: units, cond: cond, ch: make(chan struct{})}
	r.do(func() {
		r.waiters = append(r.waiters, w)
		r.wake()
	})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.ch:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	r.do(func() {
		for i, x := range r.waiters {
			if x == w {
				r.waiters = append(r.waiters[:i], r.waiters[i+1:]...)
				break
			}
		}
	})
	select {
	case <-w.ch:
		return true
	default:
		return false
	}
}

// cursorLag is how old a journal entry must be before the cursor may pass it: by then the signal
// of the same event has long been processed.
const cursorLag = 10 * time.Second

func (r *Recorder) saveCursor(ctx context.Context) {
	if !r.clean.Load() {
		return
	}
	at := time.Now().Add(-cursorLag)
	cursor, err := r.w.Journal.Cursor(ctx, at)
	if err != nil || cursor == "" {
		return
	}
	if err := r.w.Ledger.SetState(ctx, stateCursor, cursor); err != nil {
		r.w.Log.Warn("saving the journal cursor failed", "err", err)
		return
	}
	// A job deleted before the cursor's time ended before it: no replay reads its run again.
	if err := r.w.Ledger.ForgetBefore(ctx, at.Add(-time.Minute)); err != nil {
		r.w.Log.Warn("dropping forgotten runs failed", "err", err)
	}
}

const stateCursor = "journal-cursor"

// Expect registers the job a start created for unit: the unit's next run belongs to it.
func (r *Recorder) Expect(unit string, jobID int64) {
	r.do(func() {
		v := r.view(unit)
		v.pending = jobID
		v.limitHit, r.dirty = false, true
	})
}

// Stopping marks the current runs of units as being stopped on request.
func (r *Recorder) Stopping(units []string) {
	r.do(func() {
		for _, u := range units {
			r.view(u).stopping = true
		}
	})
}

// NotStarted ends a start's job whose run never began (systemd's start job failed before it
// started the unit: a dependency failed, the start limit, ...).
func (r *Recorder) NotStarted(unit string, jobID int64, result string) {
	r.do(func() {
		v := r.view(unit)
		if v.pending != jobID {
			return // the run began after all
		}
		v.pending = 0
		now := time.Now().UTC()
		r.changeJob(jobID, func(j *jobdb.Job) {
			facts{Result: result, At: now}.Apply(j)
			j.OutputSaved = true
		})
		r.events = append(r.events, pendingEvent{Event: Event{Kind: EventJobFinished, Service: v.service, JobID: jobID, State: string(jobdb.PhaseFailed)}})
		// Written before the start that gave up on it returns: a read after its reply sees the
		// job ended, not pending.
		r.flush()
	})
}

// jobRef names v's current job, written or not.
func (v *View) jobRef() jobRef { return jobRef{id: v.jobID, job: v.newJob} }

// jobRef is a job by ID, or one still in the recorder's unwritten batch.
type jobRef struct {
	id  int64
	job *jobdb.Job
}

func (j jobRef) ID() int64 {
	if j.job != nil {
		return j.job.ID
	}
	return j.id
}
