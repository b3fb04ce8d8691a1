package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
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

// tailFields are the journal fields a job's kept output holds per line.
var tailFields = []string{"__REALTIME_TIMESTAMP", "PRIORITY", "SYSLOG_IDENTIFIER", "_PID", "_COMM", "MESSAGE"}

// readFields are the fields a tail is read with: tailFields and those that tell whose line it is.
func readFields(f journal.Fields) []string {
	return append(append([]string{}, tailFields...), f.Invocation, f.OwnInvocation, f.OwnUnit)
}

// runWindow is what tells a run's lines from others in its unit's journal.
type runWindow struct {
	Unit, Invocation string
	Since, Until     time.Time // the run's time, widened a little (Until zero: still running)
	// MainPID is the run's main process (0: not known); Began and Ended its exact time (Ended
	// zero: still running), for the lines journald could not tag (see belongs).
	MainPID      int
	Began, Ended time.Time
}

// belongs reports whether e is a line of run: journald tagged it with the run's invocation, or
// it is an untagged line of the unit within the run's time (journald cannot tag the last lines
// of a process that exits at once: it reads the writer's cgroup too late). The time of a line
// written by the run's main process is widened a little (journald stamps a line when it reads
// it); a line of another process of the unit must fall within the run's exact time, so a crash
// loop's runs, each a fraction of a second apart, do not take each other's untagged lines.
func belongs(f journal.Fields, e journal.Entry, run runWindow) bool {
	own, mgr := e.Fields[f.OwnInvocation], e.Fields[f.Invocation]
	switch {
	case own == run.Invocation || mgr == run.Invocation:
		return true
	case own != "" || mgr != "" || e.Fields[f.OwnUnit] != run.Unit:
		return false
	}
	if pid := e.Fields["_PID"]; run.MainPID != 0 && pid != "" && pid != strconv.Itoa(run.MainPID) {
		return !e.Time.Before(run.Began) && (run.Ended.IsZero() || !e.Time.After(run.Ended))
	}
	return !e.Time.Before(run.Since) && (run.Until.IsZero() || !e.Time.After(run.Until))
}

// outputTail keeps a run's last jobdb.MaxOutput bytes of output (each line's message and its newline),
// read oldest first (AddNewer) or newest first (AddOlder): its memory stays bounded whatever the
// run wrote.
type outputTail struct {
	lines []journal.Entry // oldest first (AddNewer), newest first (AddOlder); kept from head on
	head  int             // lines before it were dropped (AddNewer)
	bytes int
}

func size(e journal.Entry) int { return len(e.Fields["MESSAGE"]) + 1 }

// compact keeps of e what a tail keeps (tailFields): a line read with the journal's own fields
// (cursor, boot, ...) takes several times the memory.
func compact(e journal.Entry) journal.Entry {
	f := make(map[string]string, len(tailFields))
	for _, k := range tailFields {
		if v, ok := e.Fields[k]; ok {
			f[k] = v
		}
	}
	return journal.Entry{Time: e.Time, Fields: f}
}

// AddNewer adds a line after those added, dropping the oldest that are not needed any more.
func (t *outputTail) AddNewer(e journal.Entry) {
	e = compact(e)
	t.lines = append(t.lines, e)
	t.bytes += size(e)
	for t.head < len(t.lines)-1 && t.bytes-size(t.lines[t.head]) >= jobdb.MaxOutput {
		t.bytes -= size(t.lines[t.head])
		t.lines[t.head] = journal.Entry{}
		t.head++
	}
	if t.head > 1024 && t.head > len(t.lines)/2 {
		t.lines = append([]journal.Entry(nil), t.lines[t.head:]...)
		t.head = 0
	}
}

// AddOlder adds a line before those added (reading newest first); it reports whether the
// tail wants more.
func (t *outputTail) AddOlder(e journal.Entry) bool {
	if t.bytes >= jobdb.MaxOutput {
		return false
	}
	e = compact(e)
	t.lines = append(t.lines, e)
	t.bytes += size(e)
	return t.bytes < jobdb.MaxOutput
}

