package recording

import (
	"fmt"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// mgr is a manager record about run inv of hero-default-web.service in boot b1, at second at.
func mgr(inv, msgID string, at int, kv ...string) journal.Entry {
	return rec(inv, msgID, at, kv...)
}

func mainExited(code string, status int) []string {
	return []string{"MESSAGE", fmt.Sprintf("hero-default-web.service: Main process exited, code=%s, status=%d", code, status),
		"EXIT_CODE", code, "EXIT_STATUS", fmt.Sprint(status)}
}

func intp(n int) *int { return &n }

// endKind is one kind of end: what the unit's properties say when it is over (the live path)
// and what the journal says of the same run (the replay path), and the record both must give.
type endKind struct {
	name    string
	unit    unitEnd
	journal []journal.Entry
	want    runRecord
}

// endKinds are the kinds of a run's end hero meets, as systemd 252 reports them.
var endKinds = []endKind{
	{"exit 3", unitEnd{Loaded: true, Result: "exit-code", ExecCode: 1, ExecStatus: 3, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("exited", 3)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "exit-code")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "exit-code", ExitCode: intp(3)}},
	{"exit 0 by itself (unloaded at once)", unitEnd{Loaded: false, ExecFresh: false},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitSucceeded, 2)},
		runRecord{Phase: jobdb.PhaseSucceeded, Result: "success"}},
	{"exit 0 by itself (signals seen)", unitEnd{Loaded: true, Result: "success", ExecCode: 1, ExecStatus: 0, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitSucceeded, 2)},
		runRecord{Phase: jobdb.PhaseSucceeded, Result: "success"}},
	{"systemctl kill -s TERM", unitEnd{Loaded: true, Result: "success", ExecCode: 2, ExecStatus: 15, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitSucceeded, 2)},
		runRecord{Phase: jobdb.PhaseSucceeded, Result: "success"}},
	{"systemctl kill -s KILL", unitEnd{Loaded: true, Result: "signal", ExecCode: 2, ExecStatus: 9, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("killed", 9)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "signal")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "signal", Signal: "SIGKILL"}},
	{"a liveness check failed: systemd's watchdog killed it (WatchdogSignal=SIGKILL)", unitEnd{Loaded: true, Result: "watchdog", ExecCode: 2, ExecStatus: 9, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("killed", 9)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "watchdog")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "watchdog", Signal: "SIGKILL"}},
	{"a oneshot killed by SIGTERM (not clean for a command)", unitEnd{Loaded: true, Result: "signal", ExecCode: 2, ExecStatus: 15, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarting, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("killed", 15)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "signal")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "signal", Signal: "SIGTERM"}},
	{"heroctl stop (or a cascade)", unitEnd{Loaded: true, Result: "success", ExecCode: 2, ExecStatus: 15, ExecFresh: true, StopRequested: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitStopping, 2), mgr("i", journal.MsgUnitSucceeded, 2), mgr("i", journal.MsgUnitStopped, 2)},
		runRecord{Phase: jobdb.PhaseCancelled, Result: "success"}},
	{"stopped, unloaded before its properties were read", unitEnd{Loaded: false, StopRequested: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitStopping, 2), mgr("i", journal.MsgUnitStopped, 2)},
		runRecord{Phase: jobdb.PhaseCancelled, Result: "success"}},
	{"stopped, and it exited 1 on SIGTERM", unitEnd{Loaded: true, Result: "exit-code", ExecCode: 1, ExecStatus: 1, ExecFresh: true, StopRequested: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitStopping, 2), mgr("i", journal.MsgProcessExited, 2, mainExited("exited", 1)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "exit-code"), mgr("i", journal.MsgUnitStopped, 2)},
		runRecord{Phase: jobdb.PhaseFailed, Result: "exit-code", ExitCode: intp(1)}},
	{"stop timed out: SIGKILL", unitEnd{Loaded: true, Result: "timeout", ExecCode: 2, ExecStatus: 9, ExecFresh: true, StopRequested: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitStopping, 2), mgr("i", journal.MsgProcessExited, 3, mainExited("killed", 9)...), mgr("i", journal.MsgUnitFailed, 3, "UNIT_RESULT", "timeout"), mgr("i", journal.MsgUnitStopped, 3)},
		runRecord{Phase: jobdb.PhaseFailed, Result: "timeout", Signal: "SIGKILL"}},
	{"health check timed out (start timeout; the main process took SIGTERM)", unitEnd{Loaded: true, Result: "timeout", ExecCode: 2, ExecStatus: 15, ExecFresh: true, StopRequested: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarting, 1), mgr("i", journal.MsgUnitFailed, 3, "UNIT_RESULT", "timeout"), mgr("i", journal.MsgUnitFailedJob, 3)},
		runRecord{Phase: jobdb.PhaseFailed, Result: "timeout"}},
	{"crash, then the start limit refused its restart", unitEnd{Loaded: true, Result: "exit-code", ExecCode: 1, ExecStatus: 3, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("exited", 3)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "exit-code"),
			mgr("i", journal.MsgRestartPlanned, 2), mgr("i", journal.MsgUnitStopped, 2), mgr("i", journal.MsgUnitFailed, 3, "UNIT_RESULT", "start-limit-hit")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "exit-code", ExitCode: intp(3)}},
	{"OOM kill", unitEnd{Loaded: true, Result: "oom-kill", ExecCode: 2, ExecStatus: 9, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("killed", 9)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "oom-kill")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "oom-kill", Signal: "SIGKILL"}},
	{"core dump", unitEnd{Loaded: true, Result: "core-dump", ExecCode: 3, ExecStatus: 11, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("dumped", 11)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "core-dump")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "core-dump", Signal: "SIGSEGV"}},
	{"missed watchdog: systemd's SIGABRT (core dumped)", unitEnd{Loaded: true, Result: "watchdog", ExecCode: 3, ExecStatus: 6, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("dumped", 6)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "watchdog")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "watchdog", Signal: "SIGABRT"}},
	{"missed watchdog: systemd's SIGABRT (no core)", unitEnd{Loaded: true, Result: "watchdog", ExecCode: 2, ExecStatus: 6, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgProcessExited, 2, mainExited("killed", 6)...), mgr("i", journal.MsgUnitFailed, 2, "UNIT_RESULT", "watchdog")},
		runRecord{Phase: jobdb.PhaseFailed, Result: "watchdog", Signal: "SIGABRT"}},
	{"exit 143 that success_exit_status makes clean", unitEnd{Loaded: true, Result: "success", ExecCode: 1, ExecStatus: 143, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarted, 1), mgr("i", journal.MsgUnitSucceeded, 2)},
		runRecord{Phase: jobdb.PhaseSucceeded, Result: "success"}},
	{"missing program (203)", unitEnd{Loaded: true, Result: "exit-code", ExecCode: 1, ExecStatus: 203, ExecFresh: true},
		[]journal.Entry{mgr("i", journal.MsgUnitStarting, 1), mgr("i", journal.MsgProcessExited, 1, mainExited("exited", 203)...), mgr("i", journal.MsgUnitFailed, 1, "UNIT_RESULT", "exit-code"), mgr("i", journal.MsgUnitFailedJob, 1)},
		runRecord{Phase: jobdb.PhaseFailed, Result: "exit-code", ExitCode: intp(203)}},
}

