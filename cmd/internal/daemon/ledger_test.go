package daemon

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/cmd/internal/paths"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

func quietDaemon(stateDir string) *herod {
	return &herod{opts: Options{StateDir: stateDir}, log: slog.New(slog.DiscardHandler)}
}

// TestADamagedLedgerIsSetAside specifies herod's answer to a ledger file that is not a sound
// database: it is kept aside, named by the time, and a new ledger is started.
func TestADamagedLedgerIsSetAside(t *testing.T) {
	state := t.TempDir()
	path := paths.LedgerFile(state)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte("not a database "), 512)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := quietDaemon(state).waitForLedger(ctx)
	if err != nil {
		t.Fatalf("a damaged ledger kept herod from starting: %v", err)
	}
	defer db.Close()
	if _, err := db.Jobs(ctx, "x"); err != nil {
		t.Errorf("the new ledger does not answer: %v", err)
	}
	aside, _ := filepath.Glob(path + ".damaged-*")
	if len(aside) != 1 {
		t.Fatalf("files set aside: %v", aside)
	}
	if kept, err := os.ReadFile(aside[0]); err != nil || !bytes.Equal(kept, junk) {
		t.Errorf("the damaged file was not kept as it was: %v", err)
	}
}

// TestALedgerMovesIntoItsDirectory specifies the move of a ledger an earlier hero kept directly in
// the state directory: its jobs are in the ledger herod opens.
func TestALedgerMovesIntoItsDirectory(t *testing.T) {
	state := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	old, err := jobdb.Open(ctx, filepath.Join(state, "jobs.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	j := &jobdb.Job{ServiceID: "db", Context: "default", Unit: "hero-default-db.service", Phase: jobdb.PhaseSucceeded, StartedAt: time.Now()}
	if err := old.Create(ctx, j); err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := quietDaemon(state).waitForLedger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.Get(ctx, j.ID); err != nil || got.ServiceID != "db" {
		t.Errorf("the moved ledger's job %d: %+v, %v", j.ID, got, err)
	}
	if _, err := os.Stat(filepath.Join(state, "jobs.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the ledger is still in its old place: %v", err)
	}
}

// TestCheckNamesEveryProblem specifies herod --check: every problem is printed with its file and
// key; services with problems are left out and the check passes, but a file others could have
// written fails it.
func TestCheckNamesEveryProblem(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("db.toml", "exec = [\"/bin/true\"]\n", 0o644)
	write("broken.toml", "exec = [\"/bin/true\"]\nrestart = \"sometimes\"\n", 0o644)
	var out bytes.Buffer
	if err := Check(Options{ConfigDir: dir, StateDir: t.TempDir()}, &out); err != nil {
		t.Fatalf("check with one broken file: %v", err)
	}
	for _, want := range []string{"broken.toml:2: restart:", "2 service(s), 1 problem(s)", "(bad-config): broken"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check's output lacks %q:\n%s", want, out.String())
		}
	}
	write("evil.toml", "exec = [\"/bin/true\"]\n", 0o666)
	out.Reset()
	err := Check(Options{ConfigDir: dir}, &out)
	if !errors.Is(err, configdir.ErrUntrusted) || !strings.Contains(err.Error(), "evil.toml") {
		t.Errorf("check with a world-writable file: %v", err)
	}
	if err := Check(Options{ConfigDir: filepath.Join(dir, "db.toml")}, &out); err == nil {
		t.Error("check of a file as the config directory passed")
	}
}
