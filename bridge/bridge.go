// Package bridge executes hero's plans on systemd over D-Bus and records every run in the job
// ledger from systemd's own records.
//
// Its layers, from the bottom up (each uses only what is below it):
//   - internal/systemd, the quiet systemd client: it reads units without loading any, queues
//     jobs (a unit's start, stop, reload; a transient unit's creation, one call at a time or
//     pipelined) on the connection systemd's signals come on, and learns each job's result from
//     systemd's JobRemoved signal (or, when that is lost, from the unit's state). It knows
//     units, jobs and systemd's errors, never hero's services. Beside it, journal reads systemd's
//     journal, and recording (the recorder) keeps the ledger in step with systemd's unit signals:
//     a job is one systemd invocation of a unit (InvocationID), so a restart systemd does by itself
//     is a job of its own; while herod was down, runs are recovered from the journal.
//   - the vocabulary: the errors, the replies, a service's status (errors.go, replies.go,
//     status.go), and what each operation acts on, from the services' graph alone (plans.go).
//   - the parts the operations share: the services as loaded (services.go), the locks (an
//     operation takes all the services of its plan at once, or waits; operations on disjoint
//     services run concurrently), the waits and intentions (waits.go), the environment files and
//     unit texts, why a start failed (postmortem.go).
//   - the steps, under locks their caller holds: the starter queues the start jobs of a
//     service's whole requires closure at once, dependencies first, each a fresh transient unit
//     whose Requires=/After= point at its dependencies' units; systemd's After= ordering does the
//     waiting, as for 'systemctl start' of a leaf. The stopper lets systemd run the cascade:
//     stopping a unit makes systemd stop, in one transaction and in reverse After= order, every
//     unit that Requires= it; it then checks the result against the plan and stops any
//     straggler itself. systemd keeps a stopped unit loaded while another loaded unit references
//     it, and a transient unit cannot be created over it (UnitExists): such a unit is started
//     again as it is (StartUnit) when it has the same definition.
//   - the operations (operations.go and op*.go: they take the locks and name their errors once),
//     the reader (read.go: reads take no lock), the apply planner, and the reviver (revive.go),
//     which starts again what a requirement's going down stopped.
//   - Bridge (this file): their construction, and one method per thing a caller asks.
package bridge

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Bridge runs hero services on one systemd manager.
type Bridge struct {
	svc    *services
	sd     *systemd.Client
	rec    *recording.Recorder
	env    *envFiles
	events *events
	ops    *operations
	read   *reader
	revive *reviver
}

// New returns a bridge over conn (systemd's manager: the bridge reads units and sends signals
// through it) and signals (a connection to the same bus, on which systemd's unit and job signals
// come, and which carries every job the bridge queues, the pipelined StartTransientUnit calls of
// a start among them, so that each job's JobRemoved signal comes where its call was made), and
// ledger, for the services of set. It subscribes to systemd's signals, records what happened
// while no bridge ran (from the journal), adopts running hero units the ledger does not know,
// and looks at the services that wait for their requirements. Close stops it.
func New(ctx context.Context, conn *sddbus.Conn, signals *dbus.Conn, ledger jobdb.Ledger, set *config.Set, opts Options) (*Bridge, error) {
	opts = withDefaults(opts)
	sd, err := systemd.New(conn, signals, opts.Log)
	if err != nil {
		return nil, err
	}
	b := assemble(ctx, sd, ledger, set, opts)
	if err := b.rec.Start(ctx, signals); err != nil {
		return nil, err
	}
	b.revive.begin() // the waits the ledger kept: their requirements may be back
	return b, nil
}

// withDefaults fills in the options not given.
func withDefaults(opts Options) Options {
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
	return opts
}

