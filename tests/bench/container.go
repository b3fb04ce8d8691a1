package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Paths inside the testbed container (tests/bench/run.sh binds them in).
const (
	binDir    = "/opt/hero/bin" // herod, heroctl, hero-bench (static)
	srcDir    = "/opt/hero-src" // the repository, read-only
	workDir   = "/var/lib/hero-bench"
	herodUnit = "herod.service"
	busName   = "org.hero.Proc1"
	// opTimeout bounds every command the benchmark runs: a wedged herod is a hang to report,
	// never a benchmark that waits forever.
	opTimeout = 5 * time.Minute
)

// box is the container as the benchmark drives it: its systemd over D-Bus, herod under
// systemd, heroctl and systemctl as processes.
type box struct {
	systemd   *sddbus.Conn
	bus       *dbus.Conn
	configDir string
	stateDir  string
	herodEnv  []string // herod's environment (NAME=VALUE), besides systemd's
}

// outcome is how a command ended and how long it took.
type outcome struct {
	took           time.Duration
	code           int // exit status; -1 when it did not run or was killed
	stdout, stderr string
	timedOut       bool
}

// failure describes a command that did not exit 0, with what it printed.
func (o outcome) failure(name string, args []string) error {
	what := strings.TrimSpace(o.stderr)
	if what == "" {
		what = strings.TrimSpace(o.stdout)
	}
	if len(args) > 8 { // thousands of names (the scale section)
		args = append(args[:8:8], fmt.Sprintf("... (%d more)", len(args)-8))
	}
	if o.timedOut {
		return fmt.Errorf("%s %s: no answer after %s", name, strings.Join(args, " "), opTimeout)
	}
	return fmt.Errorf("%s %s: exit status %d: %s", name, strings.Join(args, " "), o.code, ends(what, 3))
}

// ends is the first n and the last n lines of s (an error follows thousands of progress lines).
func ends(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= 2*n {
		return s
	}
	return strings.Join(lines[:n], "\n") + "\n...\n" + strings.Join(lines[len(lines)-n:], "\n")
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}

// run runs a command and times it from just before its start to its exit.
func run(ctx context.Context, name string, args ...string) outcome {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	o := outcome{took: time.Since(began), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		o.code, o.timedOut = -1, true
	case errors.As(err, &ee):
		o.code = ee.ExitCode()
	default:
		o.code, o.stderr = -1, err.Error()
	}
	return o
}

// must runs a command that has to succeed and returns how long it took.
func must(ctx context.Context, name string, args ...string) (time.Duration, error) {
	o := run(ctx, name, args...)
	if o.code != 0 {
		return o.took, o.failure(name, args)
	}
	return o.took, nil
}

func heroctl(ctx context.Context, args ...string) outcome {
	return run(ctx, filepath.Join(binDir, "heroctl"), args...)
}

func mustHeroctl(ctx context.Context, args ...string) (time.Duration, error) {
	return must(ctx, filepath.Join(binDir, "heroctl"), args...)
}

// openBox connects to the container's system bus and prepares herod's directories.
func openBox(ctx context.Context) (*box, error) {
	systemd, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	bus, err := dbus.ConnectSystemBus()
	if err != nil {
		systemd.Close()
		return nil, fmt.Errorf("connect to the system bus: %w", err)
	}
	b := &box{systemd: systemd, bus: bus,
		configDir: filepath.Join(workDir, "services"), stateDir: filepath.Join(workDir, "state")}
	for _, dir := range []string{b.configDir, b.stateDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.close()
			return nil, fmt.Errorf("prepare %s: %w", dir, err)
		}
	}
	return b, nil
}

func (b *box) close() {
	b.systemd.Close()
	b.bus.Close()
}

// installPolicy puts the packaged D-Bus policy in place and makes the bus read it, as the
// Debian package does.
func (b *box) installPolicy(ctx context.Context) error {
	data, err := os.ReadFile(filepath.Join(srcDir, "packaging/dbus/org.hero.Proc1.conf"))
	if err != nil {
		return fmt.Errorf("install D-Bus policy: %w", err)
	}
	if err := os.WriteFile("/etc/dbus-1/system.d/org.hero.Proc1.conf", data, 0o644); err != nil {
		return fmt.Errorf("install D-Bus policy: %w", err)
	}
	_, err = must(ctx, "busctl", "call", "org.freedesktop.DBus", "/", "org.freedesktop.DBus", "ReloadConfig")
	return err
}

