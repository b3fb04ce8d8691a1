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

// TestPublicStartErrorHoldsNoOutput specifies the error every user may read: how the job and the
// run ended, and where to read more; never the service's lines, the health check's words or
// systemd's reason (which quotes the program's path).
func TestPublicStartErrorHoldsNoOutput(t *testing.T) {
	code := func(n int) *int { return &n }
	tests := []struct {
		err  StartError
		want string
	}{
		{StartError{Service: "leaky", JobResult: "failed", Job: &jobdb.Job{Result: "exit-code", ExitCode: code(3)},
			Lines: []string{"DBPASS=s3cret"}, Health: []string{"health: s3cret"}},
			"start leaky: systemd job failed (exit-code, exit status 3); see 'heroctl logs leaky'"},
		{StartError{Service: "ghost", JobResult: "failed", Job: &jobdb.Job{Result: "exit-code", ExitCode: code(203)},
			Reason: "Failed to locate executable /opt/s3cret: No such file or directory"},
			"start ghost: systemd job failed (exit status 203/EXEC: the service's program could not be executed); see 'heroctl logs ghost'"},
		{StartError{Service: "db", JobResult: "failed", HealthTimeout: true, Job: &jobdb.Job{Result: "exit-code", Signal: "SIGTERM"},
			Health: []string{"curl: s3cret"}},
			"start db: systemd job failed (timeout: the health check did not pass within health_timeout; systemd then stopped the service); see 'heroctl logs db'"},
		{StartError{Service: "db", JobResult: "dependency"}, "start db: systemd job dependency; see 'heroctl logs db'"},
	}
	for _, tt := range tests {
		whole := tt.err.Error()
		if got := tt.err.Public().Error(); got != tt.want {
			t.Errorf("public error of %q:\n got %q\nwant %q", whole, got, tt.want)
		}
		if tt.err.Public().Service != tt.err.Service || tt.err.Public().Job != tt.err.Job {
			t.Errorf("the public error lost its fields: %+v", tt.err.Public())
		}
		if (len(tt.err.Lines) > 0 || len(tt.err.Health) > 0) && !strings.Contains(whole, "s3cret") {
			t.Errorf("the whole error lost the service's words: %q", whole)
		}
	}
}