// assemble builds a bridge's parts over sd, from the bottom up; its recorder and reviver are
// not running yet.
func assemble(ctx context.Context, sd *systemd.Client, ledger jobdb.Ledger, set *config.Set, opts Options) *Bridge {
	log := opts.Log
	svc := newServices(set, unitgen.Options{ConfigDir: opts.ConfigDir, ExecHelper: opts.ExecHelper, EnvDir: opts.EnvDir})
	ev := &events{}
	rec := recording.New(&recording.World{Ledger: ledger, Journal: opts.Journal, Units: unitReader{sd}, Emit: ev.emit, Log: log,
		BootID: opts.BootID, User: opts.User,
		LimitHit: func(ctx context.Context, unit string, since time.Time) bool {
			return limitHit(ctx, opts.Journal, unit, since)
		}})
	lk, waits, pending := newLocks(), newWaitBook(ledger, log, ev.emit), &applyPending{}
	env := &envFiles{dir: opts.EnvDir, check: opts.EnvFileCheck, log: log}
	texts := &unitTexts{dir: opts.EnvDir}
	post := &postmortem{rec: rec, ledger: ledger, jrnl: opts.Journal, log: log}
	st := &starter{svc: svc, sd: sd, ledger: ledger, rec: rec, env: env, texts: texts, post: post, log: log}
	sp := &stopper{sd: sd, ledger: ledger, rec: rec, waits: waits, log: log}
	b := &Bridge{svc: svc, sd: sd, rec: rec, env: env, events: ev,
		ops: &operations{svc: svc, sd: sd, ledger: ledger, rec: rec, locks: lk, env: env, starter: st, stopper: sp,
			planner: &planner{svc: svc, sd: sd, texts: texts, pending: pending}, waits: waits, pending: pending, events: ev, log: log},
		read:   &reader{svc: svc, sd: sd, ledger: ledger, rec: rec, waits: waits, jrnl: opts.Journal, log: log},
		revive: (&reviver{svc: svc, sd: sd, ledger: ledger, waits: waits, locks: lk, start: st, emit: ev.emit, log: log}).bind(ctx)}
	ev.observeWith(b.revive.observe)
	return b
}

// Close stops the reviver and the recorder, saving what it learnt and the journal cursor.
func (b *Bridge) Close() {
	b.revive.stop()
	b.rec.Close()
}

// OnEvent sets the function called (after the change is recorded) for events.
func (b *Bridge) OnEvent(fn func(Event)) { b.events.onEvent(fn) }

// Config returns the services the bridge runs.
func (b *Bridge) Config() *config.Set { return b.svc.get() }

// SetConfig replaces the services (daemon-reload). Running units keep running; the new configs
// apply from their next start. Operations under way keep the configs they started with.
func (b *Bridge) SetConfig(set *config.Set) { b.svc.replace(set) }

// NewSignalHandler returns the godbus signal handler the bridge's signals connection needs: it
// hands every signal to every channel registered with the connection's Signal, in the order
// they came, queueing without bound for a reader that is behind, at a constant cost per signal.
func NewSignalHandler() dbus.SignalHandler { return systemd.NewSignalHandler() }

// PrecheckStart tells, without locking anything, whether a start can go ahead: unknown services,
// conflicts with running services and env_files that fail their check are refused here, so a
// caller learns of them at once (in full: the answer is the caller's own). Start checks again
// under its lock.
func (b *Bridge) PrecheckStart(ctx context.Context, names []string) (StartCheck, error) {
	return b.ops.precheckStart(ctx, names)
}

// Start starts services after the not-yet-running services of their requires closures, as
// 'systemctl start A B C' does. It is blocked, with nothing started, when any service it would
// start conflicts with a running one (or with another it would start). Each started service's
// inactive jobs are pruned before its new job is created; running jobs and other services' jobs
// are never touched. All start jobs are queued at once, dependencies first; systemd's After=
// ordering makes each unit wait for its dependencies, and a failure fails only its dependents
// (Requires=). replace is systemd's job mode: true "replace" (a queued conflicting job is
// replaced), false "fail" (the start fails instead). obs hears of each service as systemd
// finishes its start job. Running services that hold an older unit of one to start (systemd
// keeps it loaded for them) are restarted with it.
func (b *Bridge) Start(ctx context.Context, names []string, replace bool, obs Observer) (StartReply, error) {
	return b.ops.start(ctx, names, replace, obs)
}

