package daemon

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/api"
)

// A refresh announces a service's properties only when what they show changed: same says so
// without making them, and a view it calls different still announces only what differs.
func TestSameViewAnnouncesNothing(t *testing.T) {
	base := func() *serviceView {
		return &serviceView{status: runningStatus(1), en: enablement{State: disabledState, By: byConfig}, jobs: []int64{1}}
	}
	tests := []struct {
		name   string
		change func(v *serviceView)
		same   bool
		keys   []string // the properties PropertiesChanged carries
	}{
		{"nothing", func(*serviceView) {}, true, nil},
		{"its state", func(v *serviceView) { v.status.ActiveState, v.status.State = "failed", "failed" }, false,
			[]string{api.KeyActiveState, api.KeyState}},
		{"its enablement", func(v *serviceView) { v.en.State = enabledState }, false, []string{api.KeyEnabled}},
		{"a new job", func(v *serviceView) { v.jobs = []int64{2, 1} }, false, []string{api.KeyJobs}},
		{"its last job's result", func(v *serviceView) {
			j := *v.status.LastJob
			j.Result = "signal"
			v.status.LastJob = &j
		}, false, []string{api.KeyResult}},
		{"an empty list for none", func(v *serviceView) { v.status.Wants = nil }, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, v := base(), base()
			tt.change(v)
			if got := old.same(v); got != tt.same {
				t.Errorf("same = %v, want %v", got, tt.same)
			}
			o := &objects{services: map[string]*serviceView{"svc00001": old}, jobs: map[int64]*jobView{1: {id: 1}}}
			var got []string
			if a := changed(api.ServicePath("svc00001"), api.ServiceInterface, old.props(), v.props()); a.kind != "" {
				for k := range a.props {
					got = append(got, k)
				}
			}
			if !sameSet(got, tt.keys) {
				t.Errorf("PropertiesChanged carries %v, want %v", got, tt.keys)
			}
			o.apply("svc00001", v, nil, false)
			if o.services["svc00001"] != v {
				t.Errorf("apply kept the old view")
			}
		})
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, s := range a {
		in[s] = true
	}
	for _, s := range b {
		if !in[s] {
			return false
		}
	}
	return true
}

// A refresh of every dirty service goes refreshChunk at a time, letting go of the refresh lock
// between chunks, and refreshes them all; a read of one service refreshes that one alone.
func TestRefreshInChunks(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	defer func(n int) { refreshChunk = n }(refreshChunk)
	refreshChunk = 1
	o := newObjects(td.eng, td.d.ledger, ownBus(t, td), slog.New(slog.DiscardHandler), &td.d.access, nil)
	names := td.eng.Config().Graph.Names()
	o.mark(everything, names...)
	count := func() (services, dirty int) {
		o.mu.Lock()
		defer o.mu.Unlock()
		return len(o.services), len(o.dirty)
	}
	if more := o.refreshSome(ctx, nil, time.Time{}); !more {
		t.Error("a refresh of every dirty service left none for the next chunk")
	}
	if s, d := count(); s != 1 || d != len(names)-1 {
		t.Fatalf("after one chunk of 1: %d objects, %d dirty; want 1 and %d", s, d, len(names)-1)
	}
	last := names[len(names)-1]
	if more := o.refreshSome(ctx, []string{last}, time.Time{}); more {
		t.Error("a read of one service asks for more")
	}
	if s, d := count(); s != 2 || d != len(names)-2 {
		t.Fatalf("after a read of %s: %d objects, %d dirty; want 2 and %d", last, s, d, len(names)-2)
	}
	o.refreshDirty(ctx, nil, time.Time{})
	if s, d := count(); s != len(names) || d != 0 {
		t.Errorf("after refreshDirty: %d objects, %d dirty; want %d and none", s, d, len(names))
	}
}

