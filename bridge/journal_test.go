package bridge

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// journalctl -o json writes binary fields as arrays of bytes and repeated fields as arrays;
// the reader stops when told.
func TestParseEntries(t *testing.T) {
	in := `{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1000000","MESSAGE":[104,105],"X":["a","b"]}
{"__CURSOR":"c2","MESSAGE":"two"}
{"__CURSOR":"c3","MESSAGE":"three"}
`
	var got []Entry
	n, stopped, err := parseEntries(strings.NewReader(in), func(e Entry) bool { got = append(got, e); return len(got) < 2 })
	if err != nil || n != 2 || !stopped {
		t.Fatalf("n %d stopped %v err %v", n, stopped, err)
	}
	if got[0].Fields["MESSAGE"] != "hi" || got[0].Fields["X"] != "b" || got[0].Cursor != "c1" || !got[0].Time.Equal(time.Unix(1, 0)) {
		t.Errorf("first entry %+v", got[0])
	}
	if _, _, err := parseEntries(strings.NewReader("not json\n"), func(Entry) bool { return true }); err == nil {
		t.Error("a line that is not JSON was read")
	}
	if _, ok := fieldString([]any{}); ok {
		t.Error("an empty array gave a value")
	}
	if _, ok := fieldString([]any{1.0, "x"}); ok {
		t.Error("a mixed array gave a value")
	}
	for stderr, want := range map[string]bool{"": true, "No journal files were found.": true, "-- No entries --": true, "Failed to open": false} {
		if noEntries(stderr) != want {
			t.Errorf("noEntries(%q) != %v", stderr, want)
		}
	}
	if got := epoch(time.UnixMicro(1_500_000_123)); got != "@1500.000123" {
		t.Errorf("epoch %s", got)
	}
}

// A run whose end no snapshot described is settled from the manager's records of it.
func TestSettleFromJournal(t *testing.T) {
	ctx := context.Background()
	jrnl := &fakeJournal{records: []Entry{
		{Time: time.Now(), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa03", "MESSAGE_ID": recording.MsgProcessExited,
			"MESSAGE": testUnit + ": Main process exited, code=exited", "EXIT_CODE": "exited", "EXIT_STATUS": "5"}},
		{Time: time.Now(), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa03", "MESSAGE_ID": recording.MsgUnitFailed, "UNIT_RESULT": "exit-code"}},
	}}
	tw := newTestWorld(t, jrnl, "b1")
	r := newRecorder(&tw.world)
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa03", Phase: jobdb.PhaseRunning, StartedAt: time.Now()}
	tw.ledger.Create(ctx, j)
	r.tails.settleFromJournal(ctx, settleReq{j.ID, "aa03"})
	got, _ := tw.ledger.Get(ctx, j.ID)
	if got.Phase != jobdb.PhaseFailed || got.ExitCode == nil || *got.ExitCode != 5 {
		t.Errorf("settled %+v", got)
	}
	if k := tw.kinds(); len(k) != 1 || k[0] != "job-finished:failed" {
		t.Errorf("events %v", k)
	}
	r.clean.Store(true)
	r.saveCursor(ctx) // the fake journal has no cursor: nothing saved, nothing fails
}

// A job's output: from the journal (the same tail) until it is copied, from the ledger after.
func TestOutputBeforeAndAfterTheCopy(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(-time.Minute)
	var lines []Entry
	for _, m := range []string{"one", "two", "three"} {
		base = base.Add(time.Millisecond)
		lines = append(lines, Entry{Time: base, Fields: map[string]string{"MESSAGE": m, "_SYSTEMD_INVOCATION_ID": "aa04",
			"_SYSTEMD_UNIT": testUnit, "SYSLOG_IDENTIFIER": "web", "__REALTIME_TIMESTAMP": "1"}})
	}
	jrnl := &fakeJournal{lines: lines}
	tw := newTestWorld(t, jrnl, "b1")
	set, probs := config.Build([]config.File{{Name: "web.toml", Data: []byte("exec = [\"/bin/true\"]\n")}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	b := &Bridge{ledger: tw.ledger, jrnl: jrnl, log: slog.New(slog.DiscardHandler)}
	b.set.Store(set)
	b.rec = newRecorder(&tw.world)
	ended := base.Add(time.Second)
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa04", Phase: jobdb.PhaseFailed, StartedAt: base.Add(-time.Second), EndedAt: &ended}
	tw.ledger.Create(ctx, j)
	text := func(id int64, limit int) string {
		_, ls, err := b.Output(ctx, "web", id, limit)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, l := range ls {
			s = append(s, l.Message)
		}
		return strings.Join(s, " ")
	}
	if got := text(0, 0); got != "one two three" {
		t.Errorf("from the journal: %q", got)
	}
	b.rec.tails.copy(ctx, []int64{j.ID})
	jrnl.lines = nil
	if got := text(j.ID, 2); got != "two three" {
		t.Errorf("from the ledger, last 2: %q", got)
	}
	if _, _, err := b.Output(ctx, "nosuch", 0, 0); err == nil {
		t.Error("output of an unknown service")
	}
}
