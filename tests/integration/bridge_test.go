//go:build integration

package integration

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// world is one test's bridge, ledger and services, in a context of its own so that unit names
// never collide between tests sharing the container.
type world struct {
	t      *testing.T
	b      *bridge.Bridge
	ledger *jobdb.DB
	state  string
	order  string // file that stopping services append their names to
	ctx    context.Context
}

var contextRe = regexp.MustCompile(`[^a-z0-9_]`)

// orderFile stands for the world's order file in service configs; newWorld substitutes it.
const orderFile = "@ORDER@"

// svc is a long-running service that appends its name to the order file when it is stopped.
func svc(name string, requires, after []string) string {
	return fmt.Sprintf(`exec = ["/bin/sh", "-c", "trap 'echo %s >> %s; exit 0' TERM; echo %s up; while :; do sleep 0.05; done"]
[dependencies]
requires = %s
after = %s
`, name, orderFile, name, tomlList(requires), tomlList(after))
}

func tomlList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func newWorld(t *testing.T, files map[string]string) *world {
	t.Helper()
	ctxName := strings.ToLower(contextRe.ReplaceAllString(strings.ToLower(t.Name()), "_"))
	if len(ctxName) > 32 {
		ctxName = ctxName[len(ctxName)-32:]
	}
	ctxName = strings.TrimLeft(ctxName, "_")
	dir := t.TempDir()
	order := filepath.Join(dir, "order")
	var fs []config.File
	for name, data := range files {
		data = strings.ReplaceAll(data, orderFile, order)
		if strings.HasSuffix(name, ".toml") {
			data = fmt.Sprintf("context = %q\n", ctxName) + data
		}
		fs = append(fs, config.File{Name: name, Data: []byte(data)})
	}
	set, probs := config.Build(fs)
	if len(probs) > 0 {
		t.Fatalf("config problems:\n%s", probs.Error())
	}
	ledger, err := jobdb.Open(context.Background(), filepath.Join(dir, "jobs.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ledger: ledger, state: dir, order: order, ctx: context.Background()}
	w.b = newBridge(t, ledger, set)
	t.Cleanup(func() {
		for _, s := range set.Services {
			_, _ = w.b.Stop(context.Background(), s.Name, false, nil)
		}
		w.b.Close()
		ledger.Close()
	})
	return w
}

// newBridge makes a bridge on the container's systemd, as herod does: go-systemd for calls, a
// connection of its own for unit signals.
func newBridge(t *testing.T, ledger jobdb.Ledger, set *config.Set) *bridge.Bridge {
	t.Helper()
	return newBridgeWithBoot(t, ledger, set, "")
}

// newBridgeWithBoot is newBridge believing it runs in boot (empty: the real one).
func newBridgeWithBoot(t *testing.T, ledger jobdb.Ledger, set *config.Set, boot string) *bridge.Bridge {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return newBridgeLogging(t, ledger, set, boot, log)
}

// newBridgeLogging is newBridgeWithBoot logging to log.
func newBridgeLogging(t *testing.T, ledger jobdb.Ledger, set *config.Set, boot string, log *slog.Logger) *bridge.Bridge {
	t.Helper()
	signals, err := dbus.ConnectSystemBus(dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { signals.Close() })
	b, err := bridge.New(context.Background(), testbed.Systemd(t), signals, ledger, set, bridge.Options{ConfigDir: "/etc/hero/services", ExecHelper: testbed.ExecHelper, Log: log, BootID: boot})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *world) start(names ...string) bridge.StartReply {
	w.t.Helper()
	r, err := w.b.Start(w.ctx, names, true, nil)
	if err != nil {
		w.t.Fatalf("start %s: %v", names, err)
	}
	if w.order != "" {
		w.waitReady(r.Started)
	}
	return r
}

// waitReady waits until each svc() service printed "NAME up": it has set its TERM trap, so a
// stop is recorded in the order file. (systemd counts a service started once its program is
// executed; the shell sets its trap a moment later.)
func (w *world) waitReady(names []string) {
	w.t.Helper()
	for _, n := range names {
		if !strings.Contains(strings.Join(w.b.Config().Service(n).Main().Exec, " "), " up; while") {
			continue // not a svc() service
		}
		testbed.Eventually(w.t, 5*time.Second, n+" ready", func() bool {
			_, out := w.output(n, 0)
			return strings.Contains(out, n+" up")
		})
	}
}

func (w *world) stop(name string, removeJobs bool) bridge.StopReply {
	w.t.Helper()
	r, err := w.b.Stop(w.ctx, name, removeJobs, nil)
	if err != nil {
		w.t.Fatalf("stop %s: %v", name, err)
	}
	return r
}

// output is what the latest (or given) job of name wrote, one message a line.
func (w *world) output(name string, id int64) (*jobdb.Job, string) {
	w.t.Helper()
	j, lines, err := w.b.Output(w.ctx, name, id, 0)
	if err != nil {
		w.t.Fatalf("output of %s: %v", name, err)
	}
	var msgs []string
	for _, l := range lines {
		if l.Identifier == name {
			msgs = append(msgs, l.Message)
		}
	}
	return j, strings.Join(msgs, "\n")
}

func (w *world) status(name string) bridge.Status {
	w.t.Helper()
	s, err := w.b.Status(w.ctx, name)
	if err != nil {
		w.t.Fatalf("status %s: %v", name, err)
	}
	return s
}

func (w *world) jobs(name string) []jobdb.Job {
	w.t.Helper()
	j, err := w.b.Jobs(w.ctx, name)
	if err != nil {
		w.t.Fatal(err)
	}
	return j
}

func (w *world) stopOrder() []string {
	return strings.Fields(readFile(w.order))
}

func (w *world) wantUp(names ...string) {
	w.t.Helper()
	for _, n := range names {
		if s := w.status(n); !s.Up() {
			w.t.Errorf("%s is %s (%s/%s), want running", n, s.State, s.ActiveState, s.SubState)
		}
	}
}

func (w *world) wantDown(names ...string) {
	w.t.Helper()
	for _, n := range names {
		if s := w.status(n); s.Up() {
			w.t.Errorf("%s is still %s", n, s.ActiveState)
		}
	}
}

// A <- B <- C: stopping A stops C, B, A, in that order, within a bounded time.
func TestCascadeStopChain(t *testing.T) {
	w := newWorld(t, map[string]string{
		"a.toml": svc("a", nil, nil),
		"b.toml": svc("b", []string{"a"}, nil),
		"c.toml": svc("c", []string{"b"}, nil),
	})
	r := w.start("c")
	if !reflect.DeepEqual(r.Started, []string{"a", "b", "c"}) {
		t.Fatalf("started %v, want [a b c]", r.Started)
	}
	w.wantUp("a", "b", "c")
	began := time.Now()
	sr := w.stop("a", false)
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("cascade took %s", took)
	}
	if !sr.OK || sr.Cancelled != 3 || !reflect.DeepEqual(sr.StoppedDependents, []string{"c", "b"}) {
		t.Errorf("stop reply %+v, want ok, cancelled 3, stopped_dependents [c b]", sr)
	}
	if got := w.stopOrder(); !reflect.DeepEqual(got, []string{"c", "b", "a"}) {
		t.Errorf("services stopped in order %v, want [c b a]", got)
	}
	w.wantDown("a", "b", "c")
	for _, n := range []string{"a", "b", "c"} {
		if s := w.status(n); s.State != bridge.StateStopped || s.LastJob == nil || s.LastJob.Phase != jobdb.PhaseCancelled || s.LastJob.EndedAt == nil {
			t.Errorf("%s after stop: state %s, job %+v", n, s.State, s.LastJob)
		}
	}
}

func TestCascadeStopDiamond(t *testing.T) {
	w := newWorld(t, map[string]string{
		"d.toml": svc("d", nil, nil),
		"b.toml": svc("b", []string{"d"}, nil),
		"c.toml": svc("c", []string{"d"}, nil),
		"a.toml": svc("a", []string{"b", "c"}, nil),
	})
	w.start("a")
	sr := w.stop("d", false)
	if !reflect.DeepEqual(sr.StoppedDependents, []string{"a", "b", "c"}) || sr.Cancelled != 4 {
		t.Errorf("stop reply %+v", sr)
	}
	order := w.stopOrder()
	if len(order) != 4 || order[0] != "a" || order[3] != "d" {
		t.Errorf("stop order %v: a first, d last", order)
	}
	w.wantDown("a", "b", "c", "d")
}

func TestAfterOnlyDoesNotCascade(t *testing.T) {
	w := newWorld(t, map[string]string{
		"y.toml":    svc("y", nil, nil),
		"x.toml":    svc("x", nil, []string{"y"}),
		"lone.toml": svc("lone", nil, nil),
	})
	if r := w.start("x"); !reflect.DeepEqual(r.Started, []string{"x"}) {
		t.Errorf("starting x started %v: after must not pull y in", r.Started)
	}
	w.start("y")
	w.start("lone")
	sr := w.stop("y", false)
	if len(sr.StoppedDependents) != 0 || sr.Cancelled != 1 {
		t.Errorf("stop reply %+v", sr)
	}
	w.wantUp("x", "lone")
	w.wantDown("y")
}

func TestConflictBlocksStartAndLeavesOthersAlone(t *testing.T) {
	w := newWorld(t, map[string]string{
		"x.toml": svc("x", nil, nil) + "conflicts = [\"y\"]\n",
		"y.toml": svc("y", nil, nil),
		"z.toml": svc("z", nil, nil),
	})
	w.start("y")
	w.start("z")
	_, err := w.b.Start(w.ctx, []string{"x"}, true, nil)
	var ce *bridge.ConflictError
	if !errors.As(err, &ce) || ce.Service != "x" || ce.Conflicting != "y" {
		t.Fatalf("start x = %v, want a ConflictError naming y", err)
	}
	if !strings.Contains(err.Error(), "conflicts with y") {
		t.Errorf("error %q does not name y", err)
	}
	if len(w.jobs("x")) != 0 {
		t.Errorf("a blocked start created jobs: %+v", w.jobs("x"))
	}
	if s := w.status("x"); s.State != bridge.StateBlocked || s.BlockedBy != "y" {
		t.Errorf("x status %s blocked by %q, want blocked by y", s.State, s.BlockedBy)
	}
	w.wantUp("y", "z")
	// Conflicts are symmetric: y cannot start while x runs either.
	w.stop("y", false)
	w.start("x")
	if _, err := w.b.Start(w.ctx, []string{"y"}, true, nil); !errors.As(err, &ce) {
		t.Errorf("start y while x runs = %v, want ConflictError", err)
	}
}

func TestStartPrunesStaleJobsOnly(t *testing.T) {
	w := newWorld(t, map[string]string{
		"flaky.toml": `exec = ["/bin/sh", "-c", "echo run; sleep 0.2; exit 1"]`,
		"other.toml": svc("other", nil, nil),
	})
	w.start("other")
	otherJob := w.jobs("other")[0]
	var last int64
	for i := 0; i < 3; i++ {
		r := w.start("flaky")
		last = r.Jobs["flaky"]
		testbed.Eventually(t, 30*time.Second, "flaky failed", func() bool { return w.status("flaky").State == bridge.StateFailed })
	}
	jobs := w.jobs("flaky")
	if len(jobs) != 1 || jobs[0].ID != last {
		t.Errorf("flaky jobs %+v: want only the latest (%d); start prunes the inactive ones", jobs, last)
	}
	oj := w.jobs("other")
	if len(oj) != 1 || oj[0].ID != otherJob.ID || oj[0].Phase != jobdb.PhaseRunning {
		t.Errorf("other service's jobs were touched: %+v", oj)
	}
}

func TestStopKeepsJobsAndRemoveJobsOnlyOwn(t *testing.T) {
	w := newWorld(t, map[string]string{
		"a.toml": svc("a", nil, nil),
		"b.toml": svc("b", []string{"a"}, nil),
	})
	w.start("b")
	w.stop("a", false)
	if len(w.jobs("a")) != 1 || len(w.jobs("b")) != 1 {
		t.Fatalf("stop deleted jobs: a %v, b %v", w.jobs("a"), w.jobs("b"))
	}
	w.start("b")
	sr := w.stop("a", true)
	if sr.RemovedJobs != 1 || len(w.jobs("a")) != 0 {
		t.Errorf("remove_jobs: reply %+v, a jobs %v; want a's job removed", sr, w.jobs("a"))
	}
	if len(w.jobs("b")) != 1 {
		t.Errorf("dependent b lost its jobs: %v", w.jobs("b"))
	}
}

func TestRestart(t *testing.T) {
	w := newWorld(t, map[string]string{
		"a.toml":   svc("a", nil, nil),
		"b.toml":   svc("b", []string{"a"}, nil),
		"c.toml":   svc("c", []string{"a"}, nil),
		"one.toml": svc("one", nil, nil),
	})
	w.start("b") // a and b run; c does not
	before := w.jobs("a")[0].ID
	r, err := w.b.Restart(w.ctx, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Restarted, []string{"b"}) {
		t.Errorf("restarted dependents %v, want [b] (c was not running)", r.Restarted)
	}
	w.wantUp("a", "b")
	w.wantDown("c")
	if jobs := w.jobs("a"); len(jobs) != 1 || jobs[0].ID == before {
		t.Errorf("a's jobs after restart %+v: want one new job, the old one pruned", jobs)
	}
	// Restart of a stopped service starts it, clearing old jobs.
	w.start("one")
	w.stop("one", false)
	if _, err := w.b.Restart(w.ctx, "one", nil); err != nil {
		t.Fatal(err)
	}
	if jobs := w.jobs("one"); len(jobs) != 1 || jobs[0].Phase != jobdb.PhaseRunning {
		t.Errorf("one's jobs after restart: %+v", jobs)
	}
}

func TestCrashOutputKeptAfterStop(t *testing.T) {
	w := newWorld(t, map[string]string{
		"crash.toml": `exec = ["/bin/sh", "-c", "echo starting; echo 'fatal: config missing' >&2; sleep 0.2; exit 3"]`,
	})
	w.start("crash")
	// systemd's unit says failed at once; the recorder writes the run's end from its signals,
	// which on a loaded machine can come a moment later.
	testbed.Eventually(t, 30*time.Second, "crash failed and its run's end recorded", func() bool {
		s := w.status("crash")
		return s.State == bridge.StateFailed && s.LastJob != nil && s.LastJob.Phase.Ended()
	})
	sr := w.stop("crash", false)
	if !sr.OK || sr.Cancelled != 0 {
		t.Errorf("stop of a crashed service: %+v, want ok with cancelled 0", sr)
	}
	j, out := w.output("crash", 0)
	if j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 3 || j.Result != "exit-code" {
		t.Errorf("job %+v, want failed exit-code 3", j)
	}
	if !strings.Contains(out, "starting\nfatal: config missing") {
		t.Errorf("output %q", out)
	}
	// Once the tail is copied, the ledger keeps it even if the journal loses it.
	testbed.Eventually(t, 30*time.Second, "the run's tail copied into its job", func() bool {
		j, err := w.ledger.Get(w.ctx, j.ID)
		return err == nil && j.OutputSaved && strings.Contains(string(j.Output), "fatal: config missing")
	})
	if s := w.status("crash"); s.State != bridge.StateFailed {
		t.Errorf("state after stop %s, want failed (why it died stays visible)", s.State)
	}
}

func TestStartFailureIsReported(t *testing.T) {
	w := newWorld(t, map[string]string{"ghost.toml": `exec = "/nonexistent/binary"`})
	_, err := w.b.Start(w.ctx, []string{"ghost"}, true, nil)
	var se *bridge.StartError
	if !errors.As(err, &se) || se.JobResult != "failed" || se.Job == nil || se.Job.Phase != jobdb.PhaseFailed {
		t.Fatalf("start = %v, want a StartError with a failed job", err)
	}
	if se.Job.ExitCode == nil || *se.Job.ExitCode != 203 {
		t.Errorf("exit code %v, want 203 (systemd's EXIT_EXEC)", se.Job.ExitCode)
	}
}

func TestIdempotentStopAndUnknownService(t *testing.T) {
	w := newWorld(t, map[string]string{"a.toml": svc("a", nil, nil)})
	for i := 0; i < 2; i++ {
		if sr := w.stop("a", false); !sr.OK || sr.Cancelled != 0 {
			t.Errorf("stop of a stopped service: %+v", sr)
		}
	}
	if _, err := w.b.Stop(w.ctx, "nope", false, nil); !errors.Is(err, bridge.ErrNoSuchService) {
		t.Errorf("stop nope = %v, want ErrNoSuchService", err)
	}
	if _, err := w.b.Start(w.ctx, []string{"nope"}, true, nil); !errors.Is(err, bridge.ErrNoSuchService) {
		t.Errorf("start nope = %v", err)
	}
	if r := w.start("a"); len(r.Started) != 1 {
		t.Fatal(r)
	}
	if r := w.start("a"); !r.AlreadyRunning || len(r.Started) != 0 {
		t.Errorf("second start %+v, want already_running", r)
	}
}

// A dependency that crashed stops what requires it (BindsTo=), leaves its unit loaded (failed);
// it must still start again, and what it stopped comes back with it.
func TestDependencyStartsAgainAfterCrash(t *testing.T) {
	w := newWorld(t, map[string]string{
		"db.toml":  svc("db", nil, nil),
		"api.toml": svc("api", []string{"db"}, nil),
	})
	w.start("api")
	if err := w.b.Kill(w.ctx, "db", 9); err != nil {
		t.Fatal(err)
	}
	testbed.Eventually(t, 30*time.Second, "db failed and its run's end recorded, api stopped with it", func() bool {
		db := w.status("db")
		return db.State == bridge.StateFailed && db.LastJob != nil && db.LastJob.Phase.Ended() && !w.status("api").Up()
	})
	if st := w.status("api"); !reflect.DeepEqual(st.RequirementsDown, []string{"db"}) {
		t.Errorf("api's status does not say db is down: %+v", st)
	}
	if j := w.jobs("db")[0]; j.Signal != "SIGKILL" || j.Phase != jobdb.PhaseFailed {
		t.Errorf("db job after kill -9: %+v", j)
	}
	r := w.start("db")
	if !reflect.DeepEqual(r.Started, []string{"db"}) {
		t.Errorf("started %v", r.Started)
	}
	testbed.Eventually(t, 10*time.Second, "api back with db", func() bool { return w.status("api").Up() })
	w.wantUp("db", "api")
	// And the cascade still holds.
	sr := w.stop("db", false)
	if !reflect.DeepEqual(sr.StoppedDependents, []string{"api"}) {
		t.Errorf("stop reply %+v", sr)
	}
	w.wantDown("db", "api")
}

func TestKillNotRunning(t *testing.T) {
	w := newWorld(t, map[string]string{"a.toml": svc("a", nil, nil)})
	if err := w.b.Kill(w.ctx, "a", 15); !errors.Is(err, bridge.ErrNotRunning) {
		t.Errorf("kill of a stopped service = %v, want ErrNotRunning", err)
	}
}

// The bridge is killed with SIGKILL while a service runs; the service ends meanwhile; a new
// bridge on the same ledger records the end from systemd's records in the journal.
func TestExitsAreNeverLost(t *testing.T) {
	if dir := os.Getenv("HERO_BRIDGE_CHILD"); dir != "" {
		bridgeChild(t, dir)
		return
	}
	dir := t.TempDir()
	killChildWhen(t, "TestExitsAreNeverLost", dir, "started")
	testbed.Eventually(t, 30*time.Second, "ender exited (after 1 s) while no bridge ran", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", "is-failed", "hero-exits-ender.service").Stdout) == "failed"
	})

	w := reopenWorld(t, dir)
	var j *jobdb.Job
	var output string
	testbed.Eventually(t, 30*time.Second, "ender's end recorded by the new bridge", func() bool {
		j, output = w.output("ender", 0)
		return j.Phase.Ended()
	})
	if j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 7 || j.EndedAt == nil {
		t.Errorf("ender's job after the restart: %+v, want failed with exit 7", j)
	}
	if !strings.Contains(output, "bye") {
		t.Errorf("ender's output %q", output)
	}
	if s := w.status("stayer"); !s.Up() || s.LastJob == nil || s.LastJob.Phase != jobdb.PhaseRunning {
		t.Errorf("stayer: %+v", s)
	}
	w.stop("stayer", false)
}

