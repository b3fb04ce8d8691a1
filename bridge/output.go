package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// LogLine is one line of a run's output, as the journal recorded it.
type LogLine = recording.LogLine

// outputSyncWait bounds how long a read of an ended run's output waits for journald.
const outputSyncWait = 10 * time.Second

// Output returns the last lines (at most limit; 0: all that are kept) of a job of name (its
// latest when id is 0): from the journal while the run goes on or until its tail is copied,
// from the ledger after that (so a crash's output survives journal rotation).
func (b *Bridge) Output(ctx context.Context, name string, id int64, limit int) (*jobdb.Job, []LogLine, error) {
	if _, err := b.service(name); err != nil {
		return nil, nil, err
	}
	var j *jobdb.Job
	var err error
	if id == 0 {
		j, err = b.ledger.Latest(ctx, name)
		if err == nil && j.OutputSaved {
			j, err = b.ledger.Get(ctx, j.ID) // with its output
		}
	} else {
		j, err = b.ledger.Get(ctx, id)
		if err == nil && j.ServiceID != name {
			err = fmt.Errorf("job %d belongs to %s, not %s: %w", id, j.ServiceID, name, jobdb.ErrNotFound)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var lines []LogLine
	if j.OutputSaved {
		lines = recording.DecodeTail(j.Output)
	} else if j.InvocationID != "" {
		// The same tail the ledger will keep: the last jobdb.MaxOutput bytes, once journald
		// wrote what the run sent it.
		if j.Phase.Ended() && b.rec.Info(j.Unit).Invocation == j.InvocationID {
			sctx, cancel := context.WithTimeout(ctx, outputSyncWait)
			err := b.jrnl.Sync(sctx, []string{j.Unit})
			cancel()
			if err != nil {
				b.log.Warn("waiting for journald to write a run's last output failed", "service", name, "err", err)
			}
		}
		entries, err := recording.ReadTail(ctx, b.jrnl, b.rec.Fields(), j)
		if err != nil {
			return nil, nil, fmt.Errorf("output of %s: %w", name, err)
		}
		for _, e := range entries {
			lines = append(lines, recording.LineOf(e.Fields))
		}
	}
	if limit > 0 && len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	j.Output = nil
	return j, lines, nil
}
