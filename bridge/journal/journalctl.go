package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// Journal reads systemd's journal: the manager's records of hero's runs, and a unit's lines.
type Journal interface {
	// Records returns the manager's records of hero units' runs after cursor (from since when
	// cursor is empty), oldest first, and the cursor of the last entry read ("" if none).
	Records(ctx context.Context, cursor string, since time.Time) ([]Entry, string, error)
	// Lines returns the newest limit entries (0: all) of units between since and until (zero:
	// open), oldest first: what their processes wrote, and the manager's messages about them.
	Lines(ctx context.Context, units []string, since, until time.Time, limit int) ([]Entry, error)
	// Cursor returns the cursor of the newest entry written before t ("" if none).
	Cursor(ctx context.Context, t time.Time) (string, error)
	// Read calls each with the entries q selects, oldest first (newest first with q.Newest),
	// until each returns false, holding one entry at a time: a run's output may be any size.
	Read(ctx context.Context, q Query, each func(Entry) bool) error
	// Sync waits until journald has read the output streams of units to their end and written
	// what it was sent: journald reads a service's output from its socket after the service
	// may have ended (a flood of 100,000 lines ended 0.3 s after it began; journald had
	// written 11,437 of them then).
	Sync(ctx context.Context, units []string) error
	// Streams returns the output streams of hero's units journald has open: it removes a stream's
	// state file only once it has read the stream to its end, which for a flood is long after
	// the writer ended (journald wrote a killed flood's last line 18 to 60 s after systemd's
	// "Deactivated" record of the run, on systemd 252 beside other work).
	Streams(ctx context.Context) ([]Stream, error)
	// StreamInvocation returns the invocation (_SYSTEMD_INVOCATION_ID) of the newest line
	// journald wrote of stream id: the run it is the output of ("" while it wrote none).
	StreamInvocation(ctx context.Context, id string) (string, error)
}

// Stream is an output stream journald has open, as its state file tells it.
type Stream struct {
	ID     string    // the _STREAM_ID of its lines
	Unit   string    // the unit systemd connected it for
	Opened time.Time // when journald set it up (its state file's time)
}

// Query selects the entries of units for Journal.Read.
type Query struct {
	Units        []string
	Since, Until time.Time // zero: open
	Newest       bool      // newest first
	Fields       []string  // the fields wanted besides the journal's own (__CURSOR, ...); nil: all
}

// journalctl reads the journal with journalctl(1): the binaries stay static, and journalctl is
// wherever systemd is.
type journalctl struct {
	user    bool
	streams *streamFiles // nil: read every time
}

// Journalctl is the Journal of the system's manager, or with user of the user's, read with
// journalctl(1).
func Journalctl(user bool) Journal {
	return journalctl{user: user, streams: newStreamFiles(streamsDir)}
}

// openStreams are journald's open streams (see streamFiles).
func (j journalctl) openStreams() ([]Stream, error) {
	if j.streams == nil {
		return newStreamFiles(streamsDir).open()
	}
	return j.streams.open()
}

func (j journalctl) base() []string {
	args := []string{"--no-pager", "-o", "json"}
	if j.user {
		args = append(args, "--user")
	}
	return args
}

func (j journalctl) Records(ctx context.Context, cursor string, since time.Time) ([]Entry, string, error) {
	args := j.base()
	switch {
	case cursor != "":
		args = append(args, "--after-cursor="+cursor)
	case !since.IsZero():
		args = append(args, "--since="+epoch(since))
	}
	if !j.user {
		args = append(args, "_PID=1")
	}
	for _, id := range recordIDs {
		args = append(args, "MESSAGE_ID="+id)
	}
	entries, err := runJournalctl(ctx, args)
	if err != nil {
		return nil, "", err
	}
	last := ""
	if len(entries) > 0 {
		last = entries[len(entries)-1].Cursor
	}
	f := FieldsFor(j.user)
	out := entries[:0]
	for _, e := range entries {
		if _, _, ok := unitgen.ParseUnitName(e.Fields[f.Unit]); ok {
			out = append(out, e)
		}
	}
	return out, last, nil
}

func (j journalctl) Read(ctx context.Context, q Query, each func(Entry) bool) error {
	args := j.base()
	for _, unit := range q.Units {
		if j.user {
			args = append(args, "--user-unit="+unit)
		} else {
			args = append(args, "--unit="+unit)
		}
	}
	if !q.Since.IsZero() {
		args = append(args, "--since="+epoch(q.Since))
	}
	if !q.Until.IsZero() {
		args = append(args, "--until="+epoch(q.Until))
	}
	if q.Newest {
		// Newest first from --until back to --since: journalctl's -n with --since would give
		// the oldest lines after --since instead.
		args = append(args, "--reverse")
	}
	if len(q.Fields) > 0 {
		args = append(args, "--output-fields="+strings.Join(q.Fields, ","))
	}
	return streamJournalctl(ctx, args, each)
}

// streamsDir is where journald keeps a file for each open output stream (its unit on a line
// UNIT=...), removed when it has read the stream to its end.
const streamsDir = "/run/systemd/journal/streams"

// streamPoll is how often Sync looks at journald's open streams.
const streamPoll = 50 * time.Millisecond

