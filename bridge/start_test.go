package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/journal/journaltest"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// startFiles are web, which requires db, maint, which conflicts with web, cache on its own, and
// a bad-config and a blocked service.
var startFiles = map[string]string{
	"db.toml":     service(""),
	"web.toml":    service(`requires = ["db"]`),
	"maint.toml":  service(`conflicts = ["web"]`),
	"cache.toml":  service(""),
	"broken.toml": "exec = 5\n",
	"needy.toml":  service(`requires = ["broken"]`),
	"waiter.toml": service(`after = ["ghost"]`),
}

// Start starts a service after its requirements, dependencies first, each a run of its own in
// the ledger: units systemd still holds (an earlier run's) are started as they are, or created
// anew once reset-failed let systemd unload them.
func TestStartHeldUnits(t *testing.T) {
	cases := []struct {
		name      string
		gcOnReset bool
		wantCall  string // how web's unit was started
	}{
		{"kept loaded: started as it is", false, "StartUnit " + unit("web")},
		{"unloaded by reset-failed: created anew", true, "StartTransientUnit " + unit("web")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, startFiles)
			tb.sd.gcOnReset = c.gcOnReset
			tb.load(t, "db", "failed", "failed")
			tb.load(t, "web", "inactive", "dead")
			old := tb.job(t, "web", jobdb.PhaseFailed)
			var progress []string
			reply, err := tb.Start(tb.ctx, []string{"web"}, true, func(p Progress) { progress = append(progress, p.Service+":"+p.Event) })
			if err != nil {
				t.Fatal(err)
			}
			if reply.Service != "web" || reply.AlreadyRunning || !slices.Equal(reply.Started, []string{"db", "web"}) || len(reply.Failed) != 0 {
				t.Errorf("reply %+v, want db and web started", reply)
			}
			if !slices.Equal(sortedCopy(progress), []string{"db:started", "web:started"}) {
				t.Errorf("progress %v", progress)
			}
			if calls := tb.sd.called("ResetFailedUnit"); !slices.Equal(calls, []string{"ResetFailedUnit " + unit("db"), "ResetFailedUnit " + unit("web")}) {
				t.Errorf("reset-failed calls %v", calls)
			}
			if calls := tb.sd.called("Start"); !slices.Contains(calls, c.wantCall) {
				t.Errorf("start calls %v, want %s", calls, c.wantCall)
			}
			jobs, _ := tb.ledger.Jobs(tb.ctx, "web")
			if len(jobs) != 1 || jobs[0].ID != reply.Jobs["web"] || jobs[0].ID == old.ID || jobs[0].Phase != jobdb.PhaseRunning || jobs[0].InvocationID == "" {
				t.Errorf("web's jobs %+v, want the new job %d running (the old one pruned)", jobs, reply.Jobs["web"])
			}
			if st, _ := tb.Status(tb.ctx, "web"); st.State != StateRunning || st.Stale {
				t.Errorf("web %s (stale %v) after the start", st.State, st.Stale)
			}
		})
	}
}

// A start of what runs already does nothing; PrecheckStart says so, and otherwise names what a
// start would start, in start order.
func TestStartAlreadyRunningAndPrecheck(t *testing.T) {
	tb := newTestBridge(t, startFiles)
	tb.load(t, "db", "active", "running")
	check, err := tb.PrecheckStart(tb.ctx, []string{"web", "cache"})
	if err != nil || check.AlreadyRunning || !slices.Equal(check.Starting, []string{"cache", "web"}) && !slices.Equal(check.Starting, []string{"web", "cache"}) {
		t.Errorf("PrecheckStart = %+v %v, want web and cache to start", check, err)
	}
	tb.load(t, "web", "active", "running")
	check, err = tb.PrecheckStart(tb.ctx, []string{"web"})
	if err != nil || !check.AlreadyRunning || len(check.Starting) != 0 {
		t.Errorf("PrecheckStart = %+v %v, want already running", check, err)
	}
	reply, err := tb.Start(tb.ctx, []string{"web"}, false, nil)
	if err != nil || !reply.AlreadyRunning || len(reply.Started) != 0 || len(tb.sd.called("Start")) != 0 {
		t.Errorf("Start = %+v %v (calls %v), want already running", reply, err, tb.sd.called("Start"))
	}
	if reply, err := tb.Start(tb.ctx, nil, true, nil); err != nil || reply.Service != "" || len(reply.Started) != 0 {
		t.Errorf("Start of nothing = %+v %v", reply, err)
	}
}

