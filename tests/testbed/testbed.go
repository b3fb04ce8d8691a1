// Package testbed runs integration tests against a real systemd in a systemd-nspawn container.
//
// An integration package calls Main from its TestMain. On the host, Main builds hero's binaries,
// boots a fresh container (testbed.sh up) with them and the compiled test binary bound in
// read-only at /opt/hero, runs the test binary inside, and always halts the container. Inside,
// the tests talk to the container's systemd over its system bus, as hero does in production.
// systemd is never booted on the host's own root.
package testbed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// Paths inside the container.
const (
	Root   = "/opt/hero"     // everything the host brings in, read-only
	BinDir = "/opt/hero/bin" // herod, heroctl, hero-exec
	// ExecHelper is hero-exec in the container, for units tests generate themselves.
	ExecHelper = BinDir + "/hero-exec"
	Deb        = "/opt/hero/hero-systemd.deb" // the Debian package
	SrcDir     = "/opt/hero-src"              // the repository, read-only (examples, fixtures)
	inside     = "HERO_TESTBED_INSIDE"
)

// Version is stamped into the binaries and the package the testbed builds.
const Version = "0.0+test"

// Inside reports whether this process runs inside the testbed container.
func Inside() bool { return os.Getenv(inside) == "1" }

// Main runs the package's tests inside a fresh container and exits with their status.
func Main(m *testing.M) {
	if Inside() {
		os.Exit(m.Run())
	}
	os.Exit(runOnHost())
}

func runOnHost() int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "testbed: integration tests boot systemd-nspawn and must run as root")
		return 1
	}
	src, err := ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbed:", err)
		return 1
	}
	stage, err := os.MkdirTemp("", "hero-testbed-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testbed:", err)
		return 1
	}
	defer os.RemoveAll(stage)
	// Unprivileged users in the container must reach the binaries too.
	if err := os.Chmod(stage, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "testbed:", err)
		return 1
	}
	if err := stageBinaries(src, stage); err != nil {
		fmt.Fprintln(os.Stderr, "testbed:", err)
		return 1
	}
	script := filepath.Join(src, "tests", "testbed", "testbed.sh")
	up := exec.Command("bash", script, "up", "--bind-ro", stage+":"+Root, "--bind-ro", src+":"+SrcDir)
	up.Stderr = os.Stderr
	out, err := up.Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testbed: booting the container: %v\n", err)
		return 1
	}
	info := ParseKV(out)
	machine := info["MACHINE"]
	down := func() { _ = exec.Command("bash", script, "down", machine).Run() }
	defer down()
	// An interrupt must still halt the container.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		down()
		os.Exit(130)
	}()
	fmt.Fprintf(os.Stderr, "testbed: %s up (leader %s) in %s ms\n", machine, info["LEADER"], info["BOOT_MS"])
	args := []string{"exec", machine, "--", "env", inside + "=1",
		"PATH=" + BinDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	// A test's knobs (HERO_TEST_*, e.g. HERO_TEST_SCALE_N) reach it inside the container.
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HERO_TEST_") {
			args = append(args, kv)
		}
	}
	args = append(append(args, Root+"/"+filepath.Base(os.Args[0])), os.Args[1:]...)
	run := exec.Command("bash", append([]string{script}, args...)...)
	run.Stdout, run.Stderr = os.Stdout, os.Stderr
	if err := run.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "testbed:", err)
		return 1
	}
	return 0
}