// Sync waits (until ctx ends, at most journalTimeout) while journald has such an output stream open, then runs
// journalctl --sync, which returns once journald wrote what it read. A user's manager's units
// are left alone: their streams are not told apart, and only root may ask for a sync.
func (j journalctl) Sync(ctx context.Context, units []string) error {
	if j.user {
		return nil
	}
	err := poll.Until(ctx, journalTimeout, streamPoll, func() (bool, error) { return !j.streamOf(units), nil })
	if err != nil {
		return fmt.Errorf("journald still reads the output of %s: %w", strings.Join(units, ", "), err)
	}
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "journalctl", "--sync").CombinedOutput(); err != nil {
		return fmt.Errorf("journalctl --sync: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Streams reads journald's state files of its open streams (for a user's manager: none, as
// journald does not name the units of streams a user's processes connect).
func (j journalctl) Streams(ctx context.Context) ([]Stream, error) {
	if j.user {
		return nil, nil
	}
	all, err := j.openStreams()
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, st := range all {
		if _, _, hero := unitgen.ParseUnitName(st.Unit); hero && st.ID != "" {
			out = append(out, st)
		}
	}
	return out, nil
}

func (j journalctl) StreamInvocation(ctx context.Context, id string) (string, error) {
	entries, err := runJournalctl(ctx, append(j.base(), "-n", "1", "--output-fields=_SYSTEMD_INVOCATION_ID", "_STREAM_ID="+id))
	if err != nil || len(entries) == 0 {
		return "", err
	}
	return entries[len(entries)-1].Fields["_SYSTEMD_INVOCATION_ID"], nil
}

// streamOf reports whether journald has an output stream of one of units open.
func (j journalctl) streamOf(units []string) bool {
	all, err := j.openStreams()
	if err != nil {
		return false
	}
	for _, st := range all {
		if slices.Contains(units, st.Unit) {
			return true
		}
	}
	return false
}

// Lines is the newest limit entries (0: all) as Read gives them, oldest first.
func (j journalctl) Lines(ctx context.Context, units []string, since, until time.Time, limit int) ([]Entry, error) {
	var out []Entry
	err := j.Read(ctx, Query{Units: units, Since: since, Until: until, Newest: limit > 0}, func(e Entry) bool {
		out = append(out, e)
		return limit <= 0 || len(out) < limit
	})
	if limit > 0 {
		slices.Reverse(out)
	}
	return out, err
}

func (j journalctl) Cursor(ctx context.Context, t time.Time) (string, error) {
	entries, err := runJournalctl(ctx, append(j.base(), "-n", "1", "--until="+epoch(t)))
	if err != nil || len(entries) == 0 {
		return "", err
	}
	return entries[len(entries)-1].Cursor, nil
}

// epoch is a timestamp as journalctl's --since/--until take it: "@SECONDS.MICROS".
func epoch(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("@%d.%06d", us/1e6, us%1e6)
}

// journalTimeout bounds one journalctl run.
const journalTimeout = 30 * time.Second

func runJournalctl(ctx context.Context, args []string) ([]Entry, error) {
	var out []Entry
	err := streamJournalctl(ctx, args, func(e Entry) bool { out = append(out, e); return true })
	return out, err
}

// streamJournalctl runs journalctl and hands each entry to each as it comes, until each
// returns false (journalctl is then killed).
func streamJournalctl(ctx context.Context, args []string, each func(Entry) bool) error {
	ctx, cancel := context.WithTimeout(ctx, journalTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "journalctl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("journalctl: %w", err)
	}
	// Reading the journal is herod's background work: it yields the CPU to the services and to
	// systemd (niceness 10, as for a batch job).
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, 10)
	n, stopped, perr := parseEntries(out, each)
	if stopped {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if werr != nil && !stopped {
		// journalctl exits 1 with "No journal files were found" or "-- No entries --": no
		// entries is an answer, not a failure.
		var ee *exec.ExitError
		if !errors.As(werr, &ee) || n > 0 || !noEntries(stderr.String()) {
			return fmt.Errorf("journalctl %s: %v: %s", strings.Join(args, " "), werr, strings.TrimSpace(stderr.String()))
		}
	}
	return perr
}

func noEntries(stderr string) bool {
	return stderr == "" || strings.Contains(stderr, "No journal files") || strings.Contains(stderr, "No entries")
}

// parseEntries reads journalctl's JSON lines, handing each entry to each until it returns
// false; it returns how many it handed and whether each stopped it. A field journald stored as
// binary (not UTF-8, or with control characters) comes as an array of bytes; a field given more
// than once, as an array of such values: the last one is kept.
func parseEntries(r io.Reader, each func(Entry) bool) (int, bool, error) {
	n := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return n, false, fmt.Errorf("journalctl -o json: %w", err)
		}
		e := Entry{Fields: make(map[string]string, len(raw))}
		for k, v := range raw {
			if s, ok := fieldString(v); ok {
				e.Fields[k] = s
			}
		}
		e.Cursor = e.Fields["__CURSOR"]
		if us, err := strconv.ParseInt(e.Fields["__REALTIME_TIMESTAMP"], 10, 64); err == nil {
			e.Time = time.UnixMicro(us).UTC()
		}
		n++
		if !each(e) {
			return n, true, nil
		}
	}
	return n, false, sc.Err()
}

func fieldString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []any:
		if len(x) == 0 {
			return "", false
		}
		if _, isNum := x[0].(float64); isNum {
			b := make([]byte, 0, len(x))
			for _, n := range x {
				f, ok := n.(float64)
				if !ok {
					return "", false
				}
				b = append(b, byte(f))
			}
			return string(b), true
		}
		return fieldString(x[len(x)-1])
	}
	return "", false
}
