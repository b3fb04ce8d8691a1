// Package bridge executes hero's plans on systemd over D-Bus (github.com/coreos/go-systemd/v22
// for calls and jobs, github.com/godbus/dbus/v5 for unit signals) and records every run in the
// job ledger from systemd's own records.
//
// Design:
//   - Start queues the start jobs of a service's whole requires closure at once, dependencies
//     first, each as a fresh transient unit whose Requires=/After= point at its dependencies'
//     units; systemd's After= ordering does the waiting, as for `systemctl start` of a leaf. The
//     bridge then waits once for all job results.
//   - Stop lets systemd run the cascade: stopping a unit makes systemd stop, in one transaction
//     and in reverse After= order, every unit that Requires= it. The bridge checks the result
//     against the plan from graphs and stops any straggler itself.
//   - A job is one systemd invocation of a unit (InvocationID). The recorder (package recording,
//     which knows the bridge only through its World) learns of every run's start and end from
//     systemd's PropertiesChanged signals (which carry ExecMainCode, ExecMainStatus, Result,
//     NRestarts, InvocationID, ActiveState), so a restart systemd does by itself is a job of its
//     own. Units carry no hook of hero's. While herod was down, runs are
//     recovered from the journal (systemd's records by INVOCATION_ID), from the cursor stored in
//     the ledger, each exactly once. A run's output stays in the journal; its tail is copied into
//     its job when it ends.
//   - An operation locks the services of its plan (all at once, or it waits); operations on
//     disjoint services run concurrently. Reads take no lock.
//   - systemd keeps a stopped unit loaded while another loaded unit references it (Requires=,
//     After=), and a transient unit cannot be created over it (UnitExists). Such a unit is
//     started again as it is (StartUnit) rather than re-created.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Options configure a Bridge.
type Options struct {
	ConfigDir  string          // where the service files are (for SourcePath=)
	ExecHelper string          // hero-exec's path (default unitgen.DefaultExecHelper)
	EnvDir     string          // where environment files are written (default unitgen.DefaultEnvDir)
	User       bool            // the units run in a user's manager (journal fields differ)
	BootID     string          // this boot's ID (default: read from the kernel)
	Journal    journal.Journal // where systemd's records are read (default: journalctl)
	Log        *slog.Logger    // default: discard
	// EnvFileCheck checks a service's env_file before each start the bridge makes (systemd
	// reads the file then, as root): herod gives the config files' trust rule, so a file made
	// writable by others since the configs were read is refused. nil checks nothing.
	EnvFileCheck func(*config.Service) *config.Problem
}

// systemdManager is the part of go-systemd's connection to systemd's manager the bridge calls
// (*sddbus.Conn is one): reading units, and queueing the jobs that start, stop, reload, signal
// and reset them.
type systemdManager interface {
	GetUnitPropertiesContext(ctx context.Context, unit string) (map[string]any, error)
	GetUnitTypePropertiesContext(ctx context.Context, unit, unitType string) (map[string]any, error)
	GetUnitTypePropertyContext(ctx context.Context, unit, unitType, propertyName string) (*sddbus.Property, error)
	ListUnitsByNamesContext(ctx context.Context, units []string) ([]sddbus.UnitStatus, error)
	ListUnitsByPatternsContext(ctx context.Context, states, patterns []string) ([]sddbus.UnitStatus, error)
	StartTransientUnitContext(ctx context.Context, name, mode string, properties []sddbus.Property, ch chan<- string) (int, error)
	StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	ReloadUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	KillUnitWithTarget(ctx context.Context, name string, target sddbus.Who, signal int32) error
	ResetFailedUnitContext(ctx context.Context, name string) error
}

var _ systemdManager = (*sddbus.Conn)(nil)

// Bridge runs hero services on one systemd manager.
type Bridge struct {
	conn   systemdManager
	ledger jobdb.Ledger
	log    *slog.Logger
	opts   Options
	set    atomic.Pointer[config.Set]
	locks  *locks
	rec    *recording.Recorder
	jrnl   journal.Journal
	sig    *dbus.Conn // systemd's signals, and the pipelined calls of a start (see queueStarts)
	jobs   *jobWatch  // the results of those calls' jobs
	rebind *rebinder  // brings back what a requirement going down stopped
	texts  unitTexts  // the text of each unit the bridge created (apply's diffs)

	applyMu sync.Mutex
	pending map[string]bool // services the last apply could not start again

	eventsMu sync.RWMutex
	events   func(Event)
}

// Event reports a run's start or end, or a service's change, for the daemon's D-Bus signals.
type Event = recording.Event

// EventRunActive is the event of a run whose unit became active (its start, a health check
// included, is over).
const EventRunActive = recording.EventRunActive

// EventWaitChanged is the event of a service whose wait for its requirements (status's
// ComesBack, WaitsFor, Waiting) changed.
const EventWaitChanged = recording.EventWaitChanged