// startHerod runs herod as a transient unit of the container's systemd and waits for its name.
func (b *box) startHerod(ctx context.Context) error {
	var err error
	if b.herodLoaded(ctx) {
		// The unit of the herod stopped before is still loaded: start it again, same command.
		_, err = must(ctx, "systemctl", "start", herodUnit)
	} else {
		args := []string{"--quiet", "--unit", herodUnit}
		for _, e := range b.herodEnv {
			args = append(args, "--setenv", e)
		}
		_, err = must(ctx, "systemd-run", append(args, filepath.Join(binDir, "herod"),
			"--config-dir", b.configDir, "--state-dir", b.stateDir)...)
	}
	if err != nil {
		return fmt.Errorf("start herod: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var owned bool
		if err := b.bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&owned); err == nil && owned {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("start herod: %s not owned after 30 s; journalctl -u herod says:\n%s", busName, b.herodLog(ctx, 20))
}

// stopHerod stops herod's unit (hero's own units stay, as they do when herod is upgraded).
func (b *box) stopHerod(ctx context.Context) error {
	if _, err := must(ctx, "systemctl", "stop", herodUnit); err != nil {
		return fmt.Errorf("stop herod: %w", err)
	}
	run(ctx, "systemctl", "reset-failed", herodUnit) // a unit that exited cleanly is already gone
	return nil
}

// herodLoaded reports whether systemd still holds herod's stopped transient unit (it unloads it
// shortly after the stop, later when its cgroup is slow to go).
func (b *box) herodLoaded(ctx context.Context) bool {
	return strings.TrimSpace(run(ctx, "systemctl", "show", "-p", "LoadState", "--value", herodUnit).stdout) == "loaded"
}

func (b *box) herodPID(ctx context.Context) (int, error) {
	o := run(ctx, "systemctl", "show", "-p", "MainPID", "--value", herodUnit)
	pid, err := strconv.Atoi(strings.TrimSpace(o.stdout))
	if o.code != 0 || err != nil || pid == 0 {
		return 0, fmt.Errorf("herod's main PID: %q (exit %d)", strings.TrimSpace(o.stdout), o.code)
	}
	return pid, nil
}

func (b *box) herodLog(ctx context.Context, lines int) string {
	return run(ctx, "journalctl", "--no-pager", "-u", herodUnit, "-n", strconv.Itoa(lines)).stdout
}

// loadServices replaces herod's config directory with svcs and reloads herod.
func (b *box) loadServices(ctx context.Context, svcs []service) error {
	old, _ := filepath.Glob(filepath.Join(b.configDir, "*.toml"))
	for _, f := range old {
		os.Remove(f)
	}
	for _, s := range svcs {
		if err := os.WriteFile(filepath.Join(b.configDir, s.name+".toml"), []byte(s.toml()), 0o644); err != nil {
			return fmt.Errorf("write config of %s: %w", s.name, err)
		}
	}
	if _, err := mustHeroctl(ctx, "daemon-reload"); err != nil {
		return fmt.Errorf("load %d services: %w", len(svcs), err)
	}
	return nil
}

// activeCount counts the units that systemd reports active.
func (b *box) activeCount(ctx context.Context, units []string) (int, error) {
	n := 0
	for len(units) > 0 {
		batch := units[:min(len(units), 200)]
		units = units[len(batch):]
		st, err := b.systemd.ListUnitsByNamesContext(ctx, batch)
		if err != nil {
			return 0, fmt.Errorf("list units: %w", err)
		}
		for _, u := range st {
			if u.ActiveState == "active" {
				n++
			}
		}
	}
	return n, nil
}

// expectActive checks that exactly want of units are active: a measured operation did its work.
// It looks again for up to settleActive (untimed): on a loaded machine systemd may report a unit
// a moment after the job that started or stopped it.
func (b *box) expectActive(ctx context.Context, what string, units []string, want int) error {
	deadline := time.Now().Add(settleActive)
	for {
		got, err := b.activeCount(ctx, units)
		if err != nil {
			return err
		}
		if got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d units active after %s, want %d", what, got, len(units), settleActive, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settleActive bounds how long expectActive waits for the units to be as wanted.
const settleActive = 20 * time.Second

// activeState is one unit's ActiveState ("inactive" for a unit systemd does not know).
func (b *box) activeState(ctx context.Context, unit string) string {
	st, err := b.systemd.ListUnitsByNamesContext(ctx, []string{unit})
	if err != nil || len(st) == 0 {
		return "unknown"
	}
	return st[0].ActiveState
}
