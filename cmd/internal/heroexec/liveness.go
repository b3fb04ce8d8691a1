package heroexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// A liveness check is systemd's watchdog fed by hero-exec. The unit has WatchdogSec=,
// WatchdogSignal=SIGKILL and NotifyAccess=all; its ExecStartPost= (runPost) runs the health
// check, if any, and then leaves the liveness loop (runLiveness, this binary again) in the
// service's cgroup, in a session of its own, and exits, so the unit becomes active. The loop
// runs the check every interval with the service's user, environment and sandbox (it is a
// process of the unit), sends WATCHDOG=1 after each success and STATUS= (systemd's StatusText)
// saying whether the service is healthy, and after the configured failures in a row
// WATCHDOG=trigger: systemd then kills the service as for a missed watchdog (Result=watchdog)
// and its restart policy applies. It ends when the service's main process does (a pidfd), so no
// KillMode leaves it behind. Nothing of this needs herod.

// runPost is ExecStartPost='s hero-exec: the health check, if any, then the liveness loop, if
// any, started in the background. systemd's watchdog runs from the start-post state on, so it
// is fed while the health check runs.
func runPost(h execspec.Health, stdout io.Writer) int {
	if h.Liveness == nil {
		return runHealth(h, stdout)
	}
	n, err := newNotifier()
	if err != nil {
		fmt.Fprintf(journalWriter(h.Liveness.Identifier, stdout), "liveness: %v\n", err)
		return 1
	}
	defer n.close()
	n.send("STATUS=", "WATCHDOG=1") // a new run: the last run's status is not this one's
	stop := n.keepFed(time.Second)
	code := 0
	if len(h.Argv) > 0 {
		code = runHealth(h, stdout)
	}
	stop()
	if code != 0 {
		return code
	}
	if err := spawnLiveness(*h.Liveness); err != nil {
		fmt.Fprintf(journalWriter(h.Liveness.Identifier, stdout), "liveness: starting the check loop: %v\n", err)
		return 1
	}
	return 0
}

// spawnLiveness starts `hero-exec liveness SPEC` in a session of its own, not waited for: it
// stays in the unit's cgroup after this ExecStartPost= process exits.
func spawnLiveness(l execspec.Liveness) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "liveness", execspec.Encode(l))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// runLiveness is the liveness loop (see the top of this file). It returns once the service's
// main process has exited.
func runLiveness(l execspec.Liveness, stdout io.Writer) int {
	out := journalWriter(l.Identifier, stdout)
	n, err := newNotifier()
	if err != nil {
		fmt.Fprintf(out, "liveness: %v: systemd's watchdog will stop the service\n", err)
		return 1
	}
	defer n.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mainGone := watchMain(ctx, os.Getenv("MAINPID"))
	st := livenessState{max: l.Failures}
	for {
		began := time.Now()
		ok, why, said := runCheck(ctx, l.Argv, l.Interval, mainGone)
		if mainExited(mainGone) {
			return 0
		}
		msgs, line := st.after(ok, why, said)
		n.send(msgs...)
		if line != "" {
			fmt.Fprintln(out, line)
		}
		select {
		case <-mainGone:
			return 0
		case <-time.After(time.Until(began.Add(l.Interval))):
		}
	}
}

// livenessState counts a liveness loop's failures in a row and says what to tell systemd.
type livenessState struct {
	failures, max int
	status        string // the last STATUS= sent
}

// after takes a check's result (when it failed: how, and its last line of output) and returns
// the messages for systemd (sd_notify assignments) and a line for the journal ("" for none).
// STATUS= becomes the unit's StatusText, which systemd shows every local user: it says how the
// check failed (its exit status, a signal, a timeout), never what the check printed, which goes
// to the journal only (read by those who may read the service's output).
func (s *livenessState) after(ok bool, why, said string) (msgs []string, line string) {
	if ok {
		if s.failures > 0 {
			line = fmt.Sprintf("liveness check passed again after %d failure(s)", s.failures)
		}
		s.failures = 0
		msgs = append(msgs, "WATCHDOG=1")
		if s.status != execspec.Healthy {
			s.status = execspec.Healthy
			msgs = append(msgs, "STATUS="+s.status)
		}
		return msgs, line
	}
	s.failures++
	s.status = fmt.Sprintf("%s: %d of %d checks failed (%s)", execspec.Unhealthy, min(s.failures, s.max), s.max, why)
	msgs = append(msgs, "STATUS="+s.status)
	detail := why
	if said != "" {
		detail += ": " + said
	}
	if s.failures < s.max {
		return msgs, fmt.Sprintf("liveness check failed (%d of %d in a row): %s", s.failures, s.max, detail)
	}
	// systemd acts as if the watchdog had expired: it kills the service (WatchdogSignal=) and
	// records Result=watchdog. Sent again after each further failure, should it be lost.
	return append(msgs, "WATCHDOG=trigger"),
		fmt.Sprintf("%s %d times in a row; systemd's watchdog stops the service: %s", execspec.LivenessGaveUp, s.failures, detail)
}

// runCheck runs argv once, bounded by timeout and by the main process's end, in a process group
// of its own that is killed whole when the bound is hit (a check's children end with it). It
// returns whether the check exited 0 and, when it did not, how it failed (why: its exit status,
// the signal that killed it, a timeout, or why it could not run) and its last line of output
// (said, "" when it printed nothing).
func runCheck(ctx context.Context, argv []string, timeout time.Duration, mainGone <-chan struct{}) (ok bool, why, said string) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() {
		select {
		case <-mainGone: // a check that hangs on a dead service ends with it
			cancel()
		case <-cctx.Done():
		}
	}()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Env = checkEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &limitedWriter{w: &buf, left: 64 << 10}, &limitedWriter{w: &buf, left: 64 << 10}
	err := cmd.Run()
	if err == nil {
		return true, "", ""
	}
	said = lastLine(buf.String())
	if errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return false, fmt.Sprintf("timed out after %s", timeout), said
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, isWait := exit.Sys().(syscall.WaitStatus); isWait && ws.Signaled() {
			return false, "killed by " + unix.SignalName(ws.Signal()), said
		}
		return false, fmt.Sprintf("exit status %d", exit.ExitCode()), said
	}
	return false, err.Error(), said
}

// notifier speaks systemd's notification protocol (sd_notify(3)) on $NOTIFY_SOCKET.
type notifier struct{ conn *net.UnixConn }

// newNotifier connects to $NOTIFY_SOCKET (an abstract socket when it starts with '@').
func newNotifier() (*notifier, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil, errors.New("no NOTIFY_SOCKET: the unit was not made with NotifyAccess=all")
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("connecting to systemd's notification socket: %w", err)
	}
	return &notifier{conn: conn}, nil
}

// send sends assignments (WATCHDOG=1, STATUS=...) in one message. systemd reads which unit it
// is from the sender's credentials: the sender is alive while it reads them.
func (n *notifier) send(assignments ...string) {
	if len(assignments) > 0 {
		_, _ = n.conn.Write([]byte(strings.Join(assignments, "\n") + "\n"))
	}
}

func (n *notifier) close() { n.conn.Close() }

// keepFed sends WATCHDOG=1 every interval until the returned function is called.
func (n *notifier) keepFed(interval time.Duration) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				n.send("WATCHDOG=1")
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}
