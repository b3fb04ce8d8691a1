//go:build integration

package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// crashLoop is a service that prints a marker naming its run, then crashes, forever.
// ${INVOCATION_ID} is systemd's ID of the run, in the service's environment.
const crashLoop = `exec = ["/bin/sh", "-c", "echo marker-${INVOCATION_ID}; sleep %s; exit 3"]
restart = "always"
restart_delay = "%s"
`

// A restart = "always" service crashing about every two seconds: every run systemd makes is a
// job of its own, with its exit status and its own output, and there are NRestarts + 1 of them.
func TestEveryRunIsAJob(t *testing.T) {
	w := newWorld(t, map[string]string{"loop.toml": fmt.Sprintf(crashLoop, "1", "1500ms")})
	w.start("loop")
	conn := testbed.Systemd(t)
	unit := w.status("loop").Unit
	testbed.Eventually(t, 60*time.Second, "three restarts by systemd", func() bool {
		n, _ := unitProp(t, conn, unit, "Service", "NRestarts").(uint32)
		return n >= 3
	})
	var jobs []jobdb.Job
	var restarts uint32
	testbed.Eventually(t, 30*time.Second, "a job for every run, the live one first", func() bool {
		if unitProp(t, conn, unit, "", "SubState") != "running" {
			return false
		}
		restarts, _ = unitProp(t, conn, unit, "Service", "NRestarts").(uint32)
		jobs = w.jobs("loop")
		return len(jobs) == int(restarts)+1 && jobs[0].Phase == jobdb.PhaseRunning
	})
	if restarts < 3 {
		t.Fatalf("systemd restarted it %d times, want at least 3", restarts)
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j.InvocationID] || j.InvocationID == "" {
			t.Errorf("job %d: invocation %q recorded twice or missing", j.ID, j.InvocationID)
		}
		seen[j.InvocationID] = true
		if j.Phase.Active() {
			continue
		}
		if j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 3 || j.EndedAt == nil {
			t.Errorf("job %d: %s, exit %v, want failed with exit status 3", j.ID, j.Phase, j.ExitCode)
		}
		id := j.ID
		want := "marker-" + j.InvocationID
		testbed.Eventually(t, 30*time.Second, "job "+fmt.Sprint(id)+"'s own marker", func() bool {
			_, out := w.output("loop", id)
			return out == want
		})
	}
	// journalctl -u shows the service's own lines: systemd keeps the output.
	out := testbed.MustRun(t, "journalctl", "--no-pager", "-o", "cat", "-u", unit)
	if !strings.Contains(out, "marker-"+jobs[len(jobs)-1].InvocationID) {
		t.Errorf("journalctl -u %s lacks the first run's marker:\n%s", unit, out)
	}
}

// A crash loop that hits systemd's start limit says so (not the last run's result), and a start
// by hand afterwards works; clean stops never make a start hit the limit.
func TestStartLimit(t *testing.T) {
	w := newWorld(t, map[string]string{
		// It crashes 0.2 s after its start: one that exits at once may end before systemd has
		// finished its start job (Type=exec), and the first start then fails (seen in CI).
		"flappy.toml": fmt.Sprintf(crashLoop, "0.2", "100ms"),
		"steady.toml": svc("steady", nil, nil),
	})
	w.start("flappy")
	seen := ""
	testbed.Eventually(t, 30*time.Second, "flappy's start limit hit", func() bool {
		s := w.status("flappy")
		if now := fmt.Sprintf("%s, limit hit %v", s.State, s.LimitHit); now != seen {
			t.Logf("flappy: %s", now) // each change, shown if the wait times out
			seen = now
		}
		return s.LimitHit && s.State == bridge.StateFailed
	})
	// A start by hand runs it again (it crashes soon, so the start itself may fail, but with
	// the run's own result, not the start limit).
	_, err := w.b.Start(w.ctx, []string{"flappy"}, true, nil)
	var se *bridge.StartError
	if err != nil && (!errors.As(err, &se) || se.Job == nil || se.Job.InvocationID == "" || se.Job.Result != "exit-code") {
		t.Errorf("start after the start limit: %v, want a run that exits 3", err)
	}
	w.stop("flappy", false)
	// systemd counts clean starts too (5 in 10 s by default): hero resets the count first.
	for i := 0; i < 8; i++ {
		if r := w.start("steady"); len(r.Started) != 1 {
			t.Fatalf("start %d of steady: %+v", i+1, r)
		}
		w.stop("steady", false)
	}
}

