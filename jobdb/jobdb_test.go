package jobdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jobs.db")
	db, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func create(t testing.TB, db *DB, service string, phase Phase) *Job {
	t.Helper()
	j := &Job{ServiceID: service, Context: "default", Unit: "hero-default-" + service + ".service", Phase: phase}
	if err := db.Create(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestPruneInactiveKeepsRunningAndOtherServices(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	for _, p := range []Phase{PhasePending, PhaseSucceeded, PhaseFailed, PhaseCancelled} {
		create(t, db, "web", p)
	}
	running := create(t, db, "web", PhaseRunning)
	retrying := create(t, db, "web", PhaseRetrying)
	other := create(t, db, "db", PhaseFailed)

	n, err := db.PruneInactive(ctx, "web")
	if err != nil || n != 4 {
		t.Fatalf("pruned %d, %v; want 4", n, err)
	}
	jobs, _ := db.Jobs(ctx, "web")
	if len(jobs) != 2 || jobs[0].ID != retrying.ID || jobs[1].ID != running.ID {
		t.Errorf("web jobs after prune: %+v", jobs)
	}
	if _, err := db.Get(ctx, other.ID); err != nil {
		t.Errorf("another service's job was touched: %v", err)
	}
}

func TestGetNotFound(t *testing.T) {
	db, _ := open(t)
	if _, err := db.Get(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(42) = %v, want ErrNotFound", err)
	}
	if _, err := db.Latest(context.Background(), "none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Latest(none) = %v, want ErrNotFound", err)
	}
	if _, err := db.Update(context.Background(), 42, func(*Job) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update(42) = %v, want ErrNotFound", err)
	}
}

func TestUpdateRecordsEndAndTrimsOutput(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	j := create(t, db, "crash", PhaseRunning)
	big := bytes.Repeat([]byte("x"), MaxStoredOutput+100)
	copy(big[len(big)-4:], "TAIL")
	ended := time.Now().UTC().Truncate(time.Second)
	code := 3
	_, err := db.Update(ctx, j.ID, func(j *Job) error {
		j.Phase, j.Result, j.ExitCode, j.EndedAt, j.Output = PhaseFailed, "exit-code", &code, &ended, big
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Get(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Phase != PhaseFailed || got.Result != "exit-code" || got.ExitCode == nil || *got.ExitCode != 3 || !got.EndedAt.Equal(ended) {
		t.Errorf("job after update: %+v", got)
	}
	if len(got.Output) != MaxStoredOutput || !bytes.HasSuffix(got.Output, []byte("TAIL")) {
		t.Errorf("output kept %d bytes, suffix %q; want the last %d", len(got.Output), got.Output[len(got.Output)-4:], MaxStoredOutput)
	}
	latest, _ := db.Latest(ctx, "crash")
	if latest.ID != j.ID {
		t.Errorf("latest %d, want %d", latest.ID, j.ID)
	}
}

func TestJobsNewestFirstAndActive(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	a := create(t, db, "web", PhaseSucceeded)
	b := create(t, db, "web", PhaseRunning)
	c := create(t, db, "api", PhaseRetrying)
	jobs, _ := db.Jobs(ctx, "web")
	if len(jobs) != 2 || jobs[0].ID != b.ID || jobs[1].ID != a.ID {
		t.Errorf("jobs not newest first: %+v", jobs)
	}
	active, _ := db.Active(ctx)
	if len(active) != 2 || active[0].ID != b.ID || active[1].ID != c.ID {
		t.Errorf("active: %+v", active)
	}
}

// Concurrent read-modify-write transactions must neither fail nor lose updates.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	j := create(t, db, "web", PhaseRunning)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := db.Update(ctx, j.ID, func(j *Job) error { j.Restarts++; return nil }); err != nil {
					errs <- err
				}
				// t.Fatal may not be called from this goroutine: errors go to the channel.
				svc := fmt.Sprintf("svc%d", w)
				nj := &Job{ServiceID: svc, Context: "default", Unit: "hero-default-" + svc + ".service", Phase: PhaseSucceeded}
				if err := db.Create(ctx, nj); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, _ := db.Get(ctx, j.ID)
	if got.Restarts != writers*each {
		t.Errorf("restarts %d, want %d: updates were lost", got.Restarts, writers*each)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	db, path := open(t)
	j := create(t, db, "web", PhaseFailed)
	db.Close()
	db2, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, err := db2.Get(context.Background(), j.ID); err != nil {
		t.Errorf("job lost across reopen: %v", err)
	}
	var version int
	db2.gorm.Raw("SELECT MAX(version) FROM schema_migrations").Scan(&version)
	if version != schemaVersion {
		t.Errorf("schema version %d, want %d", version, schemaVersion)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	db, path := open(t)
	db.gorm.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", schemaVersion+1, time.Now())
	db.Close()
	if _, err := Open(context.Background(), path, quiet); err == nil {
		t.Fatal("opened a ledger with a newer schema")
	}
}

// A writer killed with SIGKILL in the middle of its writes leaves a consistent ledger: every
// committed job is there, whole, and SQLite's integrity check passes.
func TestCrashMidWrite(t *testing.T) {
	if os.Getenv("HERO_JOBDB_CRASH_WRITER") != "" {
		crashWriter(os.Getenv("HERO_JOBDB_CRASH_WRITER"))
		return
	}
	path := filepath.Join(t.TempDir(), "jobs.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidWrite$")
	cmd.Env = append(os.Environ(), "HERO_JOBDB_CRASH_WRITER="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The writer's progress is read on one goroutine and handed over on a channel: the test never
	// touches a buffer another goroutine writes.
	progress := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			progress <- sc.Text()
		}
		close(progress)
	}()
	deadline := time.After(30 * time.Second)
	for reached := false; !reached; {
		select {
		case line, ok := <-progress:
			if !ok {
				t.Fatalf("writer exited on its own: %v", cmd.Wait())
			}
			reached = line == "written 200"
		case <-deadline:
			t.Fatal("writer made no progress")
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	go func() {
		for range progress {
		}
	}()
	_ = cmd.Wait()

	db, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	var check string
	db.gorm.Raw("PRAGMA integrity_check").Scan(&check)
	if check != "ok" {
		t.Fatalf("integrity_check: %s", check)
	}
	jobs, _ := db.Jobs(context.Background(), "writer")
	if len(jobs) < 200 {
		t.Fatalf("%d jobs survived; the writer reported 200 committed", len(jobs))
	}
	// Each job is wholly in one committed state: created (running, no output) or updated
	// (failed, 1000 bytes). Only the newest may lack its update: the kill came between the two.
	for i, j := range jobs {
		full, err := db.Get(context.Background(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		updated := full.Phase == PhaseFailed && len(full.Output) == 1000
		created := full.Phase == PhaseRunning && len(full.Output) == 0
		if !updated && !(created && i == 0) {
			t.Fatalf("job %d is torn or lost its update: phase %s, %d bytes of output", j.ID, full.Phase, len(full.Output))
		}
	}
	t.Logf("%d committed jobs intact after SIGKILL mid-write", len(jobs))
}

func crashWriter(path string) {
	db, err := Open(context.Background(), path, quiet)
	if err != nil {
		panic(err)
	}
	for i := 1; ; i++ {
		j := &Job{ServiceID: "writer", Context: "default", Unit: "u", Phase: PhaseRunning}
		if err := db.Create(context.Background(), j); err != nil {
			panic(err)
		}
		_, err := db.Update(context.Background(), j.ID, func(j *Job) error {
			j.Phase, j.Output = PhaseFailed, bytes.Repeat([]byte{'o'}, 1000)
			return nil
		})
		if err != nil {
			panic(err)
		}
		// A job counts once its update committed; report after that only.
		if i%200 == 0 {
			fmt.Println("written " + strconv.Itoa(i))
		}
	}
}

// A file that is not a sound database is refused as ErrDamaged, which herod answers by setting
// it aside; an empty file is a new ledger, and a newer schema is not damage.
func TestDamagedFileIsErrDamaged(t *testing.T) {
	garbage := func(t *testing.T, path string) {
		if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 512), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	corruptPages := func(t *testing.T, path string) {
		db, err := Open(context.Background(), path, quiet)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			create(t, db, fmt.Sprintf("svc%d", i), PhaseFailed)
		}
		db.Close()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		// Page 1 (the header and schema) stays; the b-tree pages after it are overwritten.
		if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 8192), 4096); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		damaged bool
	}{
		{"garbage", garbage, true},
		{"corrupt pages", corruptPages, true},
		{"empty file", func(t *testing.T, path string) { os.WriteFile(path, nil, 0o600) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "jobs.db")
			tt.prepare(t, path)
			db, err := Open(context.Background(), path, quiet)
			if got := errors.Is(err, ErrDamaged); got != tt.damaged {
				t.Fatalf("Open: %v; damaged %v, want %v", err, got, tt.damaged)
			}
			if err == nil {
				db.Close()
			}
		})
	}
	t.Run("newer schema", func(t *testing.T) {
		db, path := open(t)
		db.gorm.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", schemaVersion+1, time.Now())
		db.Close()
		_, err := Open(context.Background(), path, quiet)
		if !errors.Is(err, ErrNewerSchema) || errors.Is(err, ErrDamaged) {
			t.Fatalf("Open: %v", err)
		}
	})
}

// LatestOfAll returns, in one query, what Latest returns for each service.
func TestLatestOfAllIsLatestOfEach(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	create(t, db, "web", PhaseSucceeded)
	create(t, db, "db", PhaseFailed)
	create(t, db, "web", PhaseRunning)
	create(t, db, "db", PhaseCancelled)
	all, err := db.LatestOfAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("LatestOfAll has %d services, want 2: %v", len(all), all)
	}
	for _, svc := range []string{"web", "db"} {
		want, err := db.Latest(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		if got := all[svc]; got == nil || got.ID != want.ID || got.Phase != want.Phase {
			t.Errorf("LatestOfAll[%s] = %+v, want job %d (%s)", svc, got, want.ID, want.Phase)
		}
	}
}

// JobsOf returns, in a query per batch of services, what Jobs returns for each of the services
// asked for (newest first, no output), and nothing of other services.
func TestJobsOfIsJobsOfEach(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	for _, svc := range []string{"web", "db", "cache", "web", "db", "other", "web"} {
		j := create(t, db, svc, PhaseSucceeded)
		if _, err := db.Update(ctx, j.ID, func(j *Job) error { j.Output = []byte("line\n"); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	defer func(n int) { jobsOfBatch = n }(jobsOfBatch)
	for _, batch := range []int{1, 2, 1000} {
		jobsOfBatch = batch
		asked := []string{"web", "db", "cache", "none"}
		got, err := db.JobsOf(ctx, asked)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got["none"] != nil || got["other"] != nil {
			t.Errorf("batch %d: JobsOf has services %v, want web, db and cache", batch, slices.Sorted(maps.Keys(got)))
		}
		for _, svc := range asked {
			want, err := db.Jobs(ctx, svc)
			if err != nil {
				t.Fatal(err)
			}
			if len(got[svc]) != len(want) {
				t.Fatalf("batch %d: JobsOf[%s] has %d jobs, want %d", batch, svc, len(got[svc]), len(want))
			}
			for i := range want {
				if g := got[svc][i]; g.ID != want[i].ID || g.ServiceID != svc || g.Output != nil {
					t.Errorf("batch %d: JobsOf[%s][%d] = job %d of %s (output %q), want job %d without output", batch, svc, i, g.ID, g.ServiceID, g.Output, want[i].ID)
				}
			}
		}
	}
}
