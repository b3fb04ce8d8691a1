package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// stack is db <- api <- web (requires), with legacy conflicting with db.
var stack = map[string]string{
	"db.toml":     "description = \"database\"\nexec = [\"/bin/sleep\", \"infinity\"]\n",
	"api.toml":    "exec = [\"/bin/sleep\", \"infinity\"]\n[dependencies]\nrequires = [\"db\"]\n",
	"web.toml":    "exec = [\"/bin/sleep\", \"infinity\"]\nenv = { TOKEN = \"s3cret\" }\n[dependencies]\nrequires = [\"api\"]\n",
	"legacy.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n[dependencies]\nconflicts = [\"db\"]\n",
}

// TestStartAndCascadeStopOverTheBus specifies the life of a stack through herod's methods: a
// start queues the requires closure dependencies first and its outcome names what started; a
// stop of the root stops its dependents and keeps every job.
func TestStartAndCascadeStopOverTheBus(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	q, err := td.c.Start(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"db", "api", "web"}; !slices.Equal(q.Services, want) {
		t.Errorf("start web queued %v, want %v", q.Services, want)
	}
	o := td.wait(t, q)
	if o.Err != nil || !slices.Equal(o.Strings(api.SummaryStarted), []string{"db", "api", "web"}) {
		t.Fatalf("start web ended %+v, %v", o.Err, o.Strings(api.SummaryStarted))
	}
	if jobs := o.Jobs(); len(jobs) != 3 || jobs["web"] == 0 {
		t.Errorf("start web's jobs: %v", jobs)
	}
	st, err := td.c.Status(ctx, "web")
	if err != nil || st.State != "running" || st.LastJob == nil || st.LastJob.Phase != "running" {
		t.Fatalf("status web after its start: %+v, %v", st, err)
	}
	if !slices.Equal(st.Requires, []string{"api"}) {
		t.Errorf("web requires %v", st.Requires)
	}

	again, err := td.c.Start(ctx, "web", false)
	if err != nil || !again.AlreadyRunning || again.Operation != 0 {
		t.Errorf("starting a running service: %+v, %v; want already running, no operation", again, err)
	}

	q, err = td.c.Stop(ctx, "db", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"web", "api", "db"}; !slices.Equal(q.Services, want) {
		t.Errorf("stop db said it stops %v, want %v (most-dependent first)", q.Services, want)
	}
	o = td.wait(t, q)
	if o.Err != nil || o.Uint(api.SummaryCancelled) != 3 || !slices.Equal(o.Strings(api.SummaryStoppedDependents), []string{"web", "api"}) {
		t.Fatalf("stop db ended %+v: cancelled %d, dependents %v", o.Err, o.Uint(api.SummaryCancelled), o.Strings(api.SummaryStoppedDependents))
	}
	list, err := td.c.ListServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Up() {
			t.Errorf("%s is %s after the cascade", s.Service, s.ActiveState)
		}
	}
	jobs, err := td.c.ListJobs(ctx, "web")
	if err != nil || len(jobs) != 1 || jobs[0].Phase != "cancelled" || jobs[0].EndedAt == nil {
		t.Errorf("web's jobs after the stop: %+v, %v; want its one run kept, cancelled", jobs, err)
	}
}

// TestStartManyAndStopMany specifies the several-name forms: one operation, each stop with its
// cascade, the summary naming only the dependents that were not asked for.
func TestStartManyAndStopMany(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	q, err := td.c.StartMany(ctx, []string{"api", "legacy"}, false)
	if err == nil {
		td.wait(t, q)
		t.Fatal("starting api with legacy, which conflicts with api's requirement db, was queued")
	}
	if errName(err) != api.ErrConflictBlocked {
		t.Fatalf("start api legacy: %v, want %s", err, api.ErrConflictBlocked)
	}
	if q, err = td.c.StartMany(ctx, []string{"api", "web"}, false); err != nil {
		t.Fatal(err)
	}
	td.wait(t, q)
	q, err = td.c.StopMany(ctx, []string{"api", "db"}, true)
	if err != nil {
		t.Fatal(err)
	}
	o := td.wait(t, q)
	if o.Err != nil || !slices.Equal(o.Strings(api.SummaryStoppedDependents), []string{"web"}) {
		t.Errorf("stop api db: %+v, dependents %v; want only web (api and db were named)", o.Err, o.Strings(api.SummaryStoppedDependents))
	}
	if jobs, _ := td.c.ListJobs(ctx, "api"); len(jobs) != 0 {
		t.Errorf("api's jobs after a stop with remove_jobs: %d", len(jobs))
	}
	if _, err := td.c.StopMany(ctx, nil, false); errName(err) != api.ErrInvalidArgument {
		t.Errorf("stop of no service: %v", err)
	}
}