// Every kind of end gives the same record from the unit's properties and from the journal.
func TestOneRecordOfEveryEnd(t *testing.T) {
	for _, k := range endKinds {
		t.Run(k.name, func(t *testing.T) {
			live := decide(fromUnit(k.unit))
			runs := runsFromRecords(k.journal, journal.FieldsFor(false))
			if len(runs) != 1 || !runs[0].Ended {
				t.Fatalf("the journal gave %d runs (ended %v), want one ended", len(runs), len(runs) == 1 && runs[0].Ended)
			}
			replayed := decide(runs[0].End)
			if !same(live, k.want) {
				t.Errorf("live: %s, want %s", show(live), show(k.want))
			}
			if !same(replayed, k.want) {
				t.Errorf("replayed: %s, want %s", show(replayed), show(k.want))
			}
		})
	}
}

// A run still up when its boot ended: the journal closes it with the next boot's first record;
// the units' state at herod's start does the same through facts of its own.
func TestBootEndedRecord(t *testing.T) {
	next := mgr("y", journal.MsgUnitStarted, 9)
	next.Fields["_BOOT_ID"] = "b2"
	runs := runsFromRecords([]journal.Entry{mgr("x", journal.MsgUnitStarted, 1), next}, journal.FieldsFor(false))
	replayed := decide(runs[0].End)
	live := decide(facts{Result: resultBootEnded})
	want := runRecord{Phase: jobdb.PhaseCancelled, Result: resultBootEnded}
	if !same(replayed, want) || !same(live, want) {
		t.Errorf("replayed %s, live %s, want %s", show(replayed), show(live), show(want))
	}
}

