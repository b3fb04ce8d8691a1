package bridge

import (
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

func TestStartErrorSaysWhy(t *testing.T) {
	code := func(n int) *int { return &n }
	tests := []struct {
		name      string
		err       StartError
		want, not []string
	}{
		{"health timeout is a timeout",
			StartError{Service: "db", JobResult: "failed", HealthTimeout: true, Job: &jobdb.Job{Result: "exit-code", Signal: "SIGTERM"}},
			[]string{"timeout", "health_timeout"}, []string{"killed by SIGTERM"}},
		{"a program that cannot run",
			StartError{Service: "db", JobResult: "failed", Reason: "Failed to locate executable /opt/x: No such file or directory", Job: &jobdb.Job{Result: "exit-code", ExitCode: code(203)}},
			[]string{"203/EXEC", "could not be executed", "Failed to locate executable /opt/x"}, nil},
		{"the service's own status",
			StartError{Service: "db", JobResult: "failed", Job: &jobdb.Job{Result: "exit-code", ExitCode: code(1)}},
			[]string{"exit status 1"}, []string{"203"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(msg, n) {
					t.Errorf("%q says %q", msg, n)
				}
			}
		})
	}
}
