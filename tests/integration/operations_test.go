//go:build integration

package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// gated is a service whose health check passes once its gate file exists: its start lasts as
// long as a test wants.
func gated(gate string) string {
	return `exec = ["/bin/sleep", "1000"]
health = ["/usr/bin/test", "-e", "` + gate + `"]
health_interval = "100ms"
health_timeout = "120s"
`
}

// startHerodWith starts herod on the example configs plus files.
func startHerodWith(t *testing.T, files map[string]string) *herod {
	t.Helper()
	h := startHerod(t)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(h.configDir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	return h
}

// background runs heroctl without waiting for it.
type background struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
}

func heroctlBackground(t *testing.T, args ...string) *background {
	t.Helper()
	b := &background{cmd: exec.Command(heroctlBin, args...), done: make(chan error, 1)}
	b.cmd.Stdout, b.cmd.Stderr = &b.stdout, &b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() { b.cmd.Process.Kill() })
	return b
}

func (b *background) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
		return b.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("heroctl %v still running after %s\nstderr: %s", b.cmd.Args[1:], timeout, b.stderr.String())
	}
	return -1
}

func waitActivating(t *testing.T, name string) {
	t.Helper()
	testbed.Eventually(t, 10*time.Second, name+" activating", func() bool {
		return strings.TrimSpace(heroctl(t, "show", "-p", "ActiveState", "--value", name).Stdout) == "activating"
	})
}

