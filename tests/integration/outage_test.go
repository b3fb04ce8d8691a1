//go:build integration

package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// Outages as they happen in production: a requirement that takes several attempts to come back,
// one whose restarts hit the start limit, herod killed meanwhile, stops on purpose. (Service
// names are this file's own: containers booted side by side share cgroup paths.)

// flakyDB is a requirement with a health check: its main process fails (exit 1, "config
// broken") as long as the counter file COUNTER holds a number above 0, taking one off each time,
// else marks itself up and runs; its health check waits for that mark.
func flakyDB(counter string, extra string) string {
	return fmt.Sprintf(`exec = ["/bin/sh", "-c", "rm -f \"$RUNTIME_DIRECTORY/up\"; n=$(cat %[1]s 2>/dev/null || echo 0); if [ \"$n\" -gt 0 ]; then echo $((n-1)) > %[1]s; echo 'config broken'; sleep 0.5; exit 1; fi; touch \"$RUNTIME_DIRECTORY/up\"; exec sleep 1000"]
health = ["/bin/sh", "-c", "test -e \"$RUNTIME_DIRECTORY/up\""]
health_interval = "200ms"
health_timeout = "20s"
restart = "on-failure"
restart_delay = "1s"
%s`, counter, extra)
}

// requiring is a service that requires reqs.
func requiring(reqs ...string) string {
	return fmt.Sprintf("exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [%q]\n", strings.Join(reqs, `", "`))
}

// active reports whether name's unit is active: started, its health check passed (heroctl
// is-active, as status, also counts a unit on its way up).
func active(t *testing.T, name string) bool {
	t.Helper()
	return strings.TrimSpace(testbed.Run(t, "systemctl", "show", "-p", "ActiveState", "--value", "hero-default-"+name+".service").Stdout) == "active"
}

// The first outage: a health-checked requirement killed while its config is broken
// fails two restart attempts, then runs. Its dependents (and theirs) come back without a human,
// status said meanwhile exactly what would happen, and the ledger keeps the outage: the
// dependent's run it ended, and every run of the requirement.
func TestOutageOfSeveralAttemptsBringsDependentsBack(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "fails")
	startHerodWith(t, map[string]string{
		"ouadb.toml":  flakyDB(counter, ""),
		"ouaapp.toml": requiring("ouadb"),
		"ouaweb.toml": requiring("ouaapp"),
	})
	wantExit(t, heroctl(t, "start", "ouaweb"), 0, "start ouaweb")
	os.WriteFile(counter, []byte("2"), 0o644)
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-ouadb.service")
	testbed.Eventually(t, 15*time.Second, "ouaapp waits and says for what", func() bool {
		st := statusOf(t, "ouaapp")
		return st.ComesBack && strings.HasPrefix(st.Waiting, "waiting for ouadb (down: ") && strings.HasSuffix(st.Waiting, "herod starts it when ouadb runs again")
	})
	testbed.Eventually(t, 60*time.Second, "ouadb runs again after two failed attempts", func() bool { return active(t, "ouadb") })
	back := time.Now()
	testbed.Eventually(t, 30*time.Second, "ouaapp and ouaweb back", func() bool { return active(t, "ouaapp") && active(t, "ouaweb") })
	t.Logf("dependents back %s after the requirement was seen active", time.Since(back).Round(time.Millisecond))
	if st := statusOf(t, "ouaweb"); st.ComesBack || st.Waiting != "" {
		t.Errorf("ouaweb runs but still says it waits: %+v", st)
	}
	dbRuns := jobsOf(t, "ouadb")
	if len(dbRuns) != 4 || dbRuns[0].Phase != "running" || dbRuns[1].Phase != "failed" || dbRuns[2].Phase != "failed" || dbRuns[3].Signal != "SIGKILL" {
		t.Errorf("ouadb's runs (newest first) %+v, want running, failed, failed, the killed one", dbRuns)
	}
	appRuns := jobsOf(t, "ouaapp")
	if len(appRuns) < 2 || appRuns[0].Phase != "running" || appRuns[len(appRuns)-1].Phase != "cancelled" {
		t.Errorf("ouaapp's runs %+v: want the new run and, kept, the run the outage ended", appRuns)
	}
}

