package recording

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// tailCopier copies each ended run's last output from the journal into its job, off the path of
// the operations: the journal keeps the output, the ledger keeps the tail for good (journal
// rotation and vacuuming cannot take it). A tail is final once journald has read the run's
// output streams to their end: until then (a flood ends long before journald has written it) the
// job keeps what journald wrote so far, marked partial, and the copy is made again later
// (retryDelays). It also settles runs whose end no signal described, from systemd's records in
// the journal.
type tailCopier struct {
	w       *World
	fields  journal.Fields
	mu      sync.Mutex
	ids     []int64
	settle  []settleReq
	retries map[int64]*tailRetry // jobs whose tail is partial, by id
	kick    chan struct{}
	stop    context.Context // ends at close: the waits give up
	quit    context.CancelFunc
	done    chan struct{}
}

type settleReq struct {
	id         int64
	invocation string
}

// tailRetry is when a partial tail is copied again.
type tailRetry struct {
	attempts int
	due      time.Time
}

// retryDelays are the waits before each new copy of a partial tail: about nine minutes in all,
// within recentEnd (a copy still reads up to now). A tail still partial then stays so (and says
// so) until herod starts again, which copies it once more.
var retryDelays = []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second,
	time.Minute, time.Minute, time.Minute, time.Minute, time.Minute, time.Minute, time.Minute, time.Minute}

// streamWait bounds how long one copy waits for journald to read a run's output streams to
// their end before it keeps what journald wrote so far (partial) and tries again later.
var streamWait = 3 * time.Second

// tailPoll is how often a copy looks at journald's open streams while it waits.
const tailPoll = 200 * time.Millisecond

func newTailCopier(w *World, f journal.Fields) *tailCopier {
	stop, quit := context.WithCancel(context.Background())
	return &tailCopier{w: w, fields: f, retries: map[int64]*tailRetry{},
		kick: make(chan struct{}, 1), stop: stop, quit: quit, done: make(chan struct{})}
}

func (t *tailCopier) queue(ids ...int64) {
	t.mu.Lock()
	t.ids = append(t.ids, ids...)
	t.mu.Unlock()
	t.poke()
}

func (t *tailCopier) queueSettle(id int64, invocation string) {
	t.mu.Lock()
	t.settle = append(t.settle, settleReq{id, invocation})
	t.mu.Unlock()
	t.poke()
}

func (t *tailCopier) poke() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *tailCopier) close() {
	t.quit()
	<-t.done
}

// lastOutputWait bounds a copy's wait for journald to write the runs' last output.
const lastOutputWait = 30 * time.Second

// copyDelay lets a burst of ends (a cascade) gather into one read of the journal, lets journald
// write the runs' last lines first, and keeps the copy out of the way of the operation that
// ended them.
const copyDelay = time.Second

func (t *tailCopier) run() {
	defer close(t.done)
	ctx := context.Background()
	if jobs, err := t.w.Ledger.Unsaved(ctx, 1000); err == nil {
		for _, j := range jobs {
			t.queue(j.ID)
		}
	}
	for {
		var retry <-chan time.Time
		if d, ok := t.nextRetry(); ok {
			retry = time.After(d)
		}
		select {
		case <-t.stop.Done():
			return
		case <-retry:
		case <-t.kick:
			select {
			case <-t.stop.Done():
				return
			case <-time.After(copyDelay):
			}
		}
		ids, settle := t.take()
		for _, s := range settle {
			t.settleFromJournal(ctx, s)
			ids = append(ids, s.id)
		}
		t.copy(ctx, ids)
	}
}

// take returns the queued jobs and those whose retry is due.
func (t *tailCopier) take() ([]int64, []settleReq) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids, settle := t.ids, t.settle
	t.ids, t.settle = nil, nil
	now := time.Now()
	for id, r := range t.retries {
		if !r.due.After(now) {
			ids = append(ids, id)
		}
	}
	return ids, settle
}

// nextRetry returns how long until the next partial tail is due.
func (t *tailCopier) nextRetry() (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var first time.Time
	for _, r := range t.retries {
		if first.IsZero() || r.due.Before(first) {
			first = r.due
		}
	}
	return time.Until(first), !first.IsZero()
}

