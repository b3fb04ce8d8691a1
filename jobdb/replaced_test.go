package jobdb

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A ledger file deleted (rm jobs.db*) or replaced under the daemon is noticed at the next
// operation, logged at error level, and written back with every job, those recorded after the
// deletion included; a replacement is set aside.
func TestDeletedOrReplacedFileIsRestored(t *testing.T) {
	for _, how := range []string{"deleted", "replaced"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			var logs bytes.Buffer
			path := filepath.Join(t.TempDir(), "jobs.db")
			db, err := Open(ctx, path, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			create(t, db, "before", PhaseRunning)
			matches, _ := filepath.Glob(path + "*")
			for _, m := range matches {
				os.Remove(m)
			}
			if how == "replaced" {
				os.WriteFile(path, []byte("not a ledger"), 0o600)
			}
			create(t, db, "after", PhaseRunning)
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "was deleted or replaced under herod") {
				t.Errorf("nothing logged at error level: %s", logs.String())
			}
			create(t, db, "later", PhaseRunning) // written into the restored file

			other, err := Open(ctx, path, quiet) // what a restarted daemon finds
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			for _, s := range []string{"before", "after", "later"} {
				if jobs, err := other.Jobs(ctx, s); err != nil || len(jobs) != 1 {
					t.Errorf("the file holds %d jobs of %s (%v), want 1", len(jobs), s, err)
				}
			}
			aside, _ := filepath.Glob(path + ".replaced-*")
			if how == "replaced" && len(aside) != 1 {
				t.Errorf("the replacement was not set aside: %v", aside)
			}
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("restored file: %v %v, want mode 0600", st, err)
			}
		})
	}
}