// The start limit ends the requirement's restarts during the outage: its dependents wait, status
// says that nothing restarts it but a start, and 'heroctl start' of the requirement brings the
// whole stack back.
func TestStartLimitThenStartOfTheRequirement(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "fails")
	startHerodWith(t, map[string]string{
		"oubdb.toml":  flakyDB(counter, "max_restarts = 1\n"),
		"oubapp.toml": requiring("oubdb"),
		"oubweb.toml": requiring("oubapp"),
	})
	wantExit(t, heroctl(t, "start", "oubweb"), 0, "start oubweb")
	os.WriteFile(counter, []byte("100"), 0o644)
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-oubdb.service")
	testbed.Eventually(t, 30*time.Second, "oubdb failed for good (start limit)", func() bool { return statusOf(t, "oubdb").LimitHit })
	var st client.Status
	testbed.Eventually(t, 10*time.Second, "oubweb says what it waits for", func() bool {
		st = statusOf(t, "oubweb")
		return strings.Contains(st.Waiting, "start limit hit")
	})
	want := "waiting for oubdb (down: failed, start limit hit: systemd does not restart it; 'heroctl start oubdb' does): herod starts it when oubdb runs again"
	if st.Waiting != want || len(st.WaitsFor) != 1 || st.WaitsFor[0] != "oubdb" {
		t.Errorf("oubweb waits %q for %v, want %q", st.Waiting, st.WaitsFor, want)
	}
	if out := heroctl(t, "status", "oubweb").Stdout; !strings.Contains(out, want) {
		t.Errorf("status oubweb does not say it:\n%s", out)
	}
	os.WriteFile(counter, []byte("0"), 0o644)
	wantExit(t, heroctl(t, "start", "oubdb"), 0, "start oubdb")
	testbed.Eventually(t, 30*time.Second, "oubapp and oubweb back", func() bool { return active(t, "oubapp") && active(t, "oubweb") })

	// The same outage, ended by a restart of the requirement: its dependents were down already,
	// so the restart's stop does not stop them on purpose, and they come back.
	os.WriteFile(counter, []byte("100"), 0o644)
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-oubdb.service")
	testbed.Eventually(t, 30*time.Second, "oubdb failed for good again", func() bool { return statusOf(t, "oubdb").LimitHit })
	testbed.Eventually(t, 10*time.Second, "oubweb waits again", func() bool { return strings.Contains(statusOf(t, "oubweb").Waiting, "start limit hit") })
	os.WriteFile(counter, []byte("0"), 0o644)
	wantExit(t, heroctl(t, "restart", "oubdb"), 0, "restart oubdb")
	testbed.Eventually(t, 30*time.Second, "oubapp and oubweb back after heroctl restart", func() bool { return active(t, "oubapp") && active(t, "oubweb") })
}

// herod killed with SIGKILL while a requirement is down forgets nothing: the next herod starts
// the dependents once the requirement runs again, whether a systemctl start brought it back while
// no herod ran, or a heroctl start after; and an outage that began while no herod ran is taken up
// by the next one, from the journal.
func TestHerodKilledDuringAnOutage(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"oucdb.toml":  `exec = ["/bin/sleep", "1000"]`,
		"oucapp.toml": requiring("oucdb"),
		"oucweb.toml": requiring("oucapp"),
	})
	outage := func(round string) {
		t.Helper()
		testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-oucdb.service")
		testbed.Eventually(t, 15*time.Second, round+": oucapp waits", func() bool { return statusOf(t, "oucapp").ComesBack })
		h.cmd.Process.Kill() // SIGKILL
		h.cmd.Wait()
	}
	began := time.Now()
	phase := func(what string) {
		t.Logf("%s: %s", what, time.Since(began).Round(time.Millisecond))
		began = time.Now()
	}
	wantExit(t, heroctl(t, "start", "oucweb"), 0, "start oucweb")
	outage("systemctl start")
	phase("round 1, outage")
	testbed.MustRun(t, "systemctl", "start", "hero-default-oucdb.service")
	h.launch(t).serving(t)
	testbed.Eventually(t, 30*time.Second, "oucapp and oucweb back (systemctl start while herod was away)", func() bool {
		return active(t, "oucapp") && active(t, "oucweb")
	})
	phase("round 1, back")
	outage("heroctl start")
	h.launch(t).serving(t)
	if st := statusOf(t, "oucweb"); !st.ComesBack || !strings.Contains(st.Waiting, "oucdb") {
		t.Errorf("after herod's restart oucweb's status %+v: its wait is forgotten", st)
	}
	wantExit(t, heroctl(t, "start", "oucdb"), 0, "start oucdb")
	testbed.Eventually(t, 30*time.Second, "oucapp and oucweb back (heroctl start)", func() bool { return active(t, "oucapp") && active(t, "oucweb") })
	phase("round 2")

	h.cmd.Process.Kill()
	h.cmd.Wait()
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-oucdb.service")
	testbed.Eventually(t, 15*time.Second, "oucweb stopped by systemd, no herod running", func() bool { return !active(t, "oucweb") })
	h.launch(t).serving(t)
	testbed.Eventually(t, 15*time.Second, "the next herod: oucweb waits", func() bool { return statusOf(t, "oucweb").ComesBack })
	phase("round 3, outage")
	testbed.MustRun(t, "systemctl", "start", "hero-default-oucdb.service")
	testbed.Eventually(t, 30*time.Second, "oucapp and oucweb back (an outage begun while herod was down)", func() bool {
		return active(t, "oucapp") && active(t, "oucweb")
	})
	phase("round 3, back")
}

