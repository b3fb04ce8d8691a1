//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// wantIn fails the test unless out holds every one of want.
func wantIn(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: %q not in\n%s", what, w, out)
		}
	}
}

// wantNotIn fails the test if out holds any of unwanted.
func wantNotIn(t *testing.T, what, out string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(out, w) {
			t.Errorf("%s: %q in\n%s", what, w, out)
		}
	}
}

// The forms a systemctl user types first: several names, the overview, filters, did-you-mean.
func TestHeroctlSystemctlForms(t *testing.T) {
	startHerod(t)
	r := heroctl(t, "start", "web", "worker", "cleanup")
	wantExit(t, r, 0, "start web worker cleanup")

	// The overview: all is well.
	r = heroctl(t, "status")
	wantExit(t, r, 0, "status")
	wantIn(t, "status", r.Stdout, "State: running", "Services: 6 (", "SERVICE", "● web ")

	// A failure is named first.
	wantExit(t, heroctl(t, "start", "mailer"), 0, "start mailer")
	testbed.Eventually(t, 30*time.Second, "mailer failed", func() bool { return heroctl(t, "is-failed", "mailer").Code == 0 })
	r = heroctl(t, "status")
	wantIn(t, "status, mailer failed", r.Stdout, "State: degraded", "Failed: mailer", "1 failed")
	if lines := strings.Split(r.Stdout, "\n"); len(lines) < 7 || !strings.HasPrefix(lines[6], "× mailer ") {
		t.Errorf("status: the failed service is not the first listed:\n%s", r.Stdout)
	}
	var overview []client.Status
	if err := json.Unmarshal([]byte(heroctl(t, "status", "-o", "json").Stdout), &overview); err != nil || len(overview) != 6 || overview[0].Service != "mailer" {
		t.Errorf("status -o json: %v, %v", err, overview)
	}

	// list-units filters.
	r = heroctl(t, "list-units", "--failed", "--no-legend")
	if got := strings.TrimSpace(r.Stdout); !strings.HasPrefix(got, "hero-default-mailer.service") || strings.Contains(got, "\n") {
		t.Errorf("list-units --failed:\n%s", r.Stdout)
	}
	r = heroctl(t, "list-units", "--state=exited,failed", "--no-legend", "-l")
	wantIn(t, "list-units --state=exited,failed", r.Stdout, "hero-default-mailer.service", "hero-default-cleanup.service")
	wantNotIn(t, "list-units --state=exited,failed", r.Stdout, "hero-default-web.service")
	wantExit(t, heroctl(t, "list-units", "--state=broken"), 1, "list-units --state=broken")

	// An exited oneshot: its run is over, whatever the ledger's phase.
	r = heroctl(t, "status", "cleanup")
	wantNotIn(t, "status cleanup", r.Stdout, ", running")
	wantIn(t, "status cleanup", r.Stdout, "exited")

	// Several names on the other verbs: each is tried, the first problem sets the exit status.
	r = heroctl(t, "kill", "-s", "CONT", "mailer", "db")
	wantExit(t, r, 3, "kill mailer (not running) db")
	wantExit(t, heroctl(t, "is-active", "db"), 0, "db after kill -s CONT")
	if r := heroctl(t, "show", "-p", "State", "--value", "web", "mailer"); r.Stdout != "running\n\nfailed\n" {
		t.Errorf("show web mailer: %q", r.Stdout)
	}

	// stop --dry-run counts what runs, as the stop then reports.
	r = heroctl(t, "stop", "--dry-run", "db")
	wantIn(t, "stop --dry-run db", r.Stdout, "Stopping db stops 4 running service(s)", "Not running, left as they are: mailer.")
	r = heroctl(t, "stop", "--dry-run", "db", "-o", "json")
	wantIn(t, "stop --dry-run db -o json", r.Stdout, `"running": [`, `"stopped_dependents": [`)

	// Several names: one operation, each with its cascade.
	r = heroctl(t, "stop", "web", "worker")
	wantExit(t, r, 0, "stop web worker")
	wantIn(t, "stop web worker", r.Stderr, "Stopped web.", "Stopped worker.")
	wantExit(t, heroctl(t, "is-active", "web", "worker"), 3, "is-active web worker after the stop")
	wantExit(t, heroctl(t, "is-active", "web", "api"), 0, "is-active web api")
	r = heroctl(t, "stop", "web", "worker")
	wantIn(t, "stop web worker again", r.Stderr, "None of web, worker was running.")
	wantExit(t, heroctl(t, "restart", "api", "db"), 0, "restart api db")
	wantExit(t, heroctl(t, "is-active", "api"), 0, "api after restart api db")

	// did-you-mean, on every verb, exit status 4 kept.
	for _, args := range [][]string{{"start", "wbe"}, {"stop", "wbe"}, {"status", "wbe"}, {"logs", "wbe"}, {"jobs", "wbe"},
		{"restart", "wbe"}, {"reload", "wbe"}, {"is-active", "wbe"}, {"cat", "wbe"}, {"stop", "--dry-run", "wbe"}} {
		r := heroctl(t, args...)
		wantExit(t, r, 4, strings.Join(args, " "))
		wantIn(t, strings.Join(args, " "), r.Stderr, `Did you mean "web"`)
	}

	// jobs without a name: every service's, newest first; --failed, --since.
	r = heroctl(t, "jobs")
	wantIn(t, "jobs", r.Stdout, "SERVICE", "mailer", "web", "cleanup")
	var jobs []client.Job
	if err := json.Unmarshal([]byte(heroctl(t, "jobs", "-o", "json").Stdout), &jobs); err != nil || len(jobs) < 6 {
		t.Errorf("jobs -o json: %v, %d jobs", err, len(jobs))
	}
	for i := 1; i < len(jobs); i++ {
		if jobs[i].StartedAt.After(jobs[i-1].StartedAt) {
			t.Errorf("jobs: not newest first: %d before %d", jobs[i-1].ID, jobs[i].ID)
		}
	}
	r = heroctl(t, "jobs", "--failed", "-o", "json")
	var failed []client.Job
	if err := json.Unmarshal([]byte(r.Stdout), &failed); err != nil || len(failed) == 0 {
		t.Errorf("jobs --failed: %v, %q", err, r.Stdout)
	}
	for _, j := range failed {
		if j.Phase != "failed" {
			t.Errorf("jobs --failed lists job %d, %s", j.ID, j.Phase)
		}
	}
	wantIn(t, "jobs --since '1 hour ago'", heroctl(t, "jobs", "--since", "1 hour ago").Stdout, "mailer")
	wantIn(t, "jobs --since tomorrow", heroctl(t, "jobs", "--since", "tomorrow").Stdout, "0 job(s) listed.")
	wantExit(t, heroctl(t, "jobs", "--since", "soon"), 1, "jobs --since soon")

	// logs: journalctl's time words and filters.
	wantIn(t, "logs --since '1 hour ago'", heroctl(t, "logs", "mailer", "--since", "1 hour ago", "-o", "cat").Stdout, "fatal: no route")
	for _, args := range [][]string{{"--since", "tomorrow"}, {"--until", "yesterday"}, {"-p", "err"}, {"-g", "no such words"}} {
		r := heroctl(t, append([]string{"logs", "mailer", "-o", "cat"}, args...)...)
		wantExit(t, r, 0, "logs mailer "+strings.Join(args, " "))
		wantNotIn(t, "logs mailer "+strings.Join(args, " "), r.Stdout, "mailer:")
	}
	r = heroctl(t, "logs", "mailer", "-o", "cat", "-g", "ROUTE|connecting", "-p", "info")
	wantIn(t, "logs -g -p", r.Stdout, "mailer: connecting")
	wantNotIn(t, "logs -g (case-sensitive: an upper-case letter)", r.Stdout, "fatal: no route")
	r = heroctl(t, "logs", "mailer", "-o", "cat", "-r", "-g", "^mailer:")
	if lines := strings.Split(strings.TrimSpace(r.Stdout), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "fatal") {
		t.Errorf("logs -r: %q", r.Stdout)
	}
	r = heroctl(t, "logs")
	wantExit(t, r, 1, "logs without a name")
	wantIn(t, "logs without a name", r.Stderr, "logs: missing NAME")

	// A user who may not read output is told why status shows none.
	r = heroctlAs(t, unprivileged, "status", "mailer")
	wantIn(t, "status as "+unprivileged, r.Stdout, "Hint: Some lines were not shown")

	wantExit(t, heroctl(t, "reset-failed", "mailer", "cleanup"), 0, "reset-failed mailer cleanup")
	wantExit(t, heroctl(t, "is-failed", "mailer"), 1, "is-failed mailer after reset-failed")
	// Stopped through hero, every unit goes: systemd forgets a transient unit that stopped
	// cleanly (and the tests after this one start from nothing).
	wantExit(t, heroctl(t, "stop", "db", "cleanup"), 0, "stop db cleanup")
	// Only the example stack's units: an earlier test's unit may still be winding down.
	examples := []string{"list-units", "--all", "--no-legend"}
	for _, n := range []string{"db", "api", "web", "worker", "mailer", "cleanup"} {
		examples = append(examples, "hero-default-"+n+".service")
	}
	testbed.Eventually(t, 30*time.Second, "no unit of the example stack left loaded", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", examples...).Stdout) == ""
	})
}

