package bridge

import (
	"slices"
	"testing"
	"time"
)

// requiresClosure lists everything a service requires, directly or through others, once each.
func TestRequiresClosure(t *testing.T) {
	set := testSet(t, map[string]string{
		"db.toml":  service(""),
		"log.toml": service(""),
		"web.toml": service(`requires = ["db", "log"]`),
		"api.toml": service(`requires = ["web", "db"]`),
	})
	cases := []struct {
		name string
		want []string
	}{
		{"db", nil},
		{"web", []string{"db", "log"}},
		{"api", []string{"db", "log", "web"}},
	}
	for _, c := range cases {
		if got := sortedCopy(requiresClosure(set, c.name)); !slices.Equal(got, c.want) {
			t.Errorf("requiresClosure(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

// testRebinder is a rebinder of tb's bridge whose events are handed to it by the test.
func testRebinder(tb *testBridge) *rebinder {
	return &rebinder{b: tb.Bridge, ctx: tb.ctx, wake: make(chan struct{}, 1), ended: map[string]time.Time{},
		waiting: map[string]map[string]bool{}, intended: map[string]bool{}}
}

// A service whose run ended by itself waits for the requirement that went down (anywhere in
// its requires closure) and comes back with it; one hero stopped on purpose, one an operation
// held, or one whose requirements all run and none just ended, waits for nothing.
func TestRebinderFinished(t *testing.T) {
	type unitState struct{ service, active string }
	cases := []struct {
		name     string
		service  string
		units    []unitState
		intended bool // hero stopped it on purpose
		held     bool // an operation held it as it ended
		waitsFor string
	}{
		{name: "its requirement failed", service: "web", units: []unitState{{"db", "failed"}}, waitsFor: "db"},
		{name: "its requirement unloaded", service: "web", waitsFor: "db"},
		{name: "a requirement down the chain failed", service: "api", units: []unitState{{"web", "active"}, {"db", "failed"}}, waitsFor: "web"},
		{name: "stopped on purpose", service: "web", units: []unitState{{"db", "failed"}}, intended: true},
		{name: "an operation held it", service: "web", units: []unitState{{"db", "failed"}}, held: true},
		{name: "its requirements run", service: "web", units: []unitState{{"db", "active"}}},
		{name: "it requires nothing", service: "cache"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			for _, u := range c.units {
				tb.load(t, u.service, u.active, "x")
			}
			r := testRebinder(tb)
			if c.intended {
				r.intend(c.service)
			}
			if c.held {
				release, err := tb.locks.acquire(tb.ctx, []string{c.service})
				if err != nil {
					t.Fatal(err)
				}
				r.observe(Event{Kind: "job-finished", Service: c.service})
				release()
			} else {
				r.observe(Event{Kind: "job-finished", Service: c.service})
			}
			r.finished(c.service)
			if got := r.waits(c.service); got != (c.waitsFor != "") || c.waitsFor != "" && !r.waiting[c.waitsFor][c.service] {
				t.Errorf("waits %v (waiting %v), want it to wait for %q", got, r.waiting, c.waitsFor)
			}
			if calls := tb.sd.called("Start"); len(calls) != 0 {
				t.Errorf("started %v", calls)
			}
		})
	}
}

// When a requirement's new run begins, what waited for it is started again, and no longer
// waits; a requirement that went down and is back already brings its dependent back at once.
func TestRebinderStartsAgain(t *testing.T) {
	cases := []struct {
		name string
		run  func(r *rebinder)
	}{
		{"its requirement starts again", func(r *rebinder) {
			r.waiting["db"] = map[string]bool{"web": true}
			r.observe(Event{Kind: "job-started", Service: "db"}) // queued only: run does not run
			r.started("db")
		}},
		{"its requirement is back already", func(r *rebinder) {
			r.observe(Event{Kind: "job-finished", Service: "db"})
			r.finished("web")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			tb.load(t, "db", "active", "running")
			tb.load(t, "web", "inactive", "dead")
			r := testRebinder(tb)
			c.run(r)
			testEventually(t, "web started again", func() bool { return tb.sd.state(unit("web")) == "active" })
			if r.waits("web") {
				t.Error("web still waits")
			}
		})
	}
}

// intend makes a stopped service wait for nothing; observe keeps only runs' starts and ends.
func TestRebinderIntendAndObserve(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	r := testRebinder(tb)
	r.waiting["db"] = map[string]bool{"web": true, "api": true}
	r.intend("web")
	if r.waits("web") || !r.waits("api") || !r.intended["web"] {
		t.Errorf("after intend(web): waiting %v intended %v", r.waiting, r.intended)
	}
	r.observe(Event{Kind: "state-changed", Service: "db"})
	r.observe(Event{Kind: "job-started", Service: "db"})
	if len(r.queue) != 1 {
		t.Errorf("queued %v, want the job-started only", r.queue)
	}
	r.started("web")
	if r.intended["web"] {
		t.Error("a service that runs again is still stopped on purpose")
	}
}

// Through systemd's signals: a service that systemd stopped because its requirement was killed
// says it comes back, and does once the requirement is started again.
func TestRebindThroughSignals(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.running(t, "db", "web")
	if err := tb.Kill(tb.ctx, "db", 9); err != nil {
		t.Fatal(err)
	}
	tb.sd.mu.Lock()
	tb.sd.end(unit("web"), tb.sd.units[unit("web")], 15) // BindsTo=: systemd stops web
	tb.sd.mu.Unlock()
	testEventually(t, "web waiting for db", func() bool { return tb.rebind.waits("web") })
	if st, err := tb.Status(tb.ctx, "web"); err != nil || !st.ComesBack || !slices.Equal(st.RequirementsDown, []string{"db"}) {
		t.Errorf("web's status %+v %v, want it to come back with db", st, err)
	}
	if _, err := tb.Start(tb.ctx, []string{"db"}, true, nil); err != nil {
		t.Fatal(err)
	}
	testEventually(t, "web started again", func() bool { return tb.sd.state(unit("web")) == "active" })
}
