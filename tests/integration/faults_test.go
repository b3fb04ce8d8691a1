//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/api/client"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
)

// herod restarted (SIGTERM, as an upgrade does) while its services run: the new one adopts
// them, one running job each, and restarts none.
func TestHerodRestartKeepsServicesAndJobs(t *testing.T) {
	h := startHerod(t)
	wantExit(t, heroctl(t, "start", "web", "worker"), 0, "start web worker")
	running := []string{"db", "api", "web", "worker"}
	before := map[string]string{}
	for _, s := range running {
		before[s] = strings.TrimSpace(heroctl(t, "show", "-p", "InvocationID", "--value", s).Stdout)
	}
	h.stop()
	h.launch(t)
	h.serving(t) // heroctl's reads answer from systemd until herod serves
	testbed.Eventually(t, 10*time.Second, "the new herod", func() bool { return heroctl(t, "is-active", "db").Code == 0 })
	for _, s := range running {
		if after := strings.TrimSpace(heroctl(t, "show", "-p", "InvocationID", "--value", s).Stdout); after != before[s] || after == "" {
			t.Errorf("%s: run %q before herod's restart, %q after", s, before[s], after)
		}
		if n := runningJobs(t, s); n != 1 {
			t.Errorf("%s: %d running jobs after herod's restart, want 1", s, n)
		}
	}
}

func runningJobs(t *testing.T, service string) int {
	t.Helper()
	var jobs []client.Job
	if err := json.Unmarshal([]byte(heroctl(t, "jobs", service, "-o", "json").Stdout), &jobs); err != nil {
		t.Fatalf("jobs %s: %v", service, err)
	}
	n := 0
	for _, j := range jobs {
		if j.Phase == "running" {
			n++
		}
	}
	return n
}

// systemd re-executes itself and reloads its units while herod starts 20 services: the start
// completes, and every service has exactly one running job.
func TestDaemonReexecAndReloadDuringStart(t *testing.T) {
	files := map[string]string{}
	var names []string
	for i := 1; i <= 20; i++ {
		n := fmt.Sprintf("s%02d", i)
		names = append(names, n)
		files[n+".toml"] = `exec = ["/bin/sh", "-c", "sleep 0.3; touch $RUNTIME_DIRECTORY/ok; exec sleep 1000"]
health = ["/bin/sh", "-c", "test -e $RUNTIME_DIRECTORY/ok"]
health_interval = "100ms"
`
	}
	startHerodWith(t, files)
	start := heroctlBackground(t, append([]string{"start"}, names...)...)
	// systemd re-executes while the start is under way: once its first unit exists.
	testbed.Eventually(t, 30*time.Second, "the start under way", func() bool {
		return strings.TrimSpace(testbed.Run(t, "systemctl", "list-units", "--all", "--no-legend", "hero-default-s*").Stdout) != ""
	})
	testbed.MustRun(t, "systemctl", "daemon-reexec")
	testbed.MustRun(t, "systemctl", "daemon-reload")
	if code := start.wait(t, 60*time.Second); code != 0 {
		t.Errorf("heroctl start of 20 across daemon-reexec: exit %d\n%s", code, start.stderr.String())
	}
	for _, n := range names {
		if r := heroctl(t, "is-active", n); r.Code != 0 {
			t.Errorf("%s is %s", n, strings.TrimSpace(r.Stdout))
		}
		if c := runningJobs(t, n); c != 1 {
			t.Errorf("%s: %d running jobs, want 1", n, c)
		}
	}
	// herod still hears systemd: a stop after the re-execution is recorded.
	wantExit(t, heroctl(t, "stop", "s01"), 0, "stop after daemon-reexec")
	if c := runningJobs(t, "s01"); c != 0 {
		t.Errorf("s01: %d running jobs after stop", c)
	}
}

