package recording

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// flood is what `seq 1 n` wrote, as journal lines of run inv, one a millisecond.
func flood(n int, inv string, base time.Time) ([]journal.Entry, string) {
	var lines []journal.Entry
	var all strings.Builder
	for i := 1; i <= n; i++ {
		at := base.Add(time.Duration(i) * time.Millisecond)
		lines = append(lines, journal.Entry{Time: at, Fields: map[string]string{"MESSAGE": strconv.Itoa(i), "_SYSTEMD_INVOCATION_ID": inv,
			"_SYSTEMD_UNIT": "hero-default-web.service", "SYSLOG_IDENTIFIER": "web", "PRIORITY": "6", "_PID": "42",
			"__REALTIME_TIMESTAMP": strconv.FormatInt(at.UnixMicro(), 10)}})
		fmt.Fprintf(&all, "%d\n", i)
	}
	return lines, all.String()
}

func text(lines []LogLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Message + "\n")
	}
	return b.String()
}

// A tail read either way keeps exactly the last MaxOutput bytes of what the run wrote, and the
// ledger's encoding gives them back with their times.
func TestTailIsExactlyTheLast64KiB(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	for _, n := range []int{3, 20000, 200000} {
		lines, all := flood(n, "i1", base)
		want := all
		if len(want) > jobdb.MaxOutput {
			want = want[len(want)-jobdb.MaxOutput:]
		}
		var fwd, back outputTail
		for _, e := range lines {
			fwd.AddNewer(e)
		}
		for i := len(lines) - 1; i >= 0 && back.AddOlder(lines[i]); i-- {
		}
		for name, got := range map[string][]journal.Entry{"oldest first": fwd.Lines(false), "newest first": back.Lines(true)} {
			decoded := DecodeTail(EncodeTail(got))
			if s := text(decoded); s != want {
				t.Errorf("%d lines, read %s: kept %d bytes ending %q, want %d ending %q", n, name, len(s), s[max(0, len(s)-20):], len(want), want[len(want)-20:])
			}
			if last := decoded[len(decoded)-1]; last.Identifier != "web" || last.PID != 42 || !last.Time.Equal(base.Add(time.Duration(n)*time.Millisecond)) {
				t.Errorf("%d lines, read %s: last line %+v", n, name, last)
			}
		}
		if len(fwd.lines) > jobdb.MaxOutput+1024 {
			t.Errorf("%d lines: the forward tail holds %d lines", n, len(fwd.lines))
		}
	}
}

// A stored tail never exceeds MaxStoredOutput, keeping the newest lines.
func TestEncodeTailBounded(t *testing.T) {
	var lines []journal.Entry
	for i := 0; i < 40000; i++ {
		// alternating writers: every line a group of its own
		lines = append(lines, journal.Entry{Fields: map[string]string{"MESSAGE": "x", "SYSLOG_IDENTIFIER": fmt.Sprint("w", i%2), "__REALTIME_TIMESTAMP": "1"}})
	}
	lines[len(lines)-1].Fields["MESSAGE"] = "last"
	data := EncodeTail(lines)
	got := DecodeTail(data)
	if len(data) > jobdb.MaxStoredOutput || got[len(got)-1].Message != "last" {
		t.Errorf("stored %d bytes, last %q", len(data), got[len(got)-1].Message)
	}
}

// Tails kept by earlier versions still read: an entry's fields a line, or raw lines.
func TestDecodeOlderTails(t *testing.T) {
	got := DecodeTail([]byte(`{"MESSAGE":"hello","PRIORITY":"3","SYSLOG_IDENTIFIER":"web","_PID":"7","__REALTIME_TIMESTAMP":"1000000"}` + "\nraw line\n"))
	if len(got) != 2 || got[0].Message != "hello" || got[0].Priority != 3 || got[0].PID != 7 || !got[0].Time.Equal(time.Unix(1, 0)) || got[1].Message != "raw line" {
		t.Errorf("decoded %+v", got)
	}
	if l := LineOf(map[string]string{"_COMM": "sh", "MESSAGE": "m"}); l.Identifier != "sh" || l.Priority != 6 {
		t.Errorf("LineOf without identifier: %+v", l)
	}
}

func TestBelongs(t *testing.T) {
	f := journal.FieldsFor(false)
	run := runWindow{Unit: "u.service", Invocation: "i1", Since: time.Unix(10, 0), Until: time.Unix(20, 0)}
	tests := []struct {
		name   string
		fields map[string]string
		at     int64
		want   bool
	}{
		{"its own line", map[string]string{"_SYSTEMD_INVOCATION_ID": "i1"}, 5, true},
		{"systemd's message about it", map[string]string{"INVOCATION_ID": "i1"}, 30, true},
		{"another run's line", map[string]string{"_SYSTEMD_INVOCATION_ID": "i2", "_SYSTEMD_UNIT": "u.service"}, 15, false},
		{"an untagged line of the unit in its time", map[string]string{"_SYSTEMD_UNIT": "u.service"}, 15, true},
		{"an untagged line of the unit after it", map[string]string{"_SYSTEMD_UNIT": "u.service"}, 25, false},
		{"an untagged line of the unit before its time", map[string]string{"_SYSTEMD_UNIT": "u.service"}, 9, false},
		{"another unit's untagged line", map[string]string{"_SYSTEMD_UNIT": "v.service"}, 15, false},
	}
	for _, tt := range tests {
		if got := belongs(f, journal.Entry{Time: time.Unix(tt.at, 0), Fields: tt.fields}, run); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// A crash loop: the run began at 10 and ended at 20 with main process 42. Untagged lines of
	// another process count within its exact time only; its main process's within the widened.
	loop := runWindow{Unit: "u.service", Invocation: "i1", Since: time.Unix(9, 0), Until: time.Unix(21, 0),
		MainPID: 42, Began: time.Unix(10, 0), Ended: time.Unix(20, 0)}
	for _, tt := range []struct {
		name string
		pid  string
		at   int64
		want bool
	}{
		{"its main process, stamped late", "42", 21, true},
		{"its main process, in its time", "42", 15, true},
		{"a child, in its time", "43", 15, true},
		{"the last run's process, stamped in the slack before this one began", "41", 9, false},
		{"the next run's process, stamped before this one ended", "44", 21, false},
	} {
		e := journal.Entry{Time: time.Unix(tt.at, 0), Fields: map[string]string{"_SYSTEMD_UNIT": "u.service", "_PID": tt.pid}}
		if got := belongs(f, e, loop); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	open := run
	open.Until = time.Time{}
	if !belongs(f, journal.Entry{Time: time.Unix(99, 0), Fields: map[string]string{"_SYSTEMD_UNIT": "u.service"}}, open) {
		t.Error("a running run's untagged line was not taken")
	}
	if got := readFields(journal.FieldsFor(true)); got[len(got)-1] != "_SYSTEMD_USER_UNIT" {
		t.Errorf("user readFields %v", got)
	}
}
