package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// chainFiles are api, which requires web, which requires db, and cache, on its own.
var chainFiles = map[string]string{
	"db.toml":    service(""),
	"web.toml":   service(`requires = ["db"]`),
	"api.toml":   service(`requires = ["web"]`),
	"cache.toml": service(""),
}

// requiredBy tells the fake which units hold unit by Requires= (what systemd's stop cascade
// follows).
func (tb *testBridge) requiredBy(service string, dependents ...string) {
	tb.sd.mu.Lock()
	defer tb.sd.mu.Unlock()
	for _, d := range dependents {
		tb.sd.units[unit(service)].holders["RequiredBy"] = append(tb.sd.units[unit(service)].holders["RequiredBy"], unit(d))
	}
}

// Stop takes a service down with every running service that requires it, most-dependent first,
// and leaves the others running: whether systemd's cascade stops the dependents or the bridge
// has to stop them as stragglers, wave by wave. Every run it ended is recorded as cancelled.
func TestStopCascade(t *testing.T) {
	cases := []struct {
		name      string
		cascade   bool
		wantStops []string // the units the bridge asked systemd to stop, in order
	}{
		{"systemd's cascade", true, []string{"StopUnit " + unit("db")}},
		{"stragglers stopped by the bridge", false, []string{"StopUnit " + unit("db"), "StopUnit " + unit("api"), "StopUnit " + unit("web")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			tb.running(t, "db", "web", "api", "cache")
			tb.requiredBy("db", "web")
			tb.requiredBy("web", "api")
			tb.sd.cascade = c.cascade
			var progress []string
			reply, err := tb.Stop(tb.ctx, "db", false, func(p Progress) { progress = append(progress, p.Service+":"+p.Event) })
			if err != nil {
				t.Fatal(err)
			}
			if !reply.OK || reply.Cancelled != 3 || !slices.Equal(reply.StoppedDependents, []string{"api", "web"}) {
				t.Errorf("reply %+v, want 3 cancelled, dependents api web", reply)
			}
			if got := tb.sd.called("StopUnit"); !slices.Equal(got, c.wantStops) {
				t.Errorf("stop calls %v, want %v", got, c.wantStops)
			}
			if !slices.Equal(progress, []string{"api:stopped", "web:stopped", "db:stopped"}) {
				t.Errorf("progress %v", progress)
			}
			for _, s := range []string{"db", "web", "api"} {
				if j, err := tb.ledger.Latest(tb.ctx, s); err != nil || j.Phase != jobdb.PhaseCancelled {
					t.Errorf("%s's job after the stop: %+v %v, want cancelled", s, j, err)
				}
			}
			if tb.sd.state(unit("cache")) != "active" {
				t.Error("an independent service was stopped")
			}
		})
	}
}

// Stopping a stopped service is no error and ends nothing; with removeJobs the service's own
// ended jobs are deleted, never its dependents'.
func TestStopStoppedAndRemoveJobs(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.job(t, "db", jobdb.PhaseFailed)
	tb.job(t, "db", jobdb.PhaseCancelled)
	tb.job(t, "web", jobdb.PhaseFailed)
	reply, err := tb.Stop(tb.ctx, "db", true, nil)
	if err != nil || !reply.OK || reply.Cancelled != 0 || len(reply.StoppedDependents) != 0 || reply.RemovedJobs != 2 {
		t.Errorf("reply %+v %v, want ok, nothing cancelled, 2 jobs removed", reply, err)
	}
	if calls := tb.sd.called("StopUnit"); len(calls) != 0 {
		t.Errorf("systemd was asked to stop %v", calls)
	}
	if jobs, _ := tb.ledger.Jobs(tb.ctx, "web"); len(jobs) != 1 {
		t.Errorf("web's jobs %v, want its one job kept", jobs)
	}
}

