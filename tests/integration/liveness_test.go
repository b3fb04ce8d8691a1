//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// heartbeat is a service that writes the time into its runtime directory every 200 ms (and,
// after readyAfter beats, a ready mark its health check waits for); its liveness check fails
// once the heartbeat is more than a second old, as it is when the service is SIGSTOPped.
func heartbeat(readyAfter int, extra string) string {
	return `exec = ["/bin/sh", "-c", "n=0; while :; do date +%s > \"$RUNTIME_DIRECTORY/beat\"; n=$((n+1)); [ $n -ge ` + strconv.Itoa(readyAfter) + ` ] && touch \"$RUNTIME_DIRECTORY/ready\"; sleep 0.2; done"]
liveness = ["/bin/sh", "-c", "b=$(cat \"$RUNTIME_DIRECTORY/beat\") && test $(( $(date +%s) - b )) -le 1 || { echo \"no heartbeat since $b\"; exit 1; }"]
liveness_interval = "1s"
` + extra
}

// A SIGSTOPped service is killed and restarted by its policy: status and list-units say
// unhealthy while its checks fail, its run is recorded as ended by systemd's watchdog, and the
// next run is healthy. Its health check takes longer than the unit's WatchdogSec=, which
// hero-exec feeds meanwhile.
func TestLivenessRestartsAHungService(t *testing.T) {
	startHerodWith(t, map[string]string{
		"oulive.toml": heartbeat(50, "health = [\"/bin/sh\", \"-c\", \"test -e \\\"$RUNTIME_DIRECTORY/ready\\\"\"]\nhealth_timeout = \"30s\"\n"+
			"liveness_failures = 3\nrestart = \"on-failure\"\nrestart_delay = \"500ms\"\n"),
	})
	unit := "hero-default-oulive.service"
	began := time.Now()
	wantExit(t, heroctl(t, "start", "oulive"), 0, "start oulive (a 10 s health check, WatchdogSec=9s)")
	if took := time.Since(began); took < 9*time.Second {
		t.Errorf("the start took %s: the health check should have taken 10 s", took)
	}
	if w := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "WatchdogUSec", "--value", unit)); w != "9s" {
		t.Errorf("WatchdogUSec=%s, want 9s ((3+1) × 1s + 5s)", w)
	}
	testbed.Eventually(t, 10*time.Second, "oulive healthy", func() bool { return statusOf(t, "oulive").Health == "healthy" })
	pid := mainPID(t, "oulive")
	testbed.MustRun(t, "kill", "-STOP", pid)
	stopped := time.Now()
	var sawStatus, sawList bool
	testbed.Eventually(t, 20*time.Second, "status and list-units say unhealthy", func() bool {
		if out := heroctl(t, "status", "oulive").Stdout; strings.Contains(out, "State: running (unhealthy: ") && strings.Contains(out, "checks failed (exit status 1)") {
			sawStatus = true
		}
		if out := heroctl(t, "list-units").Stdout; strings.Contains(out, "running (unhealthy)") {
			sawList = true
		}
		return sawStatus && sawList || mainPID(t, "oulive") != pid
	})
	if !sawStatus || !sawList {
		t.Errorf("unhealthy not shown before the kill: status %v, list-units %v", sawStatus, sawList)
	}
	testbed.Eventually(t, 30*time.Second, "a new run of oulive, healthy", func() bool {
		p := mainPID(t, "oulive")
		return p != pid && p != "0" && active(t, "oulive") && statusOf(t, "oulive").Health == "healthy"
	})
	t.Logf("SIGSTOP to a healthy new run: %s", time.Since(stopped).Round(time.Millisecond))
	jobs := jobsOf(t, "oulive")
	if len(jobs) != 2 || jobs[1].Phase != "failed" || jobs[1].Result != "watchdog" || jobs[0].Restarts != 1 {
		t.Errorf("oulive's jobs %+v, want the hung run failed/watchdog and restart 1 running", jobs)
	}
}

// A check that hangs counts as failed; with restart = "no" the service stays failed, its job
// says watchdog, and status explains it.
func TestLivenessHangingCheckStopsAServiceThatDoesNotRestart(t *testing.T) {
	hang := filepath.Join(t.TempDir(), "hang")
	startHerodWith(t, map[string]string{
		"ouhang.toml": `exec = ["/bin/sleep", "1000"]
liveness = ["/bin/sh", "-c", "test ! -e ` + hang + ` || exec sleep 1000"]
liveness_interval = "1s"
liveness_failures = 2
`,
	})
	wantExit(t, heroctl(t, "start", "ouhang"), 0, "start ouhang")
	testbed.Eventually(t, 10*time.Second, "ouhang healthy", func() bool { return statusOf(t, "ouhang").Health == "healthy" })
	os.WriteFile(hang, nil, 0o644)
	testbed.Eventually(t, 20*time.Second, "ouhang killed by its watchdog", func() bool { return heroctl(t, "is-failed", "ouhang").Code == 0 })
	testbed.Consistently(t, 5*time.Second, "ouhang stays failed (restart = \"no\")", func() bool { return heroctl(t, "is-failed", "ouhang").Code == 0 })
	st := statusOf(t, "ouhang")
	if st.LastJob == nil || st.LastJob.Result != "watchdog" || st.LastJob.Phase != "failed" ||
		st.Health != "unhealthy: 2 of 2 checks failed (timed out after 1s)" {
		t.Errorf("ouhang's status %+v (last job %+v)", st, st.LastJob)
	}
	if out := heroctl(t, "status", "ouhang").Stdout; !strings.Contains(out, "watchdog (systemd's watchdog killed it: its liveness check kept failing") {
		t.Errorf("status ouhang does not explain the watchdog:\n%s", out)
	}
}

