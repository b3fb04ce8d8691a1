package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// The object tree's D-Bus side: the interfaces exported at api.Path and for the subtrees
// api.ServicesPath and api.JobsPath (one handler serves every object below them, so a thousand
// jobs cost no export each), with objects (objects.go) behind them.

// export is one interface herod exports: at path, or (subtree) at every path below it too.
type export struct {
	v       any
	path    string
	iface   string
	subtree bool
}

// exportTree exports the manager, the ObjectManager and the service and job objects.
func (d *herod) exportTree(m *manager) error {
	exports := []export{
		{m, api.Path, api.Interface, false},
		{introspectable{d.objs, d.ctx}, api.Path, api.IntrospectableInterface, false},
		{objectManager{d.objs, d.ctx}, api.Path, api.ObjectManagerInterface, false},
		{&serviceObject{m}, api.ServicesPath, api.ServiceInterface, true},
	}
	for _, sub := range []string{api.ServicesPath, api.JobsPath} {
		exports = append(exports, export{properties{d.objs, d.ctx}, sub, api.PropertiesInterface, true},
			export{introspectable{d.objs, d.ctx}, sub, api.IntrospectableInterface, true})
	}
	for _, e := range exports {
		do := d.bus.Export
		if e.subtree {
			do = d.bus.ExportSubtree
		}
		if err := do(e.v, dbus.ObjectPath(e.path), e.iface); err != nil {
			return fmt.Errorf("exporting %s at %s: %w", e.iface, e.path, err)
		}
	}
	return nil
}

// readTimeout bounds the reads of the object tree.
const readTimeout = 25 * time.Second

func pathOf(msg dbus.Message) string {
	p, _ := msg.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	return string(p)
}

// GetService returns the object of a service.
func (m *manager) GetService(name string) (dbus.ObjectPath, *dbus.Error) {
	if e := checkName(name); e != nil {
		return "", e
	}
	if m.d.bridge.Config().Service(name) == nil {
		return "", dbusErr(api.ErrNoSuchService, "no such service %q", name)
	}
	return dbus.ObjectPath(api.ServicePath(name)), nil
}

// GetJob returns the object of a kept job.
func (m *manager) GetJob(id int64) (dbus.ObjectPath, *dbus.Error) {
	if id <= 0 {
		return "", dbusErr(api.ErrInvalidArgument, "job id %d is not positive", id)
	}
	ctx, cancel := m.ctx()
	defer cancel()
	if _, ok := m.d.objs.job(ctx, id); !ok {
		return "", dbusErr(api.ErrNoSuchJob, "no job %d (never recorded, or pruned)", id)
	}
	return dbus.ObjectPath(api.JobPath(id)), nil
}

// serviceObject is org.hero.Proc1.Service: the manager's methods, for the service whose
// object is called.
type serviceObject struct{ m *manager }

func (s *serviceObject) name(msg dbus.Message) (string, *dbus.Error) {
	path := pathOf(msg)
	name, ok := api.ServiceName(path)
	if !ok || s.m.d.bridge.Config().Service(name) == nil {
		return "", dbusErr(api.ErrUnknownObject, "no object %s", path)
	}
	return name, nil
}

func (s *serviceObject) Start(msg dbus.Message, replace bool) (uint64, []string, bool, *dbus.Error) {
	name, e := s.name(msg)
	if e != nil {
		return 0, nil, false, e
	}
	return s.m.Start(msg, name, replace)
}

func (s *serviceObject) Stop(msg dbus.Message, removeJobs bool) (uint64, []string, *dbus.Error) {
	name, e := s.name(msg)
	if e != nil {
		return 0, nil, e
	}
	return s.m.Stop(msg, name, removeJobs)
}

func (s *serviceObject) Restart(msg dbus.Message) (uint64, []string, *dbus.Error) {
	name, e := s.name(msg)
	if e != nil {
		return 0, nil, e
	}
	return s.m.Restart(msg, name)
}

// Reload is Manager.ReloadService of this service.
func (s *serviceObject) Reload(msg dbus.Message) (uint64, *dbus.Error) {
	name, e := s.name(msg)
	if e != nil {
		return 0, e
	}
	return s.m.ReloadService(msg, name)
}

func (s *serviceObject) Kill(msg dbus.Message, signal int32) *dbus.Error {
	name, e := s.name(msg)
	if e != nil {
		return e
	}
	return s.m.Kill(msg, name, signal)
}

func (s *serviceObject) ResetFailed(msg dbus.Message) *dbus.Error {
	name, e := s.name(msg)
	if e != nil {
		return e
	}
	return s.m.ResetFailed(msg, name)
}

// properties is org.freedesktop.DBus.Properties of the service and job objects: read-only.
type properties struct {
	o   *objects
	ctx context.Context // herod's: its end ends every read
}

func (p properties) GetAll(msg dbus.Message, iface string) (map[string]dbus.Variant, *dbus.Error) {
	ctx, cancel := context.WithTimeout(p.ctx, readTimeout)
	defer cancel()
	objIface, props, e := p.o.at(ctx, pathOf(msg))
	switch {
	case e != nil:
		return nil, e
	case iface == "" || iface == objIface:
		return props, nil
	case iface == api.PropertiesInterface || iface == api.IntrospectableInterface || iface == api.PeerInterface:
		return map[string]dbus.Variant{}, nil
	}
	return nil, dbusErr(api.ErrUnknownInterface, "%s has no interface %s", pathOf(msg), iface)
}

func (p properties) Get(msg dbus.Message, iface, name string) (dbus.Variant, *dbus.Error) {
	props, e := p.GetAll(msg, iface)
	if e != nil {
		return dbus.Variant{}, e
	}
	v, ok := props[name]
	if !ok {
		return dbus.Variant{}, dbusErr(api.ErrUnknownProperty, "%s has no property %s.%s", pathOf(msg), iface, name)
	}
	return v, nil
}

func (p properties) Set(msg dbus.Message, iface, name string, _ dbus.Variant) *dbus.Error {
	if _, e := p.Get(msg, iface, name); e != nil {
		return e
	}
	return dbusErr(api.ErrPropertyReadOnly, "%s.%s is read-only", iface, name)
}

// introspectable is org.freedesktop.DBus.Introspectable of the manager and the objects below it.
type introspectable struct {
	o   *objects
	ctx context.Context
}

func (i introspectable) Introspect(msg dbus.Message) (string, *dbus.Error) {
	ctx, cancel := context.WithTimeout(i.ctx, readTimeout)
	defer cancel()
	path := pathOf(msg)
	if path == api.Path {
		return api.Introspection, nil
	}
	if children, doc, ok := i.o.children(ctx, path); ok {
		return api.Node(doc, []string{api.IntrospectableXML, api.PeerXML}, children), nil
	}
	iface, _, e := i.o.at(ctx, path)
	switch {
	case e != nil:
		return "", e
	case iface == api.ServiceInterface:
		return api.ServiceNode, nil
	}
	return api.JobNode, nil
}

// objectManager is org.freedesktop.DBus.ObjectManager at api.Path.
type objectManager struct {
	o   *objects
	ctx context.Context
}

func (om objectManager) GetManagedObjects() (map[dbus.ObjectPath]map[string]map[string]dbus.Variant, *dbus.Error) {
	ctx, cancel := context.WithTimeout(om.ctx, readTimeout)
	defer cancel()
	out, err := om.o.managed(ctx)
	if err != nil {
		return nil, dbusErr(api.ErrFailed, "GetManagedObjects: %v", err)
	}
	return out, nil
}