// Stop refuses an undefined service, reports systemd's refusal, and takes a unit systemd no
// longer knows for stopped.
func TestStopFailures(t *testing.T) {
	cases := []struct {
		name    string
		service string
		fail    error
		want    string // in the error; "" for none
	}{
		{"undefined", "nope", nil, "no such service"},
		{"systemd refuses", "db", errors.New("access denied"), "stop db: StopUnit " + unit("db") + ": access denied"},
		{"its stop job fails", "db", nil, "stop db: systemd's stop job of " + unit("db") + ": failed"},
		{"gone meanwhile", "db", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			tb.running(t, "db")
			if c.fail != nil {
				tb.sd.fail["StopUnit"] = c.fail
			}
			if c.name == "its stop job fails" {
				tb.sd.outcome[unit("db")] = fakeOutcome{stopResult: "failed"}
			}
			if c.name == "gone meanwhile" {
				// The run ends by itself and systemd unloads the unit just before the stop.
				tb.sd.onCall = func(method, u string) {
					if method == "StopUnit" && tb.sd.units[u] != nil {
						tb.sd.end(u, tb.sd.units[u], 15)
						delete(tb.sd.units, u)
					}
				}
			}
			_, err := tb.Stop(tb.ctx, c.service, false, nil)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) ||
				err != nil && strings.Count(err.Error(), "stop db") > 1 {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

// PrecheckStop names the running services a stop would take down, in stop order.
func TestPrecheckStop(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.load(t, "db", "active", "running")
	tb.load(t, "api", "deactivating", "stop-sigterm")
	tb.load(t, "web", "failed", "failed")
	got, err := tb.PrecheckStop(tb.ctx, "db")
	if err != nil || !slices.Equal(got, []string{"api", "db"}) {
		t.Errorf("PrecheckStop(db) = %v %v, want api db", got, err)
	}
	if got, err := tb.PrecheckStop(tb.ctx, "cache"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("PrecheckStop(cache) = %#v %v, want none", got, err)
	}
	if _, err := tb.PrecheckStop(tb.ctx, "nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("PrecheckStop(nope): %v", err)
	}
	tb.sd.fail["ListUnitsByPatterns"] = errors.New("bus gone")
	if _, err := tb.PrecheckStop(tb.ctx, "db"); err == nil || !strings.Contains(err.Error(), "stop db: ") {
		t.Errorf("PrecheckStop while systemd fails: %v", err)
	}
}

// A bad-config service that still runs from before its file broke is stopped on its own.
func TestStopBadConfig(t *testing.T) {
	files := map[string]string{"db.toml": "exec = 5\n"}
	tb := newTestBridge(t, files)
	tb.sd.add(unit("db"), "active", "running")
	reply, err := tb.Stop(tb.ctx, "db", false, nil)
	if err != nil || !reply.OK || tb.sd.state(unit("db")) != "inactive" {
		t.Errorf("reply %+v %v, unit %s; want it stopped", reply, err, tb.sd.state(unit("db")))
	}
}

// Kill signals a running service's unit and nothing else; it tells a service that does not run
// (or stopped meanwhile) from one that is not defined, and takes systemd's EINVAL from signalling
// the unit's other processes (after its main process) for success: by the error's D-Bus name,
// whatever its words.
func TestKill(t *testing.T) {
	cases := []struct {
		name    string
		service string
		active  string // the unit's state ("": not loaded)
		fail    error
		want    error  // errors.Is
		wantMsg string // or in the message
	}{
		{name: "running", service: "db", active: "active"},
		{name: "stopping", service: "db", active: "deactivating"},
		{name: "undefined", service: "nope", want: ErrNoSuchService},
		{name: "not loaded", service: "db", want: ErrNotRunning},
		{name: "failed", service: "db", active: "failed", want: ErrNotRunning},
		{name: "ended meanwhile", service: "db", active: "active", fail: noSuchUnit(unit("db")), want: ErrNotRunning},
		{name: "its other processes gone", service: "db", active: "active", fail: dbus.Error{Name: "org.freedesktop.DBus.Error.InvalidArgs",
			Body: []any{"Failed to send signal SIGKILL to auxiliary processes: Invalid argument"}}},
		{name: "its main process gone", service: "db", active: "active", fail: dbus.Error{Name: "org.freedesktop.DBus.Error.UnixProcessIdUnknown",
			Body: []any{"Failed to send signal SIGKILL to main process 42 (sleep): No such process"}},
			wantMsg: "kill db: KillUnit " + unit("db") + ": Failed to send signal SIGKILL to main process 42 (sleep): No such process"},
		{name: "its other processes refused", service: "db", active: "active", fail: dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied",
			Body: []any{"Failed to send signal SIGKILL to auxiliary processes: Operation not permitted"}},
			wantMsg: "kill db: KillUnit " + unit("db") + ": Failed to send signal SIGKILL to auxiliary processes: Operation not permitted"},
		{name: "refused", service: "db", active: "active", fail: dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied",
			Body: []any{"Access denied"}}, wantMsg: "kill db: KillUnit " + unit("db") + ": Access denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			if c.active != "" {
				tb.load(t, "db", c.active, "x")
			}
			if c.fail != nil {
				tb.sd.fail["KillUnit"] = c.fail
			}
			err := tb.Kill(tb.ctx, c.service, 9)
			switch {
			case c.want != nil:
				if !errors.Is(err, c.want) {
					t.Errorf("err %v, want %v", err, c.want)
				}
			case c.wantMsg != "":
				if err == nil || err.Error() != c.wantMsg {
					t.Errorf("err %v, want %q", err, c.wantMsg)
				}
			case err != nil:
				t.Errorf("err %v", err)
			}
			kills := tb.sd.called("KillUnit")
			if sent := c.active != "" && state.HasProcesses(c.active); sent != (len(kills) == 1) {
				t.Errorf("kill calls %v", kills)
			} else if sent && kills[0] != "KillUnit "+unit("db")+" all 9" {
				t.Errorf("kill call %q", kills[0])
			}
		})
	}
}

