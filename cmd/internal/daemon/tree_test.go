package daemon

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// busConn is a plain connection to td's bus, for calls the client package does not make.
func busConn(t *testing.T, td *testDaemon) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(td.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestObjectTreeFollowsRuns specifies herod's objects: one per service and per kept job, listed
// by GetManagedObjects, read by Properties, described by Introspect, and announced
// (InterfacesAdded, PropertiesChanged) as runs begin.
func TestObjectTreeFollowsRuns(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	conn := busConn(t, td)
	if err := conn.AddMatchSignal(dbus.WithMatchSender(api.BusName)); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 256)
	conn.Signal(signals)

	root := conn.Object(api.BusName, api.Path)
	var managed map[dbus.ObjectPath]map[string]map[string]dbus.Variant
	if err := root.CallWithContext(ctx, api.ObjectManagerInterface+".GetManagedObjects", 0).Store(&managed); err != nil {
		t.Fatal(err)
	}
	webPath := dbus.ObjectPath(api.ServicePath("web"))
	if len(managed) != 4 || managed[webPath][api.ServiceInterface][api.KeyState].Value() != "inactive" {
		t.Fatalf("managed objects before any start: %d objects, web: %v", len(managed), managed[webPath])
	}

	q, err := td.c.Start(ctx, "db", false)
	if err != nil {
		t.Fatal(err)
	}
	o := td.wait(t, q)
	id := o.Jobs()["db"]
	started := awaitSignal(t, signals, func(s *dbus.Signal) bool {
		return s.Name == api.Interface+"."+api.SignalJobStarted && len(s.Body) == 2 && s.Body[0] == "db" && s.Body[1] == id
	})
	if !started {
		t.Errorf("no JobStarted(db, %d) signal", id)
	}
	jobPath := dbus.ObjectPath(api.JobPath(id))
	if !awaitSignal(t, signals, func(s *dbus.Signal) bool {
		return s.Name == api.ObjectManagerInterface+".InterfacesAdded" && len(s.Body) > 0 && s.Body[0] == jobPath
	}) {
		t.Errorf("no InterfacesAdded for %s", jobPath)
	}

	dbPath := dbus.ObjectPath(api.ServicePath("db"))
	db := conn.Object(api.BusName, dbPath)
	v, err := db.GetProperty(api.ServiceInterface + "." + api.KeyState)
	if err != nil || v.Value() != "running" {
		t.Errorf("db's State property after its start: %v, %v", v, err)
	}
	var all map[string]dbus.Variant
	if err := db.CallWithContext(ctx, api.PropertiesInterface+".GetAll", 0, api.ServiceInterface).Store(&all); err != nil {
		t.Fatal(err)
	}
	for _, k := range api.ServiceKeys {
		if _, ok := all[k]; !ok {
			t.Errorf("GetAll of db lacks %s", k)
		}
	}
	if err := db.SetProperty(api.ServiceInterface+"."+api.KeyState, dbus.MakeVariant("failed")); err == nil {
		t.Error("setting a service's State was accepted")
	}
	if _, err := db.GetProperty(api.ServiceInterface + ".NoSuchKey"); err == nil {
		t.Error("reading a property that does not exist answered")
	}

	job := conn.Object(api.BusName, jobPath)
	if v, err := job.GetProperty(api.JobInterface + "." + api.KeyPhase); err != nil || v.Value() != "running" {
		t.Errorf("job %d's Phase: %v, %v", id, v, err)
	}
	got, err := td.c.GetService(ctx, "db")
	if err != nil || got != dbPath {
		t.Errorf("GetService db: %s, %v", got, err)
	}
	var jp dbus.ObjectPath
	if err := root.CallWithContext(ctx, api.Interface+"."+api.MethodGetJob, 0, id).Store(&jp); err != nil || jp != jobPath {
		t.Errorf("GetJob %d: %s, %v", id, jp, err)
	}
	if err := root.CallWithContext(ctx, api.Interface+"."+api.MethodGetJob, 0, int64(id+1000)).Store(&jp); err == nil {
		t.Errorf("GetJob of a job never recorded answered %s", jp)
	}

	for _, p := range []dbus.ObjectPath{api.Path, api.ServicesPath, dbPath, jobPath} {
		var xml string
		if err := conn.Object(api.BusName, p).CallWithContext(ctx, api.IntrospectableInterface+".Introspect", 0).Store(&xml); err != nil {
			t.Errorf("Introspect %s: %v", p, err)
			continue
		}
		if !strings.Contains(xml, "<node") {
			t.Errorf("Introspect %s: %q", p, xml)
		}
	}
	var xml string
	if err := conn.Object(api.BusName, api.ServicesPath).CallWithContext(ctx, api.IntrospectableInterface+".Introspect", 0).Store(&xml); err == nil {
		for _, name := range []string{"api", "db", "legacy", "web"} {
			if !strings.Contains(xml, `<node name="`+name+`"`) {
				t.Errorf("the services' node does not list %s:\n%s", name, xml)
			}
		}
	}
}

