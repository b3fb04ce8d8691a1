//go:build browser

// Package browser tests hero's Cockpit page ("Hero services", packaging/cockpit) in a real
// browser: Debian's chromium, headless, driven through the DevTools protocol (chromedp), against
// cockpit-ws inside a testbed container (Debian 12's Cockpit 287, real systemd) where the
// hero-systemd Debian package is installed and the examples are loaded.
//
// The container has a private network: its cockpit-ws listens on the container's loopback, and
// this test forwards a port of the host's loopback to it (each connection dialled from inside
// the container's network namespace), so every byte stays on this machine. Two cockpit-ws run
// there with --local-session: one as root (an administrator) and one as the plain user "alice"
// (not in adm nor systemd-journal, not authorized by polkit).
//
// Screenshots of each page are written to HERO_BROWSER_ARTIFACTS (default: a new folder under
// the system's temporary directory), which the test prints.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	tb "github.com/hero-systemd/hero-systemd/tests/testbed"
)

// The Cockpit flavour of the testbed: Debian 12's rootfs with Cockpit added by apt.
const cockpitPackages = "cockpit-ws,cockpit-bridge,cockpit-system"

// The first port of the cockpit-ws inside the container (not 9090: cockpit.socket has it, and
// its sessions ask for a login). Each browser gets a cockpit-ws of its own: a local session ends
// with its first browser, and the next one would be asked to log in.
const firstPort = 9190

// plainUser is a user of the container in no privileged group.
const plainUser = "alice"

// bed is the container every test of the package shares.
var bed struct {
	repo      string
	deb       string // the package built for the tier ("" when it reuses a container)
	machine   string
	leader    string
	artifacts string
	ports     int // cockpit-ws started so far
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "browser: the browser tier boots a systemd-nspawn container and must run as root")
		return 1
	}
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		fmt.Fprintf(os.Stderr, "browser: no chromium at %s (apt-get install chromium): %v\n", chromiumPath(), err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cleanup, err := setUp(ctx)
	defer cleanup()
	// Ctrl-C or a kill still halts the container.
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		cleanup()
		os.Exit(130)
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	fmt.Printf("browser: screenshots in %s\n", bed.artifacts)
	return m.Run()
}

func chromiumPath() string {
	if p := os.Getenv("HERO_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// setUp builds the package, boots the container, installs hero and Cockpit's two sessions, and
// opens the forwards. The cleanup it returns halts the container; it is never nil.
func setUp(ctx context.Context) (func(), error) {
	noop := func() {}
	repo, err := tb.ModuleRoot()
	if err != nil {
		return noop, err
	}
	bed.repo = repo
	if bed.artifacts = os.Getenv("HERO_BROWSER_ARTIFACTS"); bed.artifacts == "" {
		if bed.artifacts, err = os.MkdirTemp("", "hero-browser-"); err != nil {
			return noop, fmt.Errorf("make the artifacts folder: %w", err)
		}
	} else if err := os.MkdirAll(bed.artifacts, 0o755); err != nil {
		return noop, fmt.Errorf("make the artifacts folder %s: %w", bed.artifacts, err)
	}
	if m, l := os.Getenv("HERO_BROWSER_MACHINE"), os.Getenv("HERO_BROWSER_LEADER"); m != "" && l != "" {
		// A container this test set up before and left running (for work on the page).
		bed.machine, bed.leader = m, l
		return noop, nil
	}
	stage, err := os.MkdirTemp("", "hero-browser-stage-")
	if err != nil {
		return noop, fmt.Errorf("make a staging folder: %w", err)
	}
	removeStage := func() { os.RemoveAll(stage) }
	if err := os.Chmod(stage, 0o755); err != nil {
		return removeStage, fmt.Errorf("chmod %s: %w", stage, err)
	}
	deb, err := buildPackage(ctx, stage)
	if err != nil {
		return removeStage, err
	}
	bed.deb = deb
	if err := bootContainer(ctx, stage); err != nil {
		return removeStage, err
	}
	cleanup := func() {
		if out, err := testbed(context.Background(), "down", bed.machine); err != nil {
			fmt.Fprintf(os.Stderr, "browser: halting %s: %v\n%s", bed.machine, err, out)
		}
		removeStage()
	}
	return cleanup, installHero(ctx, filepath.Base(deb))
}

func buildPackage(ctx context.Context, stage string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(bed.repo, "packaging/deb/build.sh"), stage)
	cmd.Env = append(os.Environ(), "HERO_VERSION=0.0+browser")
	out, err := tb.Showing("building the Debian package", "the first build on a machine compiles hero: minutes; seconds after", cmd)
	if err != nil {
		return "", fmt.Errorf("build the Debian package: %w\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(stage, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("build the Debian package: want one .deb in %s, got %v", stage, debs)
	}
	return debs[0], nil
}

// testbed runs tests/testbed/testbed.sh with the Cockpit flavour.
func testbed(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(bed.repo, "tests/testbed/testbed.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "HERO_TESTBED_EXTRA="+cockpitPackages)
	return cmd.CombinedOutput()
}

func bootContainer(ctx context.Context, stage string) error {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(bed.repo, "tests/testbed/testbed.sh"), "up", "--bind-ro", stage+":/opt/hero")
	cmd.Env = append(os.Environ(), "HERO_TESTBED_EXTRA="+cockpitPackages)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MACHINE="); ok {
			bed.machine = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "LEADER="); ok {
			bed.leader = v
		}
	}
	if err != nil || bed.machine == "" || bed.leader == "" {
		return fmt.Errorf("boot the Cockpit testbed (HERO_TESTBED_EXTRA=%s testbed.sh up): %v\n%s%s", cockpitPackages, err, out, stderr.String())
	}
	return nil
}

