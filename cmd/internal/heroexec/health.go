package heroexec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// runHealth runs the check until it succeeds (exit 0), its timeout passes (exit 1) or the
// service's main process ends (exit 1: systemd then fails the start with the main process's own
// status, instead of waiting out the timeout). Each attempt's output is kept, never logged, so
// retries cannot bury the service's own lines; on giving up, the last attempt's output is
// written under the check's own journal identifier.
func runHealth(h execspec.Health, stdout io.Writer) int {
	out := journalWriter(h.Identifier, stdout)
	fmt.Fprintf(out, "waiting up to %s for the health check: %s\n", h.Timeout, strings.Join(h.Argv, " "))
	deadline := time.Now().Add(h.Timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	mainGone := watchMain(ctx, os.Getenv("MAINPID"))
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-mainGone: // a check that hangs on a dead service ends with it
				acancel()
			case <-actx.Done():
			}
		}()
		last, ok := attemptOnce(actx, h)
		acancel()
		if ok {
			return 0
		}
		if mainExited(mainGone) {
			fmt.Fprintf(out, "%s (%d attempts)\n", execspec.HealthMainExited, attempt)
			return 1
		}
		if !time.Now().Add(h.Interval).Before(deadline) {
			fmt.Fprintf(out, "%s within %s (%d attempts); the last one said:\n", execspec.HealthGaveUp, h.Timeout, attempt)
			out.Write(bytes.TrimRight(last, "\n"))
			fmt.Fprintln(out)
			return 1
		}
		select {
		case <-time.After(h.Interval):
		case <-mainGone:
		}
	}
}

func mainExited(gone <-chan struct{}) bool {
	select {
	case <-gone:
		return true
	default:
		return false
	}
}

// watchMain returns a channel closed once the process pid (systemd's $MAINPID, set for
// ExecStartPost= commands) has exited. It waits on a pidfd, so a reused PID cannot fool it;
// without a pidfd (an old kernel) it checks the PID every 200 ms. Without a PID it never closes.
func watchMain(ctx context.Context, pid string) <-chan struct{} {
	gone := make(chan struct{})
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 1 {
		return gone
	}
	fd, err := unix.PidfdOpen(n, 0)
	if err != nil {
		if err == unix.ESRCH {
			close(gone)
			return gone
		}
		go pollPID(ctx, n, gone)
		return gone
	}
	go func() {
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for ctx.Err() == nil {
			// A pidfd is readable once its process exited; wake up now and then for ctx.
			if k, err := unix.Poll(fds, 500); err == nil && k > 0 {
				close(gone)
				return
			}
		}
	}()
	return gone
}

func pollPID(ctx context.Context, pid int, gone chan struct{}) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if unix.Kill(pid, 0) == unix.ESRCH {
				close(gone)
				return
			}
		}
	}
}

// attemptOnce runs the check once, bounded by ctx (the health deadline), and returns its output.
// It runs in a process group of its own, killed whole at the deadline, with the service's
// environment but systemd's notification socket.
func attemptOnce(ctx context.Context, h execspec.Health) ([]byte, bool) {
	cmd := exec.CommandContext(ctx, h.Argv[0], h.Argv[1:]...)
	cmd.Env = checkEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &buf, left: 64 << 10}, &limitedWriter{w: &buf, left: 64 << 10}
	err := cmd.Run()
	if err != nil && buf.Len() == 0 {
		fmt.Fprintf(&buf, "%v", err)
	}
	return buf.Bytes(), err == nil
}

// journalWriter is a stream to journald under identifier (its native stdout-stream protocol,
// as systemd-cat speaks it), or fallback when journald is not there. The stream opens at once
// and the first line is written while hero-exec surely runs, so journald attributes the lines
// to the unit and its run.
func journalWriter(identifier string, fallback io.Writer) io.Writer {
	conn, err := net.Dial("unix", "/run/systemd/journal/stdout")
	if err != nil {
		return fallback
	}
	// identifier, unit id (journald reads it from the sender), priority, level prefix,
	// forward to syslog, kmsg, console.
	if _, err := fmt.Fprintf(conn, "%s\n\n6\n0\n0\n0\n0\n", identifier); err != nil {
		conn.Close()
		return fallback
	}
	return conn
}
