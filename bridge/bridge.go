// Package bridge executes hero's plans on systemd over D-Bus (github.com/coreos/go-systemd/v22)
// and records every run in the job ledger.
//
// Design:
//   - Start brings up a service's requires closure wave by wave (a wave's units in parallel), each
//     as a fresh transient unit whose Requires=/After= point at its dependencies' units.
//   - Stop lets systemd run the cascade: stopping a unit makes systemd stop, in one transaction
//     and in reverse After= order, every unit that Requires= it. The bridge checks the result
//     against the plan from graphs (and stops any straggler itself), then records all jobs at once.
//   - Every unit's ExecStopPost= hook writes "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" to the
//     service's exit file and systemd appends the output to its output file, so the end of a run
//     is recorded even when the bridge was not running: Reconcile reads them.
//   - systemd keeps a stopped unit loaded while another loaded unit references it (Requires=,
//     After=), and a transient unit cannot be created over it (UnitExists). Such a unit is
//     started again as it is (StartUnit) rather than re-created.
//   - Mutating operations are serialized by one lock: a cascade touches many services, and
//     per-service locks would have to be taken in plan order to avoid deadlock for no real gain.
package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Options configure a Bridge.
type Options struct {
	ConfigDir string       // where the service files are (for SourcePath=)
	StateDir  string       // output and exit files go under it (default /var/lib/hero)
	Log       *slog.Logger // default: discard
}

// Bridge runs hero services on one systemd manager.
type Bridge struct {
	conn   *sddbus.Conn
	ledger jobdb.Ledger
	log    *slog.Logger
	opts   Options
	set    atomic.Pointer[config.Set]
	mu     sync.Mutex // serializes start, stop, restart, kill and reconcile
	events func(Event)
}

// Event reports a job or service change, for the daemon's D-Bus signals.
type Event struct {
	Kind    string // "job-started", "job-finished", "state-changed"
	Service string
	JobID   int64
	State   string // the service's state, for state-changed; the job's phase otherwise
}

// New returns a bridge over conn and ledger for the services of set. set must have no problems.
func New(conn *sddbus.Conn, ledger jobdb.Ledger, set *config.Set, opts Options) *Bridge {
	if opts.StateDir == "" {
		opts.StateDir = unitgen.DefaultStateDir
	}
	if opts.ConfigDir == "" {
		opts.ConfigDir = unitgen.DefaultConfigDir
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{conn: conn, ledger: ledger, log: opts.Log, opts: opts}
	b.set.Store(set)
	return b
}

// OnEvent sets the function called (synchronously, after the change is recorded) for events.
func (b *Bridge) OnEvent(fn func(Event)) { b.events = fn }

func (b *Bridge) emit(e Event) {
	if b.events != nil {
		b.events(e)
	}
}

// Config returns the services the bridge runs.
func (b *Bridge) Config() *config.Set { return b.set.Load() }

// SetConfig replaces the services (daemon-reload). Running units keep running; the new configs
// apply from their next start.
func (b *Bridge) SetConfig(set *config.Set) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.set.Store(set)
}

// ErrNoSuchService is returned for a name the config directory does not define.
var ErrNoSuchService = errors.New("no such service")

// ConflictError says a start was blocked: a service it would start conflicts with a running one.
type ConflictError struct {
	Service     string // the service that would have been started
	Conflicting string // the running service it conflicts with
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("cannot start %s: it conflicts with %s, which is running (stop %s first)", e.Service, e.Conflicting, e.Conflicting)
}

// StartError says a unit's start job did not succeed.
type StartError struct {
	Service   string
	JobResult string // systemd's job result: failed, timeout, dependency, ...
	Job       *jobdb.Job
	Started   []string // what this call did start before the failure
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("start %s: systemd job %s", e.Service, e.JobResult)
	if e.Job != nil {
		switch {
		case e.Job.ExitCode != nil:
			msg += fmt.Sprintf(" (%s, exit status %d)", e.Job.Result, *e.Job.ExitCode)
		case e.Job.Signal != "":
			msg += fmt.Sprintf(" (%s, killed by %s)", e.Job.Result, e.Job.Signal)
		case e.Job.Result != "":
			msg += fmt.Sprintf(" (%s)", e.Job.Result)
		}
	}
	return msg + fmt.Sprintf("; see 'heroctl logs %s'", e.Service)
}

// ErrNotRunning is returned by Kill for a service that does not run.
var ErrNotRunning = errors.New("service is not running")

func (b *Bridge) service(name string) (*config.Service, error) {
	s := b.Config().Service(name)
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrNoSuchService, name)
	}
	return s, nil
}

func (b *Bridge) unitName(s *config.Service) string { return unitgen.UnitName(s.Context, s.Name) }

// serviceFiles are where systemd writes a service's output and exit record. They are per service,
// not per job: a unit whose object systemd keeps loaded (because a running dependent still
// references it) is restarted as it is, with the paths it was created with. A run's output tail
// is copied into its job when the run ends, and the files are reset before the next run.
func (b *Bridge) serviceFiles(service string) (output, exit string) {
	dir := filepath.Join(b.opts.StateDir, "services", service)
	return filepath.Join(dir, "output.log"), filepath.Join(dir, "exit")
}

func (b *Bridge) ensureServiceDir(service string) error {
	return os.MkdirAll(filepath.Join(b.opts.StateDir, "services", service), 0o750)
}