// The ledger cannot be written when herod starts (a read-only file system): herod says why
// and goes on by itself once it can, without a restart.
func TestLedgerReadOnlyAtStart(t *testing.T) {
	installPolicy(t)
	state := t.TempDir()
	testbed.MustRun(t, "mount", "--bind", state, state)
	testbed.MustRun(t, "mount", "-o", "remount,bind,ro", state)
	t.Cleanup(func() { exec.Command("umount", state).Run() })
	h := &herod{configDir: filepath.Join(testbed.SrcDir, "packaging/examples"), stateDir: state, log: filepath.Join(t.TempDir(), "herod.log")}
	h.launch(t)
	testbed.Eventually(t, 30*time.Second, "herod says why", func() bool {
		data, _ := os.ReadFile(h.log)
		return strings.Contains(string(data), "read-only file system")
	})
	began := time.Now()
	r := heroctl(t, "--config-dir", h.configDir, "status", "db")
	if took := time.Since(began); took > 7*time.Second || r.Code != 3 || !strings.Contains(r.Stderr, "not reachable") || !strings.Contains(r.Stdout, "State: inactive") {
		t.Errorf("heroctl status while herod waits for its ledger (systemd's view, within 7 s): exit %d after %s: %q\n%s", r.Code, took, r.Stderr, r.Stdout)
	}
	testbed.MustRun(t, "mount", "-o", "remount,bind,rw", state)
	testbed.Eventually(t, 10*time.Second, "herod serving once the ledger is writable", func() bool {
		return heroctl(t, "status", "db").Code == 3
	})
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")
	db, err := jobdb.Open(context.Background(), filepath.Join(state, "ledger", "jobs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Error(err)
	}
}

// herod killed moments after a start pruned the service's earlier runs: the next herod reads
// the journal since its cursor, which still holds those runs, and must not record them again.
func TestPrunedRunsStayPrunedAfterHerodKilled(t *testing.T) {
	h := startHerod(t)
	wantExit(t, heroctl(t, "start", "worker"), 0, "start worker")
	wantExit(t, heroctl(t, "stop", "db"), 0, "stop db (cascade)")
	wantExit(t, heroctl(t, "start", "worker"), 0, "start worker again (prunes the ended jobs)")
	h.cmd.Process.Signal(syscall.SIGKILL)
	h.cmd.Wait()
	h.launch(t)
	h.serving(t) // heroctl's reads answer from systemd until herod serves
	testbed.Eventually(t, 10*time.Second, "the new herod", func() bool { return heroctl(t, "is-active", "worker").Code == 0 })
	for _, s := range []string{"db", "api", "worker"} {
		var jobs []client.Job
		if err := json.Unmarshal([]byte(heroctl(t, "jobs", s, "-o", "json").Stdout), &jobs); err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].Phase != "running" {
			t.Errorf("%s: jobs %+v, want the one running job (the pruned runs stay pruned)", s, jobs)
		}
	}
}

// A ledger damaged while herod was stopped (its pages overwritten) is set aside, not retried
// forever: herod starts a new one, says so in its log, and adopts the services that run.
func TestDamagedLedgerIsSetAside(t *testing.T) {
	h := startHerod(t)
	// Runs before the damage: db's first (pruned by its second start), its second (running).
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")
	wantExit(t, heroctl(t, "stop", "db"), 0, "stop db")
	wantExit(t, heroctl(t, "start", "db"), 0, "start db again")
	issued := heroJobs(t, "db")[0].ID
	h.stop()
	path := filepath.Join(h.stateDir, "ledger", "jobs.db")
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	if err := os.WriteFile(path, []byte(strings.Repeat("damaged ", 2048)), 0o600); err != nil {
		t.Fatal(err)
	}
	h.launch(t)
	h.serving(t) // heroctl's reads answer from systemd until herod serves
	testbed.Eventually(t, 10*time.Second, "the new herod serving", func() bool { return heroctl(t, "is-active", "db").Code == 0 })
	if n := runningJobs(t, "db"); n != 1 {
		t.Errorf("db: %d running jobs in the new ledger, want 1 (adopted)", n)
	}
	// No id the damaged ledger issued is issued again: a client holding one (its object path)
	// is never shown another run under it.
	if adopted := heroJobs(t, "db")[0].ID; adopted <= issued {
		t.Errorf("the new ledger's first job is %d: the damaged one had issued ids up to %d", adopted, issued)
	}
	for id := int64(1); id <= issued; id++ {
		if r := testbed.Run(t, "busctl", "call", api.BusName, api.Path, api.Interface, api.MethodGetJob, "x", fmt.Sprint(id)); r.Code == 0 {
			t.Errorf("job %d of the damaged ledger names a run of the new one: %s", id, r.Stdout)
		}
	}
	aside, _ := filepath.Glob(path + ".damaged-*")
	if len(aside) != 1 {
		t.Errorf("damaged ledger kept as %v, want one file", aside)
	} else if data, _ := os.ReadFile(aside[0]); !strings.HasPrefix(string(data), "damaged ") {
		t.Errorf("%s does not hold the damaged file", aside[0])
	}
	if log, _ := os.ReadFile(h.log); !strings.Contains(string(log), "the job ledger was damaged") {
		t.Errorf("herod's log does not say the ledger was damaged:\n%s", log)
	}
	wantExit(t, heroctl(t, "stop", "db"), 0, "stop db in the new ledger")
}