// TestRefusalsNameTheirError specifies that a call that cannot work is refused at once, with the
// named error a client acts on, and nothing is started.
func TestRefusalsNameTheirError(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	cases := []struct {
		what string
		call func() error
		want string
	}{
		{"start an undefined service", func() error { _, err := td.c.Start(ctx, "nope", false); return err }, api.ErrNoSuchService},
		{"start a malformed name", func() error { _, err := td.c.Start(ctx, "../etc", false); return err }, api.ErrInvalidArgument},
		{"stop an undefined service", func() error { _, err := td.c.Stop(ctx, "nope", false); return err }, api.ErrNoSuchService},
		{"kill a service that does not run", func() error { return td.c.Kill(ctx, "db", 15) }, api.ErrNotRunning},
		{"kill an undefined service", func() error { return td.c.Kill(ctx, "nope", 15) }, api.ErrNoSuchService},
		{"status of an undefined service", func() error { _, err := td.c.Status(ctx, "nope"); return err }, api.ErrNoSuchService},
		{"jobs of an undefined service", func() error { _, err := td.c.ListJobs(ctx, "nope"); return err }, api.ErrNoSuchService},
		{"output of a job that is not there", func() error { _, _, err := td.c.JobOutput(ctx, "db", 999); return err }, api.ErrNoSuchJob},
		{"the path of an undefined service", func() error { _, err := td.c.GetService(ctx, "nope"); return err }, api.ErrNoSuchService},
		{"the stop plan of an undefined service", func() error { _, err := td.c.StopPlan(ctx, "nope"); return err }, api.ErrNoSuchService},
		{"the unit of an undefined service", func() error { _, err := td.c.UnitText(ctx, "nope"); return err }, api.ErrNoSuchService},
	}
	for _, c := range cases {
		if got := errName(c.call()); got != c.want {
			t.Errorf("%s: got %q, want %s", c.what, got, c.want)
		}
	}
	list, err := td.c.ListServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Up() || s.LastJob != nil {
			t.Errorf("%s was started by a refused call: %+v", s.Service, s)
		}
	}
}