// stageBinaries copies the running test binary and builds static hero binaries into dir.
func stageBinaries(src, dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := copyFile(self, filepath.Join(dir, filepath.Base(os.Args[0]))); err != nil {
		return fmt.Errorf("staging test binary: %w", err)
	}
	build := exec.Command("go", "build", "-ldflags", "-X github.com/hero-systemd/hero-systemd/cmd/internal/version.Version="+Version,
		"-o", filepath.Join(dir, "bin")+"/", "./cmd/herod", "./cmd/heroctl", "./cmd/hero-exec")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := Showing("building herod, heroctl and hero-exec", firstBuild, build); err != nil {
		return fmt.Errorf("building hero binaries: %v\n%s", err, out)
	}
	// The Debian package, for the packaging tests (as hero-systemd.deb).
	pkg := exec.Command("bash", "packaging/deb/build.sh", filepath.Join(dir, "dist"))
	pkg.Dir = src
	// Uncompressed: this package only travels into the container (lintian checks the real one).
	pkg.Env = append(os.Environ(), "HERO_VERSION="+Version, "HERO_DEB_COMPRESSION=none")
	if out, err := Showing("building the Debian package", "seconds once the binaries are built", pkg); err != nil {
		return fmt.Errorf("building the Debian package: %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "dist", "*.deb"))
	if len(debs) != 1 {
		return fmt.Errorf("building the Debian package: want one .deb, got %v", debs)
	}
	return os.Rename(debs[0], filepath.Join(dir, "hero-systemd.deb"))
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ModuleRoot is the repository's root: the folder of hero-systemd's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the hero-systemd module")
	}
	return filepath.Dir(gomod), nil
}

// ParseKV reads KEY=VALUE lines, as testbed.sh up prints them (MACHINE=, LEADER=, BUS=, ...).
func ParseKV(out []byte) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// Systemd connects to the container's systemd over the system bus; closed when the test ends.
func Systemd(t testing.TB) *sddbus.Conn {
	t.Helper()
	// The connection lives as long as this context (go-systemd hands it to godbus): cancel it
	// only when the test is over.
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := sddbus.NewSystemConnectionContext(ctx)
	if err != nil {
		cancel()
		t.Fatalf("connecting to systemd: %v", err)
	}
	t.Cleanup(func() { conn.Close(); cancel() })
	return conn
}

// Result is what a command printed and how it exited.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs a command inside the container (where the test runs) and returns its result; only
// a failure to start it at all fails the test.
func Run(t testing.TB, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Code = ee.ExitCode()
	default:
		t.Fatalf("running %s: %v", name, err)
	}
	return res
}

// MustRun is Run that fails the test on a non-zero exit.
func MustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	r := Run(t, name, args...)
	if r.Code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// Self returns a command that runs one test of the running test binary again, in a process of
// its own, with extra environment: for tests that kill a process mid-work.
func Self(test string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// Until polls cond every interval until it holds (true) or timeout has passed (false): the one
// polling loop of the test tiers, for every wait on something nothing announces (Eventually and
// Consistently fail the test with it; a wait that must not fail the test, or that says more
// when it times out, uses it directly).
func Until(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
	return true
}

// Eventually fails the test unless cond holds within timeout (polled every 20 ms).
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Until(timeout, 20*time.Millisecond, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Consistently fails the test if cond stops holding within d (polled every 200 ms): what must
// not happen, given time to happen.
func Consistently(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if Until(d, 200*time.Millisecond, func() bool { return !cond() }) {
		t.Fatalf("%s stopped holding within %s", what, d)
	}
}

// firstBuild is how long a build of hero takes, as Showing says it.
const firstBuild = "the first build on a machine downloads about 20 Go modules and compiles them: minutes, up to 10 on a busy 2-core machine; seconds after"

// progressEvery is how often Showing says how long a step has run.
const progressEvery = 15 * time.Second

// Showing runs cmd (its output kept and returned) and says on stderr what it does, how long it
// takes (estimate), then every 15 s how long it has run and its output's last line, and when it
// is done: a long first build is never minutes of silence.
func Showing(what, estimate string, cmd *exec.Cmd) ([]byte, error) {
	fmt.Fprintf(os.Stderr, "testbed: %s (%s)...\n", what, estimate)
	out := &lastLines{}
	cmd.Stdout, cmd.Stderr = out, out
	started := time.Now()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Fprintf(os.Stderr, "testbed: %s: %s so far (%s)\n", what, time.Since(started).Round(time.Second), out.last())
			}
		}
	}()
	err := cmd.Run()
	close(done)
	fmt.Fprintf(os.Stderr, "testbed: %s: done in %s\n", what, time.Since(started).Round(time.Second))
	return out.bytes(), err
}

// lastLines collects a command's output (both streams, from several goroutines).
type lastLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lastLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lastLines) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

// last is the output's last line, cut to 72 bytes.
func (l *lastLines) last() string {
	lines := strings.Split(strings.TrimSpace(string(l.bytes())), "\n")
	last := lines[len(lines)-1]
	if len(last) > 72 {
		last = last[:72]
	}
	return last
}
