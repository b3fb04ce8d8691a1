package bridge

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// ErrNoSuchService is returned for a name the config directory does not define.
var ErrNoSuchService = errors.New("no such service")

// ErrNotRunning is returned by Kill and Reload for a service that does not run.
var ErrNotRunning = errors.New("service is not running")

// ErrNotReloadable is returned for a reload of a service that cannot be reloaded: its config
// sets neither reload nor reload_signal, or the unit systemd runs was created without one.
var ErrNotReloadable = errors.New("service cannot be reloaded")

// errDependencyGone says systemd refused a unit because a unit it requires is no longer loaded:
// it stopped (and was unloaded) after the start looked at it.
var errDependencyGone = errors.New("a dependency stopped meanwhile")

// errRequirementDown says a revival found a requirement of what it would start down again.
var errRequirementDown = errors.New("a requirement is down")

// failed is the one place an operation's error is named: it wraps err, once, with the operation
// and the services it was asked for ("stop web: ..."), at the entry point of the operation. The
// bridge's own error types say it in their words already (StartError: "start web: systemd job
// failed ...") and are left as they are; so is ErrNoSuchService.
func failed(op string, names []string, err error) error {
	var (
		se  *StartError
		ce  *ConfigError
		cfl *ConflictError
		st  *StaleError
		re  *ReloadError
	)
	switch {
	case err == nil, errors.Is(err, ErrNoSuchService), errors.As(err, &se), errors.As(err, &ce), errors.As(err, &cfl),
		errors.As(err, &st), errors.As(err, &re):
		return err
	case len(names) == 0:
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s %s: %w", op, strings.Join(names, " "), err)
}

// noSuchService is the error for a name the config directory does not define.
func noSuchService(name string) error { return fmt.Errorf("%w %q", ErrNoSuchService, name) }

// ConflictError says a start was blocked: a service it would start conflicts with a running one.
type ConflictError struct {
	Service     string // the service that would have been started
	Conflicting string // the running service it conflicts with
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("cannot start %s: it conflicts with %s, which is running (stop %s first)", e.Service, e.Conflicting, e.Conflicting)
}

// ConfigError says a service cannot be started as its config stands: its file (or one of a
// service it requires) has problems (bad-config), or it must start after a service that is not
// defined (blocked, waiting for it).
type ConfigError struct {
	Service    string
	Problems   config.Problems // bad-config: why
	WaitingFor []string        // blocked: the undefined services
}

func (e *ConfigError) Error() string {
	if len(e.WaitingFor) > 0 {
		return fmt.Sprintf("%s is blocked: it waits for %s, which no service file defines; add it, then 'heroctl daemon-reload'",
			e.Service, strings.Join(e.WaitingFor, ", "))
	}
	return fmt.Sprintf("%s is bad-config: fix its file, then 'heroctl daemon-reload':\n%s", e.Service, e.Problems.Error())
}

// StaleError says a service's unit could not be started with its current definition: systemd
// keeps the unit of an earlier definition loaded while a loaded unit refers to it, and hero
// never runs an old definition silently. Start and Restart stop running holders (HeldBy) with
// their cascades and start them again; this error is left only when that did not free it.
type StaleError struct {
	Service, Unit string
	HeldBy        []string // the running services whose units refer to the old unit
	heldUnits     []string // their units
}

func (e *StaleError) Error() string {
	if len(e.HeldBy) > 0 {
		return fmt.Sprintf("%s's config changed since systemd loaded %s, and running services refer to that older unit (%s): "+
			"'heroctl restart %s' stops them with what requires them and starts them again",
			e.Service, e.Unit, strings.Join(e.HeldBy, ", "), e.HeldBy[0])
	}
	return fmt.Sprintf("%s's config changed since systemd loaded %s, and systemd keeps that older unit loaded: "+
		"'systemctl status %s' shows what refers to it", e.Service, e.Unit, e.Unit)
}

// heldByRunning returns the running services an operation must restart so that a stale unit can
// be replaced, when err is a StaleError naming some.
func heldByRunning(err error) *StaleError {
	var se *StaleError
	if errors.As(err, &se) && len(se.HeldBy) > 0 {
		return se
	}
	return nil
}

// ReloadError says a reload job of systemd's did not succeed: the reload command failed (or the
// signal could not be sent), or systemd gave up on it.
type ReloadError struct {
	Service   string
	JobResult string // systemd's job result: failed, timeout, canceled, ...
}

func (e *ReloadError) Error() string {
	return fmt.Sprintf("reload %s: systemd job %s (the reload command failed or could not signal the service; it keeps running as it was); see 'heroctl logs %s'",
		e.Service, e.JobResult, e.Service)
}

// StartError says a unit's start job did not succeed.
type StartError struct {
	Service   string
	JobResult string     // systemd's job result: failed, timeout, dependency, ...
	Job       *jobdb.Job // the run, when systemd started one
	Health    []string   // the health check's last words, when it gave up or the service ended
	Lines     []string   // the service's own last lines
	Started   []string   // what this call did start
	// HealthTimeout is set when the health check gave up at health_timeout (systemd then stopped
	// the service: its SIGTERM is not why the start failed).
	HealthTimeout bool
	// Reason is systemd's own word on a run it could not begin (Failed to locate executable ...).
	Reason string
}

// exitExec is systemd's exit status for a program it could not execute (EXIT_EXEC, 203).
const exitExec = 203

// Public is the error as every local user may read it: how the job and the run ended, without
// what only readers of the service's output may see (the service's last lines, the health
// check's words, systemd's reason quoting the program's path): those are in the journal, which
// 'heroctl logs' reads for those allowed to. Broadcast signals carry this.
func (e *StartError) Public() *StartError {
	p := *e
	p.Health, p.Lines, p.Reason = nil, nil, ""
	return &p
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "start %s: systemd job %s", e.Service, e.JobResult)
	if j := e.Job; j != nil {
		b.WriteString(e.runEnd(j))
	}
	if len(e.Health) == 0 && len(e.Lines) == 0 {
		fmt.Fprintf(&b, "; see 'heroctl logs %s'", e.Service)
		return b.String()
	}
	if len(e.Health) > 0 {
		b.WriteString("\n" + strings.Join(e.Health, "\n"))
	}
	if len(e.Lines) > 0 {
		fmt.Fprintf(&b, "\nthe service's last lines:\n  %s", strings.Join(e.Lines, "\n  "))
	}
	fmt.Fprintf(&b, "\nsee 'heroctl logs %s'", e.Service)
	return b.String()
}

// runEnd says, in parentheses, how the run j ended.
func (e *StartError) runEnd(j *jobdb.Job) string {
	switch {
	case e.HealthTimeout:
		return " (timeout: the health check did not pass within health_timeout; systemd then stopped the service)"
	case j.ExitCode != nil && *j.ExitCode == exitExec:
		s := " (exit status 203/EXEC: the service's program could not be executed"
		if e.Reason != "" {
			s += "; systemd: " + e.Reason
		}
		return s + ")"
	case j.Result == "start-limit-hit":
		return " (start-limit-hit: systemd's start limit; 'heroctl reset-failed " + e.Service + "' clears it)"
	case j.ExitCode != nil:
		return fmt.Sprintf(" (%s, exit status %d)", j.Result, *j.ExitCode)
	case j.Signal != "":
		return fmt.Sprintf(" (%s, killed by %s)", j.Result, j.Signal)
	case j.Result != "":
		return fmt.Sprintf(" (%s)", j.Result)
	}
	return ""
}

// isDependency reports whether err is a start that failed for a dependency.
func isDependency(err error) bool {
	var se *StartError
	return errors.As(err, &se) && se.JobResult == "dependency"
}
