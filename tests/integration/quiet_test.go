//go:build integration

package integration

import (
	"testing"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// bridge.Statuses (what herod's object tree reads on every change) reports what Status does,
// but leaves systemd as it was: it loads no unit (ListUnitsByNames would load a stub of an
// unloaded one, in the way of a start that requires it).
func TestStatusesLoadNothing(t *testing.T) {
	w := newWorld(t, map[string]string{"my-svc.toml": svc("my-svc", nil, nil), "idle.toml": svc("idle", nil, nil)})
	w.start("my-svc")
	sd := testbed.Systemd(t)
	set := w.b.Config()
	idleUnit := unitgen.UnitName(set.Service("idle").Context, "idle")
	list, err := w.b.Statuses(w.ctx, []string{"my-svc", "idle"})
	if err != nil {
		t.Fatal(err)
	}
	full := w.status("my-svc")
	got, idle := list[0], list[1]
	if got.State != "running" || got.LoadState != "loaded" || got.ActiveState != full.ActiveState || got.SubState != full.SubState ||
		got.Unit != full.Unit || got.LastJob == nil || got.LastJob.ID != full.LastJob.ID || got.MainPID != 0 {
		t.Errorf("Statuses of my-svc = %+v, want Status's %+v without MainPID", got, full)
	}
	if idle.State != "inactive" || idle.LoadState != "not-found" || idle.ActiveState != "inactive" {
		t.Errorf("Statuses of idle = %+v", idle)
	}
	loaded, err := sd.ListUnitsByPatternsContext(w.ctx, nil, []string{idleUnit})
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 0 {
		t.Errorf("Statuses loaded %s: %+v", idleUnit, loaded)
	}
}
