package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
)

// An apply makes what runs match the config directory on disk. herod reads and validates the
// directory in the call (a problem refuses it: nothing changes), then runs one operation that
// holds every service's lock, computes the plan, keeps it for OperationPlan and announces it
// ("planned") before anything acts, loads the directory, and does exactly that plan.

// Apply queues an apply of the config directory on disk and returns its operation's id.
func (m *manager) Apply(msg dbus.Message) (uint64, *dbus.Error) {
	if e := m.allow(msg, api.MethodApply); e != nil {
		return 0, e
	}
	r, e := m.readForApply(msg)
	if e != nil {
		return 0, e
	}
	d := m.d
	op := d.launchOp(nil, func(ctx context.Context, op uint64, obs bridge.Observer) (map[string]dbus.Variant, error) {
		p, err := d.bridge.Apply(ctx, r.Set, func(p plan.Apply) {
			d.opLog.setPlan(op, applied{plan: p, access: r.Access})
			obs(bridge.Progress{Event: "planned", Detail: planSummary(p)})
		}, obs)
		if _, planned := d.opLog.plan(op); planned {
			d.opLog.setPlan(op, applied{plan: p, access: r.Access}) // with what it started
			d.afterApply(ctx, p)
		}
		return map[string]dbus.Variant{
			api.SummaryStarted: dbus.MakeVariant(nonNil(p.Started)),
			api.SummaryFailed:  dbus.MakeVariant(nonNil(p.Failed)),
		}, err
	})
	return op, nil
}

// afterApply does what a reload does once the directory is loaded: the service objects follow
// the services, herod's memory limit their number, the environment files of units gone are
// removed.
func (d *herod) afterApply(ctx context.Context, p plan.Apply) {
	d.objs.markAll()
	d.memory.fit(len(d.bridge.Config().Services))
	if err := d.bridge.SweepEnvFiles(ctx); err != nil {
		d.log.Warn("removing environment files of units that are gone", "err", err)
	}
	d.log.Info("configs applied", "services", len(d.bridge.Config().Services), "restarted", p.Restart, "stopped", p.Stop,
		"started", p.Started, "failed", p.Failed)
}

// ApplyPlan returns what Apply would do now, changing nothing: of herod's config directory, or
// (dir given: only for callers who may apply) of dir as if it were herod's, to see what a change
// of files not yet in place would do.
func (m *manager) ApplyPlan(msg dbus.Message, dir string) (plan.Apply, *dbus.Error) {
	read := m.readForApply
	if dir != "" {
		if !filepath.IsAbs(dir) {
			return plan.Apply{}.WithLists(), dbusErr(api.ErrInvalidArgument, "apply: the directory %q is not an absolute path", dir)
		}
		if e := m.allow(msg, api.MethodApply); e != nil {
			return plan.Apply{}.WithLists(), e
		}
		read = func(msg dbus.Message) (*configdir.Result, *dbus.Error) { return m.readDirForApply(msg, dir) }
	}
	r, e := read(msg)
	if e != nil {
		return plan.Apply{}.WithLists(), e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	p, err := m.d.bridge.PlanApply(ctx, r.Set)
	if err != nil {
		return plan.Apply{}.WithLists(), toDBus("", err)
	}
	return p.Shown(m.reveal(msg, r.Access)), nil
}

// OperationPlan returns the plan an apply operation computed under its locks.
func (m *manager) OperationPlan(msg dbus.Message, op uint64) (plan.Apply, *dbus.Error) {
	a, ok := m.d.opLog.plan(op)
	if !ok {
		return plan.Apply{}.WithLists(), dbusErr(api.ErrNoSuchOperation,
			"operation %d has no plan: it is not an apply, has not planned yet, or ended too long ago", op)
	}
	return a.plan.Shown(m.reveal(msg, a.access)), nil
}

// readForApply reads the config directory and refuses it when it has problems: an apply makes
// what runs match the files, so every file must be valid (the problems as the caller may see
// them).
func (m *manager) readForApply(msg dbus.Message) (*configdir.Result, *dbus.Error) {
	r, err := m.d.read()
	return m.validForApply(msg, m.d.opts.ConfigDir, r, err)
}

// readDirForApply reads another directory as readForApply reads herod's (by the same trust
// rules, without the cache).
func (m *manager) readDirForApply(msg dbus.Message, dir string) (*configdir.Result, *dbus.Error) {
	r, err := configdir.Read(dir, configdir.DefaultTrust())
	return m.validForApply(msg, dir, r, err)
}

func (m *manager) validForApply(msg dbus.Message, dir string, r *configdir.Result, err error) (*configdir.Result, *dbus.Error) {
	if err != nil {
		return nil, dbusErr(api.ErrFailed, "apply: reading %s: %v", dir, err)
	}
	if len(r.Problems) > 0 {
		probs := problemsFor(r, m.callerOrAnyone(msg))
		return nil, dbusErr(api.ErrInvalidConfig, "%s has %d problem(s); nothing was applied (fix them, then apply again):\n%s",
			dir, len(probs), probs.Error())
	}
	return r, nil
}

// reveal says, for the caller of msg, whether a diff may show a file's environment values: to a
// caller who may read the file (root always), by the modes it had when the directory was read.
func (m *manager) reveal(msg dbus.Message, access map[string]configdir.Access) func(file string) bool {
	c := m.callerOrAnyone(msg)
	return func(file string) bool {
		return c != nil && access[file].Readable(c.uid, c.groupIDs())
	}
}

// planSummary is a plan in a line, for the "planned" step (a signal: names only).
func planSummary(p plan.Apply) string {
	if !p.Acts() {
		return "nothing to restart or stop"
	}
	var parts []string
	if len(p.Restart) > 0 {
		parts = append(parts, "restart "+strings.Join(p.Restart, " "))
	}
	if len(p.Stop) > 0 {
		parts = append(parts, "stop "+strings.Join(p.Stop, " "))
	}
	return fmt.Sprintf("%s; %d unchanged", strings.Join(parts, "; "), p.Unchanged)
}
