//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// status reads a service's status as JSON.
func statusOf(t *testing.T, name string) client.Status {
	t.Helper()
	var st client.Status
	r := heroctl(t, "status", name, "-o", "json")
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status %s -o json: %v (%s %s)", name, err, r.Stdout, r.Stderr)
	}
	return st
}

func mainPID(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "MainPID", "--value", "hero-default-"+name+".service"))
}

// The trap: a stack runs, the mailer crashed and stays failed (its unit holds the api's,
// which holds the db's), the db's file changes; 'heroctl restart' of the db applies the new
// definition and brings db, api and web back, and every error names its operation. (The
// example stack under other names: containers booted side by side share cgroup paths, and a
// unit whose cgroup another container's process sits in is never unloaded.)
func TestStaleDefinitionHeldByAFailedService(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"trapdb.toml":   "exec = [\"/bin/sh\", \"-c\", \"echo trapdb-v1; exec sleep 1000\"]\nrestart = \"on-failure\"\n",
		"trapapi.toml":  "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"trapdb\"]\n",
		"trapweb.toml":  "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"trapapi\"]\n",
		"trapmail.toml": "exec = [\"/bin/sh\", \"-c\", \"sleep 0.2; exit 3\"]\n[dependencies]\nrequires = [\"trapapi\"]\n",
	})
	wantExit(t, heroctl(t, "start", "trapweb"), 0, "start trapweb")
	heroctl(t, "start", "trapmail")
	testbed.Eventually(t, 10*time.Second, "trapmail failed", func() bool { return heroctl(t, "is-failed", "trapmail").Code == 0 })
	os.WriteFile(filepath.Join(h.configDir, "trapdb.toml"), []byte("exec = [\"/bin/sh\", \"-c\", \"echo trapdb-v2; exec sleep 1000\"]\nrestart = \"on-failure\"\n"), 0o644)
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	r := heroctl(t, "restart", "trapdb")
	wantExit(t, r, 0, "restart trapdb with a failed trapmail holding its old unit")
	if strings.Contains(r.Stderr, "operation :") || strings.Contains(r.Stderr, "heroctl restart trapdb'") {
		t.Errorf("restart trapdb: an unnamed operation or advice pointing at itself: %s", r.Stderr)
	}
	for _, s := range []string{"trapdb", "trapapi", "trapweb"} {
		wantExit(t, heroctl(t, "is-active", s), 0, s+" runs after the restart")
	}
	testbed.Eventually(t, 10*time.Second, "trapdb runs its new definition", func() bool {
		return strings.Contains(heroctl(t, "logs", "trapdb", "-o", "cat").Stdout, "trapdb-v2")
	})
	if st := statusOf(t, "trapdb"); st.Stale {
		t.Errorf("trapdb still stale after restart: %+v", st)
	}
}

// A running service that only wants the changed one holds its old unit: start restarts that
// holder with it, and the new definition runs.
func TestStaleDefinitionHeldByARunningService(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"base.toml":   `exec = ["/bin/sh", "-c", "echo base-v1; exec sleep 1000"]`,
		"holder.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nwants = [\"base\"]\n",
	})
	wantExit(t, heroctl(t, "start", "holder"), 0, "start holder (pulls in base)")
	wantExit(t, heroctl(t, "is-active", "base"), 0, "wants pulled base in")
	wantExit(t, heroctl(t, "stop", "base"), 0, "stop base")
	wantExit(t, heroctl(t, "is-active", "holder"), 0, "stopping a wanted service leaves holder running")
	os.WriteFile(filepath.Join(h.configDir, "base.toml"), []byte(`exec = ["/bin/sh", "-c", "echo base-v2; exec sleep 1000"]`), 0o644)
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	r := heroctl(t, "start", "base")
	wantExit(t, r, 0, "start base while a running service holds its old unit")
	testbed.Eventually(t, 10*time.Second, "base runs its new definition", func() bool {
		return strings.Contains(heroctl(t, "logs", "base", "-o", "cat").Stdout, "base-v2")
	})
	wantExit(t, heroctl(t, "is-active", "holder"), 0, "holder was started again")
}