// The ledger on a small disk (its state directory a 3 MB tmpfs): 10 services started and stopped
// 15 times through herod, each run writing 2,000 lines (its tail kept), and no operation refused;
// SQLite's write-ahead log stays about 1 MiB (it grew to 4 MB beside a database of 120 KB, and a
// 3 MB disk refused a start in five).
func TestLedgerStaysSmallOnASmallDisk(t *testing.T) {
	state, err := os.MkdirTemp("/run", "hero-small-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("umount", state).Run(); os.RemoveAll(state) })
	testbed.MustRun(t, "mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", state)
	files := map[string]string{}
	var names []string
	for i := 0; i < 10; i++ {
		names = append(names, fmt.Sprintf("s%d", i))
		files[names[i]+".toml"] = "exec = [\"/bin/sh\", \"-c\", \"seq 1 2000; exec sleep 1000\"]\n"
	}
	installPolicy(t)
	herodIn(t, t.TempDir(), state, files).serving(t)
	wal := filepath.Join(state, "ledger", "jobs.db-wal")
	var most int64
	for round := 0; round < 15; round++ {
		wantExit(t, heroctl(t, append([]string{"start"}, names...)...), 0, fmt.Sprintf("round %d: start", round))
		wantExit(t, heroctl(t, append([]string{"stop"}, names...)...), 0, fmt.Sprintf("round %d: stop", round))
		if fi, err := os.Stat(wal); err == nil && fi.Size() > most {
			most = fi.Size()
		}
	}
	df := testbed.Run(t, "du", "-sk", filepath.Join(state, "ledger")).Stdout
	t.Logf("the write-ahead log reached %d KiB; the ledger's directory: %s", most>>10, strings.TrimSpace(df))
	if most > 3<<19 {
		t.Errorf("the write-ahead log reached %d bytes, want about 1 MiB", most)
	}
	for _, n := range names {
		if jobs := heroJobs(t, n); len(jobs) == 0 || jobs[0].Phase != "cancelled" {
			t.Errorf("%s's last run is not recorded as stopped: %+v", n, jobs)
		}
	}
}

// 20 clients x 50 mixed operations on 10 overlapping services through herod's API: no error
// but the expected refusals, no hang, no lost or duplicated run, at most one running job per
// service, every ended job with an end, and final states that agree with systemd.
func TestLoadOfConcurrentClients(t *testing.T) {
	files := map[string]string{
		"base.toml": `exec = ["/bin/sleep", "1000"]`,
		"solo.toml": `exec = ["/bin/sleep", "1000"]`,
	}
	names := []string{"base", "solo"}
	for i := 1; i <= 8; i++ {
		n := fmt.Sprintf("d%d", i)
		req := "base"
		if i > 4 {
			req = fmt.Sprintf("d%d", i-4)
		}
		files[n+".toml"] = fmt.Sprintf("exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [%q]\n", req)
		names = append(names, n)
	}
	startHerodWith(t, files)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	began := time.Now()
	for c := 0; c < 20; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			cl, err := client.Dial(context.Background(), false, "")
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			rnd := rand.New(rand.NewSource(int64(c)))
			for i := 0; i < 50; i++ {
				if err := randomOperation(cl, rnd, names); err != nil {
					errs <- fmt.Errorf("client %d op %d: %w", c, i, err)
				}
			}
		}(c)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("clients hung")
	}
	t.Logf("20 clients x 50 operations in %s", time.Since(began).Round(time.Millisecond))
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The last runs' ends land in the ledger from systemd's signals, after the operations
	// answered: wait until it agrees with systemd, showing each disagreement seen meanwhile.
	seen := ""
	testbed.Eventually(t, 30*time.Second, "the ledger to agree with systemd", func() bool {
		problems := strings.Join(ledgerDisagreements(t, names), "\n")
		if problems != seen {
			t.Logf("ledger against systemd:\n%s", problems)
			seen = problems
		}
		return problems == ""
	})
}

