package jobdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestApplyIsAllOrNothing(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	running := create(t, db, "web", PhaseRunning)
	b := &Batch{
		Create: []*Job{{ServiceID: "web", Context: "default", Unit: "u", InvocationID: "aa", Phase: PhaseRunning}},
		Change: map[int64]func(*Job) error{running.ID: func(j *Job) error { j.Phase = PhaseFailed; return nil }},
		State:  map[string]string{"cursor": "c1"},
	}
	if err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if b.Create[0].ID == 0 {
		t.Error("created job has no ID")
	}
	// The same invocation again: the unique index refuses it, and nothing else of the batch lands.
	dup := &Batch{
		Create: []*Job{{ServiceID: "web", Context: "default", Unit: "u", InvocationID: "aa", Phase: PhaseRunning}},
		Change: map[int64]func(*Job) error{running.ID: func(j *Job) error { j.Phase = PhaseCancelled; return nil }},
		State:  map[string]string{"cursor": "c2"},
	}
	if err := db.Apply(ctx, dup); err == nil {
		t.Fatal("an invocation was recorded twice")
	}
	got, _ := db.Get(ctx, running.ID)
	if got.Phase != PhaseFailed {
		t.Errorf("phase %s after a failed batch, want the earlier failed", got.Phase)
	}
	if c, _ := db.State(ctx, "cursor"); c != "c1" {
		t.Errorf("state %q after a failed batch, want c1", c)
	}
	j, err := db.ByInvocation(ctx, "aa")
	if err != nil || j.ID != b.Create[0].ID {
		t.Errorf("ByInvocation: %v, %v", j, err)
	}
	if _, err := db.ByInvocation(ctx, "bb"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ByInvocation of an unknown run: %v, want ErrNotFound", err)
	}
}

func TestTrimKeepsNewestEndedAndEveryRunning(t *testing.T) {
	db, _ := open(t)
	db.Keep = 3
	ctx := context.Background()
	var ended []*Job
	for i := 0; i < 6; i++ {
		ended = append(ended, create(t, db, "loop", PhaseFailed))
	}
	live := create(t, db, "loop", PhaseRunning)
	pending := create(t, db, "loop", PhasePending)
	other := create(t, db, "other", PhaseFailed)
	if err := db.Apply(ctx, &Batch{Trim: map[string]bool{"loop": true}}); err != nil {
		t.Fatal(err)
	}
	jobs, _ := db.Jobs(ctx, "loop")
	want := []int64{pending.ID, live.ID, ended[5].ID, ended[4].ID, ended[3].ID}
	if len(jobs) != len(want) {
		t.Fatalf("%d jobs left, want %d", len(jobs), len(want))
	}
	for i, j := range jobs {
		if j.ID != want[i] {
			t.Errorf("job %d is %d, want %d", i, j.ID, want[i])
		}
	}
	if _, err := db.Get(ctx, other.ID); err != nil {
		t.Errorf("another service's job was trimmed: %v", err)
	}
}

func TestLedgerFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	path := filepath.Join(dir, "jobs.db")
	db, err := Open(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	create(t, db, "web", PhaseRunning) // makes SQLite create its WAL files
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("ledger directory mode %o, want 700", st.Mode().Perm())
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o, want 600", filepath.Base(p), st.Mode().Perm())
		}
	}
}

// A ledger of schema 1 (one job per hero start, output files) is migrated in place: its rows
// stay, ended ones count as saved, and a duplicated invocation keeps only its newest job.
func TestMigratesSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	saved := migrations
	migrations = migrations[:1]
	db, err := Open(context.Background(), path, quiet)
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO jobs (service_id, context, unit, invocation_id, phase, started_at, output_file) VALUES ('web', 'default', 'u', 'x1', 'failed', datetime('now'), '/f')`,
		`INSERT INTO jobs (service_id, context, unit, invocation_id, phase, started_at, output_file) VALUES ('web', 'default', 'u', 'x1', 'running', datetime('now'), '/f')`,
	} {
		if err := db.gorm.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	jobs, _ := db.Jobs(ctx, "web")
	if len(jobs) != 2 {
		t.Fatalf("%d jobs after migration, want 2", len(jobs))
	}
	if jobs[0].InvocationID != "x1" || jobs[1].InvocationID != "" {
		t.Errorf("invocations %q, %q: want the newest job to keep x1", jobs[0].InvocationID, jobs[1].InvocationID)
	}
	if !jobs[1].OutputSaved || jobs[0].OutputSaved {
		t.Errorf("output_saved %v/%v, want the ended job saved and the running one not", jobs[1].OutputSaved, jobs[0].OutputSaved)
	}
}

func TestUnsavedListsEndedJobsWithoutTheirTail(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	a := create(t, db, "web", PhaseFailed)
	create(t, db, "web", PhaseRunning)
	b := create(t, db, "db", PhaseCancelled)
	db.Update(ctx, b.ID, func(j *Job) error { j.OutputSaved = true; return nil })
	got, err := db.Unsaved(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("unsaved %v, want only job %d", got, a.ID)
	}
}

// Every way a job is deleted (prune, prune on start, trim) remembers its invocation until
// ForgetBefore passes it; running jobs and jobs without a run are not remembered.
func TestDeletedRunsAreRemembered(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	db.Keep = 1
	mk := func(service, inv string, phase Phase) *Job {
		j := &Job{ServiceID: service, Context: "default", Unit: "hero-default-" + service + ".service", InvocationID: inv, Phase: phase}
		if err := db.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	mk("web", "pruned1", PhaseFailed)
	mk("web", "running1", PhaseRunning)
	mk("db", "pruned2", PhaseSucceeded)
	mk("db", "", PhasePending)
	mk("mail", "trimmed", PhaseFailed)
	kept := mk("mail", "kept", PhaseFailed)
	if _, err := db.PruneInactive(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PruneAndCreate(ctx, &Job{ServiceID: "db", Context: "default", Unit: "hero-default-db.service"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Apply(ctx, &Batch{Trim: map[string]bool{"mail": true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, kept.ID); err != nil {
		t.Fatalf("the newest ended job was trimmed: %v", err)
	}
	want := map[string]bool{"pruned1": true, "pruned2": true, "trimmed": true, "running1": false, "kept": false}
	for inv, forgotten := range want {
		if got, err := db.Forgotten(ctx, inv); err != nil || got != forgotten {
			t.Errorf("Forgotten(%s) = %v, %v; want %v", inv, got, err, forgotten)
		}
	}
	if err := db.ForgetBefore(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Forgotten(ctx, "pruned1"); got {
		t.Error("ForgetBefore kept a run deleted before its time")
	}
}
