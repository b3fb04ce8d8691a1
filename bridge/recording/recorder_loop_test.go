package recording

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// startTestRecorder runs a recorder's loop and tail copier (without systemd's signals: they are
// sent on r.in by the test).
func startTestRecorder(t *testing.T, tw *testWorld) *Recorder {
	t.Helper()
	r := New(&tw.World)
	go r.loop()
	go r.tails.run()
	t.Cleanup(r.Close)
	return r
}

func (tw *testWorld) kinds() []string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	var out []string
	for _, e := range tw.events {
		out = append(out, e.Kind+":"+e.State)
	}
	return out
}

// A start's job gets its run, a stop cancels it, and its tail is copied: through the running
// recorder, its waits and its events, as Start and Stop use them.
func TestRecorderStartStopAndTail(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(time.Minute) // see TestLiveAndReplayedRecordsAgree
	jrnl := &journaltest.Memory{Output: []journal.Entry{{Time: base.Add(time.Millisecond), Fields: map[string]string{"MESSAGE": "hello",
		"_SYSTEMD_INVOCATION_ID": "aa07", "_SYSTEMD_UNIT": testUnit, "SYSLOG_IDENTIFIER": "web", "__REALTIME_TIMESTAMP": "1"}}}}
	tw := newTestWorld(t, jrnl, "b1")
	r := startTestRecorder(t, tw)
	job := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit}
	if _, err := tw.Ledger.PruneAndCreate(ctx, job); err != nil {
		t.Fatal(err)
	}
	r.Expect(testUnit, job.ID)
	r.in <- props(ifaceService, map[string]any{"ExecMainStartTimestamp": usec(base), "MainPID": uint32(100), "ExecMainCode": int32(0), "ExecMainExitTimestamp": uint64(0)})
	r.in <- props(ifaceUnit, map[string]any{"InvocationID": []byte{0xaa, 7}, "ActiveState": "active", "SubState": "running"})
	if !r.WaitUntil(ctx, 5*time.Second, []string{testUnit}, Attached) {
		t.Fatal("the run was not Attached to the start's job")
	}
	if info := r.Info(testUnit); info.JobID != job.ID || info.Invocation != "aa07" {
		t.Errorf("info %+v, want job %d run aa07", info, job.ID)
	}
	r.Stopping([]string{testUnit})
	r.in <- props(ifaceUnit, map[string]any{"ActiveState": "deactivating", "SubState": "stop-sigterm"})
	r.in <- props(ifaceService, mainEnded(2, 15, "success", base.Add(time.Second)))
	r.in <- props(ifaceUnit, map[string]any{"ActiveState": "inactive", "SubState": "dead"})
	if !r.WaitUntil(ctx, 5*time.Second, []string{testUnit}, func(v *View) bool { return v.ended }) {
		t.Fatal("the stop was not recorded")
	}
	testEventually(t, "the tail copied", func() bool {
		j, err := tw.Ledger.Get(ctx, job.ID)
		return err == nil && j.OutputSaved && strings.Contains(string(j.Output), "hello")
	})
	j, _ := tw.Ledger.Get(ctx, job.ID)
	if j.Phase != jobdb.PhaseCancelled || j.Result != "success" || j.MainPID != 100 {
		t.Errorf("job %+v, want cancelled/success with its main PID", j)
	}
	if got := strings.Join(tw.kinds(), " "); got != "job-started:running run-active:running job-finished:cancelled state-changed:stopped output-copied:" {
		t.Errorf("events %s", got)
	}
	// A wait that cannot be met ends at its timeout.
	if r.WaitUntil(ctx, 10*time.Millisecond, []string{testUnit}, func(v *View) bool { return false }) {
		t.Error("an impossible wait was met")
	}
}

// A start whose run never began is closed as such; sync and check read the units when a signal
// was missed.
func TestRecorderNotStartedAndMissedSignals(t *testing.T) {
	ctx := context.Background()
	tw := newTestWorld(t, &journaltest.Memory{}, "b1")
	r := startTestRecorder(t, tw)
	job := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit}
	tw.Ledger.PruneAndCreate(ctx, job)
	r.Expect(testUnit, job.ID)
	r.NotStarted(testUnit, job.ID, "dependency")
	r.WaitUntil(ctx, time.Second, []string{testUnit}, func(v *View) bool { return v.pending == 0 })
	testEventually(t, "the job closed", func() bool {
		j, err := tw.Ledger.Get(ctx, job.ID)
		return err == nil && j.Phase == jobdb.PhaseFailed && j.Result == "dependency"
	})

	// A run whose signals never came: sync reads the unit (running), then check finds it over.
	now := time.Now().Add(time.Minute) // see TestLiveAndReplayedRecordsAgree
	tw.units.snaps[testUnit] = Snapshot{loaded: true, invocation: "aa09", active: "active", sub: "running", execStart: usec(now), mainPID: 9}
	r.syncUnits(ctx, []string{testUnit})
	testEventually(t, "the run adopted by sync", func() bool {
		j, err := tw.Ledger.ByInvocation(ctx, "aa09")
		return err == nil && j.Phase == jobdb.PhaseRunning
	})
	tw.units.snaps[testUnit] = Snapshot{loaded: true, invocation: "aa09", active: "failed", sub: "failed", result: "exit-code",
		execStart: usec(now), execExit: usec(now.Add(time.Second)), execCode: 1, execStatus: 4}
	r.check(ctx)
	testEventually(t, "the end found by check", func() bool {
		j, err := tw.Ledger.ByInvocation(ctx, "aa09")
		return err == nil && j.Phase == jobdb.PhaseFailed && j.ExitCode != nil && *j.ExitCode == 4
	})
}

func testEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll.Holds(context.Background(), 10*time.Second, 10*time.Millisecond, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// herod starting: the journal's runs are recorded, open jobs settled against the units, running
// units the ledger does not know adopted, and the cursor saved.
func TestRecoverAtStart(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	other := "hero-default-api.service"
	fresh := "hero-default-db.service"
	jrnl := &journaltest.Memory{Manager: []journal.Entry{
		{Cursor: "c1", Time: now.Add(-time.Minute), Fields: map[string]string{"UNIT": other, "INVOCATION_ID": "bb01", "MESSAGE_ID": "39f53479d3a045ac8e11786248231fbf", "_BOOT_ID": "b1"}},
		{Cursor: "c2", Time: now.Add(-50 * time.Second), Fields: map[string]string{"UNIT": other, "INVOCATION_ID": "bb01", "MESSAGE_ID": "d9b373ed55a64feb8242e02dbe79a49c", "UNIT_RESULT": "exit-code", "_BOOT_ID": "b1"}},
	}}
	tw := newTestWorld(t, jrnl, "b1")
	pending := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, StartedAt: now.Add(-time.Minute)}
	running := &jobdb.Job{ServiceID: "api", Context: "default", Unit: other, InvocationID: "bb01", BootID: "b1", Phase: jobdb.PhaseRunning, StartedAt: now.Add(-time.Minute)}
	tw.Ledger.PruneAndCreate(ctx, pending, running)
	tw.Ledger.SetState(ctx, stateCursor, "c0")
	tw.units.snaps[fresh] = Snapshot{loaded: true, invocation: "cc01", active: "active", sub: "running", execStart: usec(now), mainPID: 5}
	tw.units.snaps[testUnit] = Snapshot{loaded: true, active: "inactive", sub: "dead"}
	r := New(&tw.World)
	if err := r.recover(ctx); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		get  func() (*jobdb.Job, error)
		want string
	}{
		{"a run that failed while herod was down", func() (*jobdb.Job, error) { return tw.Ledger.Get(ctx, running.ID) }, "failed/exit-code"},
		{"a start whose run never began", func() (*jobdb.Job, error) { return tw.Ledger.Get(ctx, pending.ID) }, "failed/not-started"},
		{"a running unit the ledger did not know", func() (*jobdb.Job, error) { return tw.Ledger.ByInvocation(ctx, "cc01") }, "running/"},
	}
	for _, c := range checks {
		j, err := c.get()
		if err != nil || string(j.Phase)+"/"+j.Result != c.want {
			t.Errorf("%s: %+v %v, want %s", c.what, j, err, c.want)
		}
	}
	if cur, _ := tw.Ledger.State(ctx, stateCursor); cur != "c-end" {
		t.Errorf("cursor %q, want c-end", cur)
	}
	if v := r.view(fresh); v.jobID == 0 || v.ended || !v.seenUp {
		t.Errorf("view of the adopted unit: %+v", v)
	}
}

// A fresh ledger records only runs that began after it did: its first cursor is the newest entry
// journald had written, which can be older than runs that ended just before; a later replay
// from it records the runs begun after the ledger's origin and leaves those begun before.
func TestAFreshLedgerRecordsOnlyItsOwnRuns(t *testing.T) {
	ctx := context.Background()
	jrnl := &journaltest.Memory{}
	tw := newTestWorld(t, jrnl, "b1")
	if err := New(&tw.World).recover(ctx); err != nil {
		t.Fatal(err)
	}
	origin, err := tw.Ledger.State(ctx, stateOrigin)
	if err != nil || origin == "" {
		t.Fatalf("a fresh ledger's origin: %q, %v", origin, err)
	}
	began, _ := time.Parse(time.RFC3339Nano, origin)
	run := func(inv string, at time.Time) []journal.Entry {
		f := func(id string) map[string]string {
			return map[string]string{"UNIT": testUnit, "INVOCATION_ID": inv, "MESSAGE_ID": id, "_BOOT_ID": "b1", "UNIT_RESULT": "exit-code"}
		}
		return []journal.Entry{{Cursor: inv + "-1", Time: at, Fields: f(journal.MsgUnitStarting)}, {Cursor: inv + "-2", Time: at.Add(time.Millisecond), Fields: f(journal.MsgUnitFailed)}}
	}
	jrnl.Manager = append(run("aa01", began.Add(-2*time.Second)), run("aa02", began.Add(time.Second))...)
	tw.Ledger.SetState(ctx, stateCursor, "c-old")
	if err := New(&tw.World).recover(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err := tw.Ledger.ByInvocation(ctx, "aa01"); err == nil {
		t.Errorf("a run that began before the ledger was recorded: %+v", j)
	}
	if j, err := tw.Ledger.ByInvocation(ctx, "aa02"); err != nil || j.Phase != jobdb.PhaseFailed {
		t.Errorf("a run that began after the ledger, while herod was down: %+v, %v", j, err)
	}
	if again, _ := tw.Ledger.State(ctx, stateOrigin); again != origin {
		t.Errorf("the origin moved from %s to %s", origin, again)
	}
	// The end recovered is announced, as a live end is (what it stopped is told by it).
	if k := tw.kinds(); len(k) != 1 || k[0] != "job-finished:failed" {
		t.Errorf("events of the recovery %v, want the recovered run's end", k)
	}
}