// A stop on purpose is final: a dependent stopped while it waits, and the dependents of a
// requirement stopped on purpose, stay stopped when the requirement runs again.
func TestStopOnPurposeDuringAnOutageIsFinal(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "fails")
	startHerodWith(t, map[string]string{
		"ouddb.toml":  flakyDB(counter, ""),
		"oudapp.toml": requiring("ouddb"),
		"oudweb.toml": requiring("oudapp"),
	})
	wantExit(t, heroctl(t, "start", "oudweb"), 0, "start oudweb")
	os.WriteFile(counter, []byte("2"), 0o644)
	testbed.MustRun(t, "systemctl", "kill", "-s", "KILL", "hero-default-ouddb.service")
	testbed.Eventually(t, 15*time.Second, "oudweb waits", func() bool { return statusOf(t, "oudweb").ComesBack })
	wantExit(t, heroctl(t, "stop", "oudweb"), 0, "stop oudweb while it waits")
	testbed.Eventually(t, 60*time.Second, "ouddb and oudapp back", func() bool { return active(t, "ouddb") && active(t, "oudapp") })
	testbed.Consistently(t, 12*time.Second, "oudweb stays stopped", func() bool { return !active(t, "oudweb") })
	if st := statusOf(t, "oudweb"); st.ComesBack || st.Waiting != "" {
		t.Errorf("a service stopped on purpose says it comes back: %+v", st)
	}
	// The requirement stopped on purpose: nothing comes back with its next start.
	wantExit(t, heroctl(t, "stop", "ouddb"), 0, "stop ouddb")
	wantExit(t, heroctl(t, "start", "ouddb"), 0, "start ouddb")
	testbed.Consistently(t, 12*time.Second, "oudapp stays stopped", func() bool { return !active(t, "oudapp") })
	// systemctl stop of the requirement is a stop on purpose too.
	wantExit(t, heroctl(t, "start", "oudapp"), 0, "start oudapp")
	testbed.MustRun(t, "systemctl", "stop", "hero-default-ouddb.service")
	wantExit(t, heroctl(t, "start", "ouddb"), 0, "start ouddb after systemctl stop")
	testbed.Consistently(t, 12*time.Second, "oudapp stays stopped after systemctl stop of ouddb", func() bool { return !active(t, "oudapp") })
}

// A soft dependency never blocks nor fails a start: one no file defines and one that fails are
// named in warnings, heroctl start exits 0 with the service running, and validate warns (exit 0).
func TestWantsIsSoft(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"ouesick.toml": "exec = [\"/opt/nowhere/ouesick\"]\n",
		"oueapp.toml":  "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nwants = [\"ouenowhere\", \"ouesick\"]\n",
	})
	r := heroctl(t, "start", "oueapp")
	wantExit(t, r, 0, "start oueapp")
	for _, w := range []string{"oueapp wants ouenowhere, which no service file defines: started without it", "ouesick, a soft dependency (wants), failed to start"} {
		if !strings.Contains(r.Stderr, w) {
			t.Errorf("start oueapp does not warn %q:\n%s", w, r.Stderr)
		}
	}
	wantExit(t, heroctl(t, "is-active", "oueapp"), 0, "oueapp runs")
	warning := `oueapp.toml:3: dependencies.wants: warning: unknown service "ouenowhere": oueapp starts without it (wants is a soft dependency)`
	for _, args := range [][]string{{"validate"}, {"validate", h.configDir}} {
		r := heroctl(t, args...)
		wantExit(t, r, 0, strings.Join(args, " "))
		if !strings.Contains(r.Stdout, warning) {
			t.Errorf("%s does not warn:\n%s\n%s", strings.Join(args, " "), r.Stdout, r.Stderr)
		}
	}
}

// max_restarts = 2: status, jobs and the D-Bus property count the same two restarts, though
// systemd's NRestarts counts a third, the one its start limit refused.
func TestRestartsAreCountedOnce(t *testing.T) {
	startHerodWith(t, map[string]string{
		"oufflaky.toml": "exec = [\"/bin/sh\", \"-c\", \"sleep 0.3; exit 1\"]\nrestart = \"always\"\nrestart_delay = \"300ms\"\nmax_restarts = 2\n",
	})
	heroctl(t, "start", "oufflaky")
	testbed.Eventually(t, 30*time.Second, "oufflaky failed for good", func() bool { return statusOf(t, "oufflaky").LimitHit })
	unit := "hero-default-oufflaky.service"
	if n := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "NRestarts", "--value", unit)); n != "3" {
		t.Logf("systemd's NRestarts is %s (systemd 252 and 257 count the refused restart: 3)", n)
	}
	var restarts []uint32
	for _, j := range jobsOf(t, "oufflaky") {
		restarts = append(restarts, j.Restarts)
	}
	st := statusOf(t, "oufflaky")
	prop := strings.TrimSpace(testbed.MustRun(t, "busctl", "get-property", api.BusName, api.ServicePath("oufflaky"),
		api.ServiceInterface, api.KeyRestarts))
	if fmt.Sprint(restarts) != "[2 1 0]" || st.Restarts != 2 || prop != "u 2" {
		t.Errorf("restarts: jobs %v, status %d, D-Bus property %q; want [2 1 0], 2, u 2", restarts, st.Restarts, prop)
	}
	if out := heroctl(t, "status", "oufflaky").Stdout; !strings.Contains(out, "Restarts: 2 ") {
		t.Errorf("status oufflaky:\n%s", out)
	}
}
