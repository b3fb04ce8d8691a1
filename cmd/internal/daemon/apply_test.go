package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// webChange is a change of web whose unit texts hold environment values.
func webChange() plan.Change {
	text := func(token string) string {
		return "[Service]\n# " + unitgen.EnvCommentPrefix + `"TOKEN=` + token + `"` + "\nExecStart=/bin/sleep infinity\n"
	}
	return plan.Change{Service: "web", Unit: "hero-default-web.service", File: "web.toml",
		OldText: text("s3cret-old"), NewText: text("s3cret-new"), NewWithheld: "[Service]\n# " + unitgen.EnvCommentPrefix + `"TOKEN=…"` + "\nExecStart=…\n",
		OldKnown: true}
}

// TestApplyPlansUnderItsLockAndShowsThePlanFirst specifies Apply over the bus: herod reads the
// directory on disk (an apply loads it, a dry run does not), the operation announces its plan
// ("planned") before any step, OperationPlan returns that plan (with what it started once it
// ended), and the plan reaches D-Bus and the client typed, without its texts.
func TestApplyPlansUnderItsLockAndShowsThePlanFirst(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	td.eng.mu.Lock()
	td.eng.plan = plan.Apply{Restart: []string{"web"}, Changed: []plan.Change{webChange()}, Unchanged: 2}
	td.eng.mu.Unlock()
	if err := os.WriteFile(filepath.Join(td.config, "extra.toml"), []byte("exec = [\"/bin/sleep\", \"1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := td.c.ApplyPlan(ctx, "")
	if err != nil || !p.DryRun || !slices.Equal(p.Restart, []string{"web"}) || len(p.Changed) != 1 || p.Changed[0].OldText != "" {
		t.Fatalf("ApplyPlan: %+v, %v", p, err)
	}
	if td.eng.Config().Service("extra") != nil {
		t.Error("a dry run loaded the directory")
	}
	q, err := td.c.Apply(ctx)
	if err != nil || q.Operation == 0 {
		t.Fatalf("Apply: %+v, %v", q, err)
	}
	var steps []string
	var shown plan.Apply
	o, err := td.ops.Wait(ctx, q.Operation, func(p client.Progress) {
		steps = append(steps, p.Event+" "+p.Service)
		if p.Event == "planned" {
			shown, err = td.c.OperationPlan(ctx, q.Operation)
		}
	})
	if err != nil || o.Err != nil {
		t.Fatalf("apply: %v %v", err, o.Err)
	}
	if !slices.Equal(steps, []string{"planned ", "started web"}) || !slices.Equal(shown.Restart, []string{"web"}) || len(shown.Changed) != 1 {
		t.Errorf("steps %q, plan when planned %+v; want the plan first, then the start", steps, shown)
	}
	final, err := td.c.OperationPlan(ctx, q.Operation)
	if err != nil || !slices.Equal(final.Started, []string{"web"}) || !slices.Equal(o.Strings(api.SummaryStarted), []string{"web"}) {
		t.Errorf("the plan once ended: %+v %v", final, err)
	}
	if td.eng.Config().Service("extra") == nil {
		t.Error("the apply did not load the directory")
	}
	if _, err := td.c.OperationPlan(ctx, 12345); errName(err) != api.ErrNoSuchOperation {
		t.Errorf("OperationPlan of no operation: %v", err)
	}
}

// TestApplyShowsEnvironmentValuesToReaders specifies the diff's disclosure: a caller who may read
// the service's file sees its environment values, anyone else sees them masked (and that one
// changed).
func TestApplyShowsEnvironmentValuesToReaders(t *testing.T) {
	td := startDaemon(t, stack)
	td.eng.mu.Lock()
	td.eng.plan = plan.Apply{Restart: []string{"web"}, Changed: []plan.Change{webChange()}}
	td.eng.mu.Unlock()
	if err := os.Chmod(filepath.Join(td.config, "web.toml"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := td.c.ApplyPlan(testCtx(t), "")
	if err != nil || len(p.Changed) != 1 || !strings.Contains(p.Changed[0].Diff, `+# environment file sets: "TOKEN=s3cret-new"`) {
		t.Errorf("the owner of web.toml sees: %+v %v", p, err)
	}
	out, failed := callAs(t, td, nobody, api.MethodApplyPlan, "string:")
	if failed || strings.Contains(out, "s3cret") || !strings.Contains(out, `"TOKEN=…(changed)"`) {
		t.Errorf("ApplyPlan as nobody: %s", out)
	}
}

// TestApplyRefusesADirectoryWithProblems specifies the refusal: every problem named, nothing
// planned, run or loaded.
func TestApplyRefusesADirectoryWithProblems(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	if err := os.WriteFile(filepath.Join(td.config, "db.toml"), []byte("exec = [\"/bin/sleep\"]\nrestrat = \"always\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := td.eng.Config()
	if _, err := td.c.ApplyPlan(ctx, ""); errName(err) != api.ErrInvalidConfig || !strings.Contains(err.Error(), "db.toml:2: restrat") {
		t.Errorf("ApplyPlan of a directory with a problem: %v", err)
	}
	q, err := td.c.Apply(ctx)
	if errName(err) != api.ErrInvalidConfig || q.Operation != 0 || !strings.Contains(err.Error(), "nothing was applied") {
		t.Errorf("Apply of a directory with a problem: %+v %v", q, err)
	}
	td.eng.mu.Lock()
	defer td.eng.mu.Unlock()
	if td.eng.applies != 0 || td.eng.Config() != before {
		t.Errorf("a refused apply ran (%d) or loaded the directory", td.eng.applies)
	}
}

// TestApplyPlanOfAnotherDirectory specifies ApplyPlan of a directory other than herod's: the
// plan of its files as if they were herod's, for a caller who may apply (it reads them as root),
// refused to others, and its problems named.
func TestApplyPlanOfAnotherDirectory(t *testing.T) {
	td := startDaemon(t, stack)
	ctx := testCtx(t)
	other := t.TempDir()
	for name, text := range stack {
		if err := os.WriteFile(filepath.Join(other, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p, err := td.c.ApplyPlan(ctx, other); err != nil || !p.DryRun {
		t.Errorf("ApplyPlan of %s: %+v %v", other, p, err)
	}
	if _, err := td.c.ApplyPlan(ctx, "relative/dir"); errName(err) != api.ErrInvalidArgument {
		t.Errorf("ApplyPlan of a relative directory: %v", err)
	}
	if out, failed := callAs(t, td, nobody, api.MethodApplyPlan, "string:"+other); !failed || !strings.Contains(out, api.ErrAccessDenied) {
		t.Errorf("ApplyPlan of another directory as nobody: %s", out)
	}
	if err := os.WriteFile(filepath.Join(other, "api.toml"), []byte("exec = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := td.c.ApplyPlan(ctx, other); errName(err) != api.ErrInvalidConfig || !strings.Contains(err.Error(), other+" has 1 problem(s)") {
		t.Errorf("ApplyPlan of a directory with a problem: %v", err)
	}
}
