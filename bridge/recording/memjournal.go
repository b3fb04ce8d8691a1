package recording

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryJournal is a Journal held in memory: the manager's records and the units' lines it is
// given, in place of journalctl where what reads the journal is tested without systemd.
type MemoryJournal struct {
	Manager []Entry // what Records answers, whatever the cursor
	Output  []Entry // the units' lines, oldest first, for Read and Lines
	Handed  int     // how many lines Read handed out

	mu      sync.Mutex
	streams []memStream // the output streams journald still reads
}

// memStream is an open stream of MemoryJournal and the run whose lines it carries.
type memStream struct {
	Stream
	invocation string
}

// OpenStream has journald read a stream of unit for the run invocation ("" while it wrote no
// line) until CloseStream.
func (m *MemoryJournal) OpenStream(id, unit, invocation string, opened time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams = append(m.streams, memStream{Stream{ID: id, Unit: unit, Opened: opened}, invocation})
}

// CloseStream has journald read stream id to its end.
func (m *MemoryJournal) CloseStream(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams = slices.DeleteFunc(m.streams, func(s memStream) bool { return s.ID == id })
}

// Streams returns the open streams.
func (m *MemoryJournal) Streams(ctx context.Context) ([]Stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Stream
	for _, s := range m.streams {
		out = append(out, s.Stream)
	}
	return out, nil
}

// StreamInvocation returns the run of stream id's lines.
func (m *MemoryJournal) StreamInvocation(ctx context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.streams {
		if s.ID == id {
			return s.invocation, nil
		}
	}
	return "", nil
}

// Records returns every manager record and the cursor "c-end".
func (m *MemoryJournal) Records(ctx context.Context, cursor string, since time.Time) ([]Entry, string, error) {
	return m.Manager, "c-end", nil
}

// Lines returns the newest limit lines (0: all) of units between since and until, oldest first.
func (m *MemoryJournal) Lines(ctx context.Context, units []string, since, until time.Time, limit int) ([]Entry, error) {
	var out []Entry
	err := m.Read(ctx, Query{Units: units, Since: since, Until: until, Newest: limit > 0}, func(e Entry) bool {
		out = append(out, e)
		return limit <= 0 || len(out) < limit
	})
	if limit > 0 {
		slices.Reverse(out)
	}
	return out, err
}

// Read hands the lines q selects (by _SYSTEMD_UNIT or UNIT, and time) to each until it returns
// false.
func (m *MemoryJournal) Read(ctx context.Context, q Query, each func(Entry) bool) error {
	lines := slices.Clone(m.Output)
	if q.Newest {
		slices.Reverse(lines)
	}
	for _, e := range lines {
		if !slices.Contains(q.Units, e.Fields["_SYSTEMD_UNIT"]) && !slices.Contains(q.Units, e.Fields["UNIT"]) ||
			!q.Since.IsZero() && e.Time.Before(q.Since) || !q.Until.IsZero() && e.Time.After(q.Until) {
			continue
		}
		m.Handed++
		if !each(e) {
			return nil
		}
	}
	return nil
}

// Cursor has no cursors to give.
func (m *MemoryJournal) Cursor(ctx context.Context, t time.Time) (string, error) { return "", nil }

// Sync has nothing to wait for: every line is there.
func (m *MemoryJournal) Sync(ctx context.Context, units []string) error { return nil }
