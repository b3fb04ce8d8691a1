package heroexec

import (
	"io"
	"strings"
)

// How a health or liveness check runs: the environment it gets, the output it may keep.

// checkEnv is the environment a check runs with: the service's, without systemd's notification
// socket (only the loop speaks to systemd).
func checkEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			out = append(out, kv)
		}
	}
	return out
}

// lastLine is the last line of s that is not blank, at most 200 bytes.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n\r\t "), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200] + "…"
	}
	return l
}

// limitedWriter keeps at most left bytes and discards the rest (a check that floods its output
// cannot grow the loop).
type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	n := len(p)
	if l.left <= 0 {
		return n, nil
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	l.left -= len(p)
	_, err := l.w.Write(p)
	return n, err
}
