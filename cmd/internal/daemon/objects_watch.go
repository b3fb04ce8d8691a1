package daemon

import (
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// systemd's unit objects, whose PropertiesChanged signals mark services dirty.
const (
	systemdPath      = "/org/freedesktop/systemd1"
	unitPathPrefix   = systemdPath + "/unit/"
	unitInterface    = "org.freedesktop.systemd1.Unit"
	serviceInterface = "org.freedesktop.systemd1.Service"
	managerInterface = "org.freedesktop.systemd1.Manager"
)

// watchUnits marks a service dirty when systemd announces that its unit's ActiveState or SubState
// moved (the services that conflict with it too: they may be blocked now), that its StatusText
// moved (a liveness check's word), or that it unloaded the loaded unit. systemd sends these signals while herod is subscribed (the bridge is).
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
		unit, _ = unitgen.ParseBusPathLabel(label)
		props, _ = s.Body[1].(map[string]dbus.Variant)
		if s.Body[0] == serviceInterface {
			// systemd sends the service's properties first, then the unit's (which mark it).
			if pid, ok := props["MainPID"].Value().(uint32); ok {
				o.mu.Lock()
				o.pids[unit] = pid
				o.mu.Unlock()
			}
			if text, ok := props["StatusText"].Value().(string); ok {
				o.healthMoved(unit, text)
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
	set := o.eng.Config()
	if svc := set.Service(name); !ok || svc == nil || svc.Context != ctxName {
		return
	}
	if props == nil && !o.unloaded(name) || props != nil && !o.moved(name, props) {
		return
	}
	o.mark(unitChanged, append([]string{name}, set.Graph.Conflicts(name)...)...)
}

// healthMoved marks a service with a liveness check dirty when its unit's StatusText (what
// its checks said last: its Health) differs from what was last announced.
func (o *objects) healthMoved(unit, text string) {
	ctxName, name, ok := unitgen.ParseUnitName(unit)
	svc := o.eng.Config().Service(name)
	if !ok || svc == nil || svc.Context != ctxName || len(svc.Actions) == 0 || len(svc.Main().Liveness) == 0 {
		return
	}
	o.mu.Lock()
	v := o.services[name]
	moved := v != nil && v.status.Health != text
	o.mu.Unlock()
	if moved {
		o.mark(unitChanged, name)
	}
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
var heroUnitLabel = unitgen.BusPathLabel(unitgen.Prefix + "-")

// moved reports whether a unit's changed properties move its service's ActiveState or SubState
// from what was last announced (or from what a refresh already due will read).
func (o *objects) moved(name string, props map[string]dbus.Variant) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := o.services[name]
	if p := o.dirty[name]; v == nil || p != nil && p.what&unitChanged != 0 {
		return v == nil
	}
	announced := map[string]string{"ActiveState": v.status.ActiveState, "SubState": v.status.SubState}
	for k, was := range announced {
		if p, ok := props[k]; ok && p.Value() != was {
			return true
		}
	}
	return false
}