// Start and PrecheckStart refuse, with nothing started, an undefined, bad-config or blocked
// service, one requiring a bad-config service, and one that conflicts with a running service
// or with another it would start.
func TestStartRefused(t *testing.T) {
	cases := []struct {
		name    string
		names   []string
		running []string
		check   func(error) bool
	}{
		{"undefined", []string{"nope"}, nil, func(err error) bool { return errors.Is(err, ErrNoSuchService) }},
		{"bad-config", []string{"broken"}, nil, func(err error) bool {
			var ce *ConfigError
			return errors.As(err, &ce) && ce.Service == "broken" && len(ce.Problems) > 0 && strings.Contains(err.Error(), "is bad-config")
		}},
		{"requires a bad-config service", []string{"needy"}, nil, func(err error) bool {
			var ce *ConfigError
			return errors.As(err, &ce) && ce.Service == "needy"
		}},
		{"blocked", []string{"waiter"}, nil, func(err error) bool {
			var ce *ConfigError
			return errors.As(err, &ce) && slices.Equal(ce.WaitingFor, []string{"ghost"}) && strings.Contains(err.Error(), "waits for ghost")
		}},
		{"conflicts with a running service", []string{"maint"}, []string{"web"}, func(err error) bool {
			var ce *ConflictError
			return errors.As(err, &ce) && ce.Service == "maint" && ce.Conflicting == "web" && strings.Contains(err.Error(), "stop web first")
		}},
		{"conflicts with another it starts", []string{"maint", "web"}, nil, func(err error) bool {
			var ce *ConflictError
			return errors.As(err, &ce)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, startFiles)
			for _, s := range c.running {
				tb.load(t, s, "active", "running")
			}
			if _, err := tb.PrecheckStart(tb.ctx, c.names); !c.check(err) {
				t.Errorf("PrecheckStart: %v", err)
			}
			if _, err := tb.Start(tb.ctx, c.names, true, nil); !c.check(err) {
				t.Errorf("Start: %v", err)
			}
			if calls := tb.sd.called("Start"); len(calls) != 0 {
				t.Errorf("systemd was asked %v", calls)
			}
		})
	}
}

// A service whose run fails as it starts fails the start with its exit status, and what requires
// it fails for its dependency, never run; what does not depend on it starts.
func TestStartFailure(t *testing.T) {
	tb := newTestBridge(t, startFiles)
	for _, s := range []string{"db", "web", "cache"} {
		tb.load(t, s, "inactive", "dead")
	}
	tb.sd.outcome[unit("db")] = fakeOutcome{jobResult: "failed", exitStatus: 3}
	tb.sd.outcome[unit("web")] = fakeOutcome{jobResult: "dependency"}
	reply, err := tb.Start(tb.ctx, []string{"web", "cache"}, true, nil)
	var se *StartError
	if !errors.As(err, &se) || se.Service != "db" || se.JobResult != "failed" || se.Job == nil || se.Job.ExitCode == nil || *se.Job.ExitCode != 3 {
		t.Fatalf("Start: %v (%+v), want db's StartError with exit status 3", err, se)
	}
	if !strings.Contains(err.Error(), "exit status 3") || !slices.Equal(se.Started, []string{"cache"}) {
		t.Errorf("error %q, started %v", err, se.Started)
	}
	if !slices.Equal(reply.Started, []string{"cache"}) || !slices.Equal(sortedCopy(reply.Failed), []string{"db", "web"}) {
		t.Errorf("reply %+v, want cache started, db and web failed once each", reply)
	}
	// web failed because db did, in this very start: nothing is started a second time.
	if calls := tb.sd.called("StartUnit " + unit("db")); len(calls) != 1 {
		t.Errorf("db was started %d times: %v", len(calls), calls)
	}
	// The run that never began is written before Start returns.
	j, err := tb.ledger.Latest(tb.ctx, "web")
	if err != nil || j.Phase != jobdb.PhaseFailed || j.Result != "dependency" || j.InvocationID != "" {
		t.Errorf("web's job after the start: %+v, %v; want failed for its dependency, never run", j, err)
	}
}

