//go:build daemons

package daemons

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// The harness of the tier: what every scenario needs, and nothing of any one daemon's.

var (
	heroctlBin = filepath.Join(testbed.BinDir, "heroctl")
	herodBin   = filepath.Join(testbed.BinDir, "herod")
)

// stopDebianUnits stops Debian's own units of the daemons (they start at boot in the
// container), and waits until they are down, so their ports and directories are free.
func stopDebianUnits() error {
	args := append([]string{"stop"}, debianUnits...)
	if out, err := exec.Command("systemctl", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("stopping Debian's units (systemctl %s): %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Stack is a herod of one test's own, on a config directory and state directory of its own,
// as the Debian package runs it (the packaged D-Bus policy and polkit action in place). It is
// stopped when the test ends, and every hero unit with it.
type Stack struct {
	t         *testing.T
	ConfigDir string
	StateDir  string
	cmd       *exec.Cmd
	log       string
}

// StartStack starts herod on a new config directory holding files (name -> content) and waits
// until it serves.
func StartStack(t *testing.T, files map[string]string) *Stack {
	t.Helper()
	installPolicy(t)
	s := &Stack{t: t, ConfigDir: t.TempDir(), StateDir: t.TempDir()}
	s.log = filepath.Join(s.StateDir, "herod.log")
	for name, data := range files {
		s.Write(name, data)
	}
	s.Launch()
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(s.log)
			t.Logf("herod log:\n%s", log)
		}
		s.Stop()
		exec.Command("systemctl", "stop", "hero-*.service").Run()
		exec.Command("systemctl", "reset-failed", "hero-*.service").Run()
		waitHeroUnitsGone()
	})
	return s
}

// Launch starts (another) herod on the stack's directories and waits for its bus name: after
// Stop, it is herod coming back.
func (s *Stack) Launch() {
	s.t.Helper()
	logf, err := os.OpenFile(s.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(herodBin, "--config-dir", s.ConfigDir, "--state-dir", s.StateDir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	go func() { cmd.Wait(); logf.Close() }()
	WaitFor(s.t, 20*time.Second, "herod owns its bus name", func() bool {
		return testbed.Run(s.t, "busctl", "status", "org.hero.Proc1").Code == 0
	})
}

// Stop stops the herod launched last (SIGTERM) and waits until it is gone; the services run on.
func (s *Stack) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	testbed.Until(30*time.Second, 20*time.Millisecond, func() bool { return s.cmd.Process.Signal(syscall.Signal(0)) != nil })
	s.cmd = nil
}

// Write writes a config file into the stack's directory (0644, root's: trusted).
func (s *Stack) Write(name, data string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.ConfigDir, name), []byte(data), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// DaemonReload makes herod read the config directory again; a problem fails the test.
func (s *Stack) DaemonReload() {
	s.t.Helper()
	WantExit(s.t, Heroctl(s.t, "daemon-reload"), 0, "heroctl daemon-reload")
}

// Heroctl runs heroctl inside the container.
func Heroctl(t testing.TB, args ...string) testbed.Result {
	t.Helper()
	return testbed.Run(t, heroctlBin, args...)
}

// MustHeroctl runs heroctl and fails the test unless it exits 0; it returns stdout.
func MustHeroctl(t testing.TB, args ...string) string {
	t.Helper()
	r := Heroctl(t, args...)
	WantExit(t, r, 0, "heroctl "+strings.Join(args, " "))
	return r.Stdout
}

// WantExit fails the test when r did not exit with code.
func WantExit(t testing.TB, r testbed.Result, code int, what string) {
	t.Helper()
	if r.Code != code {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, r.Code, code, r.Stdout, r.Stderr)
	}
}

// Timed runs heroctl and returns how long it took; it fails the test unless it exits 0.
func Timed(t testing.TB, args ...string) time.Duration {
	t.Helper()
	began := time.Now()
	MustHeroctl(t, args...)
	return time.Since(began)
}

// WaitFor fails the test unless cond holds within timeout (testbed.Eventually: polled every 20 ms).
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testbed.Eventually(t, timeout, what, cond)
}