// The liveness check is systemd's and hero-exec's alone: with herod gone, a SIGSTOPped service
// is still killed and restarted, and the next herod records the run as ended by the watchdog.
func TestLivenessWorksWithoutHerod(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"oulh.toml": heartbeat(1, "liveness_failures = 2\nrestart = \"on-failure\"\n"),
	})
	wantExit(t, heroctl(t, "start", "oulh"), 0, "start oulh")
	testbed.Eventually(t, 10*time.Second, "oulh healthy", func() bool { return statusOf(t, "oulh").Health == "healthy" })
	h.cmd.Process.Kill()
	h.cmd.Wait()
	unit := "hero-default-oulh.service"
	pid := mainPID(t, "oulh")
	testbed.MustRun(t, "kill", "-STOP", pid)
	testbed.Eventually(t, 30*time.Second, "systemd restarted oulh, no herod running", func() bool {
		return strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "NRestarts", "--value", unit)) == "1" &&
			mainPID(t, "oulh") != pid && testbed.Run(t, "systemctl", "is-active", unit).Code == 0
	})
	h.launch(t).serving(t)
	testbed.Eventually(t, 15*time.Second, "the next herod recorded the watchdog's kill", func() bool {
		jobs := jobsOf(t, "oulh")
		return len(jobs) == 2 && jobs[1].Phase == "failed" && jobs[1].Result == "watchdog"
	})
}

// restart_window: max_restarts counts restarts within the window only. Runs that fail faster
// than the window allows stop at the cap (3 runs for max_restarts = 2); runs spread wider than
// the window never reach it.
func TestRestartWindow(t *testing.T) {
	startHerodWith(t, map[string]string{
		"ouwfast.toml": "exec = [\"/bin/sh\", \"-c\", \"sleep 0.2; exit 1\"]\nrestart = \"always\"\nrestart_delay = \"100ms\"\nmax_restarts = 2\nrestart_window = \"3s\"\n",
		"ouwslow.toml": "exec = [\"/bin/sh\", \"-c\", \"sleep 1.6; exit 1\"]\nrestart = \"always\"\nrestart_delay = \"100ms\"\nmax_restarts = 2\nrestart_window = \"3s\"\n",
	})
	heroctl(t, "start", "ouwfast", "ouwslow")
	testbed.Eventually(t, 20*time.Second, "ouwfast stopped at its cap", func() bool { return statusOf(t, "ouwfast").LimitHit })
	if n := len(jobsOf(t, "ouwfast")); n != 3 {
		t.Errorf("ouwfast ran %d times, want 3 (a start and 2 restarts within 3 s)", n)
	}
	testbed.Eventually(t, 30*time.Second, "ouwslow past its cap's count", func() bool { return len(jobsOf(t, "ouwslow")) >= 6 })
	if st := statusOf(t, "ouwslow"); st.LimitHit || st.Restarts < 5 {
		t.Errorf("ouwslow: %d restarts, limit hit %v; want it still restarting", st.Restarts, st.LimitHit)
	}
	if w := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "StartLimitIntervalUSec", "--value", "hero-default-ouwslow.service")); w != "3s" {
		t.Errorf("StartLimitIntervalUSec=%s, want 3s", w)
	}
}

// The check runs as the service does (its user, its environment), with its arguments exactly as
// written, and the loop that runs it ends with the service's main process: with kill_mode =
// "process" (systemd signals the main process only) no loop is left behind after a stop.
func TestLivenessRunsAsTheServiceAndEndsWithIt(t *testing.T) {
	startHerodWith(t, map[string]string{
		"ouwho.toml": `user = "nobody"
exec = ["/bin/sleep", "1000"]
env = { GREETING = "from env" }
kill_mode = "process"
liveness = ["/bin/sh", "-c", "printf '%s|%s|%s' \"$(id -un)\" \"$GREETING\" \"$1\" > \"$RUNTIME_DIRECTORY/who\"", "sh", "a $literal; ` + "`b`" + `"]
liveness_interval = "1s"
`,
	})
	wantExit(t, heroctl(t, "start", "ouwho"), 0, "start ouwho")
	who := "/run/hero/ouwho/who"
	var got string
	testbed.Eventually(t, 10*time.Second, "the check ran", func() bool {
		data, err := os.ReadFile(who)
		got = string(data)
		return err == nil && got != ""
	})
	if want := "nobody|from env|a $literal; `b`"; got != want {
		t.Errorf("the check saw %q, want %q", got, want)
	}
	loops := func() string {
		return strings.TrimSpace(testbed.Run(t, "pgrep", "-u", "nobody", "-f", "hero-exec liveness").Stdout)
	}
	if loops() == "" {
		t.Fatal("no liveness loop runs beside the service")
	}
	wantExit(t, heroctl(t, "stop", "ouwho"), 0, "stop ouwho")
	testbed.Eventually(t, 10*time.Second, "the loop gone with the service", func() bool { return loops() == "" })
}