// later schedules the next copy of j's partial tail; it reports false once retryDelays are spent.
func (t *tailCopier) later(j *jobdb.Job) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.retries[j.ID]
	if r == nil {
		r = &tailRetry{}
		t.retries[j.ID] = r
	}
	if r.attempts >= len(retryDelays) {
		delete(t.retries, j.ID)
		return false
	}
	r.due = time.Now().Add(retryDelays[r.attempts])
	r.attempts++
	return true
}

func (t *tailCopier) finished(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.retries, id)
}

// settleFromJournal records the end of a run that began and ended between two of systemd's
// snapshots, from systemd's own records of that invocation (the manager's records only: not the
// run's output, which may be any size).
func (t *tailCopier) settleFromJournal(ctx context.Context, s settleReq) {
	j, err := t.w.Ledger.Get(ctx, s.id)
	if err != nil || j.Phase.Ended() {
		return
	}
	entries, _, err := t.w.Journal.Records(ctx, "", j.StartedAt.Add(-time.Second))
	if err != nil {
		t.w.Log.Warn("reading a run's end from the journal failed", "service", j.ServiceID, "err", err)
	}
	end := recordedEnd(entries, t.fields, s.invocation)
	if _, err := t.w.Ledger.Update(ctx, s.id, func(j *jobdb.Job) error { end.Apply(j); return nil }); err != nil {
		t.w.Log.Warn("recording a run's end failed", "service", j.ServiceID, "err", err)
		return
	}
	t.w.Emit(Event{Kind: EventJobFinished, Service: j.ServiceID, JobID: j.ID, State: string(end.Phase())})
}

// copy saves the tails of the ended jobs ids: for good those whose runs' output journald has
// read to its end (one journal read for runs that began recently, a burst of ends being usually
// one cascade; one per run otherwise, reading backwards from its end), partial the others.
func (t *tailCopier) copy(ctx context.Context, ids []int64) {
	jobs := t.unsaved(ctx, ids)
	if len(jobs) == 0 {
		return
	}
	done, reading := t.drain(ctx, jobs)
	if len(done) > 0 {
		sctx, cancel := context.WithTimeout(ctx, lastOutputWait)
		if err := t.w.Journal.Sync(sctx, nil); err != nil {
			t.w.Log.Warn("waiting for journald to write the runs' last output failed", "err", err)
		}
		cancel()
		t.saveFinal(ctx, done)
	}
	for _, j := range reading {
		t.savePartial(ctx, j)
	}
}

// unsaved loads the jobs of ids whose runs ended and whose tails are not saved for good.
func (t *tailCopier) unsaved(ctx context.Context, ids []int64) []*jobdb.Job {
	var out []*jobdb.Job
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		j, err := t.w.Ledger.Get(ctx, id)
		if err != nil || j.OutputSaved || !j.Phase.Ended() {
			t.finished(id)
			continue
		}
		out = append(out, j)
	}
	return out
}

// drain waits (up to streamWait) until journald has read the output streams of each job's run to
// their end; it returns the jobs whose runs' output it has read, and those it still reads.
func (t *tailCopier) drain(ctx context.Context, jobs []*jobdb.Job) (done, reading []*jobdb.Job) {
	owners := map[string]string{} // stream ID -> the invocation of its lines ("": none yet)
	err := poll.Until(t.stop, streamWait, tailPoll, func() (bool, error) {
		byUnit, err := t.streams(ctx)
		if err != nil {
			return false, err
		}
		var still []*jobdb.Job
		for _, j := range jobs {
			if t.reading(ctx, j, byUnit[j.Unit], owners) {
				still = append(still, j)
			} else {
				done = append(done, j)
			}
		}
		jobs = still
		return len(jobs) == 0, nil
	})
	if err != nil && !errors.Is(err, poll.ErrTimeout) && t.stop.Err() == nil {
		t.w.Log.Warn("reading journald's open streams failed; the tails are copied as journald has them", "err", err)
		return append(done, jobs...), nil
	}
	return done, jobs
}