// needy requires solo (no restart). solo killed: systemd stops needy with it (BindsTo=), status
// says why; 'heroctl start needy' is never "already running" and brings both back.
func TestStartBringsBackADeadRequirement(t *testing.T) {
	startHerodWith(t, map[string]string{
		"solo.toml":  `exec = ["/bin/sleep", "1000"]`,
		"needy.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"solo\"]\n",
	})
	wantExit(t, heroctl(t, "start", "needy"), 0, "start needy")
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-solo.service")
	testbed.Eventually(t, 10*time.Second, "solo failed and needy stopped", func() bool {
		return heroctl(t, "is-failed", "solo").Code == 0 && heroctl(t, "is-active", "needy").Code != 0
	})
	testbed.Eventually(t, 10*time.Second, "needy's status says its requirement is down", func() bool {
		st := statusOf(t, "needy")
		return len(st.RequirementsDown) == 1 && st.RequirementsDown[0] == "solo" && st.ComesBack
	})
	if out := heroctl(t, "status", "needy").Stdout; !strings.Contains(out, "waiting for solo (down: failed; 'heroctl start solo' starts it): herod starts it when solo runs again") {
		t.Errorf("status needy does not say why it stopped:\n%s", out)
	}
	r := heroctl(t, "start", "needy")
	wantExit(t, r, 0, "start needy")
	if strings.Contains(r.Stderr, "already running") {
		t.Errorf("start needy said already running while solo was down: %s", r.Stderr)
	}
	wantExit(t, heroctl(t, "is-active", "solo"), 0, "solo back")
	wantExit(t, heroctl(t, "is-active", "needy"), 0, "needy back")
}

// A requirement that crashes stops its dependents (and theirs); systemd's automatic restart of
// it brings them back. A service that only wants it is never touched.
func TestCrashStopsDependentsAndRestartReturnsThem(t *testing.T) {
	startHerodWith(t, map[string]string{
		"store.toml": "exec = [\"/bin/sleep\", \"1000\"]\nrestart = \"on-failure\"\nrestart_delay = \"2s\"\n",
		"app.toml":   "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"store\"]\n",
		"front.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"app\"]\n",
		"cache.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nwants = [\"store\"]\n",
	})
	wantExit(t, heroctl(t, "start", "front", "cache"), 0, "start front and cache")
	appPID, cachePID := mainPID(t, "app"), mainPID(t, "cache")
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-store.service")
	testbed.Eventually(t, 10*time.Second, "app and front stopped with store", func() bool {
		return testbed.Run(t, "systemctl", "is-active", "hero-default-app.service").Code != 0 &&
			testbed.Run(t, "systemctl", "is-active", "hero-default-front.service").Code != 0
	})
	testbed.Eventually(t, 30*time.Second, "store restarted by systemd, app and front back", func() bool {
		return heroctl(t, "is-active", "store").Code == 0 && heroctl(t, "is-active", "app").Code == 0 &&
			heroctl(t, "is-active", "front").Code == 0
	})
	if pid := mainPID(t, "app"); pid == appPID {
		t.Errorf("app kept its main process %s: it was not stopped", pid)
	}
	if pid := mainPID(t, "cache"); pid != cachePID {
		t.Errorf("cache (wants store) was touched: main PID %s, was %s", pid, cachePID)
	}
	// A stop on purpose brings nothing back.
	wantExit(t, heroctl(t, "stop", "store"), 0, "stop store")
	if st := statusOf(t, "app"); st.ComesBack || len(st.RequirementsDown) != 1 {
		t.Errorf("after 'heroctl stop store', app: comes back %v, requirements down %q", st.ComesBack, st.RequirementsDown)
	}
}

// A service that exits at once under a 30 s health check: the start fails within seconds with
// the service's own exit status, not at the health timeout. A health timeout says timeout.
func TestHealthLoopEndsWithItsService(t *testing.T) {
	startHerodWith(t, map[string]string{
		"quick.toml": "exec = [\"/bin/sh\", \"-c\", \"echo quick: giving up; exit 1\"]\nhealth = [\"/bin/false\"]\nhealth_timeout = \"30s\"\n",
		"slow.toml":  "exec = [\"/bin/sleep\", \"1000\"]\nhealth = [\"/bin/false\"]\nhealth_timeout = \"2s\"\nhealth_interval = \"500ms\"\n",
	})
	began := time.Now()
	r := heroctl(t, "start", "quick")
	took := time.Since(began)
	wantExit(t, r, 1, "start quick")
	if took > 15*time.Second {
		t.Errorf("start of a service that exits at once took %s (health_timeout 30s)", took)
	}
	if !strings.Contains(r.Stderr, "exit status 1") || !strings.Contains(r.Stderr, "main process exited") {
		t.Errorf("start quick: %s", r.Stderr)
	}
	r = heroctl(t, "start", "slow")
	wantExit(t, r, 1, "start slow")
	if !strings.Contains(r.Stderr, "timeout") || strings.Contains(r.Stderr, "killed by SIGTERM") {
		t.Errorf("a health timeout is not reported as one: %s", r.Stderr)
	}
}