// awaitSignal reads signals until one satisfies match (true) or 10 s pass (false).
func awaitSignal(t *testing.T, signals <-chan *dbus.Signal, match func(*dbus.Signal) bool) bool {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s := <-signals:
			if match(s) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestServiceObjectMethods specifies the methods of a service's own object: the manager's, for
// that service.
func TestServiceObjectMethods(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	conn := busConn(t, td)
	api_ := conn.Object(api.BusName, dbus.ObjectPath(api.ServicePath("api")))
	var op uint64
	var services []string
	var already bool
	if err := api_.CallWithContext(ctx, api.ServiceInterface+".Start", 0, false).Store(&op, &services, &already); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(services, []string{"db", "api"}) || already {
		t.Errorf("Start on api's object queued %v (already %v)", services, already)
	}
	td.wait(t, queued(op))
	if err := api_.CallWithContext(ctx, api.ServiceInterface+".Kill", 0, int32(15)).Err; err != nil {
		t.Errorf("Kill on api's object: %v", err)
	}
	if err := api_.CallWithContext(ctx, api.ServiceInterface+".ResetFailed", 0).Err; err != nil {
		t.Errorf("ResetFailed on api's object: %v", err)
	}
	if err := api_.CallWithContext(ctx, api.ServiceInterface+".Restart", 0).Store(&op, &services); err != nil {
		t.Fatal(err)
	}
	td.wait(t, queued(op))
	if err := api_.CallWithContext(ctx, api.ServiceInterface+".Stop", 0, false).Store(&op, &services); err != nil {
		t.Fatal(err)
	}
	td.wait(t, queued(op))
	if st, _ := td.c.Status(ctx, "api"); st.Up() {
		t.Errorf("api after Stop on its object: %s", st.ActiveState)
	}
	gone := conn.Object(api.BusName, dbus.ObjectPath(api.ServicePath("nope")))
	if err := gone.CallWithContext(ctx, api.ServiceInterface+".Start", 0, false).Store(&op, &services, &already); err == nil {
		t.Error("Start on the object of an undefined service was queued")
	}
}

// TestEnabledServicesStartWithHerod specifies herod's start: services enabled by their config
// (status = "start") are started, the others are left as they are.
func TestEnabledServicesStartWithHerod(t *testing.T) {
	files := map[string]string{
		"db.toml":  "exec = [\"/bin/sleep\", \"infinity\"]\nstatus = \"start\"\n",
		"api.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n",
	}
	td := startDaemon(t, files)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for td.eng.unitState("db") != "active" {
		select {
		case <-ctx.Done():
			t.Fatal("db (status = \"start\") was not started with herod within 10s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if td.eng.unitState("api") != "inactive" {
		t.Errorf("api, not enabled, is %s", td.eng.unitState("api"))
	}
	if st, err := td.c.Status(ctx, "db"); err != nil || st.Enabled != enabledState || st.EnabledBy != byConfig {
		t.Errorf("db's enablement: %+v, %v", st, err)
	}
}