// A requirement this start started that dies before its dependent starts (a kill takes no lock)
// makes the start try once more, with the requirement: both end up running, the dependent is not
// reported failed, and each was started twice.
func TestStartAgainWhenARequirementDiesMeanwhile(t *testing.T) {
	tb := newTestBridge(t, startFiles)
	tb.load(t, "db", "inactive", "dead")
	tb.load(t, "web", "inactive", "dead")
	killed := false
	tb.sd.onCall = func(method, u string) {
		if method != "StartUnit" || u != unit("web") {
			return
		}
		if killed {
			delete(tb.sd.outcome, unit("web"))
			return
		}
		killed = true // db was started by this start and is killed now: web fails for it
		db := tb.sd.units[unit("db")]
		tb.sd.end(unit("db"), db, 9)
		tb.sd.outcome[unit("web")] = fakeOutcome{jobResult: "dependency"}
	}
	reply, err := tb.Start(tb.ctx, []string{"web"}, true, nil)
	if err != nil || len(reply.Failed) != 0 || !slices.Equal(reply.Started, []string{"db", "web"}) {
		t.Fatalf("Start = %+v, %v; want db and web started, nothing failed", reply, err)
	}
	for _, s := range []string{"db", "web"} {
		if calls := tb.sd.called("StartUnit " + unit(s)); len(calls) != 2 {
			t.Errorf("%s was started %d times, want 2 (once more after db died)", s, len(calls))
		}
		if st := tb.sd.state(unit(s)); st != "active" {
			t.Errorf("%s is %s after the start", s, st)
		}
	}
}

// A start systemd refuses to queue fails, with what requires it, and closes its job as refused;
// the error names the start asked for once, and the refused call with its unit.
func TestStartRefusedBySystemd(t *testing.T) {
	tb := newTestBridge(t, startFiles)
	tb.load(t, "db", "failed", "failed")
	tb.load(t, "web", "failed", "failed")
	tb.sd.fail["StartTransientUnit "+unit("db")] = errors.New("access denied")
	reply, err := tb.Start(tb.ctx, []string{"web"}, false, nil)
	if err == nil || err.Error() != "start web: StartTransientUnit "+unit("db")+": access denied" {
		t.Errorf("Start: %v", err)
	}
	if len(reply.Started) != 0 || !slices.Equal(sortedCopy(reply.Failed), []string{"db", "web"}) {
		t.Errorf("reply %+v, want db and web failed", reply)
	}
	testEventually(t, "db's job failed/refused", func() bool {
		j, err := tb.ledger.Latest(tb.ctx, "db")
		return err == nil && j.Phase == jobdb.PhaseFailed && j.Result == "refused"
	})
	if calls := tb.sd.called("StartTransientUnit " + unit("web")); len(calls) != 0 {
		t.Errorf("web was started though its dependency was refused: %v", calls)
	}
}