// A program that does not exist: the start says it could not be executed, with systemd's reason
// whenever journald has written it by then (herod waits for it up to 10 s); the logs the error
// points to show it once written. (On a loaded machine the message can be lost: systemd's
// logging gives up on journald's socket after a send timeout, 10 ms in PID 1 and 10 s in other
// processes, and drops what it could not send.)
func TestMissingProgramSaysWhy(t *testing.T) {
	startHerodWith(t, map[string]string{
		"ghost.toml": `exec = ["/opt/nowhere/ghostd", "--serve"]`,
	})
	began := time.Now()
	r := heroctl(t, "start", "ghost")
	answered := time.Now()
	wantExit(t, r, 1, "start ghost")
	if !strings.Contains(r.Stderr, "203/EXEC") || !strings.Contains(r.Stderr, "could not be executed") || !strings.Contains(r.Stderr, "heroctl logs ghost") {
		t.Errorf("start of a missing program: %s", r.Stderr)
	}
	written, ok := reasonWritten(t, "hero-default-ghost.service", "/opt/nowhere/ghostd", began.Add(-time.Second), 60*time.Second)
	switch {
	case !ok:
		t.Logf("systemd's reason never reached the journal (dropped on a loaded machine): nothing to quote; the error: %s", r.Stderr)
	case strings.Contains(r.Stderr, "/opt/nowhere/ghostd"):
	case written.Before(answered.Add(-time.Second)):
		t.Errorf("journald wrote systemd's reason at %s, before the start answered (%s), and the error does not quote it: %s",
			written.Format(time.RFC3339Nano), answered.Format(time.RFC3339Nano), r.Stderr)
	default:
		t.Logf("journald wrote systemd's reason at %s, after the start answered (%s): a loaded machine", written.Format(time.RFC3339Nano), answered.Format(time.RFC3339Nano))
	}
	if logs := heroctl(t, "logs", "ghost").Stdout; ok && !strings.Contains(logs, "/opt/nowhere/ghostd") {
		t.Errorf("heroctl logs ghost does not show systemd's reason, which the journal holds:\n%s", logs)
	}
}

// reasonWritten waits up to wait for a line of unit containing text since then, and returns
// when journald wrote it (its receive time, __REALTIME_TIMESTAMP).
func reasonWritten(t *testing.T, unit, text string, since time.Time, wait time.Duration) (time.Time, bool) {
	t.Helper()
	var written time.Time
	found := testbed.Until(wait, 200*time.Millisecond, func() bool {
		out := testbed.Run(t, "journalctl", "--no-pager", "-o", "json", "--since", "@"+strconv.FormatInt(since.Unix(), 10), "-u", unit).Stdout
		for _, line := range strings.Split(out, "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(line), &e) != nil {
				continue
			}
			if msg, _ := e["MESSAGE"].(string); strings.Contains(msg, text) {
				us, _ := strconv.ParseInt(fmt.Sprint(e["__REALTIME_TIMESTAMP"]), 10, 64)
				written = time.UnixMicro(us)
				return true
			}
		}
		return false
	})
	return written, found
}

// max_restarts = 2: a service that keeps failing runs three times (its start and two automatic
// restarts), then stays failed with the start limit hit; a start runs it again.
func TestMaxRestartsCapsAutomaticRestarts(t *testing.T) {
	startHerodWith(t, map[string]string{
		"flaky.toml": "exec = [\"/bin/sh\", \"-c\", \"sleep 0.3; exit 1\"]\nrestart = \"always\"\nrestart_delay = \"300ms\"\nmax_restarts = 2\n",
	})
	heroctl(t, "start", "flaky")
	runs := func() int {
		var jobs []client.Job
		json.Unmarshal([]byte(heroctl(t, "jobs", "flaky", "-o", "json").Stdout), &jobs)
		return len(jobs)
	}
	testbed.Eventually(t, 30*time.Second, "flaky failed for good", func() bool {
		return heroctl(t, "is-failed", "flaky").Code == 0 && statusOf(t, "flaky").LimitHit
	})
	if n := runs(); n != 3 {
		t.Errorf("flaky ran %d times, want 3 (a start and 2 restarts)", n)
	}
	if out := heroctl(t, "status", "flaky").Stdout; !strings.Contains(out, "start-limit-hit") {
		t.Errorf("status flaky does not say systemd gave up:\n%s", out)
	}
	if got := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "StartLimitBurst", "--value", "hero-default-flaky.service")); got != "3" {
		t.Errorf("StartLimitBurst=%s, want 3", got)
	}
}

