package daemon

import (
	"context"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// The Manager's methods that act on services (start, stop, restart, reload, kill, reset-failed)
// and what an operation tells afterwards: each checks its arguments and caller first, then
// launches an operation (Daemon.launch) that the bridge carries out.

func (m *manager) Start(msg dbus.Message, name string, replace bool) (uint64, []string, bool, *dbus.Error) {
	if e := m.check(msg, api.MethodStart, name); e != nil {
		return 0, nil, false, e
	}
	op, services, e := m.startOp([]string{name}, replace)
	return op, services, e == nil && op == 0, e
}

func (m *manager) StartMany(msg dbus.Message, names []string, replace bool) (uint64, []string, *dbus.Error) {
	if len(names) == 0 || len(names) > config.MaxServices {
		return 0, nil, dbusErr(api.ErrInvalidArgument, "give between 1 and %d services", config.MaxServices)
	}
	if e := m.check(msg, api.MethodStartMany, names...); e != nil {
		return 0, nil, e
	}
	return m.startOp(names, replace)
}

// startOp checks a start (names, conflicts) before anything happens, and queues it.
func (m *manager) startOp(names []string, replace bool) (uint64, []string, *dbus.Error) {
	ctx, cancel := m.ctx()
	defer cancel()
	pre, err := m.d.bridge.PrecheckStart(ctx, names)
	if err != nil {
		return 0, nil, toDBus(names[0], err)
	}
	if pre.AlreadyRunning {
		return 0, []string{}, nil
	}
	op := m.d.launch(names, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
		r, err := m.d.bridge.Start(ctx, names, replace, obs)
		return startSummary(r), err
	})
	return op, pre.Starting, nil
}

func (m *manager) Stop(msg dbus.Message, name string, removeJobs bool) (uint64, []string, *dbus.Error) {
	if e := m.check(msg, api.MethodStop, name); e != nil {
		return 0, nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	running, err := m.d.bridge.PrecheckStop(ctx, name)
	if err != nil {
		return 0, nil, toDBus(name, err)
	}
	op := m.d.launch([]string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
		r, err := m.d.bridge.Stop(ctx, name, removeJobs, obs)
		return stopSummary(r), err
	})
	return op, running, nil
}

// StopMany stops names one after the other, each with its cascade, as one operation; its
// summary adds up the stops' (stopped_dependents: the services stopped that were not named).
func (m *manager) StopMany(msg dbus.Message, names []string, removeJobs bool) (uint64, []string, *dbus.Error) {
	if len(names) == 0 || len(names) > config.MaxServices {
		return 0, nil, dbusErr(api.ErrInvalidArgument, "give between 1 and %d services", config.MaxServices)
	}
	if e := m.check(msg, api.MethodStopMany, names...); e != nil {
		return 0, nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	running := []string{}
	seen := map[string]bool{}
	for _, name := range names {
		up, err := m.d.bridge.PrecheckStop(ctx, name)
		if err != nil {
			return 0, nil, toDBus(name, err)
		}
		for _, s := range up {
			if !seen[s] {
				seen[s] = true
				running = append(running, s)
			}
		}
	}
	op := m.d.launch(names, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
		return stopEach(ctx, m.d.bridge, names, removeJobs, obs)
	})
	return op, running, nil
}

// stopEach stops names in turn and sums up their replies; the first error ends it.
func stopEach(ctx context.Context, b engine, names []string, removeJobs bool, obs bridge.Observer) (map[string]dbus.Variant, error) {
	named := map[string]bool{}
	for _, n := range names {
		named[n] = true
	}
	var total bridge.StopReply
	for _, name := range names {
		r, err := b.Stop(ctx, name, removeJobs, obs)
		total.Cancelled += r.Cancelled
		total.RemovedJobs += r.RemovedJobs
		for _, d := range r.StoppedDependents {
			if !named[d] {
				total.StoppedDependents = append(total.StoppedDependents, d)
			}
		}
		if err != nil {
			return stopSummary(total), err
		}
	}
	return stopSummary(total), nil
}