// New returns a bridge over conn (systemd's manager) and signals (a connection to the same bus,
// used only for unit signals) and ledger, for the services of set. It subscribes to systemd's
// signals, records what happened while no bridge ran (from the journal), and adopts running hero
// units the ledger does not know. Close stops it.
func New(ctx context.Context, conn *sddbus.Conn, signals *dbus.Conn, ledger jobdb.Ledger, set *config.Set, opts Options) (*Bridge, error) {
	if opts.ConfigDir == "" {
		opts.ConfigDir = unitgen.DefaultConfigDir
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.EnvDir == "" {
		opts.EnvDir = unitgen.DefaultEnvDir
	}
	if opts.BootID == "" {
		opts.BootID = currentBootID()
	}
	if opts.Journal == nil {
		opts.Journal = journal.Journalctl(opts.User)
	}
	b := &Bridge{conn: conn, ledger: ledger, log: opts.Log, opts: opts, locks: newLocks(), jrnl: opts.Journal, texts: unitTexts{dir: opts.EnvDir}}
	b.set.Store(set)
	b.rebind = newRebinder(ctx, b)
	jobs, err := newJobWatch(signals)
	if err != nil {
		return nil, err
	}
	b.sig, b.jobs = signals, jobs
	b.rec = recording.New(&recording.World{Ledger: ledger, Journal: opts.Journal, Units: unitsOf{b}, Emit: b.emit, Log: opts.Log,
		BootID: opts.BootID, User: opts.User, LimitHit: b.limitHit})
	if err := b.rec.Start(ctx, signals); err != nil {
		return nil, err
	}
	b.rebind.start() // the waits the ledger kept: their requirements may be back
	return b, nil
}

// Close stops the rebinder and the recorder, saving what it learnt and the journal cursor.
func (b *Bridge) Close() {
	b.rebind.stop()
	b.rec.Close()
}

// OnEvent sets the function called (after the change is recorded) for events.
func (b *Bridge) OnEvent(fn func(Event)) {
	b.eventsMu.Lock()
	defer b.eventsMu.Unlock()
	b.events = fn
}

func (b *Bridge) emit(e Event) {
	b.eventsMu.RLock()
	fn := b.events
	b.eventsMu.RUnlock()
	if b.rebind != nil {
		b.rebind.observe(e)
	}
	if fn != nil {
		fn(e)
	}
}

// Observer receives one operation's progress, as it happens: each service's start or stop.
type Observer func(Progress)

// Progress is one step of an operation.
type Progress struct {
	Service string
	Event   string // "started", "stopped", "reloaded", "failed", "skipped", "planned"
	JobID   int64
	Detail  string // for planned: the plan in a line (names only: every user may read it)
	// Err is why, for failed: whole (a StartError holds the service's last lines), so whoever
	// tells it chooses what its reader may see (StartError.Public).
	Err error
}

func (o Observer) report(p Progress) {
	if o != nil {
		o(p)
	}
}

// Config returns the services the bridge runs.
func (b *Bridge) Config() *config.Set { return b.set.Load() }

// SetConfig replaces the services (daemon-reload). Running units keep running; the new configs
// apply from their next start. Operations under way keep the configs they started with.
func (b *Bridge) SetConfig(set *config.Set) { b.set.Store(set) }

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
		switch {
		case e.HealthTimeout:
			b.WriteString(" (timeout: the health check did not pass within health_timeout; systemd then stopped the service)")
		case j.ExitCode != nil && *j.ExitCode == exitExec:
			b.WriteString(" (exit status 203/EXEC: the service's program could not be executed")
			if e.Reason != "" {
				b.WriteString("; systemd: " + e.Reason)
			}
			b.WriteString(")")
		case j.Result == "start-limit-hit":
			b.WriteString(" (start-limit-hit: systemd's start limit; 'heroctl reset-failed " + e.Service + "' clears it)")
		case j.ExitCode != nil:
			fmt.Fprintf(&b, " (%s, exit status %d)", j.Result, *j.ExitCode)
		case j.Signal != "":
			fmt.Fprintf(&b, " (%s, killed by %s)", j.Result, j.Signal)
		case j.Result != "":
			fmt.Fprintf(&b, " (%s)", j.Result)
		}
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

// checkUsable refuses a service that is bad-config or blocked.
func checkUsable(set *config.Set, name string) error {
	if set.BadConfig(name) {
		return &ConfigError{Service: name, Problems: set.Problems(name)}
	}
	if w := set.Blocked(name); len(w) > 0 {
		return &ConfigError{Service: name, WaitingFor: w}
	}
	return nil
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

func unitOf(s *config.Service) string { return unitgen.UnitName(s.Context, s.Name) }

// unitOptions are the facts of this host a unit needs.
func (b *Bridge) unitOptions() unitgen.Options {
	return unitgen.Options{ConfigDir: b.opts.ConfigDir, ExecHelper: b.opts.ExecHelper, EnvDir: b.opts.EnvDir}
}

// currentBootID is the kernel's boot ID in the journal's form (hex, no dashes).
func currentBootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSpace(string(data)), "-", "")
}
