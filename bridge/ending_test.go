package bridge

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

func TestDecideEnding(t *testing.T) {
	three := func() *int { n := 3; return &n }
	zero := func() *int { n := 0; return &n }
	tests := []struct {
		name    string
		rec     exitRecord
		haveRec bool
		ri      runInfo
		stopped bool
		phase   jobdb.Phase
		result  string
		code    *int
		signal  string
	}{
		{"exited 3 on its own", exitRecord{"exit-code", "exited", "3"}, true, runInfo{}, false, jobdb.PhaseFailed, "exit-code", three(), ""},
		{"exited 0 on its own", exitRecord{"success", "exited", "0"}, true, runInfo{}, false, jobdb.PhaseSucceeded, "success", zero(), ""},
		{"stopped by hero", exitRecord{"success", "killed", "TERM"}, true, runInfo{}, true, jobdb.PhaseCancelled, "success", nil, "SIGTERM"},
		{"stopped by a cascade hero did not run", exitRecord{"success", "killed", "TERM"}, true, runInfo{}, false, jobdb.PhaseCancelled, "success", nil, "SIGTERM"},
		{"killed by SIGKILL", exitRecord{"signal", "killed", "KILL"}, true, runInfo{}, false, jobdb.PhaseFailed, "signal", nil, "SIGKILL"},
		{"failed while being stopped", exitRecord{"exit-code", "exited", "3"}, true, runInfo{}, true, jobdb.PhaseFailed, "exit-code", three(), ""},
		{"no record: the unit's properties", exitRecord{}, false, runInfo{loaded: true, result: "exit-code", execMainCode: 1, execMainStatus: 3}, false, jobdb.PhaseFailed, "exit-code", three(), ""},
		{"no record, unit killed: signal by number", exitRecord{}, false, runInfo{loaded: true, result: "signal", execMainCode: 2, execMainStatus: 9}, false, jobdb.PhaseFailed, "signal", nil, "SIGKILL"},
		{"nothing known", exitRecord{}, false, runInfo{}, false, jobdb.PhaseFailed, "unknown", nil, ""},
		{"nothing known, but hero stopped it", exitRecord{}, false, runInfo{}, true, jobdb.PhaseCancelled, "unknown", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decideEnding(tt.rec, tt.haveRec, tt.ri, tt.stopped)
			if e.phase != tt.phase || e.result != tt.result || e.signal != tt.signal ||
				(e.exitCode == nil) != (tt.code == nil) || (e.exitCode != nil && *e.exitCode != *tt.code) {
				t.Errorf("got phase %s result %s code %v signal %q; want %s %s %v %q",
					e.phase, e.result, e.exitCode, e.signal, tt.phase, tt.result, tt.code, tt.signal)
			}
		})
	}
}

func TestReadExitAndTail(t *testing.T) {
	dir := t.TempDir()
	exit := filepath.Join(dir, "exit")
	if _, ok := readExit(exit); ok {
		t.Error("a missing exit file was read")
	}
	os.WriteFile(exit, []byte("timeout killed TERM\n"), 0o644)
	if r, ok := readExit(exit); !ok || r != (exitRecord{"timeout", "killed", "TERM"}) {
		t.Errorf("readExit = %+v, %v", r, ok)
	}
	os.WriteFile(exit, []byte("\n"), 0o644)
	if _, ok := readExit(exit); ok {
		t.Error("an empty exit file was read as a record")
	}
	out := filepath.Join(dir, "out")
	big := make([]byte, jobdb.MaxOutput+10)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	os.WriteFile(out, big, 0o644)
	if got := readTail(out); len(got) != jobdb.MaxOutput || string(got) != string(big[10:]) {
		t.Errorf("readTail kept %d bytes, not the last %d", len(got), jobdb.MaxOutput)
	}
}