func (m *manager) Restart(msg dbus.Message, name string) (uint64, []string, *dbus.Error) {
	if e := m.check(msg, api.MethodRestart, name); e != nil {
		return 0, nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	running, err := m.d.bridge.PrecheckStop(ctx, name)
	if err != nil {
		return 0, nil, toDBus(name, err)
	}
	op := m.d.launch([]string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
		r, err := m.d.bridge.Restart(ctx, name, obs)
		sum := stopSummary(r.Stop)
		for k, v := range startSummary(r.Start) {
			sum[k] = v
		}
		sum[api.SummaryRestarted] = dbus.MakeVariant(nonNil(r.Restarted))
		return sum, err
	})
	return op, running, nil
}

// ReloadService asks systemd to reload a running service (its reload command or signal), as an
// operation: refused at once, nothing done, when the service cannot be reloaded now.
func (m *manager) ReloadService(msg dbus.Message, name string) (uint64, *dbus.Error) {
	if e := m.check(msg, api.MethodReloadService, name); e != nil {
		return 0, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	if err := m.d.bridge.PrecheckReload(ctx, name); err != nil {
		return 0, toDBus(name, err)
	}
	op := m.d.launch([]string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
		reloaded := []string{}
		err := m.d.bridge.Reload(ctx, name, obs)
		if err == nil {
			reloaded = append(reloaded, name)
		}
		return map[string]dbus.Variant{api.SummaryReloaded: dbus.MakeVariant(reloaded)}, err
	})
	return op, nil
}

func startSummary(r bridge.StartReply) map[string]dbus.Variant {
	jobs := map[string]int64{}
	for k, v := range r.Jobs {
		jobs[k] = v
	}
	return map[string]dbus.Variant{
		api.SummaryStarted:        dbus.MakeVariant(nonNil(r.Started)),
		api.SummaryFailed:         dbus.MakeVariant(nonNil(r.Failed)),
		api.SummaryAlreadyRunning: dbus.MakeVariant(r.AlreadyRunning),
		api.SummaryJobs:           dbus.MakeVariant(jobs),
		api.SummaryWarnings:       dbus.MakeVariant(nonNil(r.Warnings)),
	}
}

func stopSummary(r bridge.StopReply) map[string]dbus.Variant {
	return map[string]dbus.Variant{
		api.SummaryCancelled:         dbus.MakeVariant(uint32(r.Cancelled)),
		api.SummaryStoppedDependents: dbus.MakeVariant(nonNil(r.StoppedDependents)),
		api.SummaryRemovedJobs:       dbus.MakeVariant(r.RemovedJobs),
	}
}

func (m *manager) Kill(msg dbus.Message, name string, signal int32) *dbus.Error {
	if signal < 1 || signal > 64 {
		return dbusErr(api.ErrInvalidArgument, "signal %d is out of range 1..64", signal)
	}
	if e := m.check(msg, api.MethodKill, name); e != nil {
		return e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	return toDBus(name, m.d.bridge.Kill(ctx, name, int(signal)))
}

func (m *manager) ResetFailed(msg dbus.Message, name string) *dbus.Error {
	if e := m.check(msg, api.MethodResetFailed, name); e != nil {
		return e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	defer m.d.objs.mark(runsChanged, name)
	return toDBus(name, m.d.bridge.ResetFailed(ctx, name))
}

// OperationStatus tells whether an operation runs, and how it ended: what a client that missed
// OperationFinished asks, and what heroctl asks for the whole error of a failed operation. Its
// error is told as the caller may see it (shownTo): the service's last lines only to callers who
// may read services' output, a problem's quote only to callers who may read its file; anyone
// else is told what OperationFinished told everyone.
func (m *manager) OperationStatus(msg dbus.Message, op uint64) (string, string, string, map[string]dbus.Variant, *dbus.Error) {
	state, o := m.d.opLog.status(op)
	if o.summary == nil {
		o.summary = map[string]dbus.Variant{}
	}
	name, text := o.shown(&m.d.access, m.callerOrAnyone(msg))
	return state, name, text, o.summary, nil
}
