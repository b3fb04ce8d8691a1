package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// causeOf finds the requirement that went down by itself when the dependent's run ended: down
// now (whatever its last run was, but a stop someone asked for), or ended close to the
// dependent's end and back already. A requirement stopped on request, or one that ended long
// before and runs, is no cause.
func TestCauseOf(t *testing.T) {
	end := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := end.Add(d); return &x }
	run := func(p jobdb.Phase, ended *time.Time) jobdb.Job {
		return jobdb.Job{Phase: p, EndedAt: ended, InvocationID: "x"}
	}
	cases := []struct {
		name    string
		closure []string
		down    []string
		runs    map[string][]jobdb.Job
		want    string
	}{
		{"crashed, down", []string{"db"}, []string{"db"}, map[string][]jobdb.Job{"db": {run(jobdb.PhaseFailed, at(-10*time.Millisecond))}}, "db"},
		{"failing its restarts long after its crash", []string{"db"}, []string{"db"}, map[string][]jobdb.Job{"db": {run(jobdb.PhaseFailed, at(-2*time.Minute))}}, "db"},
		{"down, its end not recorded yet", []string{"db"}, []string{"db"}, map[string][]jobdb.Job{"db": {run(jobdb.PhaseRunning, nil)}}, "db"},
		{"down, no run recorded", []string{"db"}, []string{"db"}, nil, "db"},
		{"exited by itself", []string{"db"}, []string{"db"}, map[string][]jobdb.Job{"db": {run(jobdb.PhaseSucceeded, at(0))}}, "db"},
		{"stopped on request", []string{"db"}, []string{"db"}, map[string][]jobdb.Job{"db": {run(jobdb.PhaseCancelled, at(0))}}, ""},
		{"back already after a quick restart", []string{"db"}, nil,
			map[string][]jobdb.Job{"db": {run(jobdb.PhaseRunning, nil), run(jobdb.PhaseFailed, at(20*time.Millisecond))}}, "db"},
		{"runs, ended long before", []string{"db"}, nil, map[string][]jobdb.Job{"db": {run(jobdb.PhaseRunning, nil), run(jobdb.PhaseFailed, at(-time.Minute))}}, ""},
		{"down the chain, the nearer stopped by the binding", []string{"web", "db"}, []string{"web", "db"},
			map[string][]jobdb.Job{"web": {run(jobdb.PhaseCancelled, at(0))}, "db": {run(jobdb.PhaseFailed, at(-time.Millisecond))}}, "db"},
		{"everything runs", []string{"web", "db"}, nil, map[string][]jobdb.Job{"db": {run(jobdb.PhaseRunning, nil)}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			down := map[string]bool{}
			for _, d := range c.down {
				down[d] = true
			}
			if got := causeOf(c.closure, down, c.runs, end); got != c.want {
				t.Errorf("causeOf = %q, want %q", got, c.want)
			}
		})
	}
}

// revival ends the waits of services that run again and starts those whose requirements all
// run, or wait and come back with them; a service on its way up is left to that start, and one
// whose requirement is down (and does not wait) keeps waiting.
func TestRevival(t *testing.T) {
	set := testSet(t, chainFiles) // db <- web <- api, cache
	cases := []struct {
		name      string
		waiting   []string
		active    []string
		up        []string // activating
		wantOver  []string
		wantStart []string
	}{
		{"its requirement runs again", []string{"web"}, []string{"db"}, nil, nil, []string{"web"}},
		{"its requirement is down", []string{"web"}, nil, nil, nil, nil},
		{"its requirement is restarting", []string{"web"}, nil, []string{"db"}, nil, nil},
		{"a chain comes back in one start", []string{"web", "api"}, []string{"db"}, nil, nil, []string{"api", "web"}},
		{"a requirement that does not wait is down", []string{"api"}, []string{"db"}, nil, nil, nil},
		{"it runs again", []string{"web"}, []string{"db", "web"}, nil, []string{"web"}, nil},
		{"someone starts it", []string{"web"}, []string{"db"}, []string{"web"}, nil, nil},
		{"its waiting requirement is on its way up", []string{"web", "api"}, []string{"db"}, []string{"web"}, nil, nil},
		{"its requirement runs again, which ran before", []string{"api"}, []string{"db", "web"}, nil, nil, []string{"api"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			waiting := map[string]bool{}
			for _, w := range c.waiting {
				waiting[w] = true
			}
			state := func(s string) unitState {
				if slices.Contains(c.active, s) {
					return unitState{active: true, up: true}
				}
				return unitState{up: slices.Contains(c.up, s)}
			}
			over, start := revival(set, waiting, state)
			if !slices.Equal(over, c.wantOver) || !slices.Equal(start, c.wantStart) {
				t.Errorf("revival = over %v, start %v; want over %v, start %v", over, start, c.wantOver, c.wantStart)
			}
		})
	}
}