// Lines returns the kept lines, oldest first, reading newest first when newestFirst: exactly the
// last jobdb.MaxOutput bytes (the oldest line cut at its start) when the run wrote more.
func (t *outputTail) Lines(newestFirst bool) []journal.Entry {
	out := append([]journal.Entry(nil), t.lines[t.head:]...)
	if newestFirst {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if over := t.bytes - jobdb.MaxOutput; over > 0 && len(out) > 0 {
		first := journal.Entry{Time: out[0].Time, Fields: map[string]string{}}
		for k, v := range out[0].Fields {
			first.Fields[k] = v
		}
		msg := first.Fields["MESSAGE"]
		first.Fields["MESSAGE"] = msg[min(over, len(msg)):]
		out[0] = first
	}
	return out
}

// tailGroup is consecutive lines of one writer in a job's kept output: the messages and their
// times without repeating what they share.
type tailGroup struct {
	T          []int64  `json:"t"` // the first line's time (µs since the epoch), then each line's µs after the one before
	Priority   string   `json:"p,omitempty"`
	Identifier string   `json:"i,omitempty"`
	Comm       string   `json:"c,omitempty"`
	PID        string   `json:"d,omitempty"`
	M          []string `json:"m"`
}

func (g *tailGroup) same(f map[string]string) bool {
	return g.Priority == f["PRIORITY"] && g.Identifier == f["SYSLOG_IDENTIFIER"] && g.Comm == f["_COMM"] && g.PID == f["_PID"]
}

// EncodeTail writes lines (oldest first) as a job keeps them: JSON lines, one a group of
// consecutive lines of one writer. It keeps the newest lines that fit in jobdb.MaxStoredOutput.
func EncodeTail(lines []journal.Entry) []byte {
	for {
		out := encodeGroups(lines)
		if len(out) <= jobdb.MaxStoredOutput || len(lines) == 0 {
			return out
		}
		lines = lines[len(lines)/10+1:]
	}
}

func encodeGroups(lines []journal.Entry) []byte {
	var b bytes.Buffer
	var g *tailGroup
	var last int64
	flush := func() {
		if g != nil {
			data, _ := json.Marshal(g)
			b.Write(data)
			b.WriteByte('\n')
		}
	}
	for _, e := range lines {
		f := e.Fields
		us, _ := strconv.ParseInt(f["__REALTIME_TIMESTAMP"], 10, 64)
		if g == nil || !g.same(f) {
			flush()
			g = &tailGroup{Priority: f["PRIORITY"], Identifier: f["SYSLOG_IDENTIFIER"], Comm: f["_COMM"], PID: f["_PID"], T: []int64{us}}
		} else {
			g.T = append(g.T, us-last)
		}
		last = us
		g.M = append(g.M, f["MESSAGE"])
	}
	flush()
	return b.Bytes()
}

// DecodeTail reads a job's kept output. Lines of earlier versions are read too: one entry's
// tailFields a line (schema 2), or raw output (schema 1), each line a message.
func DecodeTail(data []byte) []LogLine {
	var out []LogLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), jobdb.MaxStoredOutput+1)
	for sc.Scan() {
		var g tailGroup
		if err := json.Unmarshal(sc.Bytes(), &g); err == nil && g.M != nil && len(g.T) == len(g.M) {
			us := int64(0)
			for i, m := range g.M {
				us += g.T[i]
				out = append(out, LineOf(map[string]string{"__REALTIME_TIMESTAMP": strconv.FormatInt(us, 10), "PRIORITY": g.Priority,
					"SYSLOG_IDENTIFIER": g.Identifier, "_COMM": g.Comm, "_PID": g.PID, "MESSAGE": m}))
			}
			continue
		}
		var f map[string]string
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			out = append(out, LogLine{Message: sc.Text(), Priority: 6})
			continue
		}
		out = append(out, LineOf(f))
	}
	return out
}

// LineOf is a journal entry's fields as a LogLine.
func LineOf(f map[string]string) LogLine {
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
