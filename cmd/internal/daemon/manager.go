package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// manager is the exported object. godbus runs every call in its own goroutine; the bridge
// serializes what must be serialized. Every input is untrusted: names and numbers are checked
// before anything else happens.
type manager struct {
	d *Daemon
}

// callTimeout bounds one API call (a stop waits for its services' stop timeouts).
const callTimeout = 10 * time.Minute

func (m *manager) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(m.d.ctx, callTimeout)
}

func dbusErr(name, format string, args ...any) *dbus.Error {
	return dbus.NewError(name, []any{fmt.Sprintf(format, args...)})
}

// check refuses malformed names first (cheap, and nobody is asked for a password for a call that
// cannot work), then callers who may not call method.
func (m *manager) check(msg dbus.Message, method string, names ...string) *dbus.Error {
	for _, n := range names {
		if e := checkName(n); e != nil {
			return e
		}
	}
	return m.allow(msg, method)
}

func checkName(name string) *dbus.Error {
	if err := config.CheckName(name); err != nil {
		return dbusErr(api.ErrInvalidArgument, "%v", err)
	}
	return nil
}

// toDBus maps bridge and ledger errors to named D-Bus errors.
func toDBus(op, name string, err error) *dbus.Error {
	var ce *bridge.ConflictError
	var se *bridge.StartError
	var cfg *bridge.ConfigError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bridge.ErrNoSuchService):
		return dbusErr(api.ErrNoSuchService, "no such service %q", name)
	case errors.As(err, &ce):
		return dbusErr(api.ErrConflictBlocked, "%v", err)
	case errors.As(err, &se):
		return dbusErr(api.ErrStartFailed, "%v", err)
	case errors.As(err, &cfg):
		return dbusErr(api.ErrInvalidConfig, "%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return dbusErr(api.ErrFailed, "%s: herod is shutting down or the operation took too long: %v", strings.TrimSpace(op+" "+name), err)
	case errors.Is(err, bridge.ErrNotReloadable):
		return dbusErr(api.ErrNotReloadable, "%v", err)
	case errors.Is(err, bridge.ErrNotRunning):
		return dbusErr(api.ErrNotRunning, "%s is not running", name)
	case errors.Is(err, jobdb.ErrNotFound):
		return dbusErr(api.ErrNoSuchJob, "%v", err)
	}
	return dbusErr(api.ErrFailed, "%s: %v", strings.TrimSpace(op+" "+name), err)
}

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
		return 0, nil, toDBus("start", names[0], err)
	}
	if pre.AlreadyRunning {
		return 0, []string{}, nil
	}
	op := m.d.launch("start", names, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
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
		return 0, nil, toDBus("stop", name, err)
	}
	op := m.d.launch("stop", []string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
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
			return 0, nil, toDBus("stop", name, err)
		}
		for _, s := range up {
			if !seen[s] {
				seen[s] = true
				running = append(running, s)
			}
		}
	}
	op := m.d.launch("stop", names, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
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
		return 0, nil, toDBus("restart", name, err)
	}
	op := m.d.launch("restart", []string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
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
		return 0, toDBus("reload", name, err)
	}
	op := m.d.launch("reload", []string{name}, func(ctx context.Context, obs bridge.Observer) (map[string]dbus.Variant, error) {
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
	return toDBus("kill", name, m.d.bridge.Kill(ctx, name, int(signal)))
}

func (m *manager) ResetFailed(msg dbus.Message, name string) *dbus.Error {
	if e := m.check(msg, api.MethodResetFailed, name); e != nil {
		return e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	defer m.d.objs.mark(runsChanged, name)
	return toDBus("reset-failed", name, m.d.bridge.ResetFailed(ctx, name))
}

func (m *manager) Reload(msg dbus.Message) (uint32, *dbus.Error) {
	if e := m.allow(msg, api.MethodReload); e != nil {
		return 0, e
	}
	n, err := m.d.reload()
	if err != nil {
		var probs config.Problems
		if errors.As(err, &probs) {
			probs = m.shown(msg, probs)
			return uint32(n), dbusErr(api.ErrInvalidConfig, "%s has %d problem(s); the rest is loaded (%d services), and a service whose file has a problem keeps its last good definition, or is left out as bad-config if it never had one:\n%s",
				m.d.opts.ConfigDir, len(probs), n, probs.Error())
		}
		return 0, dbusErr(api.ErrFailed, "reload: %v", err)
	}
	m.d.objs.markAll()
	return uint32(n), nil
}

// shown is probs as the caller of msg may see them (anyone's view when the caller is unknown).
func (m *manager) shown(msg dbus.Message, probs config.Problems) config.Problems {
	c, err := m.d.callerOf(senderOf(msg))
	cp := &c
	if err != nil {
		cp = nil
	}
	out := make(config.Problems, len(probs))
	for i, p := range probs {
		out[i] = shownTo(p, m.d.accessOf(p.File), cp)
	}
	return out
}

// callerOrAnyone is the caller of msg, or nil (anyone) when the bus cannot tell.
func (m *manager) callerOrAnyone(msg dbus.Message) *caller {
	c, err := m.d.callerOf(senderOf(msg))
	if err != nil {
		return nil
	}
	return &c
}

func (m *manager) Status(msg dbus.Message, name string) (map[string]dbus.Variant, *dbus.Error) {
	if e := checkName(name); e != nil {
		return nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	if m.d.bridge.Config().Service(name) != nil {
		if d, ok := m.d.objs.status(ctx, name); ok {
			return m.problemsFor(msg, d), nil
		}
	}
	st, err := m.d.bridge.Status(ctx, name)
	if err != nil {
		return nil, toDBus("status", name, err)
	}
	var en enablement
	if svc := m.d.bridge.Config().Service(name); svc != nil { // nil: removed by a reload meanwhile
		if en, err = m.d.enablementOf(ctx, svc); err != nil {
			return nil, toDBus("status", name, err)
		}
	}
	st.Problems = m.d.serviceProblems(name, m.callerOrAnyone(msg))
	return withEnablement(statusDict(st), en), nil
}

func (m *manager) ListServices(msg dbus.Message) ([]map[string]dbus.Variant, *dbus.Error) {
	ctx, cancel := m.ctx()
	defer cancel()
	if list, ok := m.d.objs.list(ctx); ok {
		for i, d := range list {
			list[i] = m.problemsFor(msg, d)
		}
		return list, nil
	}
	list, en, e := m.listFromSystemd(ctx)
	if e != nil {
		return nil, e
	}
	out := make([]map[string]dbus.Variant, len(list))
	c := m.callerOrAnyone(msg)
	for i, st := range list {
		if len(st.Problems) > 0 {
			st.Problems = m.d.serviceProblems(st.Service, c)
		}
		out[i] = withEnablement(statusDict(st), en[st.Service])
	}
	return out, nil
}

// ListUnits answers what list-units shows of every service, as fixed structs: a tenth of
// ListServices' cost to encode and decode at thousands of services.
func (m *manager) ListUnits() ([]api.UnitRow, *dbus.Error) {
	ctx, cancel := m.ctx()
	defer cancel()
	if rows, ok := m.d.objs.units(ctx); ok {
		return rows, nil
	}
	list, en, e := m.listFromSystemd(ctx)
	if e != nil {
		return nil, e
	}
	rows := make([]api.UnitRow, len(list))
	for i, st := range list {
		rows[i] = unitRow(st, en[st.Service])
	}
	return rows, nil
}

// listFromSystemd reads every service's status from systemd and the ledger, and its
// enablement: the lists' answer when herod's own view misses a service.
func (m *manager) listFromSystemd(ctx context.Context) ([]bridge.Status, map[string]enablement, *dbus.Error) {
	list, err := m.d.bridge.List(ctx)
	if err != nil {
		return nil, nil, toDBus("list", "services", err)
	}
	en, err := m.d.enablements(ctx, m.d.bridge.Config())
	if err != nil {
		return nil, nil, toDBus("list", "services", err)
	}
	return list, en, nil
}

func unitRow(st bridge.Status, en enablement) api.UnitRow {
	return api.UnitRow{Service: st.Service, Unit: st.Unit, Description: st.Description, LoadState: st.LoadState,
		ActiveState: st.ActiveState, SubState: st.SubState, State: st.State, Enabled: en.State, EnabledBy: en.By, Health: st.Health}
}

// problemsFor gives a status read from the object tree the problems of the config as it is now
// (the tree is refreshed after a reload, not by it), as the caller may see them (the tree's
// Problems, which every user reads, quote world-readable files only). The tree's dictionary is
// copied, never changed.
func (m *manager) problemsFor(msg dbus.Message, d map[string]dbus.Variant) map[string]dbus.Variant {
	name, _ := d[api.KeyService].Value().(string)
	ps := m.d.serviceProblems(name, m.callerOrAnyone(msg))
	if old, _ := d[api.KeyProblems].Value().([]string); len(ps) == 0 && len(old) == 0 {
		return d
	}
	out := make(map[string]dbus.Variant, len(d))
	for k, val := range d {
		out[k] = val
	}
	out[api.KeyProblems] = dbus.MakeVariant(nonNil(ps))
	return out
}

func withEnablement(d map[string]dbus.Variant, e enablement) map[string]dbus.Variant {
	d[api.KeyEnabled] = dbus.MakeVariant(e.State)
	d[api.KeyEnabledBy] = dbus.MakeVariant(e.By)
	return d
}

func (m *manager) Enable(msg dbus.Message, names []string) *dbus.Error {
	return m.setEnabled(msg, api.MethodEnable, names, Enabled)
}

func (m *manager) Disable(msg dbus.Message, names []string) *dbus.Error {
	return m.setEnabled(msg, api.MethodDisable, names, Disabled)
}

func (m *manager) setEnabled(msg dbus.Message, method string, names []string, state string) *dbus.Error {
	if len(names) == 0 || len(names) > config.MaxServices {
		return dbusErr(api.ErrInvalidArgument, "give between 1 and %d services", config.MaxServices)
	}
	if e := m.check(msg, method, names...); e != nil {
		return e
	}
	set := m.d.bridge.Config()
	for _, n := range names {
		if set.Service(n) == nil {
			return dbusErr(api.ErrNoSuchService, "no such service %q", n)
		}
	}
	ctx, cancel := m.ctx()
	defer cancel()
	if err := m.d.setEnabled(ctx, names, state); err != nil {
		return dbusErr(api.ErrFailed, "%s: %v", method, err)
	}
	m.d.objs.mark(enablementChanged, names...)
	m.d.log.Info("wanted state at start-up set", "services", names, "state", state)
	return nil
}

func (m *manager) ListJobs(name string) ([]map[string]dbus.Variant, *dbus.Error) {
	if e := checkName(name); e != nil {
		return nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	jobs, err := m.d.bridge.Jobs(ctx, name)
	if err != nil {
		return nil, toDBus("list jobs of", name, err)
	}
	out := make([]map[string]dbus.Variant, len(jobs))
	for i := range jobs {
		out[i] = jobDict(&jobs[i])
	}
	return out, nil
}

func (m *manager) JobOutput(msg dbus.Message, name string, id int64) (int64, []byte, *dbus.Error) {
	got, lines, e := m.jobLines(msg, api.MethodJobOutput, name, id, 0)
	if e != nil {
		return 0, nil, e
	}
	var out []byte
	for _, l := range lines {
		out = append(out, l.Message...)
		out = append(out, '\n')
	}
	if out == nil {
		out = []byte{}
	}
	return got, out, nil
}

// logEntry is the (tusus) struct of JobLog.
type logEntry struct {
	Time       uint64
	Priority   uint32
	Identifier string
	PID        uint32
	Message    string
}

func (m *manager) JobLog(msg dbus.Message, name string, id int64, lines uint32) (int64, []logEntry, *dbus.Error) {
	got, ls, e := m.jobLines(msg, api.MethodJobLog, name, id, int(lines))
	if e != nil {
		return 0, nil, e
	}
	out := make([]logEntry, len(ls))
	for i, l := range ls {
		out[i] = logEntry{Time: uint64(l.Time.UnixMicro()), Priority: uint32(l.Priority), Identifier: l.Identifier, PID: uint32(l.PID), Message: l.Message}
	}
	return got, out, nil
}

func (m *manager) jobLines(msg dbus.Message, method, name string, id int64, limit int) (int64, []bridge.LogLine, *dbus.Error) {
	if id < 0 {
		return 0, nil, dbusErr(api.ErrInvalidArgument, "job id %d is negative", id)
	}
	if e := m.check(msg, method, name); e != nil {
		return 0, nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	j, lines, err := m.d.bridge.Output(ctx, name, id, limit)
	if err != nil {
		return 0, nil, toDBus("output of", name, err)
	}
	return j.ID, lines, nil
}

func (m *manager) StopPlan(msg dbus.Message, name string) ([]string, [][]string, []string, *dbus.Error) {
	if e := checkName(name); e != nil {
		return nil, nil, nil, e
	}
	p, err := m.d.bridge.Config().Graph.Stop(name)
	if err != nil {
		return nil, nil, nil, m.planRefusal(msg, "stop", name)
	}
	return p.Order, p.Waves, p.StoppedDependents, nil
}

func (m *manager) StartPlan(msg dbus.Message, name string) ([]string, [][]string, *dbus.Error) {
	if e := checkName(name); e != nil {
		return nil, nil, e
	}
	p, err := m.d.bridge.Config().Graph.Start(name)
	if err != nil {
		return nil, nil, m.planRefusal(msg, "start", name)
	}
	return p.Order, p.Waves, nil
}

// planRefusal says why a service has no plan: it is not defined (NoSuchService), or it is
// defined but bad-config or blocked (InvalidConfig, with its problems as the caller may see
// them, as Start says).
func (m *manager) planRefusal(msg dbus.Message, verb, name string) *dbus.Error {
	set := m.d.bridge.Config()
	switch {
	case set.BadConfig(name):
		return dbusErr(api.ErrInvalidConfig, "%s is bad-config: no %s plan until its problems are fixed:\n%s",
			name, verb, strings.Join(m.d.serviceProblems(name, m.callerOrAnyone(msg)), "\n"))
	case len(set.Blocked(name)) > 0:
		return dbusErr(api.ErrInvalidConfig, "%s is blocked: it must start after %s, which no file defines",
			name, strings.Join(set.Blocked(name), ", "))
	}
	return dbusErr(api.ErrNoSuchService, "no such service %q", name)
}

func (m *manager) UnitText(msg dbus.Message, name string) (string, *dbus.Error) {
	if e := checkName(name); e != nil {
		return "", e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	ut, err := m.d.bridge.UnitText(ctx, name)
	if err != nil {
		return "", toDBus("cat", name, err)
	}
	c := m.callerOrAnyone(msg)
	text := ut.Text
	if !ut.Loaded && !m.d.readsServiceFile(name, c) {
		// systemd does not show this definition to anyone yet: what the file says is told to
		// those who may read the file, as its problems are.
		text = ut.Withheld
	}
	if c == nil || !c.readsJournal() {
		// Environment values are secrets as much as the journal is: names only for others.
		text = redactEnvironment(text)
	}
	return text, nil
}

// edge is the (sss) struct of Graph.
type edge struct{ From, To, Kind string }

func (m *manager) Graph() ([]string, []edge, *dbus.Error) {
	set := m.d.bridge.Config()
	edges := []edge{}
	for _, e := range set.Graph.Edges() {
		edges = append(edges, edge{e.From, e.To, e.Kind})
	}
	for _, s := range set.Services {
		for _, c := range s.Conflicts {
			edges = append(edges, edge{s.Name, c, "conflicts"})
		}
	}
	return set.Graph.Names(), edges, nil
}

// problem is the (siss) struct of Validate.
type problem struct {
	File    string
	Line    int32
	Key     string
	Message string
}

// Validate reads the directory on disk; each problem quotes its file only to a caller who
// could read that file (see disclosure.go).
func (m *manager) Validate(msg dbus.Message) ([]problem, *dbus.Error) {
	r, err := m.d.read()
	if err != nil {
		return nil, dbusErr(api.ErrFailed, "validate: %v", err)
	}
	c, err := m.d.callerOf(senderOf(msg))
	if err != nil {
		return nil, dbusErr(api.ErrAccessDenied, "validate: cannot tell who is calling: %v", err)
	}
	out := []problem{}
	for _, p := range problemsFor(r, &c) {
		out = append(out, problem{p.File, int32(p.Line), p.Key, p.Message})
	}
	return out, nil
}

func micros(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func statusDict(st bridge.Status) map[string]dbus.Variant {
	d := map[string]dbus.Variant{
		api.KeyService: dbus.MakeVariant(st.Service), api.KeyContext: dbus.MakeVariant(st.Context),
		api.KeyUnit: dbus.MakeVariant(st.Unit), api.KeyDescription: dbus.MakeVariant(st.Description),
		api.KeyState: dbus.MakeVariant(st.State), api.KeyLoadState: dbus.MakeVariant(st.LoadState),
		api.KeyActiveState: dbus.MakeVariant(st.ActiveState), api.KeySubState: dbus.MakeVariant(st.SubState),
		api.KeyBlockedBy: dbus.MakeVariant(st.BlockedBy), api.KeyRequires: dbus.MakeVariant(st.Requires),
		api.KeyAfter: dbus.MakeVariant(st.After), api.KeyConflicts: dbus.MakeVariant(st.Conflicts),
	}
	d[api.KeyMainPID] = dbus.MakeVariant(uint32(st.MainPID))
	d[api.KeyRestarts] = dbus.MakeVariant(uint32(st.Restarts))
	d[api.KeyStale] = dbus.MakeVariant(st.Stale)
	d[api.KeyProblems] = dbus.MakeVariant(nonNil(st.Problems))
	d[api.KeyWaitingFor] = dbus.MakeVariant(nonNil(st.WaitingFor))
	d[api.KeyWants] = dbus.MakeVariant(nonNil(st.Wants))
	d[api.KeyRequirementsDown] = dbus.MakeVariant(nonNil(st.RequirementsDown))
	d[api.KeyComesBack] = dbus.MakeVariant(st.ComesBack)
	d[api.KeyWaitsFor] = dbus.MakeVariant(nonNil(st.WaitsFor))
	d[api.KeyWaiting] = dbus.MakeVariant(st.Waiting)
	d[api.KeyHealth] = dbus.MakeVariant(st.Health)
	d[api.KeyStartLimitHit] = dbus.MakeVariant(st.LimitHit)
	if j := st.LastJob; j != nil {
		d[api.KeyJobID] = dbus.MakeVariant(j.ID)
		d[api.KeyJobPhase] = dbus.MakeVariant(string(j.Phase))
		d[api.KeyResult] = dbus.MakeVariant(j.Result)
		d[api.KeySignal] = dbus.MakeVariant(j.Signal)
		code := int32(-1)
		if j.ExitCode != nil {
			code = int32(*j.ExitCode)
		}
		d[api.KeyExitCode] = dbus.MakeVariant(code)
		d[api.KeyStartedAt] = dbus.MakeVariant(micros(&j.StartedAt))
		d[api.KeyEndedAt] = dbus.MakeVariant(micros(j.EndedAt))
		d[api.KeyInvocationID] = dbus.MakeVariant(j.InvocationID)
	}
	return d
}

func jobDict(j *jobdb.Job) map[string]dbus.Variant { return viewOf(j).props() }
