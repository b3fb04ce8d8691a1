package heroexec

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The reload signal reaches the main process, and only a process that exists; a bad name or no
// main process fails with a message.
func TestRunSignal(t *testing.T) {
	// A test run under nohup starts with SIGHUP ignored, and an ignored signal stays ignored
	// across exec: the child would never end. While Go handles SIGHUP, a child starts with the
	// default action (exec resets handled signals), as systemd's services do.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	child := exec.Command("sleep", "60")
	err := child.Start()
	signal.Stop(hup)
	if err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(child.Process.Pid)
	var stderr bytes.Buffer
	if code := runSignal("HUP", pid, &stderr); code != 0 {
		t.Fatalf("runSignal HUP: exit %d: %s", code, stderr.String())
	}
	err = child.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGHUP {
		t.Errorf("the main process ended with %v, want SIGHUP", err)
	}
	// The process is gone now: its PID is not signalled again.
	if code := runSignal("SIGHUP", pid, &stderr); code != exitSignal {
		t.Errorf("signal to an ended process: exit %d, want %d", code, exitSignal)
	}
	for _, c := range []struct {
		name, pid string
		code      int
		says      string
	}{
		{"SIGNOPE", pid, exitBadSpec, "unknown signal"},
		{"SIGHUP", "", exitSignal, "no main process"},
		{"SIGHUP", "1", exitSignal, "no main process"},
	} {
		stderr.Reset()
		if code := runSignal(c.name, c.pid, &stderr); code != c.code || !strings.Contains(stderr.String(), c.says) {
			t.Errorf("runSignal(%q, %q): exit %d %q, want %d saying %q", c.name, c.pid, code, stderr.String(), c.code, c.says)
		}
	}
}
