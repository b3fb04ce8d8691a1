package recording

import (
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// rec is a manager record of unit hero-default-web.service.
func rec(inv, msgID string, at int, kv ...string) journal.Entry {
	f := map[string]string{"UNIT": "hero-default-web.service", "INVOCATION_ID": inv, "MESSAGE_ID": msgID, "_BOOT_ID": "b1"}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return journal.Entry{Time: time.Unix(int64(at), 0).UTC(), Fields: f}
}

func TestRunsFromRecords(t *testing.T) {
	exited := func(code, status string) []string {
		return []string{"MESSAGE", "hero-default-web.service: Main process exited, code=" + code, "EXIT_CODE", code, "EXIT_STATUS", status}
	}
	entries := []journal.Entry{
		// a: started, crashed with 3, restart planned
		rec("a", journal.MsgUnitStarted, 1),
		rec("a", journal.MsgProcessExited, 2, exited("exited", "3")...),
		rec("a", journal.MsgUnitFailed, 2, "UNIT_RESULT", "exit-code"),
		rec("a", journal.MsgRestartPlanned, 2),
		rec("a", journal.MsgUnitStopped, 2),
		// b: the restart; a health check (a control process) failed, which is not the run's exit
		rec("b", journal.MsgUnitStarting, 3),
		rec("b", journal.MsgProcessExited, 4, "MESSAGE", "hero-default-web.service: Control process exited, code=exited", "EXIT_CODE", "exited", "EXIT_STATUS", "1"),
		rec("b", journal.MsgUnitFailed, 4, "UNIT_RESULT", "exit-code"),
		// c: stopped on request: clean (systemd logs no exit status for it)
		rec("c", journal.MsgUnitStarted, 5),
		rec("c", journal.MsgUnitStopping, 6),
		rec("c", journal.MsgUnitSucceeded, 6),
		rec("c", journal.MsgUnitStopped, 6),
		// d: still running when the records end
		rec("d", journal.MsgUnitStarted, 7),
	}
	runs := runsFromRecords(entries, journal.FieldsFor(false))
	type want struct {
		inv    string
		ended  bool
		phase  jobdb.Phase
		result string
		code   string
		status int
	}
	wants := []want{
		{"a", true, jobdb.PhaseFailed, "exit-code", "exited", 3},
		{"b", true, jobdb.PhaseFailed, "exit-code", "", 0},
		{"c", true, jobdb.PhaseCancelled, "success", "", 0},
		{"d", false, "", "", "", 0},
	}
	if len(runs) != len(wants) {
		t.Fatalf("%d runs, want %d", len(runs), len(wants))
	}
	for i, w := range wants {
		r := runs[i]
		if r.Invocation != w.inv || r.Ended != w.ended {
			t.Errorf("run %d: %s ended %v, want %s ended %v", i, r.Invocation, r.Ended, w.inv, w.ended)
			continue
		}
		if !w.ended {
			continue
		}
		if p := r.End.Phase(); p != w.phase || r.End.Result != w.result || r.End.Code != w.code || r.End.Status != w.status {
			t.Errorf("run %s: %s %s %s %d, want %s %s %s %d", r.Invocation, p, r.End.Result, r.End.Code, r.End.Status, w.phase, w.result, w.code, w.status)
		}
	}
}

// A run of one boot with no record of its end is closed by the next boot's first run.
func TestRunsAcrossABoot(t *testing.T) {
	next := rec("y", journal.MsgUnitStarted, 9)
	next.Fields["_BOOT_ID"] = "b2"
	runs := runsFromRecords([]journal.Entry{rec("x", journal.MsgUnitStarted, 1), next}, journal.FieldsFor(false))
	if len(runs) != 2 || !runs[0].Ended || runs[0].End.Result != resultBootEnded || runs[0].End.Phase() != jobdb.PhaseCancelled {
		t.Errorf("runs %+v, want the first closed as boot-ended", runs[0])
	}
}

func TestEndPhase(t *testing.T) {
	tests := []struct {
		name string
		end  facts
		want jobdb.Phase
	}{
		{"exited 0 by itself", facts{Result: "success", Code: "exited"}, jobdb.PhaseSucceeded},
		{"exited 3", facts{Result: "exit-code", Code: "exited", Status: 3}, jobdb.PhaseFailed},
		{"stopped on request", facts{Result: "success", StopRequested: true}, jobdb.PhaseCancelled},
		{"SIGTERM from outside (clean for systemd, which the journal cannot tell from exit 0)", facts{Result: "success", Code: "killed", Status: 15}, jobdb.PhaseSucceeded},
		{"failed while being stopped", facts{Result: "exit-code", Code: "exited", Status: 1, StopRequested: true}, jobdb.PhaseFailed},
		{"SIGKILL", facts{Result: "signal", Code: "killed", Status: 9}, jobdb.PhaseFailed},
		{"unknown", facts{}, jobdb.PhaseFailed},
		{"unknown, stop requested", facts{StopRequested: true}, jobdb.PhaseCancelled},
		{"boot ended", facts{Result: resultBootEnded}, jobdb.PhaseCancelled},
	}
	for _, tt := range tests {
		if got := tt.end.Phase(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	j := &jobdb.Job{Phase: jobdb.PhaseRunning}
	if !(facts{Result: "signal", Code: "killed", Status: 9}).Apply(j) || j.Signal != "SIGKILL" || j.ExitCode != nil || j.EndedAt == nil {
		t.Errorf("apply: %+v", j)
	}
	if (facts{Result: "success"}).Apply(j) || j.Result != "signal" {
		t.Errorf("an ended job was recorded again: %+v", j)
	}
}
