package bridge

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
)

// A StaleError tells how to free the old unit: restart the running services that hold it, or
// look at what refers to it; heldByRunning finds one naming running holders, wrapped or not.
func TestStaleError(t *testing.T) {
	held := &StaleError{Service: "db", Unit: unit("db"), HeldBy: []string{"web", "api"}}
	alone := &StaleError{Service: "db", Unit: unit("db")}
	cases := []struct {
		name    string
		err     error
		msg     string // in Error()
		holders bool   // heldByRunning finds it
	}{
		{"held by running services", held, "running services refer to that older unit (web, api): 'heroctl restart web'", true},
		{"wrapped", fmt.Errorf("start: %w", held), "heroctl restart web", true},
		{"held by nothing running", alone, "systemd keeps that older unit loaded: 'systemctl status " + unit("db") + "'", false},
		{"another error", errors.New("x"), "x", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(c.err.Error(), c.msg) {
				t.Errorf("%q lacks %q", c.err.Error(), c.msg)
			}
			if got := heldByRunning(c.err); (got != nil) != c.holders || got != nil && got != held {
				t.Errorf("heldByRunning = %v, want holders %v", got, c.holders)
			}
		})
	}
}

// holdersOf names the hero units among a unit's referrers; releaseHolders resets the stopped
// ones, following their own referrers, and returns the running ones.
func TestReleaseHolders(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.load(t, "db", "inactive", "dead")
	tb.load(t, "web", "failed", "failed")
	tb.load(t, "api", "active", "running")
	tb.load(t, "cache", "active", "running")
	tb.sd.add("other.service", "active", "running")
	tb.sd.mu.Lock()
	tb.sd.units[unit("db")].holders["RequiredBy"] = []string{unit("web"), "other.service"}
	tb.sd.units[unit("db")].holders["Before"] = []string{unit("cache")}
	tb.sd.units[unit("web")].holders["RequiredBy"] = []string{unit("api"), unit("db")}
	tb.sd.mu.Unlock()
	if got := tb.Bridge.sd.Holders(tb.ctx, unit("db")); strings.Join(got, " ") != unit("web")+" "+unit("cache") {
		t.Errorf("holdersOf(db) = %v, want web and cache (not other.service)", got)
	}
	services, units := releaseHolders(tb.ctx, tb.Bridge.sd, tb.ops.log, unit("db"))
	if strings.Join(sortedCopy(services), " ") != "api cache" || len(units) != 2 {
		t.Errorf("running holders %v %v, want api and cache", services, units)
	}
	if calls := tb.sd.called("ResetFailedUnit"); len(calls) != 1 || calls[0] != "ResetFailedUnit "+unit("web") {
		t.Errorf("reset %v, want web only", calls)
	}
	if tb.sd.state(unit("web")) != "inactive" {
		t.Error("the stopped holder was not reset")
	}
	tb.sd.fail["GetUnitProperties"] = errors.New("bus gone")
	if got := tb.Bridge.sd.Holders(tb.ctx, unit("db")); got != nil {
		t.Errorf("holdersOf while systemd fails = %v", got)
	}
}

// A start whose unit systemd keeps loaded with an older definition, held by nothing that runs,
// fails with a StaleError that says so.
func TestStartStaleUnitKept(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.load(t, "db", "inactive", "dead")
	tb.setDefinition("db", "0ld")
	_, err := tb.Start(tb.ctx, []string{"db"}, true, nil)
	var se *StaleError
	if !errors.As(err, &se) || se.Service != "db" || len(se.HeldBy) != 0 {
		t.Fatalf("Start: %v, want a StaleError held by nothing running", err)
	}
}

// A start call that systemd did not answer because it re-executed itself is made again once
// systemd answers.
func TestStartWhileSystemdReexecutes(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.sd.gcOnReset = true
	tb.load(t, "db", "failed", "failed")
	calls := 0
	tb.sd.onCall = func(method, u string) {
		if method == "StartTransientUnit" {
			if calls++; calls == 1 {
				tb.sd.fail["StartTransientUnit"] = dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}
			} else {
				delete(tb.sd.fail, "StartTransientUnit")
			}
		}
	}
	reply, err := tb.Start(tb.ctx, []string{"db"}, true, nil)
	if err != nil || len(reply.Started) != 1 || calls != 2 || len(tb.sd.called("ListUnitsByNames init.scope")) != 1 {
		t.Errorf("Start = %+v %v after %d calls (%v), want db started on the second", reply, err, calls, tb.sd.called(""))
	}
}

// systemd.Gone tells the errors of a call systemd never answered from its refusals.
func TestSystemdGone(t *testing.T) {
	cases := []struct {
		err  error
		gone bool
	}{
		{dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, true},
		{&dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, true},
		{fmt.Errorf("call: %w", dbus.Error{Name: "org.freedesktop.DBus.Error.Disconnected"}), true},
		// What dbus-daemon answers a call whose recipient left the bus (systemd re-executing).
		{dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply", Body: []any{"Message recipient disconnected from message bus without replying"}}, true},
		{fmt.Errorf("call: %w", &dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply", Body: []any{"Message recipient disconnected from message bus without replying"}}), true},
		{noSuchUnit("x.service"), false},
		{dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied", Body: []any{"Access denied"}}, false},
		{dbus.ErrClosed, false}, // our own connection closed: no use waiting for systemd
		{errors.New("Message recipient disconnected from message bus without replying"), false}, // text decides nothing
	}
	for _, c := range cases {
		if got := systemd.Gone(c.err); got != c.gone {
			t.Errorf("systemd.Gone(%v) = %v, want %v", c.err, got, c.gone)
		}
	}
}

// A stop whose job results never come (the bus dropped the signals) is settled from the units'
// states.
func TestStopWithoutJobSignals(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.running(t, "db")
	tb.sd.loseResults = true
	reply, err := tb.Stop(tb.ctx, "db", false, nil)
	if err != nil || !reply.OK || reply.Cancelled != 1 || tb.sd.state(unit("db")) != "inactive" {
		t.Errorf("Stop = %+v %v, unit %s", reply, err, tb.sd.state(unit("db")))
	}
}