// streams returns journald's open streams of hero's units, by unit (read once for every job of
// a copy: a host may have thousands open).
func (t *tailCopier) streams(ctx context.Context) (map[string][]journal.Stream, error) {
	all, err := t.w.Journal.Streams(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]journal.Stream{}
	for _, s := range all {
		out[s.Unit] = append(out[s.Unit], s)
	}
	return out, nil
}

// reading reports whether journald still reads an output stream of j's run: one whose lines
// carry the run's invocation, or one that has written no line yet and was opened before the run
// ended (a stream opened later, or whose lines carry another invocation, is another run's: the
// unit may run again while journald still reads the run before).
func (t *tailCopier) reading(ctx context.Context, j *jobdb.Job, streams []journal.Stream, owners map[string]string) bool {
	var err error
	for _, s := range streams {
		inv, known := owners[s.ID]
		if !known {
			if inv, err = t.w.Journal.StreamInvocation(ctx, s.ID); err != nil {
				t.w.Log.Debug("reading a stream's run from the journal failed", "stream", s.ID, "err", err)
			}
			owners[s.ID] = inv
		}
		if inv == j.InvocationID || inv == "" && (j.EndedAt == nil || s.Opened.Before(*j.EndedAt)) {
			return true
		}
	}
	return false
}

// saveFinal copies the runs' tails for good.
func (t *tailCopier) saveFinal(ctx context.Context, jobs []*jobdb.Job) {
	var recent []*jobdb.Job
	for _, j := range jobs {
		if len(jobs) > 1 && time.Since(j.StartedAt) < 10*time.Minute {
			recent = append(recent, j)
			continue
		}
		t.saveOne(ctx, j)
	}
	if len(recent) == 0 {
		return
	}
	tails, err := t.readMany(ctx, recent)
	if err != nil {
		// A read of every line of many runs may take longer than journalTimeout (a flood among
		// them): each is read backwards from its end instead, which stops at its tail.
		t.w.Log.Debug("reading runs' output from the journal at once failed; reading each", "err", err)
		for _, j := range recent {
			t.saveOne(ctx, j)
		}
		return
	}
	t.save(ctx, recent, tails, true)
}

// saveOne copies one run's tail for good, reading backwards from its end; a read that fails is
// tried again later.
func (t *tailCopier) saveOne(ctx context.Context, j *jobdb.Job) {
	lines, err := ReadTail(ctx, t.w.Journal, t.fields, j, 0)
	if err != nil {
		t.w.Log.Warn("reading a run's output from the journal failed; trying again later", "service", j.ServiceID, "err", err)
		t.later(j)
		return
	}
	t.save(ctx, []*jobdb.Job{j}, [][]journal.Entry{lines}, true)
}

// savePartial keeps what journald wrote of a run's output so far, marked partial, and schedules
// the next copy.
func (t *tailCopier) savePartial(ctx context.Context, j *jobdb.Job) {
	if !t.later(j) {
		t.w.Log.Warn("journald still reads a run's output long after it ended: its kept tail stays partial until herod starts again",
			"service", j.ServiceID, "job", j.ID)
		return
	}
	lines, err := ReadTail(ctx, t.w.Journal, t.fields, j, 0)
	if err != nil {
		t.w.Log.Warn("reading a run's output from the journal failed; trying again later", "service", j.ServiceID, "err", err)
		return
	}
	t.save(ctx, []*jobdb.Job{j}, [][]journal.Entry{lines}, false)
}

func window(j *jobdb.Job) (time.Time, time.Time) {
	end := time.Now()
	if j.EndedAt != nil {
		end = *j.EndedAt
	}
	return j.StartedAt.Add(-time.Second), end.Add(time.Second)
}

// runOf is what tells j's lines from others (see belongs).
func runOf(j *jobdb.Job) runWindow {
	since, until := window(j)
	run := runWindow{Unit: j.Unit, Invocation: j.InvocationID, Since: since, Until: until,
		MainPID: j.MainPID, Began: j.StartedAt}
	if !j.Phase.Ended() {
		run.Until = time.Time{}
	} else if j.EndedAt != nil {
		run.Ended = *j.EndedAt
	}
	return run
}

