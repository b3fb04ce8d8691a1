package heroexec

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// TestMain lets this test binary be hero-exec: run with a mode and a spec (as a unit's command
// line runs hero-exec, and as runPost starts the liveness loop with os.Executable()), it does
// what hero-exec does instead of running the tests.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(Run(os.Args[1], os.Args[2], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// heroExec runs this test binary as hero-exec MODE SPEC with env added to the test's
// environment, and returns its exit status and what it wrote, and its PID.
func heroExec(t *testing.T, mode, spec string, env ...string) (code int, stdout, stderr string, pid int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], mode, spec)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String(), cmd.Process.Pid
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String(), cmd.Process.Pid
}

// What systemd's command line gives hero-exec reaches the program exactly: its arguments as
// written, the spec's environment over the service's (a pre-action's own variables from the
// variable that carries them, which no command sees), the variables it unsets gone, its working
// directory, and the same process (systemd's MainPID stays right).
func TestExecRunsTheCommandAsWritten(t *testing.T) {
	dir := t.TempDir()
	script := `printf '%s|%s|%s|%s|%s|%s\n' "$1" "$A" "${B-unset}" "$C" "${HERO_PRE_ENV_1-unset}" "$(pwd)"; echo "pid $$"`
	spec := execspec.Encode(execspec.Spec{
		Argv: []string{"/bin/sh", "-c", script, "sh", `$HOME; "quoted" \n`}, Env: map[string]string{"A": "x y"},
		Unset: []string{"B"}, Dir: dir, EnvFrom: "HERO_PRE_ENV_1",
	})
	own := execspec.Encode(map[string]string{"C": "from the pre-action"})
	code, out, errOut, pid := heroExec(t, "exec", spec, "B=the service's", "HERO_PRE_ENV_1="+own)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := `$HOME; "quoted" \n|x y|unset|from the pre-action|unset|` + dir
	if len(lines) != 2 || lines[0] != want || lines[1] != "pid "+strconv.Itoa(pid) {
		t.Errorf("the command printed %q, want %q and pid %d (hero-exec's own)", out, want, pid)
	}
}

// A command that cannot be started fails with systemd's status for it, and a spec that cannot
// be read with EXIT_CONFIG, each with a line saying why; nothing runs.
func TestRunRefusals(t *testing.T) {
	t.Setenv("PATH", os.Getenv("PATH")) // lookPath sets it from the spec's environment
	enc := execspec.Encode
	cases := []struct {
		name, mode, spec string
		env              []string
		code             int
		says             string
	}{
		{"unknown mode", "frob", "x", nil, ExitUsage, `unknown mode "frob"`},
		{"exec: not a spec", "exec", "!!", nil, exitBadSpec, "hero-exec: "},
		{"exec: nothing to run", "exec", enc(execspec.Spec{}), nil, exitBadSpec, "hero-exec: "},
		{"exec: a pre-action's environment unreadable", "exec", enc(execspec.Spec{Argv: []string{"/bin/true"}, EnvFrom: "HERO_PRE_ENV_1"}),
			[]string{"HERO_PRE_ENV_1", "!!"}, exitBadSpec, "the environment in HERO_PRE_ENV_1"},
		{"exec: no working directory", "exec", enc(execspec.Spec{Argv: []string{"/bin/true"}, Dir: "/nonexistent/dir"}),
			nil, exitChdir, "changing to the working directory /nonexistent/dir"},
		{"exec: no such program", "exec", enc(execspec.Spec{Argv: []string{"no-such-program-of-hero"}}),
			nil, exitExec, "executing no-such-program-of-hero"},
		{"health: not a spec", "health", "!!", nil, exitBadSpec, "health check"},
		{"health: nothing to run", "health", enc(execspec.Health{}), nil, exitBadSpec, "no program to run"},
		{"health: a liveness check without an interval", "health", enc(execspec.Health{Liveness: &execspec.Liveness{Argv: []string{"/bin/true"}, Failures: 1}}),
			nil, exitBadSpec, "liveness check: no program, interval or failures"},
		{"liveness: nothing to run", "liveness", enc(execspec.Liveness{Interval: time.Second, Failures: 1}), nil, exitBadSpec, "liveness check"},
		{"signal: no such signal", "signal", "SIGNOPE", nil, exitBadSpec, "unknown signal"},
		{"signal: no main process", "signal", "SIGHUP", []string{"MAINPID", ""}, exitSignal, "no main process"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != nil {
				t.Setenv(c.env[0], c.env[1])
			}
			var stdout, stderr bytes.Buffer
			if code := Run(c.mode, c.spec, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.says) {
				t.Errorf("exit %d %q, want %d saying %q", code, stderr.String(), c.code, c.says)
			}
		})
	}
}