// editor writes a shell script that edits the file it is given with sed expression expr (or
// appends text with an "append:" prefix), for EDITOR.
func editor(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nset -e\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// heroctl edit: refused edits leave the file untouched and say why; accepted ones are loaded.
// Only a service of its own is changed: systemd may keep an example's unit loaded after the
// test, and a changed definition of it would be stale for the tests that follow.
func TestHeroctlEdit(t *testing.T) {
	h := startHerod(t)
	dbFile := filepath.Join(h.configDir, "db.toml")
	before, _ := os.ReadFile(dbFile)
	edit := func(script string, args ...string) testbed.Result {
		return testbed.Run(t, "env", append([]string{"EDITOR=" + editor(t, script), heroctlBin, "--config-dir", h.configDir, "edit"}, args...)...)
	}

	// A typo in a key: refused, with the key's hint; the file is untouched.
	r := edit(`sed -i 's/^restart = /restart_dealy = /' "$1"`, "db")
	wantExit(t, r, 1, "edit with a typo")
	wantIn(t, "edit with a typo", r.Stderr, "edit refused", `restart_dealy: unknown key or section (did you mean "restart_delay"?)`, "Your edit is kept in")
	// A cycle reported on another file: refused too.
	r = edit(`printf '\n[dependencies]\nrequires = ["web"]\n' >> "$1"`, "db")
	wantExit(t, r, 1, "edit making a cycle")
	wantIn(t, "edit making a cycle", r.Stderr, "api.toml", "dependency cycle")
	// Unchanged: nothing happens.
	r = edit("true", "db")
	wantExit(t, r, 0, "edit unchanged")
	wantIn(t, "edit unchanged", r.Stderr, "canceled: no changes")
	if after, _ := os.ReadFile(dbFile); string(after) != string(before) {
		t.Errorf("refused edits changed db.toml:\n%s", after)
	}

	// A new service needs --force; unknown names get a hint.
	r = edit("true", "dbb")
	wantExit(t, r, 4, "edit dbb")
	wantIn(t, "edit dbb", r.Stderr, "--force creates dbb.toml", `Did you mean "db"`)
	r = edit(`sed -i 's/replace this command/queue up/' "$1"`, "--force", "queue")
	wantExit(t, r, 0, "edit --force queue")
	wantIn(t, "edit --force queue", r.Stderr, "Reloaded: 7 service(s).")
	queueFile := filepath.Join(h.configDir, "queue.toml")
	if err := os.Chmod(queueFile, 0o640); err != nil {
		t.Fatal(err)
	}

	// Accepted: the file is replaced (mode kept) and herod loads it.
	r = edit(`sed -i 's/^description = .*/description = "Edited queue"/' "$1"`, "--full", "queue")
	wantExit(t, r, 0, "edit accepted")
	wantIn(t, "edit accepted", r.Stderr, "Wrote "+queueFile, "Reloaded: 7 service(s).")
	if info, err := os.Stat(queueFile); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("queue.toml after the edit: %v; want mode 0640 kept", err)
	}
	wantIn(t, "status queue after the edit", heroctl(t, "status", "queue").Stdout, "queue - Edited queue")
	wantExit(t, heroctl(t, "start", "queue"), 0, "start the new service")
	testbed.Eventually(t, 30*time.Second, "the new service's output", func() bool {
		return strings.Contains(heroctl(t, "logs", "queue", "-o", "cat").Stdout, "queue: queue up")
	})
	wantExit(t, heroctl(t, "stop", "queue"), 0, "stop queue")
}