// PrecheckStop returns the services a stop of name would take down (those running, stop order).
func (b *Bridge) PrecheckStop(ctx context.Context, name string) ([]string, error) {
	return b.ops.precheckStop(ctx, name)
}

// Stop stops name and every service with a transitive requires chain into it, most-dependent
// first; services only ordered after it and independent ones keep running. systemd runs the
// cascade itself: stopping name's unit stops, in one transaction and in reverse After= order,
// every unit that Requires= it. The bridge then checks every member of the plan is down
// (stopping stragglers itself) and waits until every run it ended is recorded. Job records are
// kept; with removeJobs the service's own (never its dependents') ended ones are deleted.
// Stopping a stopped service is not an error: it reports cancelled 0.
func (b *Bridge) Stop(ctx context.Context, name string, removeJobs bool, obs Observer) (StopReply, error) {
	return b.ops.stop(ctx, name, removeJobs, obs)
}

// Restart stops name with its cascade, then starts name and the dependents that were running
// (systemd's try-restart semantics for dependents: those that were stopped stay stopped), all
// under one lock of every service involved.
func (b *Bridge) Restart(ctx context.Context, name string, obs Observer) (RestartReply, error) {
	return b.ops.restart(ctx, name, obs)
}

// PrecheckReload tells, without locking anything, whether name can be reloaded now: it is
// defined, its config has a reload command or signal, and its unit runs with one (systemd's
// CanReload). Reload checks again under its lock.
func (b *Bridge) PrecheckReload(ctx context.Context, name string) error {
	return failed("reload", []string{name}, b.ops.reloadable(ctx, name))
}

// Reload asks systemd to reload name's unit (ReloadUnit, job mode replace): systemd runs its
// ExecReload= (the reload command, or hero-exec sending the reload signal to the main process)
// and the job is done once that command ended well; the service keeps its run, main process and
// job. Reload holds name's lock, so no start, stop or restart of it runs meanwhile; it reports
// "reloaded" to obs (a failure is its error).
func (b *Bridge) Reload(ctx context.Context, name string, obs Observer) error {
	return b.ops.reload(ctx, name, obs)
}

// Kill sends signal to every process of name's unit (systemctl kill: systemd's KillUnit, who
// "all": the control process, the main process, then the rest of the unit's cgroup). What
// happens next is the service's and systemd's business (a restart policy may bring it back);
// the recorder records it. Kill takes no lock: like systemctl kill, it works while an
// operation runs.
func (b *Bridge) Kill(ctx context.Context, name string, signal int) error {
	return b.ops.kill(ctx, name, signal)
}

// ResetFailed resets systemd's failed state and start limit of name's unit and forgets the
// service's ended jobs, as systemctl reset-failed forgets a unit's result. Running jobs stay.
func (b *Bridge) ResetFailed(ctx context.Context, name string) error {
	return b.ops.resetFailed(ctx, name)
}

// PlanApply computes what Apply(next) would do now, touching nothing: neither systemd nor the
// services the bridge has loaded. It takes no lock (a read), so an operation under way may make
// it out of date; Apply computes its own under its locks.
func (b *Bridge) PlanApply(ctx context.Context, next *config.Set) (plan.Apply, error) {
	return b.ops.planApply(ctx, next)
}

