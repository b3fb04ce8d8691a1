package recording

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// fakeUnits is systemd's view of hero's units for the recorder: snapshots by unit.
type fakeUnits struct{ snaps map[string]Snapshot }

func (f *fakeUnits) Snapshot(ctx context.Context, unit string) (Snapshot, error) {
	return f.snaps[unit], nil
}

func (f *fakeUnits) States(ctx context.Context, units []string) (map[string]sddbus.UnitStatus, error) {
	out := map[string]sddbus.UnitStatus{}
	for _, u := range units {
		s, ok := f.snaps[u]
		if !ok || !s.loaded {
			out[u] = sddbus.UnitStatus{Name: u, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
			continue
		}
		out[u] = sddbus.UnitStatus{Name: u, LoadState: "loaded", ActiveState: s.active, SubState: s.sub}
	}
	return out, nil
}

func (f *fakeUnits) HeroUnits(ctx context.Context) ([]sddbus.UnitStatus, error) {
	var names []string
	for u, s := range f.snaps {
		if s.loaded {
			names = append(names, u)
		}
	}
	states, _ := f.States(ctx, names)
	var out []sddbus.UnitStatus
	for _, u := range names {
		out = append(out, states[u])
	}
	return out, nil
}

// testWorld is a World over a real ledger in a temporary directory, a fake journal and fake
// units, collecting the events.
type testWorld struct {
	World
	units  *fakeUnits
	mu     sync.Mutex
	events []Event
}

func newTestWorld(t *testing.T, jrnl journal.Journal, boot string) *testWorld {
	t.Helper()
	db, err := jobdb.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tw := &testWorld{units: &fakeUnits{snaps: map[string]Snapshot{}}}
	tw.World = World{Ledger: db, Journal: jrnl, Units: tw.units, Log: slog.New(slog.DiscardHandler), BootID: boot,
		Emit:     func(e Event) { tw.mu.Lock(); tw.events = append(tw.events, e); tw.mu.Unlock() },
		LimitHit: func(ctx context.Context, unit string, since time.Time) bool { return false }}
	return tw
}

// testRecorder is a recorder without systemd: signals are fed to it by hand, and its batch is
// flushed by hand (its loop does not run).
func testRecorder(t *testing.T, jrnl journal.Journal, boot string) *Recorder {
	t.Helper()
	return New(&newTestWorld(t, jrnl, boot).World)
}

const testUnit = "hero-default-web.service"

// props is one PropertiesChanged signal of testUnit.
func props(iface string, kv map[string]any) *dbus.Signal {
	changed := map[string]dbus.Variant{}
	for k, v := range kv {
		changed[k] = dbus.MakeVariant(v)
	}
	return &dbus.Signal{Name: "org.freedesktop.DBus.Properties.PropertiesChanged",
		Path: "/org/freedesktop/systemd1/unit/hero_2ddefault_2dweb_2eservice", Body: []any{iface, changed, []string{}}}
}

// step is one change systemd announces: the Service interface's properties, then the Unit's.
type step struct {
	service map[string]any
	active  string
	sub     string
}

// liveKind is one kind of end as systemd's signals tell it, and as its journal records it.
type liveKind struct {
	name     string
	heroStop bool   // hero's stop (or a cascade) marks the run stopping first
	first    string // the first ActiveState (activating while a health check runs)
	steps    []step
	journal  []string // message IDs with their fields, see journalOf
	exit     []string
	result   string
}

func usec(t time.Time) uint64 { return uint64(t.UnixMicro()) }

func mainEnded(code, status int32, result string, at time.Time) map[string]any {
	return map[string]any{"ExecMainCode": code, "ExecMainStatus": status, "ExecMainExitTimestamp": usec(at), "MainPID": uint32(0), "Result": result}
}

// feed plays a run: its start, then the steps of its end.
func feed(r *Recorder, inv byte, k liveKind, base time.Time) {
	first := k.first
	if first == "" {
		first = "active"
	}
	r.onSignal(props(ifaceService, map[string]any{"ExecMainStartTimestamp": usec(base), "ExecMainPID": uint32(100), "MainPID": uint32(100),
		"ExecMainCode": int32(0), "ExecMainStatus": int32(0), "ExecMainExitTimestamp": uint64(0), "Result": "success", "NRestarts": uint32(0)}))
	r.onSignal(props(ifaceUnit, map[string]any{"InvocationID": []byte{0xaa, inv}, "ActiveState": first, "SubState": "running"}))
	r.flush()
	if k.heroStop {
		r.view(testUnit).stopping = true
	}
	for _, s := range k.steps {
		if s.service != nil {
			r.onSignal(props(ifaceService, s.service))
		}
		r.onSignal(props(ifaceUnit, map[string]any{"ActiveState": s.active, "SubState": s.sub}))
	}
	r.flush()
}

// liveKinds are the kinds of end of recording's table, as the signals of systemd 252 say them.
func liveKinds(base time.Time) []liveKind {
	end := base.Add(time.Second)
	deactivating := step{active: "deactivating", sub: "stop-sigterm"}
	return []liveKind{
		{name: "exit 3", steps: []step{{mainEnded(1, 3, "exit-code", end), "failed", "failed"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgProcessExited, journal.MsgUnitFailed}, exit: []string{"exited", "3"}, result: "exit-code"},
		{name: "systemctl kill -s TERM", steps: []step{{mainEnded(2, 15, "success", end), "deactivating", "stop-sigterm"}, {nil, "inactive", "dead"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgUnitSucceeded}, result: "success"},
		{name: "systemctl kill -s KILL", steps: []step{{mainEnded(2, 9, "signal", end), "failed", "failed"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgProcessExited, journal.MsgUnitFailed}, exit: []string{"killed", "9"}, result: "signal"},
		{name: "heroctl stop or a cascade", heroStop: true, steps: []step{deactivating, {mainEnded(2, 15, "success", end), "inactive", "dead"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgUnitStopping, journal.MsgUnitSucceeded, journal.MsgUnitStopped}, result: "success"},
		{name: "systemctl stop", steps: []step{deactivating, {mainEnded(2, 15, "success", end), "inactive", "dead"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgUnitStopping, journal.MsgUnitSucceeded, journal.MsgUnitStopped}, result: "success"},
		{name: "health check timeout", first: "activating", steps: []step{deactivating, {mainEnded(2, 15, "timeout", end), "failed", "failed"}},
			journal: []string{journal.MsgUnitStarting, journal.MsgUnitFailed, journal.MsgUnitFailedJob}, result: "timeout"},
		{name: "crash, restart refused by the start limit", steps: []step{{mainEnded(1, 3, "exit-code", end), "failed", "failed"},
			{nil, "activating", "auto-restart"}, {map[string]any{"Result": "start-limit-hit"}, "failed", "failed"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgProcessExited, journal.MsgUnitFailed, journal.MsgRestartPlanned, journal.MsgUnitStopped, journal.MsgUnitFailed},
			exit:    []string{"exited", "3"}, result: "exit-code"},
		{name: "OOM kill", steps: []step{{mainEnded(2, 9, "oom-kill", end), "failed", "failed"}},
			journal: []string{journal.MsgUnitStarted, journal.MsgProcessExited, journal.MsgUnitFailed}, exit: []string{"killed", "9"}, result: "oom-kill"},
		{name: "missing program (203)", first: "activating", steps: []step{{mainEnded(1, 203, "exit-code", end), "failed", "failed"}},
			journal: []string{journal.MsgUnitStarting, journal.MsgProcessExited, journal.MsgUnitFailed, journal.MsgUnitFailedJob}, exit: []string{"exited", "203"}, result: "exit-code"},
	}
}

// journalOf writes a kind's journal records of run inv.
func journalOf(k liveKind, inv string, base time.Time) []journal.Entry {
	var out []journal.Entry
	for i, id := range k.journal {
		f := map[string]string{"UNIT": testUnit, "INVOCATION_ID": inv, "MESSAGE_ID": id, "_BOOT_ID": "b1"}
		switch id {
		case journal.MsgProcessExited:
			f["MESSAGE"] = testUnit + ": Main process exited, code=" + k.exit[0]
			f["EXIT_CODE"], f["EXIT_STATUS"] = k.exit[0], k.exit[1]
		case journal.MsgUnitFailed:
			f["UNIT_RESULT"] = k.result
			if i == len(k.journal)-1 && k.name == "crash, restart refused by the start limit" {
				f["UNIT_RESULT"] = "start-limit-hit"
			}
		}
		out = append(out, journal.Entry{Cursor: fmt.Sprint("c", i), Time: base.Add(time.Duration(i) * time.Millisecond), Fields: f})
	}
	return out
}

// record is the part of a job both paths must agree on.
func record(j *jobdb.Job) string {
	exit := "-"
	if j.ExitCode != nil {
		exit = fmt.Sprint(*j.ExitCode)
	}
	return fmt.Sprintf("%s/%s/exit %s/signal %q", j.Phase, j.Result, exit, j.Signal)
}

// Every kind of end, fed to the recorder as systemd's signals (herod up) and replayed from the
// journal (herod was down), gives the same job.
func TestLiveAndReplayedRecordsAgree(t *testing.T) {
	// systemd's signal of a run's start comes as it starts: the recorder takes ExecMain* as the
	// run's when they are no older than the run it saw (less 2 s). A start a minute ahead keeps
	// that true on a machine however slow.
	base := time.Now().Add(time.Minute)
	for i, k := range liveKinds(base) {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			r := testRecorder(t, &journaltest.Memory{}, "b1")
			feed(r, byte(i), k, base)
			v := r.view(testUnit)
			if !v.ended || v.jobID == 0 {
				t.Fatalf("live: the run is not recorded as ended (view %+v)", v)
			}
			live, err := r.w.Ledger.Get(ctx, v.jobID)
			if err != nil {
				t.Fatal(err)
			}

			inv := fmt.Sprintf("aa%02x", i)
			rp := testRecorder(t, &journaltest.Memory{Manager: journalOf(k, inv, base)}, "b1")
			rc := &recovery{r: rp, ctx: ctx, batch: &jobdb.Batch{}, byInv: map[string]*jobdb.Job{}, open: map[*jobdb.Job]bool{}}
			if _, err := rc.replay("c-start", nil); err != nil {
				t.Fatal(err)
			}
			if err := rp.w.Ledger.Apply(ctx, rc.batch); err != nil {
				t.Fatal(err)
			}
			replayed, err := rp.w.Ledger.ByInvocation(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			if live.InvocationID != inv {
				t.Errorf("live invocation %q, want %q", live.InvocationID, inv)
			}
			if record(live) != record(replayed) {
				t.Errorf("live %s, replayed %s", record(live), record(replayed))
			}
			if live.Result != k.result || live.EndedAt == nil {
				t.Errorf("live %s (ended %v), want result %s", record(live), live.EndedAt, k.result)
			}
		})
	}
}

// A run open in the ledger from an earlier boot ends with that boot, as the journal's records
// of the next boot say too.
func TestBootEndedAgrees(t *testing.T) {
	ctx := context.Background()
	r := testRecorder(t, &journaltest.Memory{}, "b2")
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa01", BootID: "b1", Phase: jobdb.PhaseRunning, StartedAt: time.Now().Add(-time.Hour)}
	if err := r.w.Ledger.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	rc := &recovery{r: r, ctx: ctx, batch: &jobdb.Batch{}, byInv: map[string]*jobdb.Job{}, open: map[*jobdb.Job]bool{j: true}}
	rc.settleOpen(map[string]Snapshot{})
	if err := r.w.Ledger.Apply(ctx, rc.batch); err != nil {
		t.Fatal(err)
	}
	live, _ := r.w.Ledger.Get(ctx, j.ID)

	next := journal.Entry{Time: time.Now(), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa02", "MESSAGE_ID": journal.MsgUnitStarted, "_BOOT_ID": "b2"}}
	first := journal.Entry{Time: time.Now().Add(-time.Hour), Fields: map[string]string{"UNIT": testUnit, "INVOCATION_ID": "aa01", "MESSAGE_ID": journal.MsgUnitStarted, "_BOOT_ID": "b1"}}
	rp := testRecorder(t, &journaltest.Memory{Manager: []journal.Entry{first, next}}, "b2")
	rc2 := &recovery{r: rp, ctx: ctx, batch: &jobdb.Batch{}, byInv: map[string]*jobdb.Job{}, open: map[*jobdb.Job]bool{}}
	if _, err := rc2.replay("c-start", nil); err != nil {
		t.Fatal(err)
	}
	if err := rp.w.Ledger.Apply(ctx, rc2.batch); err != nil {
		t.Fatal(err)
	}
	replayed, err := rp.w.Ledger.ByInvocation(ctx, "aa01")
	if err != nil {
		t.Fatal(err)
	}
	if record(live) != record(replayed) || live.Result != resultBootEnded {
		t.Errorf("live %s, replayed %s, want cancelled/boot-ended", record(live), record(replayed))
	}
}

// An ended run's tail is copied into its job as exactly the last 64 KiB of what it wrote,
// whether it began recently (one read for a burst, oldest first) or long ago (newest first,
// stopping at 64 KiB); the journal's tail before the copy is the same.
func TestTailCopiedExactly(t *testing.T) {
	ctx := context.Background()
	for _, age := range []time.Duration{time.Minute, time.Hour} {
		base := time.Now().Add(-age)
		var lines []journal.Entry
		var all []byte
		for i := 1; i <= 30000; i++ {
			at := base.Add(time.Duration(i) * time.Microsecond)
			lines = append(lines, journal.Entry{Time: at, Fields: map[string]string{"MESSAGE": fmt.Sprint(i), "_SYSTEMD_INVOCATION_ID": "aa01",
				"_SYSTEMD_UNIT": testUnit, "SYSLOG_IDENTIFIER": "web", "__REALTIME_TIMESTAMP": fmt.Sprint(at.UnixMicro())}})
			all = fmt.Appendf(all, "%d\n", i)
		}
		want := string(all[len(all)-jobdb.MaxOutput:])
		jrnl := &journaltest.Memory{Output: lines}
		r := testRecorder(t, jrnl, "b1")
		ended := base.Add(time.Second)
		j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa01", Phase: jobdb.PhaseFailed, StartedAt: base, EndedAt: &ended}
		if err := r.w.Ledger.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		before, err := ReadTail(ctx, jrnl, r.fields, j, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := joined(before); got != want {
			t.Errorf("age %s: the journal's tail is %d bytes, want %d", age, len(got), len(want))
		}
		if jrnl.Handed > len(lines)/2 {
			t.Errorf("age %s: reading the tail read %d of %d lines", age, jrnl.Handed, len(lines))
		}
		jrnl.Handed = 0
		last, err := ReadTail(ctx, jrnl, r.fields, j, 10) // what a status shows
		if got := joined(last); err != nil || got != "29991\n29992\n29993\n29994\n29995\n29996\n29997\n29998\n29999\n30000\n" {
			t.Errorf("age %s: the last 10 lines: %q, %v", age, got, err)
		}
		if jrnl.Handed > 10 {
			t.Errorf("age %s: reading the last 10 lines read %d", age, jrnl.Handed)
		}
		r.tails.copy(ctx, []int64{j.ID})
		saved, err := r.w.Ledger.Get(ctx, j.ID)
		if err != nil || !saved.OutputSaved {
			t.Fatalf("age %s: not saved: %v", age, err)
		}
		var got string
		for _, l := range DecodeTail(saved.Output) {
			got += l.Message + "\n"
		}
		if got != want {
			t.Errorf("age %s: kept %d bytes ending %q, want %d", age, len(got), got[max(0, len(got)-12):], len(want))
		}
	}
}

func joined(entries []journal.Entry) string {
	var s string
	for _, e := range entries {
		s += e.Fields["MESSAGE"] + "\n"
	}
	return s
}

// A tail copied while journald still reads the run's output (a flood stopped long before
// journald has written it) is kept partial, said so, and copied again until journald has read
// the run's streams to their end: then it is exactly the run's last 64 KiB, for good. Streams of
// another run of the unit (their lines carry its invocation, or they were opened after the run
// ended) do not keep it partial.
func TestPartialTailCompletedOnceJournaldHasIt(t *testing.T) {
	defer func(w time.Duration) { streamWait = w }(streamWait)
	streamWait = 10 * time.Millisecond
	ctx := context.Background()
	base := time.Now().Add(-time.Minute)
	line := func(i int) journal.Entry {
		at := base.Add(time.Duration(i) * time.Microsecond)
		return journal.Entry{Time: at, Fields: map[string]string{"MESSAGE": fmt.Sprint(i), "_SYSTEMD_INVOCATION_ID": "aa01",
			"_SYSTEMD_UNIT": testUnit, "SYSLOG_IDENTIFIER": "web", "__REALTIME_TIMESTAMP": fmt.Sprint(at.UnixMicro())}}
	}
	jrnl := &journaltest.Memory{}
	for i := 1; i <= 20000; i++ {
		jrnl.Output = append(jrnl.Output, line(i))
	}
	ended := base.Add(time.Second)
	jrnl.OpenStream("s-flood", testUnit, "aa01", base)
	jrnl.OpenStream("s-next", testUnit, "aa02", ended.Add(time.Second)) // the next run's
	jrnl.OpenStream("s-quiet", testUnit, "", ended.Add(2*time.Second))  // a later run's, no line yet
	r := testRecorder(t, jrnl, "b1")
	j := &jobdb.Job{ServiceID: "web", Context: "default", Unit: testUnit, InvocationID: "aa01", Phase: jobdb.PhaseCancelled, StartedAt: base, EndedAt: &ended}
	if err := r.w.Ledger.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	kept := func() (string, *jobdb.Job) {
		t.Helper()
		saved, err := r.w.Ledger.Get(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, l := range DecodeTail(saved.Output) {
			got += l.Message + "\n"
		}
		return got, saved
	}
	r.tails.copy(ctx, []int64{j.ID})
	got, saved := kept()
	if saved.OutputSaved || !saved.OutputPartial || !strings.HasSuffix(got, "\n20000\n") || len(got) != jobdb.MaxOutput {
		t.Fatalf("while journald reads the run's stream: saved %v partial %v, %d bytes ending %q", saved.OutputSaved, saved.OutputPartial, len(got), got[max(0, len(got)-8):])
	}
	if _, due := r.tails.nextRetry(); !due {
		t.Fatal("the partial tail is not copied again")
	}
	// journald writes the rest and closes the stream; the next copy is final.
	for i := 20001; i <= 30000; i++ {
		jrnl.Output = append(jrnl.Output, line(i))
	}
	r.tails.copy(ctx, []int64{j.ID})
	if _, saved := kept(); saved.OutputSaved {
		t.Fatal("saved for good while journald still read the run's stream")
	}
	jrnl.CloseStream("s-flood")
	r.tails.copy(ctx, []int64{j.ID})
	got, saved = kept()
	if !saved.OutputSaved || saved.OutputPartial || !strings.HasSuffix(got, "\n30000\n") || len(got) != jobdb.MaxOutput {
		t.Errorf("once journald has it all: saved %v partial %v, %d bytes ending %q", saved.OutputSaved, saved.OutputPartial, len(got), got[max(0, len(got)-8):])
	}
	if _, due := r.tails.nextRetry(); due {
		t.Error("a final tail is still to be copied again")
	}
	// A stream with no line yet, opened before the run ended, may be the run's: not final.
	jrnl.OpenStream("s-early", "hero-default-db.service", "", base)
	dbJob := &jobdb.Job{ServiceID: "db", Context: "default", Unit: "hero-default-db.service", InvocationID: "cc01", Phase: jobdb.PhaseFailed, StartedAt: base, EndedAt: &ended}
	if err := r.w.Ledger.Create(ctx, dbJob); err != nil {
		t.Fatal(err)
	}
	r.tails.copy(ctx, []int64{dbJob.ID})
	if saved, _ := r.w.Ledger.Get(ctx, dbJob.ID); saved.OutputSaved || !saved.OutputPartial {
		t.Errorf("a run whose unit has a silent stream opened before its end: saved %v partial %v", saved.OutputSaved, saved.OutputPartial)
	}
}

// A partial tail is copied again on a bounded schedule: once retryDelays are spent it stays
// partial (saying so) until herod starts again.
func TestPartialTailRetriesAreBounded(t *testing.T) {
	tc := newTailCopier(&World{}, journal.FieldsFor(false))
	j := &jobdb.Job{ID: 7}
	n := 0
	for tc.later(j) {
		n++
		if n > 100 {
			t.Fatal("retries without end")
		}
	}
	if n != len(retryDelays) {
		t.Errorf("%d retries, want %d", n, len(retryDelays))
	}
	var total time.Duration
	for _, d := range retryDelays {
		total += d
	}
	if total >= recentEnd {
		t.Errorf("the retries take %s, past recentEnd (%s): a late copy would not read up to now", total, recentEnd)
	}
}

// systemctl start of a failed unit: systemd 252 announces the new invocation with its Result
// reset to success and its new main process while the unit still says failed (then activating,
// active). The new run is not over: it runs, and becomes active; the killed run stays failed.
func TestStartOfAFailedUnitIsNoEnd(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(time.Minute)
	tw := newTestWorld(t, &journaltest.Memory{}, "b1")
	r := New(&tw.World)
	feed(r, 1, liveKind{steps: []step{{service: mainEnded(2, 9, "signal", base.Add(time.Second)), active: "failed", sub: "failed"}}}, base)
	restart := base.Add(1500 * time.Millisecond)
	r.onSignal(props(ifaceService, map[string]any{"ExecMainStartTimestamp": usec(restart), "ExecMainPID": uint32(200), "MainPID": uint32(200),
		"ExecMainCode": int32(0), "ExecMainStatus": int32(0), "ExecMainExitTimestamp": uint64(0), "Result": "success", "NRestarts": uint32(0)}))
	r.onSignal(props(ifaceUnit, map[string]any{"InvocationID": []byte{0xaa, 2}, "ActiveState": "failed", "SubState": "failed"}))
	r.onSignal(props(ifaceUnit, map[string]any{"ActiveState": "activating", "SubState": "start"}))
	r.onSignal(props(ifaceUnit, map[string]any{"ActiveState": "active", "SubState": "running"}))
	r.flush()
	killed, err := tw.Ledger.ByInvocation(ctx, "aa01")
	if err != nil || killed.Phase != jobdb.PhaseFailed || killed.Signal != "SIGKILL" {
		t.Errorf("the killed run: %+v, %v", killed, err)
	}
	started, err := tw.Ledger.ByInvocation(ctx, "aa02")
	if err != nil || started.Phase != jobdb.PhaseRunning || started.MainPID != 200 {
		t.Errorf("the run systemctl started: %+v, %v; want running", started, err)
	}
	if got := strings.Join(tw.kinds(), " "); !strings.HasSuffix(got, "job-started:running run-active:running") {
		t.Errorf("events %s, want the new run started and active", got)
	}
}
