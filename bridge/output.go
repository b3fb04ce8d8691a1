package bridge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// LogLine is one line of a run's output, as the journal recorded it.
type LogLine struct {
	Time       time.Time `json:"time"`
	Priority   int       `json:"priority"`   // syslog priority: 3 error, 4 warning, 6 info, 7 debug
	Identifier string    `json:"identifier"` // SYSLOG_IDENTIFIER: the service, NAME-health, or systemd
	PID        int       `json:"pid,omitempty"`
	Message    string    `json:"message"`
}

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
		lines = decodeTail(j.Output)
	} else if j.InvocationID != "" {
		since, until := window(j)
		if !j.Phase.Ended() {
			until = time.Time{}
		}
		entries, err := b.jrnl.Lines(ctx, []string{j.Unit}, since, until, tailLines)
		if err != nil {
			return nil, nil, fmt.Errorf("output of %s: %w", name, err)
		}
		for _, e := range runLines(entries, j, b.rec.fields) {
			lines = append(lines, lineOf(e.Fields))
		}
	}
	if limit > 0 && len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	j.Output = nil
	return j, lines, nil
}

func lineOf(f map[string]string) LogLine {
	l := LogLine{Identifier: f["SYSLOG_IDENTIFIER"], Message: f["MESSAGE"], Priority: 6}
	if us, err := strconv.ParseInt(f["__REALTIME_TIMESTAMP"], 10, 64); err == nil {
		l.Time = time.UnixMicro(us).UTC()
	}
	if p, err := strconv.Atoi(f["PRIORITY"]); err == nil {
		l.Priority = p
	}
	l.PID, _ = strconv.Atoi(f["_PID"])
	if l.Identifier == "" {
		l.Identifier = f["_COMM"]
	}
	return l
}

// decodeTail reads a job's kept output (JSON lines of TailFields; see encodeTail). A ledger of
// schema 1 kept raw output: each of its lines becomes a message.
func decodeTail(data []byte) []LogLine {
	var out []LogLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var f map[string]string
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			out = append(out, LogLine{Message: sc.Text(), Priority: 6})
			continue
		}
		out = append(out, lineOf(f))
	}
	return out
}
