package recording

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// tailCopier copies each ended run's last output from the journal into its job, off the path of
// the operations: the journal keeps the output, the ledger keeps the tail for good (journal
// rotation and vacuuming cannot take it). It also settles runs whose end no signal described,
// from systemd's records in the journal.
type tailCopier struct {
	w       *World
	current func(unit string) string // the invocation of the unit's current (or last) run
	fields  Fields
	mu      sync.Mutex
	ids     []int64
	settle  []settleReq
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

type settleReq struct {
	id         int64
	invocation string
}

func newTailCopier(w *World, f Fields) *tailCopier {
	return &tailCopier{w: w, fields: f, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
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
	close(t.quit)
	<-t.done
}

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
		select {
		case <-t.quit:
			return
		case <-t.kick:
		}
		select {
		case <-t.quit:
			return
		case <-time.After(copyDelay):
		}
		t.mu.Lock()
		ids, settle := t.ids, t.settle
		t.ids, t.settle = nil, nil
		t.mu.Unlock()
		for _, s := range settle {
			t.settleFromJournal(ctx, s)
			ids = append(ids, s.id)
		}
		t.copy(ctx, ids)
	}
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
	end := EndOf(entries, t.fields, s.invocation)
	if _, err := t.w.Ledger.Update(ctx, s.id, func(j *jobdb.Job) error { end.Apply(j); return nil }); err != nil {
		t.w.Log.Warn("recording a run's end failed", "service", j.ServiceID, "err", err)
		return
	}
	t.w.Emit(Event{Kind: "job-finished", Service: j.ServiceID, JobID: j.ID, State: string(end.Phase())})
}

// copy saves the tails of jobs: one journal read for runs that began recently (a burst of ends
// is usually one cascade), one per run otherwise (reading backwards from its end).
func (t *tailCopier) copy(ctx context.Context, ids []int64) {
	var recent, old []*jobdb.Job
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		j, err := t.w.Ledger.Get(ctx, id)
		if err != nil || j.OutputSaved || !j.Phase.Ended() {
			continue
		}
		if time.Since(j.StartedAt) < 10*time.Minute {
			recent = append(recent, j)
		} else {
			old = append(old, j)
		}
	}
	if len(recent) == 0 && len(old) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, journalTimeout)
	err := t.w.Journal.Sync(sctx, t.lastRunUnits(append(append([]*jobdb.Job{}, recent...), old...)))
	cancel()
	if err != nil {
		t.w.Log.Warn("waiting for journald to write the runs' last output failed", "err", err)
	}
	if len(recent) > 0 {
		t.save(ctx, recent, t.readMany(ctx, recent))
	}
	for _, j := range old {
		lines, err := ReadTail(ctx, t.w.Journal, t.fields, j)
		if err != nil {
			t.w.Log.Warn("reading a run's output from the journal failed", "service", j.ServiceID, "err", err)
		}
		t.save(ctx, []*jobdb.Job{j}, [][]Entry{lines})
	}
}

// lastRunUnits returns the units of jobs whose run is still the unit's last: journald's open
// output streams of such a unit are that run's (a unit running again has a stream of its new
// run open, which Sync must not wait for).
func (t *tailCopier) lastRunUnits(jobs []*jobdb.Job) []string {
	var out []string
	for _, j := range jobs {
		if t.current == nil || t.current(j.Unit) == j.InvocationID {
			out = append(out, j.Unit)
		}
	}
	return out
}

func window(j *jobdb.Job) (time.Time, time.Time) {
	end := time.Now()
	if j.EndedAt != nil {
		end = *j.EndedAt
	}
	return j.StartedAt.Add(-time.Second), end.Add(time.Second)
}

// runOf is what tells j's lines from others (see Fields.Belongs).
func runOf(j *jobdb.Job) Run {
	since, until := window(j)
	run := Run{Unit: j.Unit, Invocation: j.InvocationID, Since: since, Until: until,
		MainPID: j.MainPID, Began: j.StartedAt}
	if !j.Phase.Ended() {
		run.Until = time.Time{}
	} else if j.EndedAt != nil {
		run.Ended = *j.EndedAt
	}
	return run
}

// ReadTail reads the last jobdb.MaxOutput bytes of j's output (exactly), newest first from its
// end, and stops there. journald stamps a line when it reads it, which for a flood is seconds
// after the service wrote it and ended: lines are read up to now for a run that ended lately,
// and up to a minute after the end for an older one.
func ReadTail(ctx context.Context, jrnl Journal, f Fields, j *jobdb.Job) ([]Entry, error) {
	run := runOf(j)
	q := Query{Units: []string{j.Unit}, Since: run.Since, Newest: true, Fields: f.ReadFields()}
	if !run.Until.IsZero() && time.Since(run.Until) > recentEnd {
		q.Until = run.Until.Add(time.Minute)
	}
	var tail Tail
	err := jrnl.Read(ctx, q, func(e Entry) bool {
		if !f.Belongs(e, run) {
			return true
		}
		return tail.AddOlder(e)
	})
	return tail.Lines(true), err
}

// recentEnd is how long after its end a run's late lines are read up to now.
const recentEnd = 10 * time.Minute

// readMany reads the tails of several runs in one journalctl run, from the earliest start,
// keeping only each run's last jobdb.MaxOutput bytes as it goes.
func (t *tailCopier) readMany(ctx context.Context, jobs []*jobdb.Job) [][]Entry {
	units := map[string]bool{}
	since, _ := window(jobs[0])
	runs := make([]Run, len(jobs))
	tails := make([]Tail, len(jobs))
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
	err := t.w.Journal.Read(ctx, Query{Units: names, Since: since, Fields: t.fields.ReadFields()}, func(e Entry) bool {
		for i := range runs {
			if t.fields.Belongs(e, runs[i]) {
				tails[i].AddNewer(e)
			}
		}
		return true
	})
	if err != nil {
		t.w.Log.Warn("reading runs' output from the journal failed", "units", names, "err", err)
	}
	out := make([][]Entry, len(jobs))
	for i := range tails {
		out[i] = tails[i].Lines(false)
	}
	return out
}

// TailLines bounds the reads of a run's last lines for a failed start's explanation.
const TailLines = 4000

func (t *tailCopier) save(ctx context.Context, jobs []*jobdb.Job, lines [][]Entry) {
	changes := map[int64]func(*jobdb.Job) error{}
	for i, j := range jobs {
		tail := EncodeTail(lines[i])
		changes[j.ID] = func(j *jobdb.Job) error {
			j.Output, j.OutputSaved = tail, true
			return nil
		}
	}
	if err := t.w.Ledger.UpdateAll(ctx, changes); err != nil {
		t.w.Log.Warn("saving runs' output in the ledger failed; it stays in the journal", "err", err)
	}
}

// RunLines picks a run's entries out of its unit's (see Fields.Belongs).
func RunLines(entries []Entry, j *jobdb.Job, f Fields) []Entry {
	run := runOf(j)
	if run.Until.IsZero() {
		_, run.Until = window(j)
	}
	var out []Entry
	for _, e := range entries {
		if f.Belongs(e, run) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.Before(out[b].Time) })
	return out
}
