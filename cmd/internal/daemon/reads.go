package daemon

import (
	"context"
	"fmt"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// The Manager's methods that read: statuses and lists (from the object tree when it has them),
// jobs and their output, the plans of a start or stop, a unit's text and the graph; each answers
// as the caller may see it (disclosure.go).

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
		return nil, toDBus(name, err)
	}
	var en enablement
	if svc := m.d.bridge.Config().Service(name); svc != nil { // nil: removed by a reload meanwhile
		if en, err = enablementOf(ctx, m.d.ledger, svc); err != nil {
			return nil, toDBus(name, fmt.Errorf("status %s: whether it is enabled: %w", name, err))
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
		return nil, nil, toDBus("services", err)
	}
	en, err := enablements(ctx, m.d.ledger, m.d.bridge.Config())
	if err != nil {
		return nil, nil, toDBus("services", fmt.Errorf("list: which services are enabled: %w", err))
	}
	return list, en, nil
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

func (m *manager) ListJobs(name string) ([]map[string]dbus.Variant, *dbus.Error) {
	if e := checkName(name); e != nil {
		return nil, e
	}
	ctx, cancel := m.ctx()
	defer cancel()
	jobs, err := m.d.bridge.Jobs(ctx, name)
	if err != nil {
		return nil, toDBus(name, err)
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
		return 0, nil, toDBus(name, err)
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
		return "", toDBus(name, err)
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

func jobDict(j *jobdb.Job) map[string]dbus.Variant { return viewOf(j).props() }