// applyPlanJSON is what 'heroctl apply --dry-run -o json' prints.
type applyPlanJSON struct {
	DryRun  bool `json:"dry_run"`
	Changed []struct {
		Service, File, Diff string
		Dependents          []string
	}
	Restart, Stop, Added, Updated, Removed []string
	Unchanged                              int
}

func applyDryRun(t *testing.T, r testbed.Result) applyPlanJSON {
	t.Helper()
	wantExit(t, r, 0, "apply --dry-run -o json")
	var p applyPlanJSON
	if err := json.Unmarshal([]byte(r.Stdout), &p); err != nil {
		t.Fatalf("apply --dry-run -o json: %v\n%s", err, r.Stdout)
	}
	return p
}

// apply reads the directory itself: an edit (no daemon-reload) of a running service shows in
// --dry-run, which changes nothing, not even what herod has loaded; the diff shows root the
// environment's values and others only which changed (and of the new definition, which systemd
// was not given, only the unit's shape), and never a line that did not change;
// apply prints the plan first, then acts, then says what it did: the changed service restarts
// with its running dependents on the new definition, a removed one stops, an unrelated one is
// untouched, a new one is loaded. A broken new definition stops only what requires it, and
// apply after a fix completes; a file with a problem refuses the apply and changes nothing.
func TestApplyMakesWhatRunsMatchTheConfigs(t *testing.T) {
	write := func(h *herod, name, text string) {
		if err := os.WriteFile(filepath.Join(h.configDir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := startHerodWith(t, map[string]string{
		"apdb.toml":    "exec = [\"/bin/sleep\", \"1001\"]\nenv = { TOKEN = \"s3cret-one\", MODE = \"kept-value\" }\n",
		"apapi.toml":   "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"apdb\"]\n",
		"apweb.toml":   "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"apapi\"]\n",
		"apother.toml": `exec = ["/bin/sleep", "1000"]`,
		"apgone.toml":  `exec = ["/bin/sleep", "1000"]`,
	})
	wantExit(t, heroctl(t, "start", "apweb", "apother", "apgone"), 0, "start")
	dbPID, otherPID := mainPID(t, "apdb"), mainPID(t, "apother")
	write(h, "apdb.toml", "exec = [\"/bin/sleep\", \"1002\"]\nenv = { TOKEN = \"s3cret-two\", MODE = \"kept-value\" }\n")
	write(h, "apnew.toml", `exec = ["/bin/sleep", "1000"]`)
	os.Remove(filepath.Join(h.configDir, "apgone.toml"))

	// No daemon-reload: apply reads the directory itself.
	plan := applyDryRun(t, heroctl(t, "apply", "--dry-run", "-o", "json"))
	if !plan.DryRun || len(plan.Changed) != 1 || plan.Changed[0].Service != "apdb" || plan.Changed[0].File != "apdb.toml" ||
		strings.Join(plan.Restart, " ") != "apdb apapi apweb" || strings.Join(plan.Stop, " ") != "apgone" ||
		strings.Join(plan.Changed[0].Dependents, " ") != "apapi apweb" || strings.Join(plan.Added, " ") != "apnew" ||
		strings.Join(plan.Removed, " ") != "apgone" || plan.Unchanged != 1 {
		t.Errorf("apply plan: %+v", plan)
	}
	if len(plan.Changed) != 1 {
		t.Fatalf("apply --dry-run does not see the edit of apdb.toml: %+v", plan)
	}
	if d := plan.Changed[0].Diff; !strings.Contains(d, "\n-ExecStart=/bin/sleep 1001\n") || !strings.Contains(d, "\n+ExecStart=/bin/sleep 1002\n") ||
		!strings.Contains(d, `"TOKEN=s3cret-one"`) || !strings.Contains(d, `"TOKEN=s3cret-two"`) {
		t.Errorf("apply diff, as root (who may read apdb.toml):\n%s", d)
	}
	others := applyDryRun(t, heroctlAs(t, unprivileged, "apply", "--dry-run", "-o", "json"))
	if len(others.Changed) != 1 {
		t.Fatalf("apply plan as %s: %+v", unprivileged, others)
	}
	// Of the new definition, which systemd was not given, the others see the unit's shape only
	// (apdb.toml is 0600); the lines it replaces are systemd's, which every user reads.
	if d := others.Changed[0].Diff; strings.Contains(d, "s3cret") || strings.Contains(d, "kept-value") || !strings.Contains(d, `"TOKEN=…(changed)"`) ||
		strings.Contains(d, `"MODE=…(changed)"`) || !strings.Contains(d, "\n+ExecStart=…\n") || strings.Contains(d, "1002") ||
		!strings.Contains(d, "\n-ExecStart=/bin/sleep 1001\n") {
		t.Errorf("apply diff as %s (who may not read apdb.toml):\n%s", unprivileged, d)
	}
	// A line shown removed and added again, the same, is a line that did not change.
	for _, c := range []applyPlanJSON{plan, others} {
		d := c.Changed[0].Diff
		for _, l := range strings.Split(d, "\n") {
			if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") && strings.Contains(d, "\n+"+l[1:]+"\n") {
				t.Errorf("a line that did not change is shown as changed: %q\n%s", l[1:], d)
			}
		}
	}
	if mainPID(t, "apdb") != dbPID || testbed.Run(t, "systemctl", "is-active", "hero-default-apgone.service").Code != 0 ||
		heroctl(t, "status", "apnew").Code != 4 || !strings.Contains(heroctl(t, "cat", "apdb").Stdout, "sleep 1001") {
		t.Errorf("apply --dry-run changed something (what runs, or what herod has loaded)")
	}

	r := heroctl(t, "apply")
	wantExit(t, r, 0, "apply")
	planAt, firstStep := strings.Index(r.Stderr, "apdb changed; restarts with it: apapi, apweb"), strings.Index(r.Stderr, "Stopped ")
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	if planAt < 0 || firstStep < 0 || planAt > firstStep || !strings.Contains(r.Stderr[:firstStep], "+ExecStart=/bin/sleep 1002") ||
		!strings.Contains(r.Stderr[:firstStep], "restart: apdb apapi apweb\nstop: apgone\nadded (not started): apnew\n") ||
		lines[len(lines)-1] != "Applied: restarted apdb, apapi, apweb; stopped apgone." {
		t.Errorf("apply's output: the plan and its diff first, then the steps, then what it did:\n%s", r.Stderr)
	}
	if args := testbed.MustRun(t, "ps", "-o", "args=", "-p", mainPID(t, "apdb")); !strings.Contains(args, "1002") {
		t.Errorf("apdb runs %q after apply, want the new definition", args)
	}
	for _, s := range []string{"apapi", "apweb"} {
		wantExit(t, heroctl(t, "is-active", s), 0, s+" back after apply")
	}
	if mainPID(t, "apother") != otherPID {
		t.Errorf("apply touched an unrelated service")
	}
	if testbed.Run(t, "systemctl", "is-active", "hero-default-apgone.service").Code == 0 {
		t.Errorf("a removed service still runs after apply")
	}
	wantExit(t, heroctl(t, "is-active", "apnew"), 3, "apnew loaded by the apply, not started")
	if r := heroctl(t, "apply"); r.Code != 0 || !strings.Contains(r.Stderr, "Nothing to apply: what runs matches the configs.") {
		t.Errorf("apply with nothing changed: %d\n%s", r.Code, r.Stderr)
	}

	// A file with a problem: refused, every problem named, nothing changed.
	write(h, "apdb.toml", "exec = [\"/bin/sleep\", \"1003\"]\nrestrat = \"always\"\n")
	dbPID = mainPID(t, "apdb")
	if r := heroctl(t, "apply"); r.Code != 1 || !strings.Contains(r.Stderr, "apdb.toml:2: restrat") || !strings.Contains(r.Stderr, "nothing was applied") ||
		mainPID(t, "apdb") != dbPID || !strings.Contains(heroctl(t, "cat", "apdb").Stdout, "sleep 1002") {
		t.Errorf("apply of a directory with a problem: %d\n%s", r.Code, r.Stderr)
	}

	// A broken definition: what requires it is not started, the rest keeps running.
	write(h, "apdb.toml", `exec = ["/opt/nowhere/apdb"]`)
	wantExit(t, heroctl(t, "apply"), 1, "apply of a broken definition")
	for _, s := range []string{"apdb", "apapi", "apweb"} {
		if heroctl(t, "is-active", s).Code == 0 {
			t.Errorf("%s runs after a failed apply", s)
		}
	}
	if mainPID(t, "apother") != otherPID {
		t.Errorf("a failed apply touched an unrelated service")
	}
	write(h, "apdb.toml", `exec = ["/bin/sleep", "1003"]`)
	wantExit(t, heroctl(t, "apply"), 0, "apply after the fix")
	for _, s := range []string{"apdb", "apapi", "apweb"} {
		wantExit(t, heroctl(t, "is-active", s), 0, s+" runs after apply completed")
	}
}

// start and restart of a service whose file has problems (edited, not applied) run its last
// good definition and say so on stderr, naming the problems; the exit status is 0 unless
// --strict. heroctl alone lists the units as list-units does.
func TestStartWarnsOfTheLastGoodDefinition(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"lgdb.toml":  `exec = ["/bin/sleep", "1000"]`,
		"lgapi.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"lgdb\"]\n",
	})
	wantExit(t, heroctl(t, "start", "lgapi"), 0, "start lgapi")
	if alone, list := heroctl(t), heroctl(t, "list-units"); alone.Code != 0 || alone.Stdout != list.Stdout || !strings.Contains(alone.Stdout, "lgapi") {
		t.Errorf("heroctl alone: %d\n%s\nlist-units:\n%s", alone.Code, alone.Stdout, list.Stdout)
	}
	os.WriteFile(filepath.Join(h.configDir, "lgdb.toml"), []byte("exec = [\"/bin/sleep\", \"2000\"]\nrestrat = \"always\"\n"), 0o644)
	r := heroctl(t, "restart", "lgdb")
	wantExit(t, r, 0, "restart lgdb with a problem in its file")
	if !strings.Contains(r.Stderr, "warning: lgdb runs its last good definition, not its file: lgdb.toml has 1 problem(s):\n  lgdb.toml:2: restrat: ") ||
		strings.Contains(r.Stderr, "warning: lgapi") {
		t.Errorf("restart lgdb says:\n%s", r.Stderr)
	}
	if args := testbed.MustRun(t, "ps", "-o", "args=", "-p", mainPID(t, "lgdb")); !strings.Contains(args, "1000") {
		t.Errorf("lgdb runs %q, want its last good definition", args)
	}
	wantExit(t, heroctl(t, "restart", "--strict", "lgdb"), 1, "restart --strict lgdb")
	wantExit(t, heroctl(t, "stop", "lgdb"), 0, "stop lgdb")
	r = heroctl(t, "start", "lgapi")
	wantExit(t, r, 0, "start lgapi (and lgdb) with a problem in lgdb's file")
	if !strings.Contains(r.Stderr, "warning: lgdb runs its last good definition") {
		t.Errorf("start lgapi says:\n%s", r.Stderr)
	}
	os.WriteFile(filepath.Join(h.configDir, "lgdb.toml"), []byte(`exec = ["/bin/sleep", "1000"]`), 0o644)
	if r := heroctl(t, "restart", "--strict", "lgdb"); r.Code != 0 || strings.Contains(r.Stderr, "warning") {
		t.Errorf("restart --strict of a fixed file: %d\n%s", r.Code, r.Stderr)
	}
}

