package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// tailCopier copies each ended run's last output from the journal into its job, off the path of
// the operations: the journal keeps the output, the ledger keeps the tail for good (journal
// rotation and vacuuming cannot take it). It also settles runs whose end no signal described,
// from systemd's records in the journal.
type tailCopier struct {
	b      *Bridge
	fields journalFields
	mu     sync.Mutex
	ids    []int64
	settle []settleReq
	kick   chan struct{}
	quit   chan struct{}
	done   chan struct{}
}

type settleReq struct {
	id         int64
	invocation string
}

func newTailCopier(b *Bridge, f journalFields) *tailCopier {
	return &tailCopier{b: b, fields: f, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
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
	if jobs, err := t.b.ledger.Unsaved(ctx, 1000); err == nil {
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
// snapshots, from systemd's own records of that invocation.
func (t *tailCopier) settleFromJournal(ctx context.Context, s settleReq) {
	j, err := t.b.ledger.Get(ctx, s.id)
	if err != nil || j.Phase.Ended() {
		return
	}
	entries, err := t.b.jrnl.Lines(ctx, []string{j.Unit}, j.StartedAt.Add(-time.Second), time.Time{}, 0)
	if err != nil {
		t.b.log.Warn("reading a run's end from the journal failed", "service", j.ServiceID, "err", err)
	}
	end := recording.EndOf(entries, t.fields, s.invocation)
	if _, err := t.b.ledger.Update(ctx, s.id, func(j *jobdb.Job) error { end.Apply(j); return nil }); err != nil {
		t.b.log.Warn("recording a run's end failed", "service", j.ServiceID, "err", err)
		return
	}
	t.b.emit(Event{Kind: "job-finished", Service: j.ServiceID, JobID: j.ID, State: string(end.Phase())})
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
		j, err := t.b.ledger.Get(ctx, id)
		if err != nil || j.OutputSaved || !j.Phase.Ended() {
			continue
		}
		if time.Since(j.StartedAt) < 10*time.Minute {
			recent = append(recent, j)
		} else {
			old = append(old, j)
		}
	}
	if len(recent) > 0 {
		t.save(ctx, recent, t.readMany(ctx, recent))
	}
	for _, j := range old {
		t.save(ctx, []*jobdb.Job{j}, t.readOne(ctx, j))
	}
}

func window(j *jobdb.Job) (time.Time, time.Time) {
	end := time.Now()
	if j.EndedAt != nil {
		end = *j.EndedAt
	}
	return j.StartedAt.Add(-time.Second), end.Add(time.Second)
}

func (t *tailCopier) readOne(ctx context.Context, j *jobdb.Job) []Entry {
	since, until := window(j)
	entries, err := t.b.jrnl.Lines(ctx, []string{j.Unit}, since, until, tailLines)
	if err != nil {
		t.b.log.Warn("reading a run's output from the journal failed", "service", j.ServiceID, "err", err)
	}
	return entries
}

// readMany reads the lines of several runs' units in one journalctl run, from the earliest start.
func (t *tailCopier) readMany(ctx context.Context, jobs []*jobdb.Job) []Entry {
	units := map[string]bool{}
	since, _ := window(jobs[0])
	for _, j := range jobs {
		units[j.Unit] = true
		if s, _ := window(j); s.Before(since) {
			since = s
		}
	}
	names := make([]string, 0, len(units))
	for u := range units {
		names = append(names, u)
	}
	sort.Strings(names)
	entries, err := t.b.jrnl.Lines(ctx, names, since, time.Time{}, 0)
	if err != nil {
		t.b.log.Warn("reading runs' output from the journal failed", "units", names, "err", err)
	}
	return entries
}

// tailLines bounds one read: a tail of 64 KiB is rarely more lines than this.
const tailLines = 4000

func (t *tailCopier) save(ctx context.Context, jobs []*jobdb.Job, entries []Entry) {
	changes := map[int64]func(*jobdb.Job) error{}
	for _, j := range jobs {
		tail := encodeTail(runLines(entries, j, t.fields))
		changes[j.ID] = func(j *jobdb.Job) error {
			j.Output, j.OutputSaved = tail, true
			return nil
		}
	}
	if err := t.b.ledger.UpdateAll(ctx, changes); err != nil {
		t.b.log.Warn("saving runs' output in the ledger failed; it stays in the journal", "err", err)
	}
}

// runLines picks a run's entries out of its unit's: those journald tagged with the run's
// invocation, and untagged ones of the unit within the run's time (journald cannot tag the last
// lines of a process that exits at once: it reads the writer's cgroup too late).
func runLines(entries []Entry, j *jobdb.Job, f journalFields) []Entry {
	since, until := window(j)
	var out []Entry
	for _, e := range entries {
		own, mgr := e.Fields[f.OwnInvocation], e.Fields[f.Invocation]
		switch {
		case own == j.InvocationID || mgr == j.InvocationID:
		case own == "" && mgr == "" && e.Fields[f.OwnUnit] == j.Unit && !e.Time.Before(since) && !e.Time.After(until):
		default:
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.Before(out[b].Time) })
	return out
}

// TailFields are the journal fields a job's kept output holds per line.
var TailFields = []string{"__REALTIME_TIMESTAMP", "PRIORITY", "SYSLOG_IDENTIFIER", "_PID", "_COMM", "MESSAGE"}

// encodeTail writes entries as JSON lines with TailFields, keeping the newest that fit in
// jobdb.MaxOutput bytes.
func encodeTail(entries []Entry) []byte {
	var lines [][]byte
	size := 0
	for i := len(entries) - 1; i >= 0; i-- {
		m := map[string]string{}
		for _, k := range TailFields {
			if v, ok := entries[i].Fields[k]; ok {
				m[k] = v
			}
		}
		line, err := json.Marshal(m)
		if err != nil {
			continue
		}
		if size+len(line)+1 > jobdb.MaxOutput {
			break
		}
		size += len(line) + 1
		lines = append(lines, line)
	}
	var b bytes.Buffer
	for i := len(lines) - 1; i >= 0; i-- {
		b.Write(lines[i])
		b.WriteByte('\n')
	}
	return b.Bytes()
}
