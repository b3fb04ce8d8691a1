package recording

import (
	"context"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/unitgen"
)

// loop processes signals and commands in order, writing the batch whenever no more are waiting.
func (r *Recorder) loop() {
	defer close(r.done)
	for {
		select {
		case <-r.quit:
			r.flush()
			return
		case s := <-r.in:
			if s == nil {
				r.w.Log.Error("the connection for systemd's signals closed: runs are no longer recorded live")
				<-r.quit
				return
			}
			r.onSignal(s)
		case fn := <-r.cmds:
			fn()
		case <-r.retry:
			r.retry = nil
		}
		if len(r.in) == 0 && len(r.cmds) == 0 {
			r.flush()
		}
	}
}

func (r *Recorder) onSignal(s *dbus.Signal) {
	if s.Name != "org.freedesktop.DBus.Properties.PropertiesChanged" || len(s.Body) < 2 {
		return
	}
	unit, ok := unitFromPath(s.Path)
	if !ok {
		return
	}
	iface, _ := s.Body[0].(string)
	changed, _ := s.Body[1].(map[string]dbus.Variant)
	props := make(map[string]any, len(changed))
	for k, v := range changed {
		props[k] = v.Value()
	}
	v := r.view(unit)
	switch iface {
	case ifaceService:
		v.snap.SetService(props)
	case ifaceUnit:
		// systemd sends the type's interface first and then Unit's, for the same change: once
		// Unit's arrives, the snapshot is whole.
		v.snap.SetUnit(props)
		v.snap.loaded = true
		r.evaluate(v)
	}
}

// heroUnitLabel starts the object path label of every unit hero owns.
var heroUnitLabel = unitgen.BusPathLabel(unitgen.Prefix + "-")

// unitFromPath returns the hero unit of a systemd unit object path.
func unitFromPath(p dbus.ObjectPath) (string, bool) {
	rest, ok := strings.CutPrefix(string(p), signalMatchPath)
	if !ok || !strings.HasPrefix(rest, heroUnitLabel) {
		return "", false
	}
	unit, ok := unitgen.ParseBusPathLabel(rest)
	if !ok {
		return "", false
	}
	if _, _, ok := unitgen.ParseUnitName(unit); !ok {
		return "", false
	}
	return unit, true
}

// syncUnits reads units' properties and takes them as if their signals had come: the safety net when
// a signal is late or was never sent.
func (r *Recorder) syncUnits(ctx context.Context, units []string) {
	for _, u := range units {
		snap, err := r.w.Units.Snapshot(ctx, u)
		if err != nil {
			r.w.Log.Warn("reading a unit's properties failed", "unit", u, "err", err)
			continue
		}
		r.do(func() {
			v := r.view(u)
			if !snap.loaded {
				// Unloaded: the run ended well (systemd unloads a transient unit that did) and
				// its properties are gone.
				snap = Snapshot{invocation: v.snap.invocation, active: "inactive", sub: "dead"}
			}
			v.snap = snap
			r.evaluate(v)
		})
	}
}

// housekeeping saves the journal cursor and, rarely, checks units whose runs the ledger holds
// open against systemd (a safety net: signals are the mechanism).
func (r *Recorder) housekeeping() {
	cursorTick := time.NewTicker(30 * time.Second)
	checkTick := time.NewTicker(60 * time.Second)
	defer cursorTick.Stop()
	defer checkTick.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-cursorTick.C:
			r.saveCursor(context.Background())
		case <-checkTick.C:
			r.check(context.Background())
		}
	}
}

// check compares the units of open runs with systemd and syncs those that disagree.
func (r *Recorder) check(ctx context.Context) {
	var units []string
	r.do(func() {
		for u, v := range r.views {
			if (v.invocation != "" && !v.ended) || v.pending != 0 {
				units = append(units, u)
			}
		}
	})
	if len(units) == 0 {
		return
	}
	states, err := r.w.Units.States(ctx, units)
	if err != nil {
		return
	}
	var stale []string
	r.do(func() {
		for _, u := range units {
			st := states[u]
			v := r.view(u)
			if v.snap.active != st.ActiveState || v.snap.sub != st.SubState {
				stale = append(stale, u)
			}
		}
	})
	if len(stale) > 0 {
		r.w.Log.Info("units whose signals were missed", "units", stale)
		r.syncUnits(ctx, stale)
	}
}
