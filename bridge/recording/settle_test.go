package recording

import (
	"context"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

func TestSettleFromJournal(t *testing.T) {
	ctx := context.Background()
	jrnl := &journaltest.Memory{Manager: []journal.Entry{
		{Time: time.Now(), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa03", "MESSAGE_ID": journal.MsgProcessExited,
			"MESSAGE": testUnit + ": Main process exited, code=exited", "EXIT_CODE": "exited", "EXIT_STATUS": "5"}},
		{Time: time.Now(), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa03", "MESSAGE_ID": journal.MsgUnitFailed, "UNIT_RESULT": "exit-code"}},
	}}
	tw := newTestWorld(t, jrnl, "b1")
	r := New(&tw.World)
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa03", Phase: jobdb.PhaseRunning, StartedAt: time.Now()}
	tw.Ledger.Create(ctx, j)
	r.tails.settleFromJournal(ctx, settleReq{j.ID, "aa03"})
	got, _ := tw.Ledger.Get(ctx, j.ID)
	if got.Phase != jobdb.PhaseFailed || got.ExitCode == nil || *got.ExitCode != 5 {
		t.Errorf("settled %+v", got)
	}
	if k := tw.kinds(); len(k) != 1 || k[0] != "job-finished:failed" {
		t.Errorf("events %v", k)
	}
	r.clean.Store(true)
	r.saveCursor(ctx) // the fake journal has no cursor: nothing saved, nothing fails
}