// waitsOf returns the services the ledger says wait.
func (tb *testBridge) waitsOf(t *testing.T) []string {
	t.Helper()
	waits, err := tb.ledger.Waits(tb.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, w := range waits {
		out = append(out, w.Service)
	}
	return out
}

// A run that ended while a requirement was down by itself makes its service wait, in the
// ledger; one hero stopped on purpose, one whose requirements run, and one whose requirement
// was stopped on request do not.
func TestRebinderFinished(t *testing.T) {
	type unitState struct{ service, active string }
	cases := []struct {
		name     string
		service  string
		units    []unitState
		dbPhase  jobdb.Phase // the phase of db's last run
		intended bool        // hero stopped it on purpose
		waits    bool
	}{
		{name: "its requirement failed", service: "web", units: []unitState{{"db", "failed"}}, dbPhase: jobdb.PhaseFailed, waits: true},
		{name: "its requirement unloaded", service: "web", dbPhase: jobdb.PhaseSucceeded, waits: true},
		{name: "a requirement down the chain failed", service: "api", units: []unitState{{"web", "active"}, {"db", "failed"}}, dbPhase: jobdb.PhaseFailed, waits: true},
		{name: "stopped on purpose", service: "web", units: []unitState{{"db", "failed"}}, dbPhase: jobdb.PhaseFailed, intended: true},
		{name: "its requirement was stopped on request", service: "web", units: []unitState{{"db", "inactive"}}, dbPhase: jobdb.PhaseCancelled},
		{name: "its requirements run", service: "web", units: []unitState{{"db", "active"}}, dbPhase: jobdb.PhaseRunning},
		{name: "it requires nothing", service: "cache"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			for _, u := range c.units {
				tb.load(t, u.service, u.active, "x")
			}
			if c.dbPhase != "" {
				tb.job(t, "db", c.dbPhase)
			}
			own := tb.job(t, c.service, jobdb.PhaseCancelled)
			if c.intended {
				tb.ops.waits.intend(tb.ctx, c.service)
			}
			// handle the end as the reviver's loop would, with what observe records of it (the
			// loop itself is not asked: it may have taken the queue before the test looks).
			r := tb.revive
			r.handle(observed{Event: Event{Kind: EventJobFinished, Service: c.service, JobID: own.ID}, onPurpose: r.waits.onPurpose(c.service)})
			if got := tb.waitsOf(t); slices.Contains(got, c.service) != c.waits {
				t.Errorf("waiting %v, want %s waiting: %v", got, c.service, c.waits)
			}
		})
	}
}

// Through systemd's signals: a service systemd stopped because its requirement was killed waits
// in the ledger, says so in its status, comes back once the requirement runs again, and its
// run that the outage ended stays in the ledger (herod's start prunes nothing).
func TestRebindThroughSignals(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.running(t, "db", "web")
	if err := tb.Kill(tb.ctx, "db", 9); err != nil {
		t.Fatal(err)
	}
	tb.sd.mu.Lock()
	tb.sd.end(unit("web"), tb.sd.units[unit("web")], 15) // BindsTo=: systemd stops web
	tb.sd.mu.Unlock()
	testEventually(t, "web waiting for db", func() bool { return slices.Contains(tb.waitsOf(t), "web") })
	st, err := tb.Status(tb.ctx, "web")
	if err != nil || !st.ComesBack || !slices.Equal(st.WaitsFor, []string{"db"}) ||
		st.Waiting != "waiting for db (down: failed; 'heroctl start db' starts it): herod starts it when db runs again" {
		t.Errorf("web's status %+v %v, want it to come back with db", st, err)
	}
	if _, err := tb.Start(tb.ctx, []string{"db"}, true, nil); err != nil {
		t.Fatal(err)
	}
	testEventually(t, "web started again", func() bool { return tb.sd.state(unit("web")) == "active" })
	testEventually(t, "web's wait over", func() bool { return len(tb.waitsOf(t)) == 0 })
	jobs, err := tb.Jobs(tb.ctx, "web")
	if err != nil || len(jobs) != 2 || jobs[1].Phase != jobdb.PhaseCancelled {
		t.Errorf("web's jobs %+v %v, want the new run and the run the outage ended", jobs, err)
	}
}

// A wait kept in the ledger is met by a herod started afterwards (its first look at the waits),
// and by a requirement that runs again.
func TestRebindAfterRestartOfHerod(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.load(t, "db", "active", "running")
	tb.load(t, "web", "failed", "failed")
	if err := tb.ledger.SetWait(tb.ctx, jobdb.Wait{Service: "web", Requirement: "db"}); err != nil {
		t.Fatal(err)
	}
	tb.job(t, "web", jobdb.PhaseCancelled)
	tb.revive.stop()
	old := tb.revive
	r := (&reviver{svc: old.svc, sd: old.sd, ledger: old.ledger, waits: newWaitBook(old.ledger, old.log, old.emit), locks: old.locks,
		start: old.start, emit: old.emit, log: old.log}).bind(tb.ctx) // a new herod's
	tb.revive = r
	tb.Bridge.events.observeWith(r.observe)
	r.begin()
	testEventually(t, "web started again", func() bool { return tb.sd.state(unit("web")) == "active" })
	testEventually(t, "web's wait over", func() bool { return len(tb.waitsOf(t)) == 0 })
}