// inside runs a command in the container and returns its combined output.
func inside(ctx context.Context, args ...string) (string, error) {
	out, err := testbed(ctx, append([]string{"exec", bed.machine, "--"}, args...)...)
	if err != nil {
		return string(out), fmt.Errorf("in the container, %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// installHero installs the package as packaging/try.sh does, loads the examples, and adds the
// plain user.
func installHero(ctx context.Context, deb string) error {
	steps := [][]string{
		{"dpkg", "-i", "/opt/hero/" + deb},
		{"sh", "-c", "cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/"},
		{"heroctl", "-q", "daemon-reload"},
		{"useradd", "--create-home", "--shell", "/bin/bash", plainUser},
	}
	for _, s := range steps {
		if _, err := inside(ctx, s...); err != nil {
			return fmt.Errorf("install hero in the container: %w", err)
		}
	}
	return nil
}

// startCockpit runs a cockpit-ws as user with a local session (its bridge runs as that user, no
// login) on the container's loopback, forwards a host port to it, and waits until it answers.
// It returns the URL and the unit that runs it.
func startCockpit(ctx context.Context, user string) (string, string, error) {
	port := firstPort + bed.ports
	bed.ports++
	unit := fmt.Sprintf("hero-test-cockpit-%d", port)
	args := []string{"systemd-run", "--unit", unit, "--uid", user, "--setenv", "XDG_RUNTIME_DIR=/tmp",
		"/usr/lib/cockpit/cockpit-ws", "--no-tls", "--port", fmt.Sprint(port), "--address", "127.0.0.1",
		"--local-session=cockpit-bridge"}
	if _, err := inside(ctx, args...); err != nil {
		return "", "", fmt.Errorf("start cockpit-ws as %s: %w", user, err)
	}
	url, err := forwardTo(ctx, port)
	if err != nil {
		return "", unit, fmt.Errorf("cockpit-ws of %s (unit %s): %w", user, unit, err)
	}
	// The answer must come from this cockpit-ws, not from something else on the port.
	if out, err := inside(ctx, "systemctl", "is-active", unit); err != nil {
		return "", unit, fmt.Errorf("cockpit-ws of %s (unit %s) is not running: %w\n%s", user, unit, err, out)
	}
	return url, unit, nil
}

// forwardTo forwards a port of the host's loopback to port on the container's, and waits until
// an HTTP server answers through it. It returns the URL of the host's end.
func forwardTo(ctx context.Context, port int) (string, error) {
	target := fmt.Sprintf("127.0.0.1:%d", port)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen for the forward to %s: %w", target, err)
	}
	go forward(ln, target)
	if err := waitHTTP(ctx, ln.Addr().String()); err != nil {
		return "", fmt.Errorf("no answer on the container's %s: %w", target, err)
	}
	return "http://" + ln.Addr().String(), nil
}

// waitHTTP waits until an HTTP GET of / through addr gets a status line.
func waitHTTP(ctx context.Context, addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "HTTP/") {
				return nil
			}
			last = fmt.Errorf("no status line: %q %v", line, rerr)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return last
}

// forward accepts connections on the host's loopback and joins each to target on the
// container's loopback.
func forward(ln net.Listener, target string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			// A refused dial closes the browser's connection: it sees the server is not up yet.
			up, err := dialInContainer(target)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}

// dialInContainer dials addr from inside the container's network namespace. A socket keeps the
// namespace it was made in, so only the dial needs a thread in it; that thread is locked and
// never unlocked, so Go ends it rather than reuse it elsewhere.
func dialInContainer(addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := os.Open("/proc/" + bed.leader + "/ns/net")
		if err != nil {
			ch <- result{nil, fmt.Errorf("open the container's network namespace: %w", err)}
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("enter the container's network namespace: %w", err)}
			return
		}
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