// Apply makes what runs match next, the config directory as read (with no problems): under the
// locks of every service (an apply looks at them all), it computes the plan, gives it to
// planned (herod shows it) before anything acts, loads next, and then does exactly that plan:
// removed services are stopped; changed ones are stopped with the running services that
// require them, then started again on their new definitions, dependencies first. A service
// whose new definition fails to start fails what requires it (not started), nothing else; it is
// kept pending, so the next apply, after a fix, starts it and its dependents. Unchanged services
// are not touched. The plan returned says what was started and what failed.
func (b *Bridge) Apply(ctx context.Context, next *config.Set, planned func(plan.Apply), obs Observer) (plan.Apply, error) {
	return b.ops.apply(ctx, next, planned, obs)
}

// SweepEnvFiles removes the environment and text files of units systemd no longer has loaded (a
// unit that ended cleanly is unloaded at once), once they are older than envFileGrace: herod
// runs it when it starts, at every reload and every few minutes.
func (b *Bridge) SweepEnvFiles(ctx context.Context) error {
	units, err := b.sd.HeroUnits(ctx)
	if err != nil {
		return failed("sweep environment files", nil, err)
	}
	loaded := make(map[string]bool, len(units))
	for _, u := range units {
		loaded[u.Name] = true
	}
	b.env.sweep(loaded)
	return nil
}

// Status returns one service's status, its main process included.
func (b *Bridge) Status(ctx context.Context, name string) (Status, error) {
	st, err := b.read.status(ctx, name)
	return st, failed("status", []string{name}, err)
}

// Statuses returns the status of each named service as Status does, but not their main
// process (MainPID is 0): for readers that read often, such as herod's object tree.
func (b *Bridge) Statuses(ctx context.Context, names []string) ([]Status, error) {
	list, err := b.read.some(ctx, names, nil)
	return list, failed("status", names, err)
}

// StatusesWithJobs is Statuses for services whose jobs the caller has just read (jobs: by
// service, newest first; a service missing has none): each one's last job is the newest of
// those instead of a read of the ledger (herod's refresh of thousands of objects reads their
// jobs anyway).
func (b *Bridge) StatusesWithJobs(ctx context.Context, names []string, jobs map[string][]jobdb.Job) ([]Status, error) {
	latest := make(map[string]*jobdb.Job, len(jobs))
	for n, js := range jobs {
		if len(js) > 0 {
			latest[n] = &js[0]
		}
	}
	list, err := b.read.some(ctx, names, latest)
	return list, failed("status", names, err)
}

// List returns the status of every service, sorted by name.
func (b *Bridge) List(ctx context.Context) ([]Status, error) {
	list, err := b.read.all(ctx)
	return list, failed("list", nil, err)
}

// Stale reports whether systemd holds st's unit loaded with another definition than its
// config's (one call to systemd, for a loaded unit only: reading an unloaded one would load it).
func (b *Bridge) Stale(ctx context.Context, st Status) bool { return b.read.isStale(ctx, st) }

// Jobs returns a service's jobs, newest first.
func (b *Bridge) Jobs(ctx context.Context, name string) ([]jobdb.Job, error) {
	jobs, err := b.read.jobs(ctx, name)
	return jobs, failed("jobs of", []string{name}, err)
}

// Output returns the last lines (at most limit; 0: all that are kept) of a job of name (its
// latest when id is 0): from the journal while the run goes on or until its tail is copied,
// from the ledger after that (so a crash's output survives journal rotation).
func (b *Bridge) Output(ctx context.Context, name string, id int64, limit int) (*jobdb.Job, []LogLine, error) {
	j, lines, err := b.read.output(ctx, name, id, limit)
	return j, lines, failed("output of", []string{name}, err)
}

// UnitText is the unit file of name exactly as the bridge would start it, and whether systemd
// holds it.
func (b *Bridge) UnitText(ctx context.Context, name string) (UnitText, error) {
	t, err := b.read.unitText(ctx, name)
	return t, failed("unit text of", []string{name}, err)
}

// currentBootID is the kernel's boot ID in the journal's form (hex, no dashes).
func currentBootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSpace(string(data)), "-", "")
}