// One start of 200 services, a chain of 100 among them: more calls than the bus lets one
// connection await (max_replies_per_connection, 128): all start, and the chain in its order.
func TestStartOfManyServicesInOneCall(t *testing.T) {
	files := map[string]string{}
	var names []string
	for i := 0; i < 200; i++ {
		name := fmt.Sprintf("m%03d", i)
		body := "exec = [\"/bin/sleep\", \"1000\"]\n"
		if i > 0 && i < 100 {
			body += fmt.Sprintf("[dependencies]\nrequires = [\"m%03d\"]\n", i-1)
		}
		files[name+".toml"] = body
		names = append(names, name)
	}
	startHerodWith(t, files)
	r := heroctl(t, append([]string{"start"}, names...)...)
	wantExit(t, r, 0, "start 200 services")
	if !strings.Contains(r.Stderr, "Started 200 services") {
		t.Errorf("start: %s", lastLines(r.Stderr, 5))
	}
	var started []string
	for _, line := range strings.Split(r.Stderr, "\n") {
		if name, ok := strings.CutPrefix(line, "Started m"); ok && strings.Contains(name, "(job") {
			started = append(started, "m"+strings.Fields(name)[0])
		}
	}
	pos := map[string]int{}
	for i, n := range started {
		pos[n] = i
	}
	for i := 1; i < 100; i++ {
		if a, b := fmt.Sprintf("m%03d", i-1), fmt.Sprintf("m%03d", i); pos[a] > pos[b] {
			t.Errorf("%s reported started before %s, which it requires", b, a)
		}
	}
	active := testbed.Run(t, "systemctl", "list-units", "--state=active", "--no-legend", "hero-default-m*.service")
	if n := len(strings.Split(strings.TrimSpace(active.Stdout), "\n")); n != 200 {
		t.Errorf("%d hero-default-m* units active, want 200", n)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// While one service's start waits for its health check, operations on unrelated services run at
// once (each service is locked, not the daemon), and every heroctl prints only its own
// operation's progress.
func TestUnrelatedOperationsDoNotWait(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "healthy")
	startHerodWith(t, map[string]string{"slow.toml": gated(gate), "other.toml": `exec = ["/bin/sleep", "1000"]`})
	slow := heroctlBackground(t, "start", "slow")
	waitActivating(t, "slow")
	for _, step := range []struct {
		args []string
		code int
	}{
		{[]string{"start", "other"}, 0},
		{[]string{"status", "other"}, 0},
		{[]string{"stop", "other"}, 0},
		{[]string{"start", "db"}, 0},
		{[]string{"kill", "-s", "HUP", "db"}, 0},
		{[]string{"restart", "db"}, 0},
	} {
		began := time.Now()
		r := heroctl(t, step.args...)
		wantExit(t, r, step.code, strings.Join(step.args, " ")+" while slow starts")
		t.Logf("heroctl %s: %s while slow's start waits", strings.Join(step.args, " "), time.Since(began).Round(time.Millisecond))
		if strings.Contains(r.Stderr, "slow") {
			t.Errorf("heroctl %v printed another operation's progress: %q", step.args, r.Stderr)
		}
	}
	if out := testbed.MustRun(t, "busctl", "call", api.BusName, api.Path, api.Interface, "ResetFailed", "s", "other"); out != "" {
		t.Errorf("busctl ResetFailed: %q", out)
	}
	if s := strings.TrimSpace(heroctl(t, "show", "-p", "ActiveState", "--value", "slow").Stdout); s != "activating" {
		t.Fatalf("slow is %s: the unrelated operations did not run while it started", s)
	}
	os.WriteFile(gate, nil, 0o644)
	if code := slow.wait(t, 10*time.Second); code != 0 {
		t.Errorf("heroctl start slow: exit %d\n%s", code, slow.stderr.String())
	}
	if !strings.Contains(slow.stderr.String(), "Started slow (job") || strings.Contains(slow.stderr.String(), "other") || strings.Contains(slow.stderr.String(), "db") {
		t.Errorf("heroctl start slow printed %q: want its own progress only", slow.stderr.String())
	}
}

// A start whose health check takes longer than a D-Bus call may wait (25 s for busctl and
// libdbus) works through heroctl and busctl: the call returns once the start is queued.
func TestLongStartHasNoCallTimeout(t *testing.T) {
	ready := func(name string) string {
		return `exec = ["/bin/sh", "-c", "sleep 30; touch $RUNTIME_DIRECTORY/ok; exec sleep 1000"]
health = ["/bin/sh", "-c", "test -e $RUNTIME_DIRECTORY/ok"]
health_interval = "200ms"
health_timeout = "90s"
`
	}
	startHerodWith(t, map[string]string{"long1.toml": ready("long1"), "long2.toml": ready("long2")})
	cli := heroctlBackground(t, "start", "long1")
	began := time.Now()
	out := testbed.MustRun(t, "busctl", "call", api.BusName, api.Path, api.Interface, "Start", "sb", "long2", "true")
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("busctl Start took %s: it must return once the start is queued", took)
	}
	if !regexp.MustCompile(`^tasb [1-9][0-9]* 1 "long2" false$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("busctl Start: %q", out)
	}
	if code := cli.wait(t, 60*time.Second); code != 0 || strings.Contains(cli.stderr.String(), "imed out") {
		t.Errorf("heroctl start long1: exit %d\n%s", code, cli.stderr.String())
	}
	if took := time.Since(began); took < 25*time.Second {
		t.Errorf("heroctl start returned after %s, before the health check could pass", took)
	}
	testbed.Eventually(t, 10*time.Second, "long2 up", func() bool { return heroctl(t, "is-active", "long2").Code == 0 })
}

// Ctrl-C stops heroctl's waiting, not the operation; --no-block and --timeout do the same on
// purpose.
func TestInterruptedWaitLeavesTheOperationGoing(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "healthy")
	startHerodWith(t, map[string]string{"slow.toml": gated(gate), "slow2.toml": gated(gate), "slow3.toml": gated(gate)})
	b := heroctlBackground(t, "start", "slow")
	waitActivating(t, "slow")
	// systemctl is-active's rule: only active (or reloading) is active; a unit on its way up
	// prints its state and exits 3.
	if r := heroctl(t, "is-active", "slow"); r.Code != 3 || strings.TrimSpace(r.Stdout) != "activating" {
		t.Errorf("is-active of an activating service: exit %d, %q; want 3, activating", r.Code, r.Stdout)
	}
	b.cmd.Process.Signal(syscall.SIGINT)
	if code := b.wait(t, 5*time.Second); code != 130 {
		t.Errorf("heroctl start after Ctrl-C: exit %d, want 130", code)
	}
	if !strings.Contains(b.stderr.String(), "the operation goes on in herod") || strings.Contains(b.stderr.String(), "closed network connection") {
		t.Errorf("after Ctrl-C: %q", b.stderr.String())
	}
	r := heroctl(t, "start", "--no-block", "slow2")
	wantExit(t, r, 0, "start --no-block")
	if !strings.Contains(r.Stderr, "Queued operation") {
		t.Errorf("start --no-block: %q", r.Stderr)
	}
	r = heroctl(t, "start", "--timeout", "1s", "slow3")
	wantExit(t, r, 1, "start --timeout 1s")
	if !strings.Contains(r.Stderr, "still going after 1s") {
		t.Errorf("start --timeout: %q", r.Stderr)
	}
	os.WriteFile(gate, nil, 0o644)
	for _, s := range []string{"slow", "slow2", "slow3"} {
		testbed.Eventually(t, 10*time.Second, s+" up after heroctl stopped waiting", func() bool { return heroctl(t, "is-active", s).Code == 0 })
	}
}

// What services wrote is as secret as the journal: root and members of adm or systemd-journal
// read it; anyone else is denied, by the bus policy and by herod itself, and sees environment
// names without their values.
func TestOutputIsForJournalReaders(t *testing.T) {
	startHerod(t)
	wantExit(t, heroctl(t, "start", "api"), 0, "start api")
	r := heroctlAs(t, unprivileged, "logs", "api")
	wantExit(t, r, 1, "unprivileged logs")
	if !strings.Contains(r.Stderr, "adm") {
		t.Errorf("unprivileged logs: %q, want advice naming the groups", r.Stderr)
	}
	for _, m := range []struct{ method, sig string }{{"JobOutput", "sx"}, {"JobLog", "sxu"}} {
		args := []string{"-u", unprivileged, "--", "busctl", "call", api.BusName, api.Path, api.Interface, m.method, m.sig, "api", "0"}
		if m.sig == "sxu" {
			args = append(args, "0")
		}
		if r := testbed.Run(t, "runuser", args...); r.Code == 0 || !strings.Contains(r.Stderr, "ccess denied") {
			t.Errorf("unprivileged busctl %s: exit %d %q", m.method, r.Code, r.Stderr)
		}
	}
	if r := heroctlAs(t, unprivileged, "cat", "api"); !strings.Contains(r.Stdout, `"API_PORT=…"`) || strings.Contains(r.Stdout, "8080") {
		t.Errorf("unprivileged cat shows environment values:\n%s", r.Stdout)
	}
	if r := heroctl(t, "cat", "api"); !strings.Contains(r.Stdout, `API_PORT=8080`) {
		t.Errorf("root's cat lacks the environment values:\n%s", r.Stdout)
	}
	testbed.MustRun(t, "usermod", "-aG", "adm", unprivileged)
	t.Cleanup(func() { exec.Command("gpasswd", "-d", unprivileged, "adm").Run() })
	r = heroctlAs(t, unprivileged, "logs", "api", "-o", "cat")
	wantExit(t, r, 0, "logs as a member of adm")
	if !strings.Contains(r.Stdout, "api: listening on :8080") {
		t.Errorf("logs as a member of adm: %q", r.Stdout)
	}
	if r := heroctlAs(t, unprivileged, "cat", "api"); !strings.Contains(r.Stdout, `API_PORT=8080`) {
		t.Errorf("a member of adm sees no environment values:\n%s", r.Stdout)
	}
}