// A read of a service whose object is current does not wait for a refresh of others (which
// holds the refresh lock for hundreds of milliseconds at thousands of services); a read of one
// that is dirty, or being refreshed, waits for it.
func TestReadOfACleanServiceDoesNotWaitForARefresh(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	o := newObjects(td.eng, td.d.ledger, ownBus(t, td), slog.New(slog.DiscardHandler), &td.d.access, nil)
	names := td.eng.Config().Graph.Names()
	o.refreshDirty(ctx, names, time.Time{})
	read := func(name string) <-chan struct{} {
		done := make(chan struct{})
		go func() { o.refreshSome(ctx, []string{name}, time.Time{}); close(done) }()
		return done
	}
	o.refresh.Lock() // a refresh of others under way
	select {
	case <-read(names[0]):
	case <-time.After(10 * time.Second):
		o.refresh.Unlock()
		t.Fatal("a read of a clean service waited for the refresh lock")
	}
	o.mark(runsChanged, names[0])
	o.mu.Lock()
	o.dirty[names[0]].due = time.Now() // due now, whatever the coalescing
	o.inflight[names[1]] = true
	o.mu.Unlock()
	dirty, inflight := read(names[0]), read(names[1])
	time.Sleep(100 * time.Millisecond)
	for name, done := range map[string]<-chan struct{}{"a dirty service": dirty, "a service being refreshed": inflight} {
		select {
		case <-done:
			t.Errorf("a read of %s did not wait for the refresh under way", name)
		default:
		}
	}
	o.mu.Lock()
	delete(o.inflight, names[1])
	o.mu.Unlock()
	o.refresh.Unlock()
	for _, done := range []<-chan struct{}{dirty, inflight} {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a read waited past the refresh")
		}
	}
	if o.clean(names[:1], time.Time{}) != true {
		t.Error("the dirty service's read did not refresh it")
	}
}

