package bridge

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// applyFiles are web, which requires db, cache on its own, and a bad-config service.
var applyFiles = map[string]string{
	"db.toml":     service(""),
	"web.toml":    service(`requires = ["db"]`),
	"cache.toml":  service(""),
	"broken.toml": "exec = 5\n",
}

// setDefinition makes the fake hold service's unit with another definition.
func (tb *testBridge) setDefinition(service, def string) {
	tb.sd.mu.Lock()
	defer tb.sd.mu.Unlock()
	tb.sd.units[unit(service)].definition = def
}

// withFiles is files with changes: a value replaces a file, "" removes it.
func withFiles(files map[string]string, changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// PlanApply plans to restart the running services whose definition changed with the running
// services that require them, to stop the units of services no file defines (or defines in
// another context), and to leave the rest, bad-config ones included, as they are.
func TestPlanApply(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.load(t, "db", "active", "running")
	tb.load(t, "web", "active", "running")
	tb.load(t, "cache", "active", "running")
	tb.sd.add(unit("broken"), "active", "running")
	tb.sd.add(unit("gone"), "active", "running")
	tb.sd.add(unitgen.UnitName("other", "cache"), "active", "running")
	tb.sd.add(unit("old"), "inactive", "dead") // no file defines it, but it does not run
	tb.setDefinition("db", "0ld")
	p, err := tb.PlanApply(tb.ctx, tb.Config())
	if err != nil {
		t.Fatal(err)
	}
	if !p.DryRun || len(p.Changed) != 1 || p.Changed[0].Service != "db" || p.Changed[0].Unit != unit("db") || p.Changed[0].File != "db.toml" ||
		!slices.Equal(p.Changed[0].Dependents, []string{"web"}) {
		t.Fatalf("changed %+v, want db with its dependent web", p.Changed)
	}
	if !slices.Equal(p.Restart, []string{"db", "web"}) || !slices.Equal(p.Stop, []string{"cache", "gone"}) || p.Unchanged != 2 {
		t.Errorf("restart %v stop %v unchanged %d; want db web, cache (other context) gone, 2", p.Restart, p.Stop, p.Unchanged)
	}
	if c := p.Changed[0]; c.OldKnown || c.OldText != "" || !strings.Contains(c.NewText, "ExecStart=") {
		t.Errorf("the texts of a unit this herod did not create: known %v, old %q, new %q", c.OldKnown, c.OldText, c.NewText)
	}
	if len(tb.sd.called("StopUnit")) != 0 {
		t.Error("a dry run stopped something")
	}
	tb.sd.fail["ListUnitsByPatterns"] = errors.New("bus gone")
	if _, err := tb.PlanApply(tb.ctx, tb.Config()); err == nil || !strings.Contains(err.Error(), "bus gone") {
		t.Errorf("PlanApply while systemd fails: %v", err)
	}
}

// A plan says what changes only in the loaded services: a new file's service (added, not
// started), a stopped service whose definition changed (updated: from its next start), a file
// gone (removed); and a dry run loads none of it.
func TestPlanApplyLoadedChanges(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.running(t, "cache")
	next := testSet(t, withFiles(applyFiles, map[string]string{
		"new.toml": service(""), "web.toml": "description = \"new web\"\n" + service(`requires = ["db"]`), "broken.toml": ""}))
	loaded := tb.Config()
	p, err := tb.PlanApply(tb.ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Added, []string{"new"}) || !slices.Equal(p.Updated, []string{"web"}) || !slices.Equal(p.Removed, []string{"broken"}) {
		t.Errorf("added %v updated %v removed %v; want new, web, broken", p.Added, p.Updated, p.Removed)
	}
	if p.Acts() || p.Unchanged != 1 || len(p.Changed) != 0 {
		t.Errorf("plan %+v acts; want nothing restarted or stopped, cache unchanged", p)
	}
	if tb.Config() != loaded {
		t.Error("a dry run changed the loaded services")
	}
}

// A changed service's dependents are the running services that require it by the new configs
// or by the units that run (systemd's cascade follows those): a dependent that no longer
// requires it is stopped by the cascade all the same, so it is restarted too.
func TestPlanApplyDependentsOfTheRunningUnits(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.running(t, "db", "web")
	next := testSet(t, withFiles(applyFiles, map[string]string{
		"db.toml": "description = \"new db\"\n" + service(""), "web.toml": service("")}))
	p, err := tb.PlanApply(tb.ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changed) != 2 || !slices.Equal(p.Changed[0].Dependents, []string{"web"}) || !slices.Equal(p.Restart, []string{"db", "web"}) {
		t.Errorf("plan %+v, want db changed with web as its dependent", p)
	}
}

// Apply computes its plan under the locks of every service, gives it to planned before anything
// acts, loads the new configs, stops removed services, restarts changed ones on their new
// definitions with what requires them, and keeps a service it could not start again pending:
// the next apply starts it though nothing changed. The unit texts it created make the next
// plan's diff a real one, also for a herod that starts afresh.
func TestApply(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.sd.cascade, tb.sd.gcOnReset = true, true
	tb.running(t, "db", "web", "cache")
	tb.requiredBy("db", "web")
	tb.sd.add(unit("gone"), "active", "running")
	tb.setDefinition("db", "0ld")
	var progress []string
	var shown []plan.Apply
	p, err := tb.Apply(tb.ctx, tb.Config(), func(p plan.Apply) {
		shown = append(shown, p)
		progress = append(progress, "planned")
	}, func(p Progress) { progress = append(progress, p.Service+":"+p.Event) })
	if err != nil {
		t.Fatal(err)
	}
	if len(shown) != 1 || len(progress) == 0 || progress[0] != "planned" {
		t.Fatalf("planned %d times, progress %v; want the plan once, before anything acted", len(shown), progress)
	}
	if p.DryRun || !slices.Equal(p.Started, []string{"db", "web"}) || len(p.Failed) != 0 ||
		!slices.Equal(shown[0].Restart, p.Restart) || !slices.Equal(shown[0].Stop, p.Stop) {
		t.Errorf("plan %+v (shown %+v), want db and web started as shown", p, shown[0])
	}
	// web requires db: it stops in db's cascade, one transaction of systemd's, most dependent
	// first (as systemctl restart db stops it), not in a stop of its own before.
	if stops := tb.sd.called("StopUnit " + unit("db")); len(stops) != 1 || len(tb.sd.called("StopUnit "+unit("web"))) != 0 {
		t.Errorf("stop calls %v, want one, of db's unit", tb.sd.called("StopUnit"))
	}
	if w, d := slices.Index(progress, "web:stopped"), slices.Index(progress, "db:stopped"); w < 0 || d < w {
		t.Errorf("progress %v: want web stopped, then db", progress)
	}
	if tb.sd.state(unit("gone")) != "inactive" || !slices.Contains(progress, "gone:stopped") {
		t.Errorf("the removed service: unit %s, progress %v", tb.sd.state(unit("gone")), progress)
	}
	gen, _ := unitgen.Generate(tb.Config(), tb.Config().Service("db"), tb.svc.opts)
	if def := tb.Bridge.sd.LoadedDefinition(tb.ctx, unit("db")); def != gen.Definition {
		t.Errorf("db runs definition %q, want %q", def, gen.Definition)
	}
	if p, err := tb.PlanApply(tb.ctx, tb.Config()); err != nil || p.Acts() || len(p.Changed) != 0 || p.Unchanged != 3 {
		t.Errorf("the plan after the apply: %+v %v, want nothing to do", p, err)
	}

	// A new definition of web that fails to start stays pending.
	next := testSet(t, withFiles(applyFiles, map[string]string{"web.toml": "description = \"the web\"\n" + service(`requires = ["db"]`)}))
	p, err = tb.PlanApply(tb.ctx, next)
	if err != nil || len(p.Changed) != 1 || p.Changed[0].Service != "web" {
		t.Fatalf("plan %+v %v, want web changed", p, err)
	}
	if c := p.Changed[0]; !c.OldKnown || !strings.Contains(c.OldText, "Description=") || !strings.Contains(c.NewText, "Description=the web") {
		t.Errorf("texts of a unit this herod created: known %v\n%s\n%s", c.OldKnown, c.OldText, c.NewText)
	}
	if gen, _ := tb.svc.unit(next, next.Service("web")); p.Changed[0].NewWithheld != gen.WithheldText() ||
		!strings.Contains(p.Changed[0].NewWithheld, "ExecStart=…") {
		t.Errorf("the new text withheld:\n%s", p.Changed[0].NewWithheld)
	}
	afresh := unitTexts{dir: tb.env.dir}
	if text, ok := afresh.get(unit("web"), tb.Bridge.sd.LoadedDefinition(tb.ctx, unit("web"))); !ok || text != p.Changed[0].OldText {
		t.Errorf("the text kept on disk: %v %q", ok, text)
	}
	tb.sd.outcome[unit("web")] = fakeOutcome{jobResult: "failed", exitStatus: 1}
	p, err = tb.Apply(tb.ctx, next, nil, nil)
	if err == nil || !slices.Equal(p.Failed, []string{"web"}) {
		t.Errorf("apply of a failing web: %+v %v", p, err)
	}
	if tb.Config() != next {
		t.Error("the apply did not load the new configs")
	}
	delete(tb.sd.outcome, unit("web"))
	p, err = tb.PlanApply(tb.ctx, next)
	if err != nil || len(p.Changed) != 0 || !slices.Equal(p.Restart, []string{"web"}) {
		t.Errorf("plan after the failed apply: %+v %v, want web restarted though unchanged", p, err)
	}
	p, err = tb.Apply(tb.ctx, next, nil, nil)
	if err != nil || !slices.Equal(p.Started, []string{"web"}) || len(tb.ops.pending.get()) != 0 {
		t.Errorf("apply after the fix: %+v %v, pending %v", p, err, tb.ops.pending.get())
	}
}

// An apply waits for the operations under way (it plans with every service's lock held), and a
// service left pending by an earlier apply that runs again since is not restarted.
func TestApplyWaitsForOtherOperations(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.running(t, "db")
	tb.ops.pending.set([]string{"db"})
	release, err := tb.ops.locks.acquire(tb.ctx, []string{"db"})
	if err != nil {
		t.Fatal(err)
	}
	planned := make(chan plan.Apply, 1)
	done := make(chan error, 1)
	go func() {
		_, err := tb.Apply(tb.ctx, tb.Config(), func(p plan.Apply) { planned <- p }, nil)
		done <- err
	}()
	select {
	case <-planned:
		t.Fatal("the apply planned while another operation held db")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	select {
	case p := <-planned:
		if p.Acts() {
			t.Errorf("plan %+v: a pending service that runs again is restarted", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the apply did not plan once the lock was free")
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(tb.ctx)
	release, _ = tb.ops.locks.acquire(tb.ctx, []string{"cache"})
	defer release()
	cancel()
	if _, err := tb.Apply(ctx, tb.Config(), nil, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("an apply whose caller gave up waiting: %v", err)
	}
}

// The helpers of an apply's plan: names in another list's order, names in start order
// (undefined and bad-config ones left out).
func TestApplyHelpers(t *testing.T) {
	t.Run("stoppedLater", func(t *testing.T) {
		later := []graphs.StopPlan{{Service: "db", Order: []string{"web", "api", "db"}}}
		for name, want := range map[string]bool{"web": true, "db": true, "worker": false} {
			if got := stoppedLater(name, later); got != want {
				t.Errorf("stoppedLater(%s) = %v, want %v", name, got, want)
			}
		}
		if stoppedLater("web", nil) {
			t.Error("stoppedLater with no later stop")
		}
	})
	if got := inOrderOf([]string{"c", "a", "x"}, []string{"a", "b", "c"}); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("inOrderOf = %v", got)
	}
	set := testSet(t, applyFiles)
	got, err := startOrder(set, map[string]bool{"web": true, "db": true, "broken": true, "nope": true})
	if err != nil || !slices.Equal(got, []string{"db", "web"}) {
		t.Errorf("startOrder = %v %v", got, err)
	}
	if got, err := startOrder(set, nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("startOrder(nothing) = %#v %v", got, err)
	}
}

// A running service whose unit refers to a changed service's unit otherwise than by requires
// (After=: systemd keeps the old unit loaded for it, and the new unit could not be created)
// restarts with it, with what requires it; an apply then creates the new unit.
func TestApplyRestartsTheHoldersOfAChangedUnit(t *testing.T) {
	files := withFiles(applyFiles, map[string]string{"api.toml": service(`requires = ["web"]`)})
	tb := newTestBridge(t, files)
	tb.sd.cascade, tb.sd.gcOnReset = true, true
	tb.running(t, "db", "web", "api", "cache")
	tb.requiredBy("db", "web")
	tb.requiredBy("web", "api")
	tb.sd.mu.Lock()
	tb.sd.units[unit("cache")].holders["Before"] = []string{unit("web")}
	tb.sd.mu.Unlock()
	next := testSet(t, withFiles(files, map[string]string{"cache.toml": "description = \"new cache\"\n" + service("")}))
	p, err := tb.PlanApply(tb.ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changed) != 1 || !slices.Equal(p.Changed[0].Dependents, []string{"web", "api"}) || !slices.Equal(p.Restart, []string{"cache", "web", "api"}) || p.Unchanged != 1 {
		t.Fatalf("plan %+v, want cache changed with web (its unit refers to cache's) and api (requires web)", p)
	}
	p, err = tb.Apply(tb.ctx, next, nil, nil)
	if err != nil || !slices.Equal(sortedCopy(p.Started), []string{"api", "cache", "web"}) {
		t.Errorf("apply: %+v %v", p, err)
	}
	gen, _ := tb.svc.unit(next, next.Service("cache"))
	if def := tb.Bridge.sd.LoadedDefinition(tb.ctx, unit("cache")); def != gen.Definition {
		t.Errorf("cache runs definition %q, want %q", def, gen.Definition)
	}
}

// A service an apply could not start again is forgotten as pending once stopped on purpose.
func TestStopForgetsAPendingApply(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.ops.pending.set([]string{"web", "cache"})
	if _, err := tb.Stop(tb.ctx, "db", false, nil); err != nil {
		t.Fatal(err)
	}
	if got := tb.ops.pending.get(); len(got) != 1 || !got["cache"] {
		t.Errorf("pending after stopping db (and its dependent web): %v, want cache only", got)
	}
}
