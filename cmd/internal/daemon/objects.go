package daemon

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/cmd/api"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// objects keeps herod's object tree the way systemd keeps its unit objects: one object per
// service (api.ServicePath) and per kept job (api.JobPath), whose properties announce their
// changes with PropertiesChanged, and which come and go with InterfacesAdded and
// InterfacesRemoved (org.freedesktop.DBus.ObjectManager at api.Path).
//
// It holds what it last announced. A change marks a service dirty, with what changed: its unit
// (systemd's signals say its ActiveState or SubState moved, or systemd unloaded it), its runs
// (the bridge's events, after the ledger has them; operations; reset-failed), its enablement, or
// everything (a reload). A refresher reads what changed of each dirty service once the burst of
// changes is over (coalesce), and announces the difference; nothing is polled. A read (Get,
// GetAll, GetManagedObjects) of a dirty service refreshes it first, so it is as current as
// Manager.Status.
type objects struct {
	d       *Daemon
	refresh sync.Mutex // one refresh at a time: announcements go out in the order of changes
	ready   chan struct{}
	wake    chan struct{}

	mu       sync.Mutex
	services map[string]*serviceView // by name, as last announced
	jobs     map[int64]*jobView      // every kept job of a known service, by id
	dirty    map[string]*pending
	pids     map[string]uint32 // units' main processes, as systemd last announced them
}

// pending is a dirty service: what changed, and when the refresher reads it.
type pending struct {
	what change
	due  time.Time
}

// serviceView is a service object as last announced, and what it was made from.
type serviceView struct {
	props  map[string]dbus.Variant
	status bridge.Status
	en     enablement
	jobs   []int64 // its kept jobs, newest first
}

// change is what changed about a service: a refresh reads only that.
type change uint8

const (
	unitChanged       change = 1 << iota // its unit in systemd: its status is read again
	runsChanged                          // its runs in the ledger: its status and jobs
	enablementChanged                    // heroctl enable or disable
	everything        = unitChanged | runsChanged | enablementChanged
)

// coalesce is how long the refresher lets changes gather before it reads: a start or a stop
// changes a service several times within a few dozen milliseconds (its run recorded, its
// operation's steps), and one read then sees them all.
const coalesce = 100 * time.Millisecond

// unitSettle is how long a change of a unit alone waits: systemd's signal comes first, and the
// bridge records the run it begins or ends a moment later; one read then sees both. A change
// no run follows (a health check passed) is announced after this.
const unitSettle = 250 * time.Millisecond

func newObjects(d *Daemon) *objects {
	return &objects{d: d, ready: make(chan struct{}), wake: make(chan struct{}, 1),
		services: map[string]*serviceView{}, jobs: map[int64]*jobView{}, dirty: map[string]*pending{}, pids: map[string]uint32{}}
}