// A status of a service whose object waits for a refresh, while a refresh of others holds the
// refresh lock (right after a start of thousands), is not answered from the object and does not
// wait: Manager.Status then reads it from the engine (systemd and the ledger), as for a service
// the view misses. With no refresh under way, the object is refreshed and answers.
func TestStatusDuringARefreshOfOthers(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	q, err := td.c.Start(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	if o := td.wait(t, q); o.Err != nil {
		t.Fatal(o.Err)
	}
	// Objects of the test's own: herod's are set by its run, in a goroutine of its own.
	o := newObjects(td.eng, td.d.ledger, ownBus(t, td), slog.New(slog.DiscardHandler), &td.d.access, nil)
	go o.run(ctx)
	if _, ok := o.status(ctx, "web"); !ok {
		t.Fatal("no object of web")
	}
	o.refresh.Lock() // a refresh of others under way
	o.mark(runsChanged, "web")
	answered := make(chan bool, 1)
	go func() {
		_, ok := o.status(ctx, "web")
		answered <- ok
	}()
	select {
	case ok := <-answered:
		if ok {
			t.Error("a status of a dirty service during a refresh of others answered from its stale object")
		}
	case <-time.After(10 * time.Second):
		o.refresh.Unlock()
		t.Fatal("the status waited for the refresh of others")
	}
	o.refresh.Unlock()
	d, ok := o.status(ctx, "web")
	if !ok {
		t.Fatal("with no refresh under way, the dirty object was not made current")
	}
	st, err := td.eng.Status(ctx, "web")
	if err != nil || st.LastJob == nil {
		t.Fatalf("the engine's status of web: %+v, %v", st, err)
	}
	if d[api.KeyState].Value() != st.State || d[api.KeyJobID].Value() != st.LastJob.ID {
		t.Errorf("the object says %v, job %v; the engine %s, job %d", d[api.KeyState], d[api.KeyJobID], st.State, st.LastJob.ID)
	}
}

// staleCounter counts the engine's Stale calls (each a call to systemd in herod).
type staleCounter struct {
	engine
	calls atomic.Int32
}

func (e *staleCounter) Stale(ctx context.Context, st bridge.Status) bool {
	e.calls.Add(1)
	return e.engine.Stale(ctx, st)
}

// Whether systemd runs an older definition of a running service is read once for its run and
// the config: again for a new config, never for a second status of the same.
func TestStalenessIsReadOncePerRunAndConfig(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	q, err := td.c.Start(ctx, "web", false)
	if err != nil {
		t.Fatal(err)
	}
	if o := td.wait(t, q); o.Err != nil {
		t.Fatal(o.Err)
	}
	eng := &staleCounter{engine: td.eng}
	o := newObjects(eng, td.d.ledger, ownBus(t, td), slog.New(slog.DiscardHandler), &td.d.access, nil)
	go o.run(ctx)
	for i := range 3 {
		if _, ok := o.status(ctx, "web"); !ok {
			t.Fatalf("status %d of web: no object", i)
		}
	}
	if n := eng.calls.Load(); n != 1 {
		t.Errorf("three statuses of one run read its staleness %d times, want once", n)
	}
	next := *eng.Config() // another config, the same services
	eng.SetConfig(&next)
	o.status(ctx, "web")
	if n := eng.calls.Load(); n != 2 {
		t.Errorf("after a new config: %d reads, want 2", n)
	}
}

// A refresh reads in one query the jobs of the services whose runs changed, and takes their
// statuses' last jobs from it only when every service it refreshes is one of them: the newest
// job of a service whose unit alone changed is the ledger's to say.
func TestRefreshReadsTheJobsOfChangedRuns(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	o := newObjects(td.eng, td.d.ledger, ownBus(t, td), slog.New(slog.DiscardHandler), &td.d.access, nil)
	names := td.eng.Config().Graph.Names()
	if len(names) < 3 {
		t.Fatalf("the stack has %d services, want 3 or more", len(names))
	}
	runs := map[string]change{}
	for _, n := range names {
		runs[n] = runsChanged | unitChanged
	}
	if jobs, all := o.jobsOf(ctx, names, runs); jobs == nil || !all {
		t.Errorf("every service's runs changed: jobs %v, all %v; want them read, all", jobs, all)
	}
	runs[names[0]] = unitChanged
	if jobs, all := o.jobsOf(ctx, names, runs); jobs == nil || all {
		t.Errorf("one service's unit alone changed: jobs %v, all %v; want the others' read, not all", jobs, all)
	}
	if jobs, _ := o.jobsOf(ctx, names[:1], map[string]change{names[0]: runsChanged}); jobs != nil {
		t.Errorf("one service: jobs %v, want it read on its own (nil)", jobs)
	}
	o.mark(runsChanged, names[1:]...)
	o.mark(unitChanged, names[0])
	o.refreshDirty(ctx, nil, time.Time{})
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.services) != len(names) || len(o.dirty) != 0 {
		t.Errorf("after a mixed refresh: %d objects, %d dirty; want %d and none", len(o.services), len(o.dirty), len(names))
	}
}

// ownBus is a connection of the test's own to td's bus, for objects made beside herod's: herod's
// connection is set by its run, in a goroutine of its own, so the test does not read it.
func ownBus(t *testing.T, td *testDaemon) *dbus.Conn {
	t.Helper()
	bus, err := dbus.Connect(td.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus
}

// A refresh whose reads failed for many services says so in one line, naming a few of them.
func TestRefreshFailuresAreLoggedOnce(t *testing.T) {
	for _, c := range []struct {
		failed []string
		lines  int
		has    []string
	}{
		{nil, 0, nil},
		{[]string{"a", "b"}, 1, []string{`services="[a b]"`, `err="read failed"`}},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, 1, []string{"count=7", `first="[a b c d e]"`}},
	} {
		var out strings.Builder
		logRefreshFailures(slog.New(slog.NewTextHandler(&out, nil)), c.failed, errors.New("read failed"))
		if got := strings.Count(out.String(), "\n"); got != c.lines {
			t.Errorf("%d failed: %d lines, want %d: %s", len(c.failed), got, c.lines, out.String())
		}
		for _, want := range c.has {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%d failed: %q lacks %s", len(c.failed), out.String(), want)
			}
		}
	}
}