// ReadTail reads the last jobdb.MaxOutput bytes of j's output (exactly), newest first from its
// end, and stops there, or after its last lines lines when lines > 0 (a status shows ten: a
// chatty service's 64 KiB are hundreds of lines the journalctl process would decode for
// nothing). journald stamps a line when it reads it, which for a flood is seconds after the
// service wrote it and ended: lines are read up to now for a run that ended lately, and up to a
// minute after the end for an older one.
func ReadTail(ctx context.Context, jrnl journal.Journal, f journal.Fields, j *jobdb.Job, lines int) ([]journal.Entry, error) {
	run := runOf(j)
	q := journal.Query{Units: []string{j.Unit}, Since: run.Since, Newest: true, Fields: readFields(f)}
	if !run.Until.IsZero() && time.Since(run.Until) > recentEnd {
		q.Until = run.Until.Add(time.Minute)
	}
	var tail outputTail
	err := jrnl.Read(ctx, q, func(e journal.Entry) bool {
		if !belongs(f, e, run) {
			return true
		}
		return tail.AddOlder(e) && (lines <= 0 || len(tail.lines) < lines)
	})
	return tail.Lines(true), err
}

// recentEnd is how long after its end a run's late lines are read up to now.
const recentEnd = 10 * time.Minute

// readMany reads the tails of several runs in one journalctl run, from the earliest start,
// keeping only each run's last jobdb.MaxOutput bytes as it goes.
func (t *tailCopier) readMany(ctx context.Context, jobs []*jobdb.Job) ([][]journal.Entry, error) {
	units := map[string]bool{}
	since, _ := window(jobs[0])
	runs := make([]runWindow, len(jobs))
	tails := make([]outputTail, len(jobs))
	for i, j := range jobs {
		units[j.Unit] = true
		runs[i] = runOf(j)
		if runs[i].Since.Before(since) {
			since = runs[i].Since
		}
	}
	names := make([]string, 0, len(units))
	for u := range units {
		names = append(names, u)
	}
	sort.Strings(names)
	err := t.w.Journal.Read(ctx, journal.Query{Units: names, Since: since, Fields: readFields(t.fields)}, func(e journal.Entry) bool {
		for i := range runs {
			if belongs(t.fields, e, runs[i]) {
				tails[i].AddNewer(e)
			}
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("reading the output of %s: %w", strings.Join(names, ", "), err)
	}
	out := make([][]journal.Entry, len(jobs))
	for i := range tails {
		out[i] = tails[i].Lines(false)
	}
	return out, nil
}

// TailLines bounds the reads of a run's last lines for a failed start's explanation.
const TailLines = 4000

// save keeps the runs' tails: for good when final (the copy is over), else partial.
func (t *tailCopier) save(ctx context.Context, jobs []*jobdb.Job, lines [][]journal.Entry, final bool) {
	changes := map[int64]func(*jobdb.Job) error{}
	for i, j := range jobs {
		tail := EncodeTail(lines[i])
		changes[j.ID] = func(j *jobdb.Job) error {
			j.Output, j.OutputSaved, j.OutputPartial = tail, final, !final
			return nil
		}
	}
	if err := t.w.Ledger.UpdateAll(ctx, changes); err != nil {
		t.w.Log.Warn("saving runs' output in the ledger failed; it stays in the journal, and is copied again later", "err", err)
		for _, j := range jobs {
			t.later(j)
		}
		return
	}
	for _, j := range jobs {
		if final {
			t.finished(j.ID)
		}
		t.w.Emit(Event{Kind: "output-copied", Service: j.ServiceID, JobID: j.ID})
	}
}

// RunLines picks a run's entries out of its unit's (see belongs).
func RunLines(entries []journal.Entry, j *jobdb.Job, f journal.Fields) []journal.Entry {
	run := runOf(j)
	if run.Until.IsZero() {
		_, run.Until = window(j)
	}
	var out []journal.Entry
	for _, e := range entries {
		if belongs(f, e, run) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.Before(out[b].Time) })
	return out
}