// Unit is the unit of a service of the default context.
func Unit(service string) string { return "hero-default-" + service + ".service" }

// Show reads one property of a unit (systemctl show -p PROP --value).
func Show(t testing.TB, unit, prop string) string {
	t.Helper()
	return strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", prop, "--value", unit))
}

// MainPID is the main process of a service's unit ("0" when none).
func MainPID(t testing.TB, service string) string { return Show(t, Unit(service), "MainPID") }

// Journal is what a unit's processes wrote, since its current run began (journalctl, after a
// sync, so every line written so far is there).
func Journal(t testing.TB, unit string) string {
	t.Helper()
	testbed.Run(t, "journalctl", "--sync")
	return testbed.Run(t, "journalctl", "-u", unit, "-o", "cat", "--no-pager").Stdout
}

// RunAs runs a command as user inside the container.
func RunAs(t testing.TB, user string, name string, args ...string) testbed.Result {
	t.Helper()
	return testbed.Run(t, "runuser", append([]string{"-u", user, "--", name}, args...)...)
}

// EnsureUser creates a system user when it does not exist.
func EnsureUser(t testing.TB, name string) {
	t.Helper()
	if testbed.Run(t, "id", name).Code != 0 {
		testbed.MustRun(t, "useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name)
	}
}

// exposureRe reads systemd-analyze security's verdict.
var exposureRe = regexp.MustCompile(`Overall exposure level for \S+: ([0-9]+\.[0-9])`)

// Exposure is systemd-analyze security's overall exposure of a unit (0.0 .. 10.0).
func Exposure(t testing.TB, unit string) float64 {
	t.Helper()
	r := testbed.Run(t, "systemd-analyze", "security", "--no-pager", unit)
	m := exposureRe.FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("systemd-analyze security %s: no exposure level in:\n%s%s", unit, r.Stdout, r.Stderr)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// figures are what the tier measured, printed at its end (and by each test's log).
var figures struct {
	mu   sync.Mutex
	rows []string
}

// Figure records one measured figure, "what: value", printed at the end of the tier.
func Figure(t testing.TB, what, format string, args ...any) {
	t.Helper()
	row := fmt.Sprintf("%-58s %s", what+":", fmt.Sprintf(format, args...))
	t.Log(row)
	figures.mu.Lock()
	defer figures.mu.Unlock()
	figures.rows = append(figures.rows, row)
}

// printFigures writes every figure the tests recorded, in the order they were measured.
func printFigures(w io.Writer) {
	figures.mu.Lock()
	defer figures.mu.Unlock()
	if len(figures.rows) == 0 {
		return
	}
	fmt.Fprintf(w, "daemons: figures measured (systemd %s):\n", systemdVersion())
	for _, r := range figures.rows {
		fmt.Fprintf(w, "  %s\n", r)
	}
}

func systemdVersion() string {
	out, err := exec.Command("systemctl", "--version").Output()
	if err != nil {
		return "?"
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	if sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 1 {
			return f[1]
		}
	}
	return "?"
}

// installPolicy puts the packaged D-Bus policy and polkit action in place and makes the bus read
// the policy, as the Debian package does.
func installPolicy(t *testing.T) {
	t.Helper()
	for from, to := range map[string]string{
		"packaging/dbus/org.hero.Proc1.conf":     "/etc/dbus-1/system.d/org.hero.Proc1.conf",
		"packaging/polkit/org.hero.proc1.policy": "/usr/share/polkit-1/actions/org.hero.proc1.policy",
	} {
		data, err := os.ReadFile(filepath.Join(testbed.SrcDir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testbed.MustRun(t, "busctl", "call", "org.freedesktop.DBus", "/", "org.freedesktop.DBus", "ReloadConfig")
}

// waitHeroUnitsGone waits (up to 30 s) until systemd has unloaded every hero unit, so the next
// test's units of the same names can be created.
func waitHeroUnitsGone() {
	testbed.Until(30*time.Second, 50*time.Millisecond, func() bool {
		out, err := exec.Command("systemctl", "list-units", "--all", "--plain", "--no-legend", "hero-*.service").Output()
		return err == nil && strings.TrimSpace(string(out)) == ""
	})
}
