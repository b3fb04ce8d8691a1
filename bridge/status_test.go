package bridge

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// statusFiles are services with each kind of relation a status tells of.
var statusFiles = map[string]string{
	"db.toml":     service(""),
	"web.toml":    service(`requires = ["db"]`),
	"maint.toml":  service(`conflicts = ["web"]`),
	"broken.toml": "exec = 5\n",
	"waiter.toml": service(`after = ["ghost"]`),
}

// Status derives a service's state from its unit's states in systemd, its last job in the
// ledger and its config: what runs, failed, is blocked by a running conflict or an undefined
// service, is bad-config, and which of its requirements are down.
func TestStatusDerivesState(t *testing.T) {
	type unitState struct{ service, active, sub string }
	cases := []struct {
		name      string
		service   string
		units     []unitState
		last      jobdb.Phase // the service's last job's phase ("": none)
		state     string
		blockedBy string
		waiting   []string
		reqsDown  []string
		withPID   bool
	}{
		{name: "running", service: "db", units: []unitState{{"db", "active", "running"}}, state: StateRunning, withPID: true},
		{name: "never run", service: "web", state: StateInactive},
		{name: "failed while its requirement failed", service: "web", units: []unitState{{"web", "failed", "failed"}, {"db", "failed", "failed"}},
			last: jobdb.PhaseFailed, state: StateFailed, reqsDown: []string{"db"}},
		{name: "stopped, its requirement up", service: "web", units: []unitState{{"db", "active", "running"}},
			last: jobdb.PhaseCancelled, state: StateStopped},
		{name: "ended well, its requirement restarting", service: "web", units: []unitState{{"db", "activating", "auto-restart"}},
			last: jobdb.PhaseSucceeded, state: StateSuccess, reqsDown: []string{"db"}},
		{name: "blocked by a running conflict", service: "maint", units: []unitState{{"web", "active", "running"}}, state: StateBlocked, blockedBy: "web"},
		{name: "running beside a conflict", service: "maint", units: []unitState{{"web", "active", "running"}, {"maint", "active", "running"}},
			state: StateRunning, withPID: true},
		{name: "bad-config", service: "broken", state: StateBadConfig},
		{name: "waits for an undefined service", service: "waiter", state: StateBlocked, waiting: []string{"ghost"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, statusFiles)
			for _, u := range c.units {
				tb.load(t, u.service, u.active, u.sub)
			}
			if c.last != "" {
				tb.job(t, c.service, c.last)
			}
			st, err := tb.Status(tb.ctx, c.service)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != c.state || st.BlockedBy != c.blockedBy || !slices.Equal(st.WaitingFor, c.waiting) || !slices.Equal(st.RequirementsDown, c.reqsDown) {
				t.Errorf("state %s blocked by %q waiting for %v requirements down %v; want %s %q %v %v",
					st.State, st.BlockedBy, st.WaitingFor, st.RequirementsDown, c.state, c.blockedBy, c.waiting, c.reqsDown)
			}
			if (st.LastJob != nil) != (c.last != "") || st.LastJob != nil && st.LastJob.Phase != c.last {
				t.Errorf("last job %+v, want one in phase %q", st.LastJob, c.last)
			}
			wantPID := 0
			if c.withPID {
				wantPID = int(tb.sd.units[unit(c.service)].mainPID)
			}
			if st.MainPID != wantPID || st.Up() != c.withPID {
				t.Errorf("main PID %d up %v, want %d %v", st.MainPID, st.Up(), wantPID, c.withPID)
			}
			if st.Stale {
				t.Error("a unit of the current definition is stale")
			}
			if (c.state == StateBadConfig) != (len(st.Problems) > 0) {
				t.Errorf("problems %v for state %s", st.Problems, st.State)
			}
		})
	}
}

// Status and Statuses refuse a name no file defines, and pass on systemd's error.
func TestStatusErrors(t *testing.T) {
	tb := newTestBridge(t, statusFiles)
	if _, err := tb.Status(tb.ctx, "nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Status of an undefined service: %v", err)
	}
	if _, err := tb.Statuses(tb.ctx, []string{"db", "nope"}); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Statuses with an undefined service: %v", err)
	}
	tb.sd.fail["ListUnitsByPatterns"] = errors.New("bus gone")
	if _, err := tb.Status(tb.ctx, "db"); err == nil || !strings.Contains(err.Error(), "bus gone") {
		t.Errorf("Status while systemd fails: %v", err)
	}
	if _, err := tb.List(tb.ctx); err == nil {
		t.Error("List while systemd fails succeeded")
	}
}