// herod (here: a bridge in a child process) is killed while a service crashes three times; the
// next one records those runs exactly once each, as systemd's journal has them.
func TestRunsWhileDownAreRecordedOnce(t *testing.T) {
	files := map[string]string{"loop.toml": "context = \"down\"\n" + fmt.Sprintf(crashLoop, "0.5", "500ms")}
	if dir := os.Getenv("HERO_BRIDGE_CHILD"); dir != "" {
		w := reopenWorldWith(t, dir, loadSet(t, files))
		w.start("loop")
		fmt.Println("started")
		time.Sleep(time.Minute)
		return
	}
	dir := t.TempDir()
	killChildWhen(t, "TestRunsWhileDownAreRecordedOnce", dir, "started")
	unit := "hero-down-loop.service"
	testbed.Eventually(t, 60*time.Second, "four runs in the journal", func() bool { return len(journalInvocations(t, unit)) >= 4 })
	testbed.MustRun(t, "systemctl", "stop", unit)
	t.Cleanup(func() { exec.Command("systemctl", "reset-failed", unit).Run() })
	testbed.MustRun(t, "journalctl", "--sync") // journald writes the stop's records before they are read
	journal := journalInvocations(t, unit)
	if len(journal) < 3 {
		t.Fatalf("the journal has %d runs, want at least 3", len(journal))
	}
	w := reopenWorldWith(t, dir, loadSet(t, files))
	jobs := w.jobs("loop")
	var recorded []string
	for _, j := range jobs {
		recorded = append(recorded, j.InvocationID)
		if !j.Phase.Ended() || j.EndedAt == nil {
			t.Errorf("job %d is still %s after its unit stopped", j.ID, j.Phase)
		}
	}
	sort.Strings(recorded)
	if strings.Join(recorded, " ") != strings.Join(journal, " ") {
		t.Errorf("recorded runs %v, want the journal's %v, each once", recorded, journal)
	}
	// The stop ended the last run: cancelled; every crash before it failed with exit 3.
	if jobs[0].Phase != jobdb.PhaseCancelled && jobs[0].Phase != jobdb.PhaseFailed {
		t.Errorf("last run %s", jobs[0].Phase)
	}
	for _, j := range jobs[1:] {
		if j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 3 {
			t.Errorf("job %d: %s exit %v, want failed with exit status 3", j.ID, j.Phase, j.ExitCode)
		}
	}
	// A third bridge records nothing twice.
	w.b.Close()
	w2 := reopenWorldWith(t, dir, loadSet(t, files))
	if again := w2.jobs("loop"); len(again) != len(jobs) {
		t.Errorf("%d jobs after another restart, want %d", len(again), len(jobs))
	}
}

// journalInvocations lists the distinct runs systemd recorded for unit, sorted.
func journalInvocations(t *testing.T, unit string) []string {
	seen := map[string]bool{}
	for _, e := range journalEntries(t, "_PID=1", "UNIT="+unit) {
		if id, ok := e["INVOCATION_ID"].(string); ok {
			seen[id] = true
		}
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// herod killed in the middle of a start (a dependency's health check still waiting) and in the
// middle of a cascade stop (dependents slow to stop): the next one leaves no job pending or
// running for a unit that is not, and records the cascade's runs as cancelled.
func TestKilledMidStartAndMidCascade(t *testing.T) {
	files := map[string]string{
		"slowdb.toml": "context = \"mid\"\nexec = [\"/bin/sleep\", \"1000\"]\nhealth = [\"/bin/sh\", \"-c\", \"exit 1\"]\nhealth_interval = \"100ms\"\nhealth_timeout = \"3s\"\n",
		"app.toml":    "context = \"mid\"\nexec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"slowdb\"]\n",
		"base.toml":   "context = \"mid\"\nexec = [\"/bin/sleep\", \"1000\"]\n",
		"slow.toml":   "context = \"mid\"\nexec = [\"/bin/sh\", \"-c\", \"trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done\"]\n[dependencies]\nrequires = [\"base\"]\n",
	}
	if dir := os.Getenv("HERO_BRIDGE_CHILD"); dir != "" {
		w := reopenWorldWith(t, dir, loadSet(t, files))
		activeState := func(unit string) func() string {
			return func() string {
				return strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "ActiveState", "--value", unit))
			}
		}
		switch os.Getenv("HERO_MID") {
		case "start":
			// Killed while the start waits for slowdb's health check (which never passes).
			slowdb := activeState("hero-mid-slowdb.service")
			go w.b.Start(w.ctx, []string{"app"}, true, nil)
			testbed.Eventually(t, 30*time.Second, "slowdb's health check running", func() bool { return slowdb() == "activating" })
		case "stop":
			// Killed while the cascade waits for slow, which takes a second to stop.
			slow := activeState("hero-mid-slow.service")
			w.start("slow")
			go w.b.Stop(w.ctx, "base", false, nil)
			testbed.Eventually(t, 30*time.Second, "the cascade stopping slow", func() bool { return slow() == "deactivating" })
		}
		fmt.Println("midway")
		time.Sleep(time.Minute)
		return
	}
	for _, mid := range []string{"start", "stop"} {
		t.Run(mid, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("HERO_MID", mid)
			killChildWhen(t, "TestKilledMidStartAndMidCascade", dir, "midway")
			// The health check gives up; the slow stop ends: nothing of the stack is under way.
			testbed.Eventually(t, 60*time.Second, "no job or transition of the stack under way", func() bool {
				jobs := testbed.MustRun(t, "systemctl", "list-jobs", "--no-legend")
				moving := testbed.MustRun(t, "systemctl", "list-units", "--all", "--no-legend", "--plain", "--state=activating,deactivating")
				return !strings.Contains(jobs, "hero-mid-") && !strings.Contains(moving, "hero-mid-")
			})
			w := reopenWorldWith(t, dir, loadSet(t, files))
			for _, name := range []string{"slowdb", "app", "base", "slow"} {
				s := w.status(name)
				for _, j := range w.jobs(name) {
					if !j.Phase.Ended() && !s.Up() {
						t.Errorf("%s: job %d is %s, but its unit is %s", name, j.ID, j.Phase, s.ActiveState)
					}
					if mid == "stop" && (name == "base" || name == "slow") && j.Phase != jobdb.PhaseCancelled {
						t.Errorf("%s: job %d is %s (%s), want cancelled by the cascade", name, j.ID, j.Phase, j.Result)
					}
				}
			}
			// Doing it again completes.
			if mid == "stop" {
				if r := w.stop("base", false); !r.OK {
					t.Errorf("stop again: %+v", r)
				}
			}
			exec.Command("systemctl", "stop", "hero-mid-slowdb.service", "hero-mid-app.service", "hero-mid-base.service", "hero-mid-slow.service").Run()
			exec.Command("systemctl", "reset-failed").Run()
		})
	}
}

