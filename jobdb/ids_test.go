package jobdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func createN(t *testing.T, db *DB, n int) int64 {
	t.Helper()
	var last int64
	for i := 0; i < n; i++ {
		j := &Job{ServiceID: "web", Context: "default", Unit: "hero-default-web.service"}
		if err := db.Create(context.Background(), j); err != nil {
			t.Fatal(err)
		}
		last = j.ID
	}
	return last
}

// A ledger set aside as damaged never has its ids issued again: the new ledger beside it
// continues after the highest id the old one may have issued (idsFile, kept beside it), and,
// when that file is missing (a ledger of an older hero), after the highest id the damaged file
// still holds, as far as it can be read.
func TestJobIDsAreNeverIssuedTwice(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, path string) // what happens to the old ledger
		keepIDs bool                            // idsFile survives
	}{
		{"overwritten, its ids remembered beside it", func(t *testing.T, path string) {
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
			os.WriteFile(path, []byte(strings.Repeat("damaged ", 2048)), 0o600)
		}, true},
		{"deleted, its ids remembered beside it", func(t *testing.T, path string) {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(path + s)
			}
		}, true},
		{"set aside readable, from an older hero", func(t *testing.T, path string) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger", "jobs.db")
			old := openAt(t, path)
			high := createN(t, old, 5)
			old.Close()
			if !tt.keepIDs {
				os.Remove(idsPath(path))
			}
			tt.damage(t, path)
			aside := path + ".damaged-test"
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Rename(path+s, aside+s)
			}
			got, err := KeepIDsOf(aside, path)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.keepIDs && got != high {
				t.Errorf("KeepIDsOf read %d from the set-aside ledger, want %d", got, high)
			}
			db := openAt(t, path)
			defer db.Close()
			if first := createN(t, db, 1); first <= high {
				t.Errorf("the new ledger's first job is %d: ids up to %d were issued before", first, high)
			}
		})
	}
	// A damaged file with nothing readable, and no idsFile: nothing to keep, no error.
	dir := t.TempDir()
	garbage := filepath.Join(dir, "jobs.db.damaged")
	os.WriteFile(garbage, []byte(strings.Repeat("damaged ", 2048)), 0o600)
	if got, err := KeepIDsOf(garbage, filepath.Join(dir, "jobs.db")); got != 0 || err != nil {
		t.Errorf("KeepIDsOf of garbage: %d, %v", got, err)
	}
}

// The floor in idsFile is always ahead of the ids issued: raised a block at a time, before the
// ledger comes close to it.
func TestIDsFileStaysAheadOfTheLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	db := openAt(t, path)
	defer db.Close()
	for i := 0; i < 3; i++ {
		last := createN(t, db, idBlock)
		floor, err := readFloor(idsPath(path))
		if err != nil || floor < last+idMargin-1 {
			t.Fatalf("after job %d the floor is %d (%v)", last, floor, err)
		}
	}
	batch := &Batch{}
	for i := 0; i < 3*idBlock; i++ {
		batch.Create = append(batch.Create, &Job{ServiceID: fmt.Sprintf("s%d", i), Context: "default", Unit: "u"})
	}
	if err := db.Apply(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if floor, _ := readFloor(idsPath(path)); floor < batch.Create[len(batch.Create)-1].ID {
		t.Errorf("a batch of %d jobs went past the floor %d", len(batch.Create), floor)
	}
}

// The write-ahead log stays about 1 MiB however much is written: SQLite checkpoints it every
// walCheckpointPages pages and truncates it to walSizeLimit.
func TestWriteAheadLogStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jobs.db")
	db := openAt(t, path)
	defer db.Close()
	ctx := context.Background()
	out := []byte(strings.Repeat("x", 16<<10))
	maxWAL := int64(0)
	for i := 0; i < 600; i++ {
		j := &Job{ServiceID: fmt.Sprintf("s%d", i%20), Context: "default", Unit: "u", StartedAt: time.Now()}
		if _, err := db.PruneAndCreate(ctx, j); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Update(ctx, j.ID, func(j *Job) error { j.Phase, j.Output, j.OutputSaved = PhaseFailed, out, true; return nil }); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > maxWAL {
			maxWAL = fi.Size()
		}
	}
	t.Logf("the WAL reached %d KiB", maxWAL>>10)
	if limit := int64(walCheckpointPages*4096 + walSizeLimit/2); maxWAL > limit {
		t.Errorf("the write-ahead log reached %d bytes, want at most %d", maxWAL, limit)
	}
}
