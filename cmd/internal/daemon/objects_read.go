package daemon

import (
	"context"
	"maps"
	"slices"
	"strings"
	"weak"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Reads of the object tree, for the D-Bus handlers (tree.go): current, as a refresh makes them.

// at returns the interface and properties of the object at path, current.
func (o *objects) at(ctx context.Context, path string) (string, map[string]dbus.Variant, *dbus.Error) {
	if name, ok := api.ServiceName(path); ok && o.eng.Config().Service(name) != nil {
		if err := o.fresh(ctx, name); err != nil {
			return "", nil, dbusErr(api.ErrFailed, "reading %s: %v", path, err)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if v := o.services[name]; v != nil {
			return api.ServiceInterface, v.props(), nil
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
	row, err := o.ledger.Get(ctx, id)
	if err != nil || o.eng.Config().Service(row.ServiceID) == nil {
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
		names := o.eng.Config().Graph.Names()
		for i, n := range names {
			names[i] = unitgen.BusPathLabel(n)
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
		out[dbus.ObjectPath(api.ServicePath(name))] = map[string]map[string]dbus.Variant{api.ServiceInterface: v.props()}
	}
	for id, j := range o.jobs {
		out[dbus.ObjectPath(api.JobPath(id))] = map[string]map[string]dbus.Variant{api.JobInterface: j.props()}
	}
	return out, nil
}

// status is Manager.Status's answer from herod's own view (the service's object, refreshed
// first when a change of it is pending): the cost of a status does not grow with the number of
// services. Only whether systemd runs an older definition of the unit is read from systemd, once
// per run and config (staleOf). ok is false when the view has no object for name, or when its object waits for
// a refresh and a refresh of others is under way (Manager.Status then reads systemd itself).
func (o *objects) status(ctx context.Context, name string) (map[string]dbus.Variant, bool) {
	if !o.tryFresh(ctx, name) {
		return nil, false
	}
	o.mu.Lock()
	v := o.services[name]
	var st bridge.Status
	var en enablement
	if v != nil {
		st, en = v.status, v.en
	}
	o.mu.Unlock()
	if v == nil {
		return nil, false
	}
	st.Stale = o.staleOf(ctx, st)
	return withEnablement(statusDict(st), en), true
}

// staleness is whether systemd runs an older definition of a service's unit than a config's, as
// last read for one run. The definition is in the unit's environment, which systemd fixes when
// it creates a transient unit, and hero creates the unit anew for each start: the answer holds
// for the run (its invocation) under the config (held weakly: an old config is not kept alive).
type staleness struct {
	config     weak.Pointer[config.Set]
	invocation string
	stale      bool
}

// staleOf is the engine's Stale, read once per run and config of a service whose unit is
// loaded: a call to systemd of every status otherwise.
func (o *objects) staleOf(ctx context.Context, st bridge.Status) bool {
	if st.LoadState != "loaded" || st.LastJob == nil || st.LastJob.InvocationID == "" {
		return o.eng.Stale(ctx, st)
	}
	set := weak.Make(o.eng.Config())
	o.mu.Lock()
	c, ok := o.stale[st.Service]
	o.mu.Unlock()
	if ok && c.config == set && c.invocation == st.LastJob.InvocationID {
		return c.stale
	}
	stale := o.eng.Stale(ctx, st)
	o.mu.Lock()
	o.stale[st.Service] = staleness{config: set, invocation: st.LastJob.InvocationID, stale: stale}
	o.mu.Unlock()
	return stale
}

// list is Manager.ListServices' answer from herod's own view, in the config's order (by name);
// ok is false when the view misses a service.
func (o *objects) list(ctx context.Context) ([]map[string]dbus.Variant, bool) {
	if o.freshAll(ctx) != nil {
		return nil, false
	}
	set := o.eng.Config()
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]map[string]dbus.Variant, 0, len(set.Services))
	for _, s := range set.Services {
		v := o.services[s.Name]
		if v == nil {
			return nil, false
		}
		out = append(out, withEnablement(statusDict(v.status), v.en))
	}
	return out, true
}

// units is Manager.ListUnits' answer from herod's own view, as list does; ok is false when
// the view misses a service.
func (o *objects) units(ctx context.Context) ([]api.UnitRow, bool) {
	if o.freshAll(ctx) != nil {
		return nil, false
	}
	set := o.eng.Config()
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]api.UnitRow, 0, len(set.Services))
	for _, s := range set.Services {
		v := o.services[s.Name]
		if v == nil {
			return nil, false
		}
		out = append(out, unitRow(v.status, v.en))
	}
	return out, true
}