// killChildWhen runs test again in a child process (a bridge of its own on dir), waits until it
// prints want, and kills it with SIGKILL: it has no chance to record anything more.
func killChildWhen(t *testing.T, test, dir, want string) {
	t.Helper()
	cmd := testbed.Self(test, "HERO_BRIDGE_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			break
		}
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	cmd.Process.Kill()
	cmd.Wait()
}

func exitsSet(t *testing.T) *config.Set {
	return loadSet(t, map[string]string{
		"ender.toml":  "context = \"exits\"\nexec = [\"/bin/sh\", \"-c\", \"sleep 1; echo bye; exit 7\"]\n",
		"stayer.toml": "context = \"exits\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
	})
}

func reopenWorld(t *testing.T, dir string) *world {
	return reopenWorldWith(t, dir, exitsSet(t))
}

func reopenWorldWith(t *testing.T, dir string, set *config.Set) *world {
	ledger, err := jobdb.Open(context.Background(), filepath.Join(dir, "jobs.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ledger: ledger, state: dir, ctx: context.Background()}
	w.b = newBridge(t, ledger, set)
	t.Cleanup(func() { w.b.Close(); ledger.Close() })
	return w
}

func bridgeChild(t *testing.T, dir string) {
	w := reopenWorld(t, dir)
	w.start("stayer")
	w.start("ender")
	fmt.Println("started")
	time.Sleep(time.Minute) // killed long before
}

// 20 callers start and stop overlapping services at once: no error, no deadlock, and in the end
// the ledger agrees with systemd.
func TestConcurrentCallers(t *testing.T) {
	files := map[string]string{"root.toml": svc("root", nil, nil)}
	names := []string{"root"}
	for i := 1; i <= 4; i++ {
		n := fmt.Sprintf("d%d", i)
		files[n+".toml"] = svc(n, []string{"root"}, nil)
		names = append(names, n)
	}
	files["solo.toml"] = svc("solo", nil, nil)
	names = append(names, "solo")
	w := newWorld(t, files)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for c := 0; c < 20; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				name := names[(c+i)%len(names)]
				var err error
				if (c+i)%3 == 0 {
					_, err = w.b.Stop(w.ctx, name, false, nil)
				} else {
					_, err = w.b.Start(w.ctx, []string{name}, true, nil)
				}
				if err != nil {
					errs <- fmt.Errorf("caller %d: %w", c, err)
				}
			}
		}(c)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("concurrent callers deadlocked")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, n := range names {
		s := w.status(n)
		jobs := w.jobs(n)
		active := 0
		for _, j := range jobs {
			if j.Phase.Active() {
				active++
			}
		}
		if s.Up() != (active == 1) || active > 1 {
			t.Errorf("%s: unit %s but %d active jobs: %+v", n, s.ActiveState, active, jobs)
		}
	}
}

