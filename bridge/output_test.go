package bridge

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// A job's output: from the journal (the same tail) until it is copied, from the ledger after.
func TestOutputBeforeAndAfterTheCopy(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(-time.Minute)
	var lines []journal.Entry
	for _, m := range []string{"one", "two", "three"} {
		base = base.Add(time.Millisecond)
		lines = append(lines, journal.Entry{Time: base, Fields: map[string]string{"MESSAGE": m, "_SYSTEMD_INVOCATION_ID": "aa04",
			"_SYSTEMD_UNIT": unit("web"), "SYSLOG_IDENTIFIER": "web", "__REALTIME_TIMESTAMP": "1"}})
	}
	jrnl := &journaltest.Memory{Output: lines}
	ledger, err := jobdb.Open(ctx, filepath.Join(t.TempDir(), "jobs.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	set, probs := config.Build([]config.File{{Name: "web.toml", Data: []byte("exec = [\"/bin/true\"]\n")}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	log := slog.New(slog.DiscardHandler)
	b := &reader{svc: newServices(set, unitgen.Options{}), ledger: ledger, jrnl: jrnl, log: log,
		rec: recording.New(&recording.World{Ledger: ledger, Journal: jrnl, Log: log})}
	ended := base.Add(time.Second)
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: unit("web"), InvocationID: "aa04", Phase: jobdb.PhaseFailed, StartedAt: base.Add(-time.Second), EndedAt: &ended}
	if err := ledger.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	text := func(id int64, limit int) string {
		_, ls, err := b.output(ctx, "web", id, limit)
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
	// The recorder copies the tail once the run ended (recording's tests): as it does.
	if _, err := ledger.Update(ctx, j.ID, func(j *jobdb.Job) error {
		j.Output, j.OutputSaved = recording.EncodeTail(lines), true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	jrnl.Output = nil
	if got := text(j.ID, 2); got != "two three" {
		t.Errorf("from the ledger, last 2: %q", got)
	}
	if _, _, err := b.output(ctx, "nosuch", 0, 0); err == nil {
		t.Error("output of an unknown service")
	}
}
