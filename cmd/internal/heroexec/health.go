package heroexec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"

	"os/exec"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/unitgen/execspec"
)

// runHealth runs the check until it succeeds (exit 0) or its timeout passes (exit 1). Each
// attempt's output is kept, never logged, so retries cannot bury the service's own lines; on
// giving up, the last attempt's output is written under the check's own journal identifier.
func runHealth(h execspec.Health, stdout io.Writer) int {
	out := journalWriter(h.Identifier, stdout)
	fmt.Fprintf(out, "waiting up to %s for the health check: %s\n", h.Timeout, strings.Join(h.Argv, " "))
	deadline := time.Now().Add(h.Timeout)
	for attempt := 1; ; attempt++ {
		last, ok := attemptOnce(h, deadline)
		if ok {
			return 0
		}
		if !time.Now().Add(h.Interval).Before(deadline) {
			fmt.Fprintf(out, "%s within %s (%d attempts); the last one said:\n", execspec.HealthGaveUp, h.Timeout, attempt)
			out.Write(bytes.TrimRight(last, "\n"))
			fmt.Fprintln(out)
			return 1
		}
		time.Sleep(h.Interval)
	}
}

// attemptOnce runs the check once, bounded by the deadline, and returns its output.
func attemptOnce(h execspec.Health, deadline time.Time) ([]byte, bool) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Argv[0], h.Argv[1:]...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
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