// TestAFailedOperationSaysWhy specifies that an operation that fails after it was queued ends
// with the engine's error, which names its operation, wrapped no further, in OperationFinished
// and in OperationStatus.
func TestAFailedOperationSaysWhy(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	td.eng.mu.Lock()
	td.eng.failNext = fmt.Errorf("start db: %w", os.ErrDeadlineExceeded) // named, as the bridge names its errors
	td.eng.mu.Unlock()
	q, err := td.c.Start(ctx, "db", false)
	if err != nil {
		t.Fatal(err)
	}
	o := td.wait(t, q)
	if o.Err == nil || o.Err.Name != api.ErrFailed || o.Err.Message != "start db: i/o timeout" {
		t.Errorf("a start that failed ended with %+v, want the bridge's error, wrapped once: %q", o.Err, "start db: i/o timeout")
	}
	var state, name, msg string
	var summary map[string]dbus.Variant
	conn, err := dbus.Connect(td.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	obj := conn.Object(api.BusName, api.Path)
	if err := obj.CallWithContext(ctx, api.Interface+"."+api.MethodOperationStatus, 0, q.Operation).Store(&state, &name, &msg, &summary); err != nil {
		t.Fatal(err)
	}
	if state != opFinished || name != api.ErrFailed {
		t.Errorf("OperationStatus of the failed start: %s %s %q", state, name, msg)
	}
	if err := obj.CallWithContext(ctx, api.Interface+"."+api.MethodOperationStatus, 0, uint64(1)).Store(&state, &name, &msg, &summary); err != nil || state != opUnknown {
		t.Errorf("OperationStatus of an operation never launched: %s, %v", state, err)
	}
}

// TestKillResetFailedAndRestart specifies the verbs on one running service: kill's signal
// reaches the engine and its run ends failed; reset-failed clears it; restart starts it again
// with a new job.
func TestKillResetFailedAndRestart(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	q, err := td.c.Start(ctx, "db", false)
	if err != nil {
		t.Fatal(err)
	}
	first := td.wait(t, q).Jobs()["db"]
	if err := td.c.Kill(ctx, "db", int32(syscall.SIGKILL)); err != nil {
		t.Fatal(err)
	}
	if sent := td.eng.sent(); !slices.Equal(sent, []int{9}) {
		t.Errorf("signals sent: %v", sent)
	}
	if st, _ := td.c.Status(ctx, "db"); st.State != "failed" || st.LastJob == nil || st.LastJob.ID != first || st.LastJob.Phase != "failed" {
		t.Errorf("db after SIGKILL: %+v", st)
	}
	if err := td.c.ResetFailed(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if st, _ := td.c.Status(ctx, "db"); st.ActiveState != "inactive" {
		t.Errorf("db after reset-failed: %s", st.ActiveState)
	}
	if q, err = td.c.Restart(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	o := td.wait(t, q)
	if o.Err != nil || o.Jobs()["db"] == first || o.Jobs()["db"] == 0 {
		t.Errorf("restart of db: %+v, jobs %v (first run %d)", o.Err, o.Jobs(), first)
	}
	if st, _ := td.c.Status(ctx, "db"); st.State != "running" {
		t.Errorf("db after restart: %s", st.State)
	}
}

// TestJobOutputAndLog specifies the two output methods: the lines of a run, its own or the
// latest (id 0), and a refusal for a job of another service.
func TestJobOutputAndLog(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	if _, err := td.c.StartMany(ctx, []string{"db", "legacy"}, false); err == nil {
		t.Fatal("db and legacy conflict: starting both was queued")
	}
	q, err := td.c.Start(ctx, "api", false)
	if err != nil {
		t.Fatal(err)
	}
	jobs := td.wait(t, q).Jobs()
	id, lines, err := td.c.JobLog(ctx, "api", 0, 10)
	if err != nil || id != jobs["api"] || len(lines) != 1 || lines[0].Message != "api: run "+itoa(id) {
		t.Fatalf("JobLog api latest: %d %+v %v", id, lines, err)
	}
	id, out, err := td.c.JobOutput(ctx, "db", jobs["db"])
	if err != nil || id != jobs["db"] || !strings.Contains(string(out), "db: run "+itoa(id)) {
		t.Errorf("JobOutput db %d: %d %q %v", jobs["db"], id, out, err)
	}
	if _, _, err := td.c.JobOutput(ctx, "api", jobs["db"]); errName(err) != api.ErrNoSuchJob {
		t.Errorf("JobOutput of db's job asked as api's: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPlansGraphAndUnitText specifies the read-only planning methods.
func TestPlansGraphAndUnitText(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	stop, err := td.c.StopPlan(ctx, "db")
	if err != nil || !slices.Equal(stop.Order, []string{"web", "api", "db"}) {
		t.Errorf("stop plan of db: %+v, %v", stop, err)
	}
	start, err := td.c.StartPlan(ctx, "web")
	if err != nil || !slices.Equal(start.Order, []string{"db", "api", "web"}) {
		t.Errorf("start plan of web: %+v, %v", start, err)
	}
	names, edges, err := td.c.Graph(ctx)
	if err != nil || !slices.Equal(names, []string{"api", "db", "legacy", "web"}) {
		t.Errorf("graph names: %v, %v", names, err)
	}
	found := map[string]bool{}
	for _, e := range edges {
		found[e.From+" "+e.Kind+" "+e.To] = true
	}
	for _, want := range []string{"api requires db", "web requires api", "legacy conflicts db"} {
		if !found[want] {
			t.Errorf("graph has no edge %q: %+v", want, edges)
		}
	}
	text, err := td.c.UnitText(ctx, "web")
	if err != nil || !strings.Contains(text, "ExecStart=") || !strings.Contains(text, "Requires=") {
		t.Errorf("unit text of web: %q, %v", text, err)
	}
}

// TestReloadValidateAndBadConfig specifies a reload: a new file's service appears, a broken
// file's service is bad-config with its problem named (file and key), and Validate lists it.
func TestReloadValidateAndBadConfig(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(td.config, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cache.toml", "exec = [\"/bin/sleep\", \"infinity\"]\n")
	write("broken.toml", "exec = [\"/bin/sleep\", \"infinity\"]\nrestart = \"sometimes\"\n")
	n, err := td.c.Reload(ctx)
	if err == nil || errName(err) != api.ErrInvalidConfig {
		t.Errorf("reload with a broken file: %d, %v; want %s", n, err, api.ErrInvalidConfig)
	}
	st, err := td.c.Status(ctx, "cache")
	if err != nil || st.State != "inactive" {
		t.Errorf("status of the new service cache: %+v, %v", st, err)
	}
	st, err = td.c.Status(ctx, "broken")
	if err != nil || st.State != "bad-config" || len(st.Problems) == 0 || !strings.Contains(st.Problems[0], "restart") {
		t.Errorf("status of the broken service: %+v, %v", st, err)
	}
	probs, err := td.c.Validate(ctx)
	if err != nil || len(probs) != 1 || probs[0].Key != "restart" || !strings.HasSuffix(probs[0].File, "broken.toml") {
		t.Errorf("Validate: %+v, %v", probs, err)
	}
	if _, err := td.c.Start(ctx, "broken", false); errName(err) != api.ErrInvalidConfig && errName(err) != api.ErrNoSuchService {
		t.Errorf("starting a bad-config service: %v", err)
	}
	if err := os.Remove(filepath.Join(td.config, "broken.toml")); err != nil {
		t.Fatal(err)
	}
	if n, err = td.c.Reload(ctx); err != nil || n != 5 {
		t.Errorf("reload after the fix: %d services, %v; want 5", n, err)
	}
	if _, err := td.c.Status(ctx, "broken"); errName(err) != api.ErrNoSuchService {
		t.Errorf("status of a service whose file is gone: %v", err)
	}
}

// TestEnableAndDisable specifies that heroctl's enable and disable are kept in the ledger and
// shown in every service's status.
func TestEnableAndDisable(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	if err := td.c.Enable(ctx, []string{"db", "api"}); err != nil {
		t.Fatal(err)
	}
	if err := td.c.Disable(ctx, []string{"api"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"db": "enabled", "api": "disabled", "web": "disabled"}
	list, err := td.c.ListServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if w, ok := want[s.Service]; ok && s.Enabled != w {
			t.Errorf("%s is %s (by %s), want %s", s.Service, s.Enabled, s.EnabledBy, w)
		}
	}
	if err := td.c.Enable(ctx, []string{"nope"}); errName(err) != api.ErrNoSuchService {
		t.Errorf("enable of an undefined service: %v", err)
	}
}

// ListUnits' rows carry each service's health (a liveness check's word) beside its states, as
// Status and the service object do.
func TestListUnitsCarriesHealth(t *testing.T) {
	td := startDaemon(t, map[string]string{
		"db.toml":   "exec = [\"/bin/sleep\", \"infinity\"]\n",
		"live.toml": "exec = [\"/bin/sleep\", \"infinity\"]\nliveness = [\"/bin/true\"]\n",
	})
	ctx := testCtx(t)
	q, err := td.c.Start(ctx, "live", false)
	if err != nil {
		t.Fatal(err)
	}
	if o := td.wait(t, q); o.Err != nil {
		t.Fatal(o.Err)
	}
	rows, err := td.c.ListUnits(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("ListUnits: %+v, %v", rows, err)
	}
	want := "unhealthy: 1 of 3 checks failed (exit status 1)"
	if rows[0].Service != "db" || rows[0].Health != "" || rows[1].Service != "live" || rows[1].State != "running" || rows[1].Health != want {
		t.Errorf("ListUnits rows %+v", rows)
	}
	if st, err := td.c.Status(ctx, "live"); err != nil || st.Health != want {
		t.Errorf("Status(live) health %q, %v", st.Health, err)
	}
}