// The health check runs until it passes; it gives up at its timeout with the last attempt's
// words, and at once when the main process has ended.
func TestHealth(t *testing.T) {
	t.Setenv("MAINPID", "")
	counter := filepath.Join(t.TempDir(), "attempts")
	third := []string{"/bin/sh", "-c", `n=$(cat "$1" 2>/dev/null || echo 0); n=$((n+1)); echo $n >"$1"; echo "attempt $n"; [ $n -ge 3 ]`, "check", counter}
	var out bytes.Buffer
	if code := Run("health", execspec.Encode(execspec.Health{Argv: third, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second, Identifier: "t-health"}), &out, &out); code != 0 {
		t.Fatalf("a check that passes on its third attempt: exit %d: %s", code, out.String())
	}
	if n, _ := os.ReadFile(counter); strings.TrimSpace(string(n)) != "3" {
		t.Errorf("attempts: %q, want 3", n)
	}
	out.Reset()
	never := []string{"/bin/sh", "-c", "echo 'not yet: port 80 closed'; exit 1"}
	code := runPost(execspec.Health{Argv: never, Interval: 50 * time.Millisecond, Timeout: 300 * time.Millisecond, Identifier: "t-health"}, &out)
	if code != 1 || !strings.Contains(out.String(), execspec.HealthGaveUp) || !strings.Contains(out.String(), "not yet: port 80 closed") {
		t.Errorf("a check that never passes: exit %d, said %q", code, out.String())
	}

	main := exec.Command("/bin/sh", "-c", "exit 0")
	if err := main.Run(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MAINPID", strconv.Itoa(main.Process.Pid)) // ended: pidfd_open says ESRCH
	out.Reset()
	began := time.Now()
	code = runHealth(execspec.Health{Argv: never, Interval: 50 * time.Millisecond, Timeout: 30 * time.Second, Identifier: "t-health"}, &out)
	if code != 1 || !strings.Contains(out.String(), execspec.HealthMainExited) || time.Since(began) > 5*time.Second {
		t.Errorf("a check of a service whose main process ended: exit %d after %s, said %q", code, time.Since(began), out.String())
	}
}

// A check that hangs ends when the main process does, not at its timeout.
func TestHealthEndsWithTheMainProcess(t *testing.T) {
	main := exec.Command("/bin/sleep", "100")
	if err := main.Start(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MAINPID", strconv.Itoa(main.Process.Pid))
	done := make(chan int)
	var out syncWriter
	out.w = &bytes.Buffer{}
	go func() {
		done <- runHealth(execspec.Health{Argv: []string{"/bin/sleep", "100"}, Interval: time.Second, Timeout: time.Minute, Identifier: "t-health"}, &out)
	}()
	time.Sleep(100 * time.Millisecond) // the check is running (a pidfd wakes the wait at the end)
	main.Process.Kill()
	main.Wait()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(out.String(), execspec.HealthMainExited) {
			t.Errorf("exit %d, said %q", code, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the health check went on after the main process ended")
	}
}

// ExecStartPost's hero-exec with a liveness check: it clears the last run's status, feeds the
// watchdog while the health check runs, then leaves the liveness loop (hero-exec again, in a
// session of its own) behind and exits; the loop feeds the watchdog and ends with the main
// process.
func TestRunPostLeavesTheLivenessLoop(t *testing.T) {
	ns := listenNotify(t)
	main := exec.Command("/bin/sleep", "100")
	if err := main.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { main.Process.Kill(); main.Wait() })
	t.Setenv("MAINPID", strconv.Itoa(main.Process.Pid))
	h := execspec.Health{Argv: []string{"/bin/sh", "-c", "sleep 1.2"}, Interval: 100 * time.Millisecond, Timeout: 10 * time.Second,
		Identifier: "t-health", Liveness: &execspec.Liveness{Argv: []string{"/bin/true"}, Interval: 100 * time.Millisecond, Failures: 2, Identifier: "t-liveness"}}
	var out bytes.Buffer
	if code := runPost(h, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if msgs := ns.all(); !strings.HasPrefix(msgs, "STATUS=\nWATCHDOG=1 | WATCHDOG=1") {
		t.Errorf("before the loop: %q, want the status cleared, then the watchdog fed during the 1.2 s check", msgs)
	}
	waitFor(t, "the loop's first success", func() bool { return strings.Contains(ns.all(), "WATCHDOG=1\nSTATUS=healthy") })
	main.Process.Kill()
	main.Wait()
	waitFor(t, "the loop's end with the main process", func() bool {
		n := len(ns.all())
		time.Sleep(300 * time.Millisecond) // three intervals without a message
		return len(ns.all()) == n
	})
}

// Without a notification socket a liveness check cannot feed the watchdog: ExecStartPost fails.
func TestRunPostWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	var out bytes.Buffer
	h := execspec.Health{Liveness: &execspec.Liveness{Argv: []string{"/bin/true"}, Interval: time.Second, Failures: 1, Identifier: "t-liveness"}}
	if code := runPost(h, &out); code != 1 || !strings.Contains(out.String(), "NOTIFY_SOCKET") {
		t.Errorf("exit %d, said %q", code, out.String())
	}
}

// The spec's environment replaces the service's, its unset names are removed, and the order is
// stable.
func TestEnviron(t *testing.T) {
	got := environ([]string{"PATH=/bin", "B=1", "A=0", "GONE=x"}, map[string]string{"B": "2", "C": "3=4"}, []string{"GONE", "NEVER"})
	want := []string{"A=0", "B=2", "C=3=4", "PATH=/bin"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A flood of output keeps at most what the writer allows, and is never an error.
func TestLimitedWriter(t *testing.T) {
	var buf bytes.Buffer
	w := &limitedWriter{w: &buf, left: 5}
	for _, s := range []string{"abc", "defg", "hij"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Errorf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if buf.String() != "abcde" {
		t.Errorf("kept %q, want %q", buf.String(), "abcde")
	}
	if got := lastLine("one\n" + strings.Repeat("x", 300) + "\n\n"); got != strings.Repeat("x", 200)+"…" {
		t.Errorf("lastLine of a long line: %q", got)
	}
}

// A unit whose hero-exec argument cannot be read is misconfigured: hero-exec exits 78
// (EXIT_CONFIG in systemd.exec(5)'s table), not 208, which systemd uses for standard input that
// could not be set up; a command it cannot start exits as systemd would (200, 203).
func TestExitStatusesSayWhatFailed(t *testing.T) {
	for _, c := range []struct {
		spec string
		want int
	}{
		{"!!", 78},
		{execspec.Encode(execspec.Spec{Argv: []string{"/bin/true"}, Dir: "/nonexistent/dir"}), 200},
		{execspec.Encode(execspec.Spec{Argv: []string{"/nonexistent/program"}}), 203},
	} {
		if code, _, stderr, _ := heroExec(t, "exec", c.spec); code != c.want {
			t.Errorf("hero-exec exec %.20s: exit %d (%s), want %d", c.spec, code, stderr, c.want)
		}
	}
}