// The ledger's disk is full: recording fails with a clear error in the log, nothing is lost,
// and every run is recorded once space returns, without a restart.
func TestFullLedgerLosesNoRun(t *testing.T) {
	dir, err := os.MkdirTemp("/run", "hero-full-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run(); os.RemoveAll(dir) })
	testbed.MustRun(t, "mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir)
	ledger, err := jobdb.Open(context.Background(), filepath.Join(dir, "jobs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	logged := &output{}
	w := &world{t: t, ledger: ledger, state: dir, ctx: context.Background()}
	w.b = newBridgeLogging(t, ledger, loadSet(t, map[string]string{
		"crasher.toml": "context = \"full\"\nexec = [\"/bin/sh\", \"-c\", \"sleep 1; echo out-of-disk-test; exit 4\"]\n",
	}), "", slog.New(slog.NewTextHandler(logged, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { w.b.Close(); ledger.Close() })
	w.start("crasher")
	// The fault for sure: SQLite's write-ahead log is emptied to no blocks, then the disk is
	// filled, so the next write of the ledger needs space it cannot get.
	truncateWAL(t, filepath.Join(dir, "jobs.db"))
	filler := filepath.Join(dir, "filler")
	exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=4k").Run() // ends with "No space left on device"
	testbed.Eventually(t, 30*time.Second, "the crasher's run ended in systemd", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", "is-failed", "hero-full-crasher.service").Stdout) == "failed"
	})
	testbed.Eventually(t, 30*time.Second, "the ledger's full disk in the log", func() bool {
		return strings.Contains(logged.String(), "no space left for the ledger")
	})
	if j := w.jobs("crasher")[0]; j.Phase.Ended() {
		t.Fatalf("the end was recorded on a full disk: %+v", j)
	}
	os.Remove(filler)
	testbed.Eventually(t, 30*time.Second, "the run recorded once there is space", func() bool {
		jobs := w.jobs("crasher")
		return len(jobs) == 1 && jobs[0].Phase == jobdb.PhaseFailed && jobs[0].ExitCode != nil && *jobs[0].ExitCode == 4
	})
	db, err := jobdb.Open(w.ctx, filepath.Join(dir, "jobs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(w.ctx); err != nil {
		t.Errorf("after the disk was full: %v", err)
	}
}

// After a reboot, runs of the previous boot are closed as such: a bridge that finds open runs of
// another boot, with no record of their end, ends them as boot-ended. (A reboot is simulated by
// a bridge with a new boot ID; the journal cursor is moved past the old boot's records, as after
// a power loss that left none.)
func TestRunsOfAnEarlierBootAreClosed(t *testing.T) {
	set := func() *config.Set {
		return loadSet(t, map[string]string{"svc.toml": "context = \"boot\"\nexec = [\"/bin/sleep\", \"1000\"]\n"})
	}
	dir := t.TempDir()
	w := reopenWorldWith(t, dir, set())
	w.start("svc")
	old := w.jobs("svc")[0]
	w.b.Close()
	testbed.MustRun(t, "systemctl", "stop", "hero-boot-svc.service")
	testbed.MustRun(t, "journalctl", "--sync") // the cursor below is past the stop's records
	cursor := strings.TrimSpace(strings.TrimPrefix(testbed.MustRun(t, "journalctl", "-n", "0", "--show-cursor", "--no-pager"), "-- cursor: "))
	if err := w.ledger.SetState(w.ctx, "journal-cursor", cursor); err != nil {
		t.Fatal(err)
	}
	ledger := w.ledger
	b := newBridgeWithBoot(t, ledger, set(), "0123456789abcdef0123456789abcdef")
	defer b.Close()
	j, err := ledger.Get(w.ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Phase != jobdb.PhaseCancelled || j.Result != "boot-ended" || j.EndedAt == nil {
		t.Errorf("a run of the earlier boot: %s %s ended %v, want cancelled, boot-ended", j.Phase, j.Result, j.EndedAt)
	}
}

// What a service's env holds cannot forge its record or run anything as root: systemd's
// run-record variables are refused by validation (the service is bad-config), and LD_PRELOAD
// reaches only the service's own processes, which run as its user: the unit has no hook of
// hero's and no privileged command.
func TestEnvCannotForgeRecordsOrRunAsRoot(t *testing.T) {
	set := loadSetWithProblems(t, map[string]string{
		"forger.toml": "context = \"env\"\nexec = [\"/bin/false\"]\nenv = { SERVICE_RESULT = \"success\", EXIT_STATUS = \"0\" }\n",
		"preload.toml": "context = \"env\"\nuser = \"nobody\"\nexec = [\"/bin/sh\", \"-c\", \"echo started; exit 1\"]\n" +
			"env = { LD_PRELOAD = \"/tmp/hero-preload-probe.so\" }\n",
	})
	if !set.BadConfig("forger") {
		t.Fatalf("an env setting SERVICE_RESULT and EXIT_STATUS was accepted")
	}
	w := reopenWorldWith(t, t.TempDir(), set)
	if _, err := w.b.Start(w.ctx, []string{"forger"}, true, nil); err == nil {
		t.Errorf("a bad-config service was started")
	}
	w.b.Start(w.ctx, []string{"preload"}, true, nil)
	testbed.Eventually(t, 30*time.Second, "preload's run recorded", func() bool {
		jobs := w.jobs("preload")
		return len(jobs) == 1 && jobs[0].Phase.Ended()
	})
	j := w.jobs("preload")[0]
	if j.Phase != jobdb.PhaseFailed || j.ExitCode == nil || *j.ExitCode != 1 {
		t.Errorf("preload's run: %s exit %v, want failed with exit status 1", j.Phase, j.ExitCode)
	}
	lines := journalEntries(t, "_SYSTEMD_UNIT=hero-env-preload.service")
	if len(lines) == 0 {
		t.Errorf("the journal has no line of preload's processes")
	}
	for _, e := range lines {
		if e["_UID"] != "65534" {
			t.Errorf("a process of the unit ran as uid %v: %v", e["_UID"], e["MESSAGE"])
		}
	}
	for _, key := range []string{"ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost"} {
		if out := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", key, "--value", "hero-env-preload.service")); out != "" {
			t.Errorf("%s=%s: hero adds no command to the unit", key, out)
		}
	}
}

// loadSetWithProblems builds a config set from inline files, problems allowed.
func loadSetWithProblems(t *testing.T, files map[string]string) *config.Set {
	t.Helper()
	var fs []config.File
	for name, data := range files {
		fs = append(fs, config.File{Name: name, Data: []byte(data)})
	}
	set, _ := config.Build(fs)
	return set
}

// truncateWAL checkpoints the SQLite database at path and truncates its write-ahead log to
// zero bytes, through a connection of its own.
func truncateWAL(t *testing.T, path string) {
	t.Helper()
	db, err := gorm.Open(sqlite.Open("file:"+path+"?_pragma=busy_timeout(10000)"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var busy, frames, done int
	if err := sqlDB.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil || busy != 0 {
		t.Fatalf("wal_checkpoint(TRUNCATE): busy %d, %v", busy, err)
	}
}