// Starting several services: one that fails takes down the start of what requires it, and
// nothing else.
func TestStartManyPartialFailure(t *testing.T) {
	w := newWorld(t, map[string]string{
		"broken.toml": `exec = "/nonexistent/binary"`,
		"needy.toml":  svc("needy", []string{"broken"}, nil),
		"fine.toml":   svc("fine", nil, nil),
	})
	r, err := w.b.Start(w.ctx, []string{"needy", "fine"}, true, nil)
	var se *bridge.StartError
	if !errors.As(err, &se) || se.Service != "broken" {
		t.Fatalf("Start = %v, want a StartError for broken", err)
	}
	if !reflect.DeepEqual(r.Started, []string{"fine"}) {
		t.Errorf("started %v, want [fine]", r.Started)
	}
	// needy failed because broken did in this very start: neither is tried a second time.
	if failed := append([]string(nil), r.Failed...); len(failed) != 2 || !slices.Contains(failed, "broken") || !slices.Contains(failed, "needy") {
		t.Errorf("failed %v, want broken and needy once each", r.Failed)
	}
	w.wantUp("fine")
	w.wantDown("needy", "broken")
	// systemd failed needy's queued start for its dependency: a job that never ran.
	if jobs := w.jobs("needy"); len(jobs) != 1 || jobs[0].Phase != jobdb.PhaseFailed || jobs[0].Result != "dependency" || jobs[0].InvocationID != "" {
		t.Errorf("needy's jobs %+v, want one failed for its dependency, never run", jobs)
	}
}

