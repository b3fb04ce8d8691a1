package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// startQueue is one start's queue of start jobs (see queue).
type startQueue struct {
	s       *starter
	ctx     context.Context
	set     *config.Set
	mode    string
	pipe    *systemd.Pipeline
	todo    []*unitgen.Unit
	out     chan startResult // starts that could not be queued
	refused map[string]bool  // services whose start could not be queued

	waits  []systemd.Wait   // the queued start jobs
	waitOf []int            // the index in todo of each of waits
	ends   chan systemd.End // their results, by index in waits
	slots  chan struct{}    // one per unit whose start is queued and not over (see acquire)
}

// startResult is one unit's start job's outcome.
type startResult struct {
	index  int
	result string // systemd's job result: done, failed, dependency, timeout, canceled, ...
	err    error  // the start could not be queued
}

// slotWait bounds a wait for a queued job to end before the next is queued: should a job's
// end signal be lost, the start goes on over the limit rather than wait for it for ever.
const slotWait = 15 * time.Second

// queue queues every unit's start job, in order (dependencies first: a unit's Requires= must
// name loaded units), without waiting for any: the returned queue holds the starts it could not
// queue (out) and the jobs to await (waits, whose results come on ends). Units systemd has not
// loaded (loaded[name] false: every unit of a fresh start) are created by a pipeline of
// StartTransientUnit calls (systemd.Pipeline). A unit systemd still holds is started on its own
// (startUnit: its definition is checked first), after the replies of the calls before it. A
// unit whose start could not be queued makes its dependents fail as "dependency". At most
// systemd.QueuedJobsMax of the start's jobs are queued in systemd at once.
func (s *starter) queue(ctx context.Context, set *config.Set, todo []*unitgen.Unit, mode string, loaded map[string]bool) *startQueue {
	q := &startQueue{s: s, ctx: ctx, set: set, mode: mode, pipe: s.sd.Pipeline(ctx, mode), todo: todo, out: make(chan startResult, len(todo)),
		refused: map[string]bool{}, ends: make(chan systemd.End, len(todo)), slots: make(chan struct{}, systemd.QueuedJobsMax)}
	defer q.pipe.Close()
	for i, u := range todo {
		q.acquire()
		if !loaded[u.Name] {
			q.send(i, u)
			continue
		}
		q.readReplies()
		q.startOne(i, u)
	}
	q.readReplies()
	close(q.out)
	return q
}

// acquire takes a slot for the next unit's start, once fewer than systemd.QueuedJobsMax of the
// start's jobs are queued; the replies of the calls in flight are read first, so their jobs'
// ends free slots.
func (q *startQueue) acquire() {
	select {
	case q.slots <- struct{}{}:
		return
	default:
	}
	q.readReplies()
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case q.slots <- struct{}{}:
	case <-t.C:
		q.s.log.Debug("start: a queued job did not end in time; queueing over the limit", "limit", systemd.QueuedJobsMax)
	case <-q.ctx.Done():
	}
}

// release gives back a unit's slot: its job ended, or its start was not queued. It never blocks.
func (q *startQueue) release() {
	select {
	case <-q.slots:
	default:
	}
}

// awaitJob adds the job of todo's unit i to the jobs to await and returns the function that
// hands its result to the await (and frees its slot).
func (q *startQueue) awaitJob(i int, unit string, job dbus.ObjectPath) func(string) {
	index := len(q.waits)
	q.waits = append(q.waits, systemd.Wait{Unit: unit, Job: job, Succeeded: state.Up})
	q.waitOf = append(q.waitOf, i)
	return q.deliverTo(index)
}

// deliverTo is the function that hands the result of the job awaited at index to the await.
func (q *startQueue) deliverTo(index int) func(string) {
	return func(result string) {
		q.ends <- systemd.End{Index: index, Result: result}
		q.release()
	}
}

// blocked reports whether u's start cannot be queued because one of its requirements' could not.
func (q *startQueue) blocked(i int, u *unitgen.Unit) bool {
	for _, d := range q.set.Graph.Requires(u.Service) {
		if q.refused[d] {
			q.refused[u.Service] = true
			q.out <- startResult{index: i, result: "dependency"}
			q.release()
			return true
		}
	}
	return false
}

// send sends u's StartTransientUnit call down the pipeline.
func (q *startQueue) send(i int, u *unitgen.Unit) {
	if q.blocked(i, u) {
		return
	}
	if r, ok := q.pipe.Send(i, u.Name, u.Properties); ok {
		q.take(r)
	}
}

// readReplies reads the replies of the pipelined calls, in the order they were sent.
func (q *startQueue) readReplies() {
	for r, ok := q.pipe.Next(); ok; r, ok = q.pipe.Next() {
		q.take(r)
	}
}

// take acts on a pipelined call's reply: its job is awaited. A call that systemd refused because
// the unit exists (created meanwhile) or that systemd's re-exec cut off is made again on its own.
func (q *startQueue) take(r systemd.Reply) {
	u := q.todo[r.Tag]
	switch {
	case r.Err == nil:
		q.pipe.Claim(r.Job, q.awaitJob(r.Tag, r.Unit, r.Job)) // the job may have ended already
	case q.blocked(r.Tag, u):
		// Its dependency's start failed first: systemd refused this one for it.
	case systemd.Named(r.Err) == systemd.UnitExists || systemd.Gone(r.Err):
		q.startOne(r.Tag, u)
	default:
		q.refuse(r.Tag, u, fmt.Errorf("StartTransientUnit %s: %w", r.Unit, r.Err))
	}
}

// startOne queues one unit's start and waits for its reply (startUnit).
func (q *startQueue) startOne(i int, u *unitgen.Unit) {
	if q.blocked(i, u) {
		return
	}
	deliver := q.deliverTo(len(q.waits))
	job, err := q.s.startUnit(q.ctx, u, q.mode, deliver)
	if err != nil {
		q.refuse(i, u, err)
		return
	}
	q.waits = append(q.waits, systemd.Wait{Unit: u.Name, Job: job, Succeeded: state.Up})
	q.waitOf = append(q.waitOf, i)
}

// refuse reports a unit whose start could not be queued.
func (q *startQueue) refuse(i int, u *unitgen.Unit, err error) {
	q.release()
	q.refused[u.Service] = true
	if systemd.Named(err) == systemd.NoSuchUnit {
		err = fmt.Errorf("%w: %w", errDependencyGone, err)
	}
	q.out <- startResult{index: i, err: err}
}
