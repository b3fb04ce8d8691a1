package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"

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
	plan, err := tb.PlanApply(tb.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.DryRun || len(plan.Changed) != 1 || plan.Changed[0].Service != "db" || plan.Changed[0].Unit != unit("db") ||
		!slices.Equal(plan.Changed[0].Dependents, []string{"web"}) {
		t.Fatalf("changed %+v, want db with its dependent web", plan.Changed)
	}
	if !slices.Equal(plan.Restart, []string{"db", "web"}) || !slices.Equal(plan.Stop, []string{"cache", "gone"}) || plan.Unchanged != 2 {
		t.Errorf("restart %v stop %v unchanged %d; want db web, cache (other context) gone, 2", plan.Restart, plan.Stop, plan.Unchanged)
	}
	diff := plan.Changed[0].Diff
	if !strings.HasPrefix(diff, "--- "+unit("db")+" (running)\n+++ "+unit("db")+" (config)\n") || !strings.Contains(diff, "its text is unknown") ||
		!strings.Contains(diff, "\n+ExecStart=") && !strings.Contains(diff, "\n+[Service]") {
		t.Errorf("diff of a unit this herod did not create:\n%s", diff)
	}
	if len(tb.sd.called("StopUnit")) != 0 {
		t.Error("a dry run stopped something")
	}
	tb.sd.fail["ListUnitsByPatterns"] = errors.New("bus gone")
	if _, err := tb.PlanApply(tb.ctx); err == nil || !strings.HasPrefix(err.Error(), "apply: ") {
		t.Errorf("PlanApply while systemd fails: %v", err)
	}
}

// Apply stops removed services, restarts changed ones on their new definitions with what
// requires them, and keeps a service it could not start again pending: the next apply starts it
// though nothing changed. The unit texts it created make the next plan's diff a real one.
func TestApply(t *testing.T) {
	tb := newTestBridge(t, applyFiles)
	tb.sd.cascade, tb.sd.gcOnReset = true, true
	tb.running(t, "db", "web", "cache")
	tb.requiredBy("db", "web")
	tb.sd.add(unit("gone"), "active", "running")
	tb.setDefinition("db", "0ld")
	var progress []string
	plan, err := tb.Apply(tb.ctx, func(p Progress) { progress = append(progress, p.Service+":"+p.Event) })
	if err != nil {
		t.Fatal(err)
	}
	if plan.DryRun || !slices.Equal(plan.Started, []string{"db", "web"}) || len(plan.Failed) != 0 {
		t.Errorf("plan %+v, want db and web started", plan)
	}
	if tb.sd.state(unit("gone")) != "inactive" || !slices.Contains(progress, "gone:stopped") {
		t.Errorf("the removed service: unit %s, progress %v", tb.sd.state(unit("gone")), progress)
	}
	gen, _ := unitgen.Generate(tb.Config(), tb.Config().Service("db"), tb.unitOptions())
	if def := tb.loadedDefinition(tb.ctx, unit("db")); def != gen.Definition {
		t.Errorf("db runs definition %q, want %q", def, gen.Definition)
	}
	if plan, err := tb.PlanApply(tb.ctx); err != nil || len(plan.Changed)+len(plan.Restart)+len(plan.Stop) != 0 || plan.Unchanged != 3 {
		t.Errorf("the plan after the apply: %+v %v, want nothing to do", plan, err)
	}

	// A new definition of web that fails to start stays pending.
	files := map[string]string{}
	for k, v := range applyFiles {
		files[k] = v
	}
	files["web.toml"] = "description = \"the web\"\n" + files["web.toml"]
	tb.SetConfig(testSet(t, files))
	plan, err = tb.PlanApply(tb.ctx)
	if err != nil || len(plan.Changed) != 1 || plan.Changed[0].Service != "web" {
		t.Fatalf("plan %+v %v, want web changed", plan, err)
	}
	if d := plan.Changed[0].Diff; strings.Contains(d, "unknown") || !strings.Contains(d, "+Description=the web") || !strings.Contains(d, "-Description=") {
		t.Errorf("diff of a unit this herod created:\n%s", d)
	}
	tb.sd.outcome[unit("web")] = fakeOutcome{jobResult: "failed", exitStatus: 1}
	plan, err = tb.Apply(tb.ctx, nil)
	if err == nil || !slices.Equal(plan.Failed, []string{"web"}) {
		t.Errorf("apply of a failing web: %+v %v", plan, err)
	}
	delete(tb.sd.outcome, unit("web"))
	plan, err = tb.PlanApply(tb.ctx)
	if err != nil || len(plan.Changed) != 0 || !slices.Equal(plan.Restart, []string{"web"}) {
		t.Errorf("plan after the failed apply: %+v %v, want web restarted though unchanged", plan, err)
	}
	plan, err = tb.Apply(tb.ctx, nil)
	if err != nil || !slices.Equal(plan.Started, []string{"web"}) || len(tb.applyPending()) != 0 {
		t.Errorf("apply after the fix: %+v %v, pending %v", plan, err, tb.applyPending())
	}
}

// The helpers of an apply's plan: names in another list's order, names in start order
// (undefined and bad-config ones left out), and every line prefixed.
func TestApplyHelpers(t *testing.T) {
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
	if got := prefixLines("+", "a\nb\n"); got != "+a\n+b\n" {
		t.Errorf("prefixLines = %q", got)
	}
}