func same(a, b runRecord) bool {
	return a.Phase == b.Phase && a.Result == b.Result && a.Signal == b.Signal &&
		(a.ExitCode == nil) == (b.ExitCode == nil) && (a.ExitCode == nil || *a.ExitCode == *b.ExitCode)
}

func show(r runRecord) string {
	exit := "-"
	if r.ExitCode != nil {
		exit = fmt.Sprint(*r.ExitCode)
	}
	return fmt.Sprintf("%s/%s/exit %s/signal %q", r.Phase, r.Result, exit, r.Signal)
}

func TestRecordApplyOnce(t *testing.T) {
	j := &jobdb.Job{Phase: jobdb.PhaseRunning}
	at := time.Unix(5, 0)
	if !decide(facts{Result: "signal", Code: "killed", Status: 9, At: at}).Apply(j) || j.Signal != "SIGKILL" || !j.EndedAt.Equal(at) {
		t.Fatalf("apply: %+v", j)
	}
	if decide(facts{Result: "success"}).Apply(j) || j.Result != "signal" {
		t.Errorf("an ended job was recorded again: %+v", j)
	}
	if (&jobdb.Job{}).Phase.Ended() {
		t.Fatal("a new job counts as ended")
	}
	j2 := &jobdb.Job{Phase: jobdb.PhaseRunning}
	decide(facts{}).Apply(j2)
	if j2.Result != resultUnknown || j2.EndedAt == nil {
		t.Errorf("an unknown end: %+v", j2)
	}
	for code, want := range map[int32]string{1: "exited", 2: "killed", 3: "dumped", 0: ""} {
		if got := codeName(code); got != want {
			t.Errorf("CodeName(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestEndOf(t *testing.T) {
	entries := []journal.Entry{mgr("a", journal.MsgUnitStarted, 1), mgr("b", journal.MsgUnitStarted, 1),
		mgr("a", journal.MsgProcessExited, 2, mainExited("exited", 4)...), mgr("a", journal.MsgUnitFailed, 2, "UNIT_RESULT", "exit-code")}
	if got := decide(recordedEnd(entries, journal.FieldsFor(false), "a")); got.Result != "exit-code" || got.ExitCode == nil || *got.ExitCode != 4 {
		t.Errorf("EndOf a: %s", show(got))
	}
	if got := decide(recordedEnd(entries, journal.FieldsFor(false), "b")); got.Result != resultUnknown {
		t.Errorf("EndOf b (not ended): %s", show(got))
	}
	if got := decide(recordedEnd(entries, journal.FieldsFor(false), "c")); got.Result != resultUnknown {
		t.Errorf("EndOf c (no records): %s", show(got))
	}
}