// Every run systemd makes of a service is a job of its own: under restart = "on-failure", two
// crashes and a run that stays up are three jobs, numbered by systemd's restart count.
func TestRestartsAreJobsOfTheirOwn(t *testing.T) {
	counter := filepath.Join(t.TempDir(), "runs")
	w := newWorld(t, map[string]string{"bouncy.toml": fmt.Sprintf(`
exec = ["/bin/sh", "-c", "n=$(cat %[1]s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %[1]s; echo run-$n; [ $n -ge 3 ] && exec sleep 1000; sleep 0.3; exit 1"]
restart = "on-failure"
restart_delay = "100ms"
`, counter)})
	w.start("bouncy")
	testbed.Eventually(t, 10*time.Second, "third run recorded", func() bool {
		jobs := w.jobs("bouncy")
		return len(jobs) == 3 && jobs[0].Phase == jobdb.PhaseRunning
	})
	jobs := w.jobs("bouncy")
	for i, j := range jobs {
		run := 3 - i
		if j.Restarts != run-1 || j.InvocationID == "" {
			t.Errorf("job %d: restart number %d, invocation %q; want %d and an invocation", j.ID, j.Restarts, j.InvocationID, run-1)
		}
		if run < 3 && (j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 1 || j.EndedAt == nil) {
			t.Errorf("run %d: %+v, want failed with exit status 1", run, j)
		}
	}
	if s := w.status("bouncy"); s.Restarts != 2 {
		t.Errorf("status restarts %d, want systemd's NRestarts 2", s.Restarts)
	}
	for i, j := range jobs {
		want := fmt.Sprintf("run-%d", 3-i)
		seen := "(none)"
		if !testbed.Until(30*time.Second, 50*time.Millisecond, func() bool {
			_, seen = w.output("bouncy", j.ID)
			return seen == want
		}) {
			// What the journal holds of the unit, to tell a recording fault from journald's.
			t.Fatalf("job %d (invocation %s): output %q, want %q; jobs %+v\njournal:\n%s", j.ID, j.InvocationID, seen, want, jobs,
				testbed.Run(t, "journalctl", "--no-pager", "-u", j.Unit, "-o", "json", "--output-fields",
					"MESSAGE,SYSLOG_IDENTIFIER,_SYSTEMD_INVOCATION_ID,INVOCATION_ID,_PID,_SYSTEMD_UNIT").Stdout)
		}
	}
}
