package daemon

import (
	"slices"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
)

// TestReloadService specifies a service's reload over the bus: refused at once, with the named
// error and nothing reloaded, for a service that has no reload, one that does not run, one that
// is not defined and a malformed name; for a running one it is an operation whose progress says
// reloaded and whose summary names it; the service object's Reload is the same.
func TestReloadService(t *testing.T) {
	files := map[string]string{
		"db.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n",
		"pg.toml": "exec = [\"/bin/sleep\", \"infinity\"]\nreload_signal = \"SIGHUP\"\n",
	}
	td := startDaemon(t, files)
	ctx := testCtx(t)
	refusals := []struct{ name, want string }{
		{"db", api.ErrNotReloadable},
		{"pg", api.ErrNotRunning},
		{"nope", api.ErrNoSuchService},
		{"../pg", api.ErrInvalidArgument},
	}
	for _, r := range refusals {
		if q, err := td.c.ReloadService(ctx, r.name); errName(err) != r.want || q.Operation != 0 {
			t.Errorf("reload %s: %v (operation %d), want %s", r.name, err, q.Operation, r.want)
		}
	}
	q, err := td.c.Start(ctx, "pg", false)
	if err != nil {
		t.Fatal(err)
	}
	td.wait(t, q)
	if q, err = td.c.ReloadService(ctx, "pg"); err != nil || q.Operation == 0 {
		t.Fatalf("reload pg: %v (operation %d)", err, q.Operation)
	}
	var progress []string
	o, err := td.ops.Wait(ctx, q.Operation, func(p client.Progress) { progress = append(progress, p.Service+" "+p.Event) })
	if err != nil || o.Err != nil {
		t.Fatalf("reload of pg ended with %v %+v", err, o.Err)
	}
	if !slices.Equal(o.Strings(api.SummaryReloaded), []string{"pg"}) || !slices.Equal(progress, []string{"pg reloaded"}) {
		t.Errorf("reload of pg: summary %v, progress %v", o.Strings(api.SummaryReloaded), progress)
	}
	var op uint64
	pg := busConn(t, td).Object(api.BusName, dbus.ObjectPath(api.ServicePath("pg")))
	if err := pg.CallWithContext(ctx, api.ServiceInterface+".Reload", 0).Store(&op); err != nil || op == 0 {
		t.Fatalf("Reload on pg's object: %v (operation %d)", err, op)
	}
	td.wait(t, queued(op))
	td.eng.mu.Lock()
	reloaded := slices.Clone(td.eng.reloaded)
	td.eng.mu.Unlock()
	if !slices.Equal(reloaded, []string{"pg", "pg"}) {
		t.Errorf("the engine reloaded %v, want pg twice", reloaded)
	}
	if st, _ := td.c.Status(ctx, "pg"); st.State != "running" {
		t.Errorf("pg after its reloads: %s", st.State)
	}
}

// A service object's CanReload says whether its config sets reload or reload_signal, so a
// client (the Cockpit page) offers a reload only where one can happen; Status says the same.
func TestServiceObjectCanReload(t *testing.T) {
	td := startDaemon(t, map[string]string{
		"db.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n",
		"pg.toml": "exec = [\"/bin/sleep\", \"infinity\"]\nreload_signal = \"SIGHUP\"\n",
		"ng.toml": "exec = [\"/bin/sleep\", \"infinity\"]\nreload = [\"/usr/sbin/nginx\", \"-s\", \"reload\"]\n",
	})
	ctx := testCtx(t)
	conn := busConn(t, td)
	for name, want := range map[string]bool{"db": false, "pg": true, "ng": true} {
		v, err := conn.Object(api.BusName, dbus.ObjectPath(api.ServicePath(name))).GetProperty(api.ServiceInterface + "." + api.KeyCanReload)
		if got, ok := v.Value().(bool); err != nil || !ok || got != want {
			t.Errorf("%s's object: CanReload %v (%v), want %v", name, v, err, want)
		}
		if st, err := td.c.Status(ctx, name); err != nil || st.CanReload != want {
			t.Errorf("Status(%s): CanReload %v (%v), want %v", name, st.CanReload, err, want)
		}
	}
}