// A running service ordered after a changed one (After=: systemd keeps the changed service's old
// unit loaded for it) restarts with it: apply runs the new definition instead of failing on the
// unit systemd keeps.
func TestApplyRestartsWhatIsOrderedAfterTheChange(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"ordworker.toml": `exec = ["/bin/sleep", "1000"]`,
		"ordweb.toml":    "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nafter = [\"ordworker\"]\n",
	})
	wantExit(t, heroctl(t, "start", "ordworker", "ordweb"), 0, "start")
	webPID := mainPID(t, "ordweb")
	os.WriteFile(filepath.Join(h.configDir, "ordworker.toml"), []byte(`exec = ["/bin/sleep", "2000"]`), 0o644)
	plan := applyDryRun(t, heroctl(t, "apply", "--dry-run", "-o", "json"))
	if strings.Join(plan.Restart, " ") != "ordworker ordweb" {
		t.Errorf("plan %+v, want ordworker restarted with ordweb (ordered after it)", plan)
	}
	wantExit(t, heroctl(t, "apply"), 0, "apply")
	if args := testbed.MustRun(t, "ps", "-o", "args=", "-p", mainPID(t, "ordworker")); !strings.Contains(args, "2000") {
		t.Errorf("ordworker runs %q after apply, want the new definition", args)
	}
	if pid := mainPID(t, "ordweb"); pid == webPID || pid == "0" {
		t.Errorf("ordweb's main PID %s (was %s): want it restarted", pid, webPID)
	}
}