// A unit systemd holds from an older definition is replaced: when only stopped units hold it,
// they are reset so systemd unloads it; when a running service holds it, that service is
// restarted with it; the new unit has the new definition.
func TestStartReplacesStaleUnit(t *testing.T) {
	cases := []struct {
		name        string
		holderUp    bool
		wantStarted []string
	}{
		{"held by a stopped unit", false, []string{"db"}},
		{"held by a running service", true, []string{"db", "web"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBridge(t, startFiles)
			tb.sd.gcOnReset, tb.sd.cascade = true, true
			tb.load(t, "db", "inactive", "dead")
			if c.holderUp {
				tb.running(t, "web")
			} else {
				tb.load(t, "web", "failed", "failed")
			}
			tb.requiredBy("db", "web")
			tb.sd.mu.Lock()
			tb.sd.units[unit("db")].definition = "0ld"
			tb.sd.mu.Unlock()
			reply, err := tb.Start(tb.ctx, []string{"db"}, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(reply.Started, c.wantStarted) {
				t.Errorf("started %v, want %v", reply.Started, c.wantStarted)
			}
			gen, _ := unitgen.Generate(tb.Config(), tb.Config().Service("db"), tb.svc.opts)
			if def := tb.Bridge.sd.LoadedDefinition(tb.ctx, unit("db")); def != gen.Definition {
				t.Errorf("db's unit has definition %q, want %q", def, gen.Definition)
			}
		})
	}
}

// Restart stops a service with what requires it and starts it and the dependents that ran
// again, each with a new job.
func TestRestart(t *testing.T) {
	tb := newTestBridge(t, chainFiles)
	tb.sd.cascade = true
	tb.running(t, "db", "web")
	tb.requiredBy("db", "web")
	first, _ := tb.ledger.Latest(tb.ctx, "web")
	reply, err := tb.Restart(tb.ctx, "db", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reply.Stop.StoppedDependents, []string{"web"}) || !slices.Equal(reply.Start.Started, []string{"db", "web"}) || !slices.Equal(reply.Restarted, []string{"web"}) {
		t.Errorf("reply %+v", reply)
	}
	if j, err := tb.ledger.Latest(tb.ctx, "web"); err != nil || j.ID == first.ID || j.Phase != jobdb.PhaseRunning {
		t.Errorf("web's latest job %+v %v, want a new running one", j, err)
	}
	if _, err := tb.Restart(tb.ctx, "nope", nil); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Restart(nope): %v", err)
	}
	tb.SetConfig(testSet(t, map[string]string{"db.toml": "exec = 5\n"}))
	if _, err := tb.Restart(tb.ctx, "db", nil); err == nil {
		t.Error("Restart of a bad-config service succeeded")
	}
}

// The journal answers a failed start's questions: the run's last lines (and the health check's
// when it gave up), whether systemd refused a start for its start limit, and why it could not
// execute the program.
func TestStartFailureWords(t *testing.T) {
	now := time.Now()
	u := unit("db")
	line := func(at time.Duration, ident, msg string, fields ...string) journal.Entry {
		f := map[string]string{"_SYSTEMD_UNIT": u, "UNIT": u, "SYSLOG_IDENTIFIER": ident, "MESSAGE": msg, "_SYSTEMD_INVOCATION_ID": "aa01"}
		for i := 0; i+1 < len(fields); i += 2 {
			f[fields[i]] = fields[i+1]
		}
		return journal.Entry{Time: now.Add(at), Fields: f}
	}
	jrnl := &journaltest.Memory{Output: []journal.Entry{
		line(10*time.Millisecond, "db", "listening"),
		line(20*time.Millisecond, unitgen.HealthIdentifier("db"), "probe failed"),
		line(30*time.Millisecond, unitgen.HealthIdentifier("db"), unitgen.HealthGaveUp+" after 5s"),
		line(40*time.Millisecond, "db", "bye"),
		line(50*time.Millisecond, "systemd", u+": Failed to locate executable /opt/db: No such file or directory"),
		line(60*time.Millisecond, "systemd", "Start request repeated too quickly."),
	}}
	tb := newTestBridge(t, startFiles)
	tb.jrnl.Output = jrnl.Output
	ended := now.Add(time.Second)
	j := &jobdb.Job{ServiceID: "db", Unit: u, InvocationID: "aa01", StartedAt: now, EndedAt: &ended, Phase: jobdb.PhaseFailed}
	health, own, timedOut := tb.ops.starter.post.lastWords(tb.ctx, j)
	if !slices.Equal(own, []string{"listening", "bye"}) || !timedOut || len(health) != 1 || !strings.HasPrefix(health[0], unitgen.HealthGaveUp) {
		t.Errorf("lastWords = %q %q %v", health, own, timedOut)
	}
	if !limitHit(tb.ctx, tb.jrnl, u, now) {
		t.Error("the start limit's record was not found")
	}
	if limitHit(tb.ctx, tb.jrnl, unit("web"), now) {
		t.Error("another unit's record counted")
	}
	if got := tb.ops.starter.post.execFailure(tb.ctx, u, now); got != "Failed to locate executable /opt/db: No such file or directory" {
		t.Errorf("execFailure = %q", got)
	}
}