// ledgerDisagreements says where the ledger's jobs of names disagree with systemd: a run
// recorded twice, a job still pending or ended without an end, running jobs that systemd's
// unit state does not match.
func ledgerDisagreements(t *testing.T, names []string) []string {
	var out []string
	invocations := map[string]string{}
	for _, n := range names {
		var jobs []client.Job
		if err := json.Unmarshal([]byte(heroctl(t, "jobs", n, "-o", "json").Stdout), &jobs); err != nil {
			t.Fatal(err)
		}
		active := strings.TrimSpace(testbed.Run(t, "systemctl", "is-active", "hero-default-"+n+".service").Stdout)
		running := 0
		for _, j := range jobs {
			if j.InvocationID != "" {
				if other, dup := invocations[j.InvocationID]; dup {
					out = append(out, fmt.Sprintf("run %s recorded twice (%s and %s)", j.InvocationID, other, n))
				}
				invocations[j.InvocationID] = n
			}
			switch j.Phase {
			case "running":
				running++
			case "pending":
				out = append(out, fmt.Sprintf("%s: job %d still pending", n, j.ID))
			default:
				if j.EndedAt == nil {
					out = append(out, fmt.Sprintf("%s: job %d is %s without an end", n, j.ID, j.Phase))
				}
			}
		}
		if running > 1 || (running == 1) != (active == "active") {
			out = append(out, fmt.Sprintf("%s: systemd says %s, the ledger has %d running job(s)", n, active, running))
		}
	}
	return out
}

// randomOperation does one of start, stop, restart, kill, status on a random service and waits
// for it, as heroctl does. A kill of a stopped service (NotRunning) is an expected answer.
func randomOperation(cl *client.Client, rnd *rand.Rand, names []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := names[rnd.Intn(len(names))]
	w, err := cl.WatchOperations()
	if err != nil {
		return err
	}
	defer w.Close()
	var q client.Queued
	switch rnd.Intn(5) {
	case 0, 1:
		q, err = cl.Start(ctx, name, true)
	case 2:
		q, err = cl.Stop(ctx, name, false)
	case 3:
		q, err = cl.Restart(ctx, name)
	case 4:
		if err := cl.Kill(ctx, name, int32(syscall.SIGTERM)); err != nil {
			if e, ok := client.AsError(err); ok && e.Name == api.ErrNotRunning {
				return nil
			}
			return err
		}
		_, err = cl.Status(ctx, name)
		return err
	}
	if err != nil || q.Operation == 0 {
		return err
	}
	out, err := w.Wait(ctx, q.Operation, nil)
	if err != nil {
		return err
	}
	if out.Err != nil {
		return out.Err
	}
	return nil
}