// mark notes what changed about the named services.
func (o *objects) mark(c change, names ...string) {
	due := time.Now().Add(coalesce)
	if c == unitChanged {
		due = time.Now().Add(unitSettle)
	}
	o.mu.Lock()
	for _, n := range names {
		if n == "" {
			continue
		}
		p := o.dirty[n]
		if p == nil {
			p = &pending{due: due}
			o.dirty[n] = p
		}
		p.what |= c
		if due.Before(p.due) {
			p.due = due
		}
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// markAll marks every service, configured or known: after a reload.
func (o *objects) markAll() {
	names := o.d.bridge.Config().Graph.Names()
	o.mu.Lock()
	for n := range o.services {
		names = append(names, n)
	}
	o.mu.Unlock()
	o.mark(everything, names...)
}

// run reads every service once, silently (clients that start later ask GetManagedObjects), then
// refreshes dirty services until ctx ends.
func (o *objects) run(ctx context.Context) {
	o.refresh.Lock()
	if err := o.populate(ctx); err != nil && ctx.Err() == nil {
		o.d.log.Warn("reading the services for their objects failed; they are read as they are asked for", "err", err)
	}
	o.refresh.Unlock()
	close(o.ready)
	for {
		var timer <-chan time.Time
		if next := o.nextDue(); !next.IsZero() {
			timer = time.After(time.Until(next))
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer:
			o.refreshDirty(ctx, nil, time.Now())
		}
	}
}

// statuses reads the status of the named services that the config still has, as Manager.Status
// reports them, in one call: from the units systemd has loaded only (bridge.Statuses: reading
// an unloaded unit would load a stub of it, in the way of a start), their main processes as
// systemd last announced them. A service it could not read is missing.
func (o *objects) statuses(ctx context.Context, names []string) map[string]*bridge.Status {
	set := o.d.bridge.Config()
	var known []string
	for _, n := range names {
		if set.Service(n) != nil {
			known = append(known, n)
		}
	}
	out := make(map[string]*bridge.Status, len(known))
	if len(known) == 0 {
		return out
	}
	list, err := o.d.bridge.Statuses(ctx, known)
	if err != nil {
		if ctx.Err() == nil {
			o.d.log.Warn("reading services' statuses failed", "services", known, "err", err)
		}
		return out
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range list {
		st := &list[i]
		if st.Up() {
			st.MainPID = int(o.pids[st.Unit])
		}
		out[st.Service] = st
	}
	return out
}

// populate reads every service at once: one systemd call for all their loaded units, the main
// process of those that run (one property each), their enablements in one query and their jobs.
// A service it cannot read is marked, for the refresher.
func (o *objects) populate(ctx context.Context) error {
	set := o.d.bridge.Config()
	list, err := o.d.bridge.Statuses(ctx, set.Graph.Names())
	if err != nil {
		o.mark(everything, set.Graph.Names()...)
		return err
	}
	en, err := o.d.enablements(ctx, set)
	if err != nil {
		o.mark(everything, set.Graph.Names()...)
		return err
	}
	for _, st := range list {
		if st.Up() {
			// Later changes come with systemd's signals (watchUnits).
			if p, err := o.d.systemd.GetServicePropertyContext(ctx, st.Unit, "MainPID"); err == nil {
				pid, _ := p.Value.Value().(uint32)
				o.mu.Lock()
				o.pids[st.Unit] = pid
				o.mu.Unlock()
				st.MainPID = int(pid)
			}
		}
		rows, err := o.d.ledger.Jobs(ctx, st.Service)
		if err != nil {
			o.mark(everything, st.Service)
			continue
		}
		v := &serviceView{status: st, en: en[st.Service], jobs: make([]int64, len(rows))}
		jobs := make([]jobView, len(rows))
		for i := range rows {
			jobs[i], v.jobs[i] = viewOf(&rows[i]), rows[i].ID
		}
		v.props = serviceProps(v.status, v.en, v.jobs)
		o.apply(st.Service, v, jobs, false)
	}
	return nil
}

// nextDue is when the next dirty service is due (zero: none is dirty).
func (o *objects) nextDue() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next time.Time
	for _, p := range o.dirty {
		if next.IsZero() || p.due.Before(next) {
			next = p.due
		}
	}
	return next
}

// refreshDirty refreshes the dirty services among names (all for nil) that are due by then (any
// for a zero time), and announces what changed.
func (o *objects) refreshDirty(ctx context.Context, names []string, by time.Time) {
	o.refresh.Lock()
	defer o.refresh.Unlock()
	o.mu.Lock()
	todo := map[string]change{}
	for n, p := range o.dirty {
		if (names == nil || slices.Contains(names, n)) && (by.IsZero() || !p.due.After(by)) {
			todo[n] = p.what
		}
	}
	for _, n := range names {
		if _, known := o.services[n]; !known {
			todo[n] = everything
		}
	}
	for n := range todo {
		delete(o.dirty, n)
	}
	o.mu.Unlock()
	names = slices.Sorted(maps.Keys(todo))
	statuses := o.statuses(ctx, names)
	for _, n := range names {
		o.d.log.Debug("refreshing a service's object", "service", n, "changed", todo[n])
		if err := o.refreshService(ctx, n, todo[n], statuses[n], true); err != nil && ctx.Err() == nil {
			o.d.log.Warn("refreshing a service's object failed", "service", n, "err", err)
		}
	}
}

// waitReady waits until every service was read once.
func (o *objects) waitReady(ctx context.Context) error {
	select {
	case <-o.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fresh makes sure name's object (if it has one) is as current as what herod has heard.
func (o *objects) fresh(ctx context.Context, name string) error {
	if err := o.waitReady(ctx); err != nil {
		return err
	}
	o.refreshDirty(ctx, []string{name}, time.Time{})
	return nil
}

// freshAll makes every object current (GetManagedObjects).
func (o *objects) freshAll(ctx context.Context) error {
	if err := o.waitReady(ctx); err != nil {
		return err
	}
	o.refreshDirty(ctx, nil, time.Time{})
	return nil
}

// refreshService reads what changed (c) of one service (its status: st, read already, or nil);
// with announce, it announces what changed since the last read. A service the config no longer
// has loses its object.
func (o *objects) refreshService(ctx context.Context, name string, c change, st *bridge.Status, announce bool) error {
	svc := o.d.bridge.Config().Service(name)
	if svc == nil {
		o.forget(name, announce)
		return nil
	}
	o.mu.Lock()
	var v serviceView
	if old := o.services[name]; old != nil {
		v = *old
	} else {
		c = everything
	}
	var jobs []jobView
	if c&runsChanged == 0 {
		for _, id := range v.jobs {
			jobs = append(jobs, *o.jobs[id])
		}
	}
	o.mu.Unlock()
	var err error
	if c&(unitChanged|runsChanged) != 0 {
		if st == nil {
			return fmt.Errorf("reading the status of %s failed", name)
		}
		v.status = *st
	}
	if c&enablementChanged != 0 {
		if v.en, err = o.d.enablementOf(ctx, svc); err != nil {
			return err
		}
	}
	if c&runsChanged != 0 {
		rows, err := o.d.ledger.Jobs(ctx, name)
		if err != nil {
			return err
		}
		jobs = make([]jobView, len(rows))
		for i := range rows {
			jobs[i] = viewOf(&rows[i])
		}
	}
	v.jobs = make([]int64, len(jobs))
	for i, j := range jobs {
		v.jobs[i] = j.id
	}
	v.props = serviceProps(v.status, v.en, v.jobs)
	o.apply(name, &v, jobs, announce)
	return nil
}

// apply stores a service's new picture and announces the difference: jobs gone, jobs new or
// changed (oldest first), then the service.
func (o *objects) apply(name string, v *serviceView, jobs []jobView, announce bool) {
	var out []announcement
	o.mu.Lock()
	old := o.services[name]
	kept := make(map[int64]bool, len(jobs))
	for _, j := range jobs {
		kept[j.id] = true
	}
	if old != nil {
		for _, id := range old.jobs {
			if !kept[id] {
				delete(o.jobs, id)
				out = append(out, removed(api.JobPath(id), api.JobInterface))
			}
		}
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		prev, ok := o.jobs[j.id]
		switch {
		case !ok:
			o.jobs[j.id] = &j
			out = append(out, added(api.JobPath(j.id), api.JobInterface, j.props()))
		case *prev != j:
			out = append(out, changed(api.JobPath(j.id), api.JobInterface, prev.props(), j.props()))
			*prev = j
		}
	}
	if old == nil {
		out = append(out, added(api.ServicePath(name), api.ServiceInterface, v.props))
	} else {
		out = append(out, changed(api.ServicePath(name), api.ServiceInterface, old.props, v.props))
	}
	o.services[name] = v
	o.mu.Unlock()
	if announce {
		o.announce(out)
	}
}

// forget drops a service's object and its jobs' objects.
func (o *objects) forget(name string, announce bool) {
	o.mu.Lock()
	old := o.services[name]
	delete(o.services, name)
	var out []announcement
	if old != nil {
		for _, id := range old.jobs {
			delete(o.jobs, id)
			out = append(out, removed(api.JobPath(id), api.JobInterface))
		}
		out = append(out, removed(api.ServicePath(name), api.ServiceInterface))
	}
	o.mu.Unlock()
	if announce {
		o.announce(out)
	}
}

// announcement is one signal about the object tree.
type announcement struct {
	kind  string // api.SignalInterfacesAdded, api.SignalInterfacesRemoved, api.SignalPropertiesChanged
	path  string
	iface string
	props map[string]dbus.Variant
}

func added(path, iface string, props map[string]dbus.Variant) announcement {
	return announcement{api.SignalInterfacesAdded, path, iface, props}
}

func removed(path, iface string) announcement {
	return announcement{kind: api.SignalInterfacesRemoved, path: path, iface: iface}
}

// changed announces the properties whose values differ (nothing when none does).
func changed(path, iface string, before, after map[string]dbus.Variant) announcement {
	diff := map[string]dbus.Variant{}
	for k, v := range after {
		if b, ok := before[k]; !ok || b.Signature() != v.Signature() || !reflect.DeepEqual(b.Value(), v.Value()) {
			diff[k] = v
		}
	}
	if len(diff) == 0 {
		return announcement{}
	}
	return announcement{api.SignalPropertiesChanged, path, iface, diff}
}

func (o *objects) announce(out []announcement) {
	for _, a := range out {
		var err error
		switch a.kind {
		case api.SignalInterfacesAdded:
			err = o.d.bus.Emit(api.Path, api.ObjectManagerInterface+"."+a.kind, dbus.ObjectPath(a.path),
				map[string]map[string]dbus.Variant{a.iface: a.props})
		case api.SignalInterfacesRemoved:
			err = o.d.bus.Emit(api.Path, api.ObjectManagerInterface+"."+a.kind, dbus.ObjectPath(a.path), []string{a.iface})
		case api.SignalPropertiesChanged:
			err = o.d.bus.Emit(dbus.ObjectPath(a.path), api.PropertiesInterface+"."+a.kind, a.iface, a.props, []string{})
		}
		if err != nil {
			o.d.log.Warn("emitting a signal failed", "signal", a.kind, "object", a.path, "err", err)
		}
	}
}

// serviceProps are a service object's properties: Manager.Status's keys, every one present (a
// service without a job has JobId 0, ExitCode -1, ...), and the objects of its jobs.
func serviceProps(st bridge.Status, en enablement, jobs []int64) map[string]dbus.Variant {
	d := withEnablement(statusDict(st), en)
	defaults := map[string]any{"JobId": int64(0), "JobPhase": "", "Result": "", "Signal": "", "ExitCode": int32(-1),
		"StartedAt": int64(0), "EndedAt": int64(0), "InvocationID": ""}
	for k, v := range defaults {
		if _, ok := d[k]; !ok {
			d[k] = dbus.MakeVariant(v)
		}
	}
	last := dbus.ObjectPath("/")
	if st.LastJob != nil {
		last = dbus.ObjectPath(api.JobPath(st.LastJob.ID))
	}
	paths := make([]dbus.ObjectPath, len(jobs))
	for i, id := range jobs {
		paths[i] = dbus.ObjectPath(api.JobPath(id))
	}
	d["JobPath"] = dbus.MakeVariant(last)
	d["Jobs"] = dbus.MakeVariant(paths)
	return d
}

// jobView is what a job's object shows: its ledger row without its output (small, comparable).
type jobView struct {
	id                                   int64
	service, context, unit, invocationID string
	phase, signal, result                string
	mainPID, restarts                    uint32
	exitCode                             int32 // -1: none
	startedAt, endedAt                   int64 // microseconds since the epoch; 0: none
}

func viewOf(j *jobdb.Job) jobView {
	code := int32(-1)
	if j.ExitCode != nil {
		code = int32(*j.ExitCode)
	}
	return jobView{id: j.ID, service: j.ServiceID, context: j.Context, unit: j.Unit, invocationID: j.InvocationID,
		phase: string(j.Phase), signal: j.Signal, result: j.Result, mainPID: uint32(j.MainPID), restarts: uint32(j.Restarts),
		exitCode: code, startedAt: micros(&j.StartedAt), endedAt: micros(j.EndedAt)}
}

// props are a job object's properties, and a job's entry in ListJobs.
func (j jobView) props() map[string]dbus.Variant {
	return map[string]dbus.Variant{
		"Id": dbus.MakeVariant(j.id), "Service": dbus.MakeVariant(j.service),
		"Context": dbus.MakeVariant(j.context), "Unit": dbus.MakeVariant(j.unit),
		"InvocationID": dbus.MakeVariant(j.invocationID), "Phase": dbus.MakeVariant(j.phase),
		"MainPID": dbus.MakeVariant(j.mainPID), "ExitCode": dbus.MakeVariant(j.exitCode),
		"Signal": dbus.MakeVariant(j.signal), "Result": dbus.MakeVariant(j.result),
		"StartedAt": dbus.MakeVariant(j.startedAt), "EndedAt": dbus.MakeVariant(j.endedAt),
		"Restarts":    dbus.MakeVariant(j.restarts),
		"ServicePath": dbus.MakeVariant(dbus.ObjectPath(api.ServicePath(j.service))),
	}
}

// at returns the interface and properties of the object at path, current.
func (o *objects) at(ctx context.Context, path string) (string, map[string]dbus.Variant, *dbus.Error) {
	if name, ok := api.ServiceName(path); ok && o.d.bridge.Config().Service(name) != nil {
		if err := o.fresh(ctx, name); err != nil {
			return "", nil, dbusErr(api.ErrFailed, "reading %s: %v", path, err)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if v := o.services[name]; v != nil {
			return api.ServiceInterface, maps.Clone(v.props), nil
		}
		return "", nil, dbusErr(api.ErrFailed, "reading %s failed (herod's log says why)", path)
	}
	if id, ok := api.JobID(path); ok {
		if j, ok := o.job(ctx, id); ok {
			return api.JobInterface, j.props(), nil
		}
	}
	return "", nil, dbusErr(api.ErrUnknownObject, "no object %s", path)
}

// job returns a kept job. One the refresher has not read yet (a start has just created it) is
// looked up in the ledger, and its service refreshed.
func (o *objects) job(ctx context.Context, id int64) (jobView, bool) {
	if o.waitReady(ctx) != nil {
		return jobView{}, false
	}
	o.mu.Lock()
	j, ok := o.jobs[id]
	o.mu.Unlock()
	if ok {
		return *j, true
	}
	row, err := o.d.ledger.Get(ctx, id)
	if err != nil || o.d.bridge.Config().Service(row.ServiceID) == nil {
		return jobView{}, false
	}
	o.mark(runsChanged, row.ServiceID)
	if o.fresh(ctx, row.ServiceID) != nil {
		return jobView{}, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if j, ok := o.jobs[id]; ok {
		return *j, true
	}
	return jobView{}, false
}

// children are the names of the child nodes of path (for Introspect), and whether path is an
// object of the tree at all.
func (o *objects) children(ctx context.Context, path string) ([]string, string, bool) {
	switch path {
	case api.ServicesPath:
		names := o.d.bridge.Config().Graph.Names()
		for i, n := range names {
			names[i] = api.EscapePathLabel(n)
		}
		return names, api.ServicesDoc, true
	case api.JobsPath:
		if o.freshAll(ctx) != nil {
			return nil, api.JobsDoc, true
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		ids := slices.Sorted(maps.Keys(o.jobs))
		labels := make([]string, len(ids))
		for i, id := range ids {
			labels[i] = strings.TrimPrefix(api.JobPath(id), api.JobsPath+"/")
		}
		return labels, api.JobsDoc, true
	}
	return nil, "", false
}

// managed is GetManagedObjects' answer: every object with its interface and properties.
func (o *objects) managed(ctx context.Context) (map[dbus.ObjectPath]map[string]map[string]dbus.Variant, error) {
	if err := o.freshAll(ctx); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[dbus.ObjectPath]map[string]map[string]dbus.Variant, len(o.services)+len(o.jobs))
	for name, v := range o.services {
		out[dbus.ObjectPath(api.ServicePath(name))] = map[string]map[string]dbus.Variant{api.ServiceInterface: v.props}
	}
	for id, j := range o.jobs {
		out[dbus.ObjectPath(api.JobPath(id))] = map[string]map[string]dbus.Variant{api.JobInterface: j.props()}
	}
	return out, nil
}

// systemd's unit objects, whose PropertiesChanged signals mark services dirty.
const (
	systemdPath      = "/org/freedesktop/systemd1"
	unitPathPrefix   = systemdPath + "/unit/"
	unitInterface    = "org.freedesktop.systemd1.Unit"
	serviceInterface = "org.freedesktop.systemd1.Service"
	managerInterface = "org.freedesktop.systemd1.Manager"
)

// watchUnits marks a service dirty when systemd announces that its unit's ActiveState or SubState
// moved (the services that conflict with it too: they may be blocked now), or that it unloaded
// the loaded unit. systemd sends these signals while herod is subscribed (the bridge is).
func (o *objects) watchUnits(conn *dbus.Conn) error {
	for _, match := range [][]dbus.MatchOption{
		{dbus.WithMatchInterface(api.PropertiesInterface), dbus.WithMatchMember(api.SignalPropertiesChanged),
			dbus.WithMatchPathNamespace(systemdPath + "/unit"), dbus.WithMatchArg(0, unitInterface)},
		{dbus.WithMatchInterface(api.PropertiesInterface), dbus.WithMatchMember(api.SignalPropertiesChanged),
			dbus.WithMatchPathNamespace(systemdPath + "/unit"), dbus.WithMatchArg(0, serviceInterface)},
		{dbus.WithMatchInterface(managerInterface), dbus.WithMatchMember("UnitRemoved"), dbus.WithMatchObjectPath(systemdPath)},
	} {
		if err := conn.AddMatchSignal(match...); err != nil {
			return err
		}
	}
	ch := make(chan *dbus.Signal, 256)
	conn.Signal(ch)
	go func() {
		for s := range ch {
			o.onSystemdSignal(s)
		}
	}()
	return nil
}

func (o *objects) onSystemdSignal(s *dbus.Signal) {
	var unit string
	var props map[string]dbus.Variant
	switch {
	case s.Name == managerInterface+".UnitRemoved" && len(s.Body) == 2:
		unit, _ = s.Body[0].(string)
	case s.Name == api.PropertiesInterface+"."+api.SignalPropertiesChanged && len(s.Body) == 3:
		label, ok := strings.CutPrefix(string(s.Path), unitPathPrefix)
		if !ok || !strings.HasPrefix(label, heroUnitLabel) {
			return
		}
		unit, _ = api.UnescapePathLabel(label)
		props, _ = s.Body[1].(map[string]dbus.Variant)
		if s.Body[0] == serviceInterface {
			// systemd sends the service's properties first, then the unit's (which mark it).
			if pid, ok := props["MainPID"].Value().(uint32); ok {
				o.mu.Lock()
				o.pids[unit] = pid
				o.mu.Unlock()
			}
			return
		}
		if s.Body[0] != unitInterface {
			return
		}
	default:
		return
	}
	ctxName, name, ok := unitgen.ParseUnitName(unit)
	set := o.d.bridge.Config()
	if svc := set.Service(name); !ok || svc == nil || svc.Context != ctxName {
		return
	}
	if props == nil && !o.unloaded(name) || props != nil && !o.moved(name, props) {
		return
	}
	o.mark(unitChanged, append([]string{name}, set.Graph.Conflicts(name)...)...)
}

// unloaded reports whether systemd unloading a unit changes its service's LoadState from what was
// last announced. Reading a unit that is not loaded (ListUnitsByNames) loads it for a moment, and
// systemd then announces its unloading again: only a loaded one counts.
func (o *objects) unloaded(name string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.services[name]
	return v != nil && v.status.LoadState == "loaded"
}

// heroUnitLabel begins the object path label of every hero unit ("hero-" escaped).
var heroUnitLabel = api.EscapePathLabel(unitgen.Prefix + "-")

// moved reports whether a unit's changed properties move its service's ActiveState or SubState
// from what was last announced (or from what a refresh already due will read).
func (o *objects) moved(name string, props map[string]dbus.Variant) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.services[name]
	if p := o.dirty[name]; v == nil || p != nil && p.what&unitChanged != 0 {
		return v == nil
	}
	for _, k := range []string{"ActiveState", "SubState"} {
		if p, ok := props[k]; ok && p.Value() != v.props[k].Value() {
			return true
		}
	}
	return false
}
