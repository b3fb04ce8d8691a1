package bridge

import (
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// rec is a manager record of unit hero-default-web.service.
func rec(inv, msgID string, at int, kv ...string) Entry {
	f := map[string]string{"UNIT": "hero-default-web.service", "INVOCATION_ID": inv, "MESSAGE_ID": msgID, "_BOOT_ID": "b1"}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return Entry{Time: time.Unix(int64(at), 0).UTC(), Fields: f}
}

func TestRunsFromRecords(t *testing.T) {
	exited := func(code, status string) []string {
		return []string{"MESSAGE", "hero-default-web.service: Main process exited, code=" + code, "EXIT_CODE", code, "EXIT_STATUS", status}
	}
	entries := []Entry{
		// a: started, crashed with 3, restart planned
		rec("a", msgUnitStarted, 1),
		rec("a", msgProcessExited, 2, exited("exited", "3")...),
		rec("a", msgUnitFailed, 2, "UNIT_RESULT", "exit-code"),
		rec("a", msgRestartPlanned, 2),
		rec("a", msgUnitStopped, 2),
		// b: the restart; a health check (a control process) failed, which is not the run's exit
		rec("b", msgUnitStarting, 3),
		rec("b", msgProcessExited, 4, "MESSAGE", "hero-default-web.service: Control process exited, code=exited", "EXIT_CODE", "exited", "EXIT_STATUS", "1"),
		rec("b", msgUnitFailed, 4, "UNIT_RESULT", "exit-code"),
		// c: stopped on request: clean (systemd logs no exit status for it)
		rec("c", msgUnitStarted, 5),
		rec("c", msgUnitStopping, 6),
		rec("c", msgUnitSucceeded, 6),
		rec("c", msgUnitStopped, 6),
		// d: still running when the records end
		rec("d", msgUnitStarted, 7),
	}
	runs := runsFromRecords(entries, fieldsFor(false))
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
		if r.invocation != w.inv || r.ended != w.ended {
			t.Errorf("run %d: %s ended %v, want %s ended %v", i, r.invocation, r.ended, w.inv, w.ended)
			continue
		}
		if !w.ended {
			continue
		}
		if p := r.end.phase(); p != w.phase || r.end.result != w.result || r.end.code != w.code || r.end.status != w.status {
			t.Errorf("run %s: %s %s %s %d, want %s %s %s %d", r.invocation, p, r.end.result, r.end.code, r.end.status, w.phase, w.result, w.code, w.status)
		}
	}
}

// A run of one boot with no record of its end is closed by the next boot's first run.
func TestRunsAcrossABoot(t *testing.T) {
	next := rec("y", msgUnitStarted, 9)
	next.Fields["_BOOT_ID"] = "b2"
	runs := runsFromRecords([]Entry{rec("x", msgUnitStarted, 1), next}, fieldsFor(false))
	if len(runs) != 2 || !runs[0].ended || runs[0].end.result != resultBootEnded || runs[0].end.phase() != jobdb.PhaseCancelled {
		t.Errorf("runs %+v, want the first closed as boot-ended", runs[0])
	}
}

func TestEndPhase(t *testing.T) {
	tests := []struct {
		name string
		end  runEnd
		want jobdb.Phase
	}{
		{"exited 0 by itself", runEnd{result: "success", code: "exited"}, jobdb.PhaseSucceeded},
		{"exited 3", runEnd{result: "exit-code", code: "exited", status: 3}, jobdb.PhaseFailed},
		{"stopped on request", runEnd{result: "success", stopRequested: true}, jobdb.PhaseCancelled},
		{"SIGTERM from outside (clean for systemd)", runEnd{result: "success", code: "killed", status: 15}, jobdb.PhaseCancelled},
		{"failed while being stopped", runEnd{result: "exit-code", code: "exited", status: 1, stopRequested: true}, jobdb.PhaseFailed},
		{"SIGKILL", runEnd{result: "signal", code: "killed", status: 9}, jobdb.PhaseFailed},
		{"unknown", runEnd{}, jobdb.PhaseFailed},
		{"unknown, stop requested", runEnd{stopRequested: true}, jobdb.PhaseCancelled},
		{"boot ended", runEnd{result: resultBootEnded}, jobdb.PhaseCancelled},
	}
	for _, tt := range tests {
		if got := tt.end.phase(); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	j := &jobdb.Job{Phase: jobdb.PhaseRunning}
	if !(runEnd{result: "signal", code: "killed", status: 9}).apply(j) || j.Signal != "SIGKILL" || j.ExitCode != nil || j.EndedAt == nil {
		t.Errorf("apply: %+v", j)
	}
	if (runEnd{result: "success"}).apply(j) || j.Result != "signal" {
		t.Errorf("an ended job was recorded again: %+v", j)
	}
}

func TestUnescapeBusPath(t *testing.T) {
	for in, want := range map[string]string{"hero_2ddefault_2dweb_2eservice": "hero-default-web.service", "hero_2ddefault_2dmy_5cx2dsvc_2eservice": `hero-default-my\x2dsvc.service`} {
		if got := unescapeBusPath(in); got != want {
			t.Errorf("unescapeBusPath(%q) = %q, want %q", in, got, want)
		}
	}
	if u, ok := unitFromPath("/org/freedesktop/systemd1/unit/hero_2ddefault_2dweb_2eservice"); !ok || u != "hero-default-web.service" {
		t.Errorf("unitFromPath: %q %v", u, ok)
	}
	if _, ok := unitFromPath("/org/freedesktop/systemd1/unit/sshd_2eservice"); ok {
		t.Error("a unit hero does not own was taken")
	}
}
