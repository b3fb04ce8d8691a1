package heroexec

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// The loop feeds the watchdog after each success, says healthy once, says unhealthy with the
// count and how the check failed after each failure (never what it printed: StatusText is
// every local user's to read; that goes to the journal's line), and asks the watchdog to act at
// the last allowed failure (and after each one past it); a success in between starts the count
// again.
func TestLivenessStateAfter(t *testing.T) {
	type step struct {
		ok        bool
		why, said string
		wantMsgs  []string
		wantLine  string
	}
	steps := []step{
		{true, "", "", []string{"WATCHDOG=1", "STATUS=healthy"}, ""},
		{true, "", "", []string{"WATCHDOG=1"}, ""},
		{false, "exit status 1", "DBPASS=hunter2 refused", []string{"STATUS=unhealthy: 1 of 3 checks failed (exit status 1)"},
			"liveness check failed (1 of 3 in a row): exit status 1: DBPASS=hunter2 refused"},
		{true, "", "", []string{"WATCHDOG=1", "STATUS=healthy"}, "liveness check passed again after 1 failure(s)"},
		{false, "exit status 2", "a", []string{"STATUS=unhealthy: 1 of 3 checks failed (exit status 2)"}, "liveness check failed (1 of 3 in a row): exit status 2: a"},
		{false, "killed by SIGKILL", "", []string{"STATUS=unhealthy: 2 of 3 checks failed (killed by SIGKILL)"}, "liveness check failed (2 of 3 in a row): killed by SIGKILL"},
		{false, "timed out after 1s", "", []string{"STATUS=unhealthy: 3 of 3 checks failed (timed out after 1s)", "WATCHDOG=trigger"},
			"liveness check failed 3 times in a row; systemd's watchdog stops the service: timed out after 1s"},
		{false, "exit status 1", "d", []string{"STATUS=unhealthy: 3 of 3 checks failed (exit status 1)", "WATCHDOG=trigger"},
			"liveness check failed 4 times in a row; systemd's watchdog stops the service: exit status 1: d"},
	}
	st := livenessState{max: 3}
	for i, s := range steps {
		msgs, line := st.after(s.ok, s.why, s.said)
		if !slices.Equal(msgs, s.wantMsgs) || line != s.wantLine {
			t.Errorf("step %d: after(%v, %q, %q) = %q, %q; want %q, %q", i, s.ok, s.why, s.said, msgs, line, s.wantMsgs, s.wantLine)
		}
	}
}

// A check that hangs is killed with its children at its timeout and counts as failed; a failing
// check reports how it failed and its last line; neither sees systemd's notification socket.
func TestRunCheck(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "/run/systemd/notify")
	never := make(chan struct{})
	cases := []struct {
		name     string
		argv     []string
		ok       bool
		why      string
		said     string
		quickest time.Duration
	}{
		{"passes", []string{"/bin/sh", "-c", "echo fine"}, true, "", "", 0},
		{"fails with its last line", []string{"/bin/sh", "-c", "echo one; echo 'two: refused'; echo; exit 3"}, false, "exit status 3", "two: refused", 0},
		{"no output", []string{"/bin/sh", "-c", "exit 7"}, false, "exit status 7", "", 0},
		{"killed", []string{"/bin/sh", "-c", "echo bye; kill -9 $$"}, false, "killed by SIGKILL", "bye", 0},
		{"without systemd's socket", []string{"/bin/sh", "-c", `echo "socket:${NOTIFY_SOCKET:-none}"; exit 1`}, false, "exit status 1", "socket:none", 0},
		{"hangs, with a child", []string{"/bin/sh", "-c", "echo waiting; sleep 100 & sleep 100"}, false, "timed out after 300ms", "waiting", 300 * time.Millisecond},
		{"no such program", []string{"/nonexistent/check"}, false, "fork/exec /nonexistent/check: no such file or directory", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			began := time.Now()
			ok, why, said := runCheck(context.Background(), c.argv, 300*time.Millisecond, never)
			took := time.Since(began)
			if ok != c.ok || why != c.why || said != c.said {
				t.Errorf("runCheck = %v, %q, %q; want %v, %q, %q", ok, why, said, c.ok, c.why, c.said)
			}
			if took < c.quickest || took > 3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// notifySocket listens where NOTIFY_SOCKET points and collects the messages sent there.
type notifySocket struct {
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	ns := &notifySocket{}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			ns.mu.Lock()
			ns.msgs = append(ns.msgs, strings.TrimSuffix(string(buf[:n]), "\n"))
			ns.mu.Unlock()
		}
	}()
	return ns
}

func (ns *notifySocket) all() string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return strings.Join(ns.msgs, " | ")
}

// The loop, as systemd runs it: healthy while the check passes, unhealthy then the watchdog's
// trigger once it fails twice in a row, and its end when the main process ends.
func TestRunLiveness(t *testing.T) {
	ns := listenNotify(t)
	main := exec.Command("/bin/sleep", "100")
	if err := main.Start(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MAINPID", strconv.Itoa(main.Process.Pid))
	flag := filepath.Join(t.TempDir(), "broken")
	l := execspec.Liveness{Argv: []string{"/bin/sh", "-c", `if [ -e "$1" ]; then echo "down: $1"; exit 1; fi`, "check", flag},
		Interval: time.Second, Failures: 2, Identifier: "t-liveness"} // the interval bounds each check too: a loaded machine may take 200 ms to start sh
	var out bytes.Buffer
	done := make(chan int)
	journal := &syncWriter{w: &out}
	go func() { done <- runLiveness(l, journal) }()
	waitFor(t, "healthy", func() bool { return strings.Contains(ns.all(), "WATCHDOG=1\nSTATUS=healthy") })
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the trigger", func() bool { return strings.Contains(ns.all(), "WATCHDOG=trigger") })
	want := "STATUS=unhealthy: 1 of 2 checks failed (exit status 1) | STATUS=unhealthy: 2 of 2 checks failed (exit status 1)\nWATCHDOG=trigger"
	if !strings.Contains(ns.all(), want) || strings.Contains(ns.all(), "down:") {
		t.Errorf("messages %q, want %q in them and nothing the check printed", ns.all(), want)
	}
	line := "exit status 1: down: " + flag
	waitFor(t, "the journal's line saying what the check printed", func() bool { return strings.Contains(journal.String(), line) })
	main.Process.Kill()
	main.Wait()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("the loop exited %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not end with the main process")
	}
}

// Without a notification socket the loop cannot feed the watchdog: it says so and exits.
func TestRunLivenessWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	var out bytes.Buffer
	l := execspec.Liveness{Argv: []string{"/bin/true"}, Interval: time.Second, Failures: 1, Identifier: "t-liveness"}
	if code := runLiveness(l, &out); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
