// Package journaltest holds an in-memory journal.Journal, for the tests of what reads systemd's
// journal without systemd.
package journaltest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
)

// Memory is a journal.Journal held in memory: the manager's records and the units' lines it is
// given, in place of journalctl where what reads the journal is tested without systemd.
type Memory struct {
	Manager []journal.Entry // what Records answers, whatever the cursor
	Output  []journal.Entry // the units' lines, oldest first, for Read and Lines
	Handed  int             // how many lines Read handed out

	mu      sync.Mutex
	streams []memStream // the output streams journald still reads
}

// memStream is an open stream of Memory and the run whose lines it carries.
type memStream struct {
	journal.Stream
	invocation string
}

// OpenStream has journald read a stream of unit for the run invocation ("" while it wrote no
// line) until CloseStream.
func (m *Memory) OpenStream(id, unit, invocation string, opened time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams = append(m.streams, memStream{journal.Stream{ID: id, Unit: unit, Opened: opened}, invocation})
}

// CloseStream has journald read stream id to its end.
func (m *Memory) CloseStream(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.streams = slices.DeleteFunc(m.streams, func(s memStream) bool { return s.ID == id })
}

// Streams returns the open streams.
func (m *Memory) Streams(ctx context.Context) ([]journal.Stream, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []journal.Stream
	for _, s := range m.streams {
		out = append(out, s.Stream)
	}
	return out, nil
}

// StreamInvocation returns the run of stream id's lines.
func (m *Memory) StreamInvocation(ctx context.Context, id string) (string, error) {
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
func (m *Memory) Records(ctx context.Context, cursor string, since time.Time) ([]journal.Entry, string, error) {
	return m.Manager, "c-end", nil
}

// Lines returns the newest limit lines (0: all) of units between since and until, oldest first.
func (m *Memory) Lines(ctx context.Context, units []string, since, until time.Time, limit int) ([]journal.Entry, error) {
	var out []journal.Entry
	err := m.Read(ctx, journal.Query{Units: units, Since: since, Until: until, Newest: limit > 0}, func(e journal.Entry) bool {
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
func (m *Memory) Read(ctx context.Context, q journal.Query, each func(journal.Entry) bool) error {
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
func (m *Memory) Cursor(ctx context.Context, t time.Time) (string, error) { return "", nil }

// Sync has nothing to wait for: every line is there.
func (m *Memory) Sync(ctx context.Context, units []string) error { return nil }