// An attempt that fails because a requirement is down again keeps the wait; a start that fails
// for the service's own reason while its requirements run ends it (its restart policy governs
// it); a stop on purpose ends it too, and nothing starts the service after.
func TestRebindFailuresAndStops(t *testing.T) {
	cases := []struct {
		name    string
		outcome fakeOutcome
		stop    bool
		waits   bool
	}{
		{name: "the attempt fails for a requirement", outcome: fakeOutcome{jobResult: "dependency"}, waits: true},
		{name: "its own start fails", outcome: fakeOutcome{jobResult: "failed", exitStatus: 1}},
		{name: "stopped on purpose", stop: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			tb.load(t, "db", "active", "running")
			tb.load(t, "web", "failed", "failed")
			tb.sd.mu.Lock()
			tb.sd.outcome[unit("web")] = c.outcome
			tb.sd.mu.Unlock()
			if err := tb.ledger.SetWait(tb.ctx, jobdb.Wait{Service: "web", Requirement: "db"}); err != nil {
				t.Fatal(err)
			}
			if c.stop {
				if _, err := tb.Stop(tb.ctx, "web", false, nil); err != nil {
					t.Fatal(err)
				}
			}
			tb.revive.reconcile()
			if got := slices.Contains(tb.waitsOf(t), "web"); got != c.waits {
				t.Errorf("web waits: %v, want %v", got, c.waits)
			}
			starts := strings.Join(tb.sd.called("StartUnit "+unit("web")), " ")
			if c.stop && starts != "" {
				t.Errorf("a service stopped on purpose was started: %s", starts)
			}
		})
	}
}

// herod's revival never starts a requirement: one that is down (or on its way back by
// systemd's restart) when the revival's start looks makes it start nothing, and the waiting
// service keeps waiting, its requirement left to its own restart policy.
func TestRevivalStartsNoRequirement(t *testing.T) {
	for _, dbState := range []struct{ active, sub string }{{"failed", "failed"}, {"activating", "auto-restart"}} {
		t.Run(dbState.sub, func(t *testing.T) {
			tb := newTestBridge(t, chainFiles)
			tb.load(t, "db", dbState.active, dbState.sub)
			tb.load(t, "web", "inactive", "dead")
			set := tb.Config()
			plan, err := set.Graph.StartAll([]string{"web"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tb.ops.starter.start(tb.ctx, set, []string{"web"}, plan, startMode{replace: true, keepJobs: true, only: map[string]bool{"web": true}}, nil, newStartReply("web"))
			if !errors.Is(err, errRequirementDown) {
				t.Errorf("revival start with db %s/%s: %v, want errRequirementDown", dbState.active, dbState.sub, err)
			}
			if calls := tb.sd.called("Start"); len(calls) != 0 {
				t.Errorf("the revival started %v", calls)
			}
		})
	}
}

// A requirement stopped on purpose behind hero's back (systemctl stop: its run ends cancelled
// while it does not wait itself) ends the waits its going down began, along the causes the
// dependents' ends named (web waited for app, judged before app's own end was recorded); a
// crash (failed) ends none, nor does the cancelled end of a service the binding stopped (it
// waits itself).
func TestRequirementStoppedEndsItsWaits(t *testing.T) {
	for _, c := range []struct {
		name, service string
		phase         jobdb.Phase
		waits         []string
	}{
		{"db stopped on purpose", "db", jobdb.PhaseCancelled, nil},
		{"db crashed", "db", jobdb.PhaseFailed, []string{"app", "web"}},
		{"app stopped by the binding", "app", jobdb.PhaseCancelled, []string{"app", "web"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, map[string]string{
				"db.toml":  "exec = [\"/bin/sleep\", \"1000\"]\n",
				"app.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"db\"]\n",
				"web.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"app\"]\n",
			})
			for _, w := range []jobdb.Wait{{Service: "web", Requirement: "app"}, {Service: "app", Requirement: "db"}} {
				if err := tb.ledger.SetWait(tb.ctx, w); err != nil {
					t.Fatal(err)
				}
			}
			tb.revive.handle(observed{Event: Event{Kind: EventJobFinished, Service: c.service, State: string(c.phase)}})
			got := tb.waitsOf(t)
			slices.Sort(got)
			if !slices.Equal(got, c.waits) {
				t.Errorf("waits %v, want %v", got, c.waits)
			}
		})
	}
}