// List gives every service, sorted by name; Statuses does not read main processes.
func TestListAndStatuses(t *testing.T) {
	tb := newTestBridge(t, statusFiles)
	tb.load(t, "db", "active", "running")
	list, err := tb.List(tb.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list {
		names = append(names, s.Service+"="+s.State)
	}
	want := []string{"broken=bad-config", "db=running", "maint=inactive", "waiter=blocked", "web=inactive"}
	if !slices.Equal(names, want) {
		t.Errorf("List %v, want %v", names, want)
	}
	st, err := tb.Statuses(tb.ctx, []string{"db"})
	if err != nil || len(st) != 1 || st[0].MainPID != 0 || st[0].State != StateRunning {
		t.Errorf("Statuses: %+v %v, want db running without its main PID", st, err)
	}
}

// With many services, List reads systemd's units with one pattern (hero's prefix), not one per
// unit, and every service's last job in one query.
func TestListOfManyServices(t *testing.T) {
	files := map[string]string{}
	for i := range 20 {
		files[fmt.Sprintf("s%02d.toml", i)] = service("")
	}
	tb := newTestBridge(t, files)
	tb.load(t, "s03", "active", "running")
	tb.load(t, "s04", "failed", "failed")
	tb.job(t, "s05", jobdb.PhaseCancelled)
	list, err := tb.List(tb.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 20 || list[3].State != StateRunning || list[4].State != StateFailed || list[5].State != StateStopped || list[6].State != StateInactive {
		t.Errorf("states %v", list)
	}
	if calls := tb.sd.called("ListUnitsByPatterns"); len(calls) != 1 || calls[0] != "ListUnitsByPatterns hero-*" {
		t.Errorf("systemd was asked %v, want one pattern", calls)
	}
}

// A service whose loaded unit was created from another definition is stale; a unit systemd has
// not loaded is never read (reading it would load it).
func TestStale(t *testing.T) {
	tb := newTestBridge(t, statusFiles)
	tb.load(t, "db", "active", "running")
	st, err := tb.Status(tb.ctx, "db")
	if err != nil || st.Stale || tb.Stale(tb.ctx, st) {
		t.Fatalf("a unit of the current definition: stale %v %v", st.Stale, err)
	}
	tb.sd.mu.Lock()
	tb.sd.units[unit("db")].definition = "0ld"
	tb.sd.mu.Unlock()
	if st, err := tb.Status(tb.ctx, "db"); err != nil || !st.Stale || !tb.Stale(tb.ctx, st) {
		t.Errorf("a unit of an older definition: stale %v %v", st.Stale, err)
	}
	before := len(tb.sd.called("GetUnitTypeProperty"))
	st, _ = tb.Status(tb.ctx, "web")
	if st.Stale || tb.Stale(tb.ctx, st) || len(tb.sd.called("GetUnitTypeProperty")) != before {
		t.Error("an unloaded unit was read for its definition")
	}
	if tb.Stale(tb.ctx, Status{Service: "nope", LoadState: "loaded"}) {
		t.Error("an undefined service is stale")
	}
}

// Jobs lists a service's jobs newest first; UnitText is the unit the bridge would create.
func TestJobsAndUnitText(t *testing.T) {
	tb := newTestBridge(t, statusFiles)
	first := tb.job(t, "db", jobdb.PhaseFailed)
	second := tb.job(t, "db", jobdb.PhaseCancelled)
	jobs, err := tb.Jobs(tb.ctx, "db")
	if err != nil || len(jobs) != 2 || jobs[0].ID != second.ID || jobs[1].ID != first.ID {
		t.Errorf("Jobs: %+v %v, want %d then %d", jobs, err, second.ID, first.ID)
	}
	if _, err := tb.Jobs(tb.ctx, "nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Jobs of an undefined service: %v", err)
	}
	text, err := tb.UnitText(tb.ctx, "web")
	if err != nil || !strings.Contains(text.Text, "/bin/sleep") || !strings.Contains(text.Text, unit("db")) || text.Loaded {
		t.Errorf("UnitText: %v\n%+v", err, text)
	}
	if strings.Contains(text.Withheld, "/bin/sleep") || !strings.Contains(text.Withheld, unit("db")) {
		t.Errorf("UnitText's withheld text:\n%s", text.Withheld)
	}
	if _, err := tb.UnitText(tb.ctx, "nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("UnitText of an undefined service: %v", err)
	}
}

// Restarts counts the restarts that ran: systemd's NRestarts also counts one its start limit
// refused, which the last run's job does not.
func TestRestartsOf(t *testing.T) {
	ran := func(n int) *jobdb.Job { return &jobdb.Job{InvocationID: "x", Restarts: n} }
	cases := []struct {
		name string
		n    int
		up   bool
		last *jobdb.Job
		want int
	}{
		{"running", 2, true, ran(2), 2},
		{"the start limit refused the third", 3, false, ran(2), 2},
		{"waiting for its restart", 1, false, ran(1), 1},
		{"no job", 3, false, nil, 3},
		{"a start that never ran", 3, false, &jobdb.Job{}, 3},
	}
	for _, c := range cases {
		if got := restartsOf(c.n, c.up, c.last); got != c.want {
			t.Errorf("%s: restartsOf = %d, want %d", c.name, got, c.want)
		}
	}
}

// downReason promises only what systemd does by itself, and says who else brings a
// requirement back.
func TestDownReason(t *testing.T) {
	cases := []struct {
		active, sub string
		limitHit    bool
		want        string
	}{
		{"activating", "auto-restart", false, "restarting: systemd restarts it"},
		{"activating", "start-post", false, "starting"},
		{"failed", "failed", true, "failed, start limit hit: systemd does not restart it; 'heroctl start db' does"},
		{"failed", "failed", false, "failed; 'heroctl start db' starts it"},
		{"deactivating", "stop-sigterm", false, "stopping"},
		{"inactive", "dead", false, "stopped; 'heroctl start db' starts it"},
	}
	for _, c := range cases {
		if got := downReason("db", sddbus.UnitStatus{ActiveState: c.active, SubState: c.sub}, c.limitHit); got != c.want {
			t.Errorf("downReason(%s/%s, limit %v) = %q, want %q", c.active, c.sub, c.limitHit, got, c.want)
		}
	}
}

// A waiting service's status names what must run again (the root of the outage, not the
// requirements that wait too) and who starts it; one that cannot start promises nothing.
func TestStatusOfAWaitingService(t *testing.T) {
	tb := newTestBridge(t, chainFiles) // db <- web <- api
	tb.load(t, "db", "failed", "failed")
	tb.load(t, "web", "inactive", "dead")
	tb.load(t, "api", "inactive", "dead")
	for _, s := range []string{"web", "api"} {
		tb.job(t, s, jobdb.PhaseCancelled)
		if err := tb.ledger.SetWait(tb.ctx, jobdb.Wait{Service: s, Requirement: "db"}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := tb.Status(tb.ctx, "api")
	want := "waiting for db (down: failed; 'heroctl start db' starts it): herod starts it when db runs again"
	if err != nil || !st.ComesBack || st.Waiting != want || !slices.Equal(st.WaitsFor, []string{"db"}) {
		t.Errorf("api's status: comes back %v, waits for %v, %q (%v); want %q", st.ComesBack, st.WaitsFor, st.Waiting, err, want)
	}
	tb.SetConfig(testSet(t, map[string]string{
		"db.toml":    service(""),
		"web.toml":   service(`requires = ["db"]`),
		"api.toml":   "exec = [\"/bin/true\"]\nbroken = 1\n[dependencies]\nrequires = [\"web\"]\n",
		"cache.toml": service(""),
	}))
	if st, _ := tb.Status(tb.ctx, "api"); st.ComesBack || !strings.Contains(st.Waiting, "it cannot start as its config stands (bad-config)") {
		t.Errorf("a bad-config waiting service's status: comes back %v, %q", st.ComesBack, st.Waiting)
	}
}

// StatusesWithJobs, given the services' jobs as the ledger has them, answers what Statuses
// reads from the ledger itself: the newest job is each one's last, a service without jobs has
// none.
func TestStatusesWithJobsIsStatuses(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.running(t, "db", "web")
	names := []string{"cache", "db", "web"}
	want, err := tb.Statuses(tb.ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := tb.ledger.(*jobdb.DB).JobsOf(tb.ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tb.StatusesWithJobs(tb.ctx, names, jobs)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("StatusesWithJobs:\n%+v\nStatuses:\n%+v", got, want)
	}
	if got[0].LastJob != nil || got[1].LastJob == nil || got[1].LastJob.ID != jobs["db"][0].ID {
		t.Errorf("last jobs: cache %v, db %v; want none and db's newest", got[0].LastJob, got[1].LastJob)
	}
	// Jobs read before a later run are what the status shows: the caller's read, not the ledger.
	stale := map[string][]jobdb.Job{"db": {{ID: 99999, ServiceID: "db", Phase: jobdb.PhaseFailed}}}
	if got, err := tb.StatusesWithJobs(tb.ctx, []string{"db"}, stale); err != nil || got[0].LastJob == nil || got[0].LastJob.ID != 99999 {
		t.Errorf("StatusesWithJobs with the caller's jobs: %+v %v", got, err)
	}
}