// ResetFailed clears systemd's failed state of the unit and the service's ended jobs, keeps its
// running job, and announces the service inactive.
func TestResetFailed(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.load(t, "db", "failed", "failed")
	tb.job(t, "db", jobdb.PhaseFailed)
	running := &jobdb.Job{ServiceID: "db", Context: "default", Unit: unit("db"), InvocationID: "ab", Phase: jobdb.PhaseRunning}
	if err := tb.ledger.Create(tb.ctx, running); err != nil {
		t.Fatal(err)
	}
	if err := tb.ResetFailed(tb.ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if st := tb.sd.state(unit("db")); st != "inactive" {
		t.Errorf("unit %s after reset-failed, want inactive", st)
	}
	if jobs, _ := tb.ledger.Jobs(tb.ctx, "db"); len(jobs) != 1 || jobs[0].ID != running.ID {
		t.Errorf("jobs after reset-failed %+v, want the running one", jobs)
	}
	if ev := tb.eventsOf("db"); !slices.Contains(ev, "state-changed:inactive") {
		t.Errorf("events %v", ev)
	}
	if err := tb.ResetFailed(tb.ctx, "nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("ResetFailed(nope): %v", err)
	}
	// A unit systemd does not know has nothing to reset: not an error.
	if err := tb.ResetFailed(tb.ctx, "web"); err != nil {
		t.Errorf("ResetFailed of an unloaded unit: %v", err)
	}
}

// restarted keeps the dependents that were started again, in start order.
func TestRestarted(t *testing.T) {
	cases := []struct{ started, dependents, want []string }{
		{[]string{"db", "web", "api"}, []string{"api", "web"}, []string{"web", "api"}},
		{[]string{"db"}, []string{"api"}, nil},
		{nil, nil, nil},
	}
	for _, c := range cases {
		if got := restarted(c.started, c.dependents); !slices.Equal(got, c.want) {
			t.Errorf("restarted(%v, %v) = %v, want %v", c.started, c.dependents, got, c.want)
		}
	}
}