// A config changes while systemd still holds the service's failed unit: status says the
// definition is stale; start never runs the old definition: it resets the failed unit and
// creates the new one; restart applies it too.
func TestStaleDefinitionNeverRunsSilently(t *testing.T) {
	h := startHerodWith(t, map[string]string{
		"base.toml": `exec = ["/bin/sh", "-c", "echo base-v1; exec sleep 1000"]`,
		"user.toml": "exec = [\"/bin/sleep\", \"1000\"]\n[dependencies]\nrequires = [\"base\"]\n",
	})
	wantExit(t, heroctl(t, "start", "user"), 0, "start user")
	wantExit(t, heroctl(t, "kill", "-s", "KILL", "base"), 0, "kill -9 base")
	testbed.Eventually(t, 30*time.Second, "base failed", func() bool { return heroctl(t, "is-failed", "base").Code == 0 })
	os.WriteFile(filepath.Join(h.configDir, "base.toml"), []byte(`exec = ["/bin/sh", "-c", "echo base-v2; exec sleep 1000"]`), 0o644)
	wantExit(t, heroctl(t, "daemon-reload"), 0, "daemon-reload")
	var st client.Status
	if err := json.Unmarshal([]byte(heroctl(t, "status", "base", "-o", "json").Stdout), &st); err != nil || !st.Stale {
		t.Errorf("status of base after its config changed: stale %v (%v)", st.Stale, err)
	}
	// user stopped with base (BindsTo=); base's failed unit is reset and replaced by the new
	// definition, and user, which base's death stopped, comes back with it.
	if r := heroctl(t, "start", "base"); r.Code != 0 {
		t.Errorf("start base: exit %d: %s", r.Code, r.Stderr)
		t.Logf("%s", testbed.Run(t, "systemctl", "show", "hero-default-user.service").Stdout)
		t.Logf("%s", testbed.Run(t, "systemctl", "status", "--no-pager", "hero-default-user.service", "hero-default-base.service").Stdout)
	}
	testbed.Eventually(t, 30*time.Second, "the new definition's output", func() bool {
		return strings.Contains(heroctl(t, "logs", "base", "-o", "cat").Stdout, "base-v2")
	})
	var after client.Status
	if err := json.Unmarshal([]byte(heroctl(t, "status", "base", "-o", "json").Stdout), &after); err != nil || after.Stale || !after.Up() {
		t.Errorf("status after start: %+v (%v)", after, err)
	}
	testbed.Eventually(t, 10*time.Second, "user back with base", func() bool { return heroctl(t, "is-active", "user").Code == 0 })
	wantExit(t, heroctl(t, "restart", "base"), 0, "restart base")
	wantExit(t, heroctl(t, "is-active", "user"), 0, "restart started user again")
}

// herod stopped while its services run: they keep running under systemd, and status,
// list-units, is-active and is-failed answer from systemd's own view of hero's units, saying
// what they leave out; a service that does not exist is still refused.
func TestReadsFromSystemdWhileHerodIsDown(t *testing.T) {
	h := startHerod(t)
	wantExit(t, heroctl(t, "start", "db"), 0, "start db")
	h.stop()
	dir := []string{"--config-dir", h.configDir}

	r := heroctl(t, append(dir, "status", "db")...)
	wantExit(t, r, 0, "status db while herod is down")
	for _, want := range []string{"State: running", "Main PID: ", "systemd: loaded, active/running"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("status db while herod is down: no %q in\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stderr, "herod is not reachable") || !strings.Contains(r.Stderr, "systemd's view") {
		t.Errorf("status db while herod is down does not say where its answer comes from: %q", r.Stderr)
	}
	var st client.Status
	r = heroctl(t, append(dir, "status", "db", "-o", "json")...)
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil || st.State != "running" || st.MainPID == 0 || st.LastJob != nil {
		t.Errorf("status db -o json while herod is down: %+v, %v (%s)", st, err, r.Stdout)
	}
	main := strings.TrimSpace(testbed.MustRun(t, "systemctl", "show", "-p", "MainPID", "--value", st.Unit))
	if fmt.Sprint(st.MainPID) != main {
		t.Errorf("status db: main PID %d, systemd says %s", st.MainPID, main)
	}

	r = heroctl(t, append(dir, "status", "api")...)
	wantExit(t, r, 3, "status api (never started) while herod is down")
	if !strings.Contains(r.Stdout, "State: inactive") {
		t.Errorf("status api while herod is down:\n%s", r.Stdout)
	}
	wantExit(t, heroctl(t, append(dir, "status", "nosuch")...), 4, "status of a service that does not exist")
	wantExit(t, heroctl(t, append(dir, "is-active", "db")...), 0, "is-active db")
	wantExit(t, heroctl(t, append(dir, "is-active", "api")...), 3, "is-active api")

	r = heroctl(t, append(dir, "list-units", "--no-legend")...)
	wantExit(t, r, 0, "list-units while herod is down")
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if f := strings.Fields(line); len(f) >= 5 {
			rows[f[0]] = strings.Join(f[1:5], " ")
		}
	}
	if got := rows["hero-default-db.service"]; got != "loaded active running running" {
		t.Errorf("list-units while herod is down: db is %q\n%s", got, r.Stdout)
	}
	if got := rows["hero-default-web.service"]; got != "not-found inactive dead inactive" {
		t.Errorf("list-units while herod is down: web is %q\n%s", got, r.Stdout)
	}
}
