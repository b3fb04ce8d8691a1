// Package daemon is herod: it loads the config directory, opens the job ledger, records runs from
// systemd's signals and journal (through the bridge), and serves hero's D-Bus API (org.hero.Proc1)
// on the system bus (or, with --user, the session bus, driving the user's systemd manager).
package daemon

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"sync/atomic"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Options configure herod.
type Options struct {
	ConfigDir  string // service configs (default: paths.ConfigDir(User))
	StateDir   string // the ledger and herod's state (default: paths.StateDir(User))
	User       bool   // session bus and the user's systemd manager
	BusAddress string // serve the API on this bus instead (tests, special setups)
	KeepJobs   int    // ended jobs kept per service (default jobdb.DefaultKeep)
	Log        *slog.Logger
}

// herod is a running herod: what Run builds and serves with.
type herod struct {
	opts    Options
	log     *slog.Logger
	ctx     context.Context
	bus     *dbus.Conn
	systemd *sddbus.Conn
	signals *dbus.Conn
	ledger  *jobdb.DB
	bridge  engine
	// mainPID reads a running unit's main process from systemd (nil: not known, in tests).
	mainPID func(ctx context.Context, unit string) (uint32, error)
	objs    *objects
	ops     atomic.Uint64

	access fileAccess   // what it takes to read each file of the last read
	opLog  operationLog // operations under way and recent outcomes (OperationStatus)
	memory memoryTrimmer
}

// load reads the config directory; a missing directory is an empty one. The parsed directory is
// reused while nothing in it changed (configdir.Cache), and one parse runs at a time: the
// read-only methods that load it (Validate) are open to every local user, who must not be able
// to keep herod parsing.
func (d *herod) load() (*config.Set, config.Problems, error) {
	r, err := d.read()
	if err != nil {
		return nil, nil, err
	}
	return r.Set, r.Problems, nil
}

// read is load's whole result, with what it takes to read each file (remembered, for telling
// callers only what they may read).
func (d *herod) read() (*configdir.Result, error) {
	r, err := configdir.CacheFor(d.opts.ConfigDir).Read()
	if errors.Is(err, fs.ErrNotExist) {
		set, probs := config.Build(nil)
		r, err = &configdir.Result{Set: set, Problems: probs}, nil
	}
	if err != nil {
		return nil, err
	}
	d.access.set(r)
	return r, nil
}

// logProblems logs every problem; a file refused as untrusted is an error (someone other than
// root could have written what herod would run as root), the others are warnings.
func (d *herod) logProblems(probs config.Problems) {
	untrusted := map[string]bool{}
	for _, f := range d.access.refused() {
		untrusted[f] = true
	}
	for _, p := range probs {
		if untrusted[p.File] {
			d.log.Error("service file refused as untrusted: never read, never run", "problem", p.String())
			continue
		}
		d.log.Warn("config problem", "problem", p.String())
	}
}

// reload swaps in the configs on disk: every service as its file says, except that a service
// whose new file has problems keeps its last good definition (see config.KeepLastGood). The
// problems are returned after the valid part is in force.
func (d *herod) reload() (int, error) {
	next, probs, err := d.load()
	if err != nil {
		return 0, err
	}
	set := config.KeepLastGood(next, d.bridge.Config())
	d.bridge.SetConfig(set)
	if err := d.bridge.SweepEnvFiles(d.ctx); err != nil {
		d.log.Warn("removing environment files of units that are gone", "err", err)
	}
	d.log.Info("configs reloaded", "services", len(set.Services), "problems", len(probs))
	d.logProblems(probs)
	if len(probs) > 0 {
		return len(set.Services), probs
	}
	return len(set.Services), nil
}

// detail is why a step failed, as every user may read it (OperationProgress is broadcast), or
// what the step says (a plan's summary).
func (d *herod) detail(p bridge.Progress) string {
	if p.Err == nil {
		return p.Detail
	}
	return forEveryone(p.Err, &d.access).Error()
}

// launch runs a long operation (a start, stop or restart) in the background, the way systemd
// runs jobs: the method that asked for it returns its id at once, and the operation reports its
// steps (OperationProgress) and its end (OperationFinished) as signals carrying that id. No
// client waits inside a method call, so no D-Bus call timeout can cut an operation short.
// Its errors are the bridge's, which name the operation and its services. The services it was
// asked for (names) get their objects refreshed once it is over (the bridge's events cover the
// runs it starts and ends), before its end is told.
func (d *herod) launch(names []string, run func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
	return d.launchOp(names, func(ctx context.Context, _ uint64, obs bridge.Observer) (map[string]dbus.Variant, error) {
		return run(ctx, obs)
	})
}

// launchOp is launch for an operation that needs its own id (an apply keeps its plan by it).
func (d *herod) launchOp(names []string, run func(ctx context.Context, op uint64, obs bridge.Observer) (map[string]dbus.Variant, error)) uint64 {
	op := d.ops.Add(1)
	d.opLog.began(op)
	d.memory.begin()
	go func() {
		obs := func(p bridge.Progress) {
			if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationProgress, op, p.Service, p.Event, p.JobID, d.detail(p)); err != nil {
				d.log.Warn("emitting a signal failed", "signal", api.SignalOperationProgress, "err", err)
			}
		}
		summary, err := run(d.ctx, op, obs)
		if summary == nil {
			summary = map[string]dbus.Variant{}
		}
		o := opOutcome{subject: strings.Join(names, " "), err: err, summary: summary}
		name, msg := o.shown(&d.access, nil)
		// Marked before the end is told, so a read that follows it refreshes them first.
		d.objs.mark(runsChanged, names...)
		d.opLog.finished(op, o)
		d.memory.end()
		if err := d.bus.Emit(api.Path, api.Interface+"."+api.SignalOperationFinished, op, name, msg, summary); err != nil {
			d.log.Warn("emitting a signal failed", "signal", api.SignalOperationFinished, "err", err)
		}
		d.memory.after()
	}()
	return op
}

// serviceProblems is a service's problems as the caller (nil: anyone) may see them.
func (d *herod) serviceProblems(name string, c *caller) []string {
	return serviceProblems(d.bridge.Config(), &d.access, name, c)
}

// readsServiceFile reports whether the caller (nil: anyone) may read name's file.
func (d *herod) readsServiceFile(name string, c *caller) bool {
	return readsServiceFile(d.bridge.Config(), &d.access, name, c)
}

// callerOf is who sent a call, as the bus daemon knows it.
func (d *herod) callerOf(sender string) (caller, error) { return callerOf(d.ctx, d.bus, sender) }