// The pure helpers of a start: the job mode, the lock set (members and their conflicts),
// putting names in start order, and telling a dependency failure.
func TestStartHelpers(t *testing.T) {
	if (startMode{replace: true}).jobMode() != "replace" || (startMode{}).jobMode() != "fail" {
		t.Error("job modes")
	}
	set := testSet(t, startFiles)
	if got := sortedCopy(lockSet(set, []string{"db", "web"})); !slices.Equal(got, []string{"db", "maint", "web"}) {
		t.Errorf("lockSet = %v", got)
	}
	todo := []*unitgen.Unit{{Service: "db"}, {Service: "web"}, {Service: "api"}}
	names := []string{"api", "db", "web"}
	orderBy(names, todo)
	if !slices.Equal(names, []string{"db", "web", "api"}) {
		t.Errorf("orderBy = %v", names)
	}
	if !isDependency(&StartError{JobResult: "dependency"}) || isDependency(&StartError{JobResult: "failed"}) || isDependency(errors.New("x")) {
		t.Error("isDependency")
	}
	running := func(s string) bool { return s == "web" }
	if err := checkConflicts(set, []string{"cache"}, running); err != nil {
		t.Errorf("checkConflicts without conflicts: %v", err)
	}
	if err := checkConflicts(set, []string{"db", "web"}, running); err != nil {
		t.Errorf("checkConflicts of running services: %v", err)
	}
}

// A soft dependency never fails a start: one no file defines, one that cannot start as its
// config stands and one that fails to start are named in warnings, and the service runs.
func TestStartWithoutSoftDependencies(t *testing.T) {
	tb := newTestBridge(t, map[string]string{
		"app.toml":     service(`requires = ["db"]` + "\n" + `wants = ["cache", "log", "blocked"]`),
		"db.toml":      service(""),
		"log.toml":     service(""),
		"blocked.toml": service(`after = ["nowhere"]`),
	})
	tb.sd.mu.Lock()
	tb.sd.outcome[unit("log")] = fakeOutcome{jobResult: "failed", exitStatus: 1}
	tb.sd.mu.Unlock()
	reply, err := tb.Start(tb.ctx, []string{"app"}, true, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if tb.sd.state(unit("app")) != "active" || !slices.Contains(reply.Started, "app") || !slices.Equal(reply.Failed, []string{"log"}) {
		t.Errorf("reply %+v, app %s; want app started, log failed", reply, tb.sd.state(unit("app")))
	}
	want := []string{
		"app wants blocked, which cannot start as its config stands (blocked): started without it",
		"app wants cache, which no service file defines: started without it",
		"log, a soft dependency (wants), failed to start; started without it:",
	}
	got := strings.Join(reply.Warnings, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("warnings:\n%s\nwant one with %q", got, w)
		}
	}
	// A hard dependency that fails still fails the start.
	tb.sd.mu.Lock()
	tb.sd.outcome[unit("db")] = fakeOutcome{jobResult: "failed", exitStatus: 1}
	tb.sd.mu.Unlock()
	if _, err := tb.Stop(tb.ctx, "db", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Start(tb.ctx, []string{"app"}, true, nil); err == nil {
		t.Error("a start whose requirement failed succeeded")
	}
}
