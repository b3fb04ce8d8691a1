package jobdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrations are applied in order, each once, each in its own transaction. Never edit one that
// has shipped: append a new one. (GORM's AutoMigrate is not used: it rebuilds tables for some
// column changes, and the DROP in that rebuild can cascade.)
var migrations = []string{
	// 1: the jobs table and its service index.
	`CREATE TABLE jobs (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		service_id    TEXT    NOT NULL,
		context       TEXT    NOT NULL,
		unit          TEXT    NOT NULL,
		invocation_id TEXT    NOT NULL DEFAULT '',
		phase         TEXT    NOT NULL,
		main_pid      INTEGER NOT NULL DEFAULT 0,
		exit_code     INTEGER,
		signal        TEXT    NOT NULL DEFAULT '',
		result        TEXT    NOT NULL DEFAULT '',
		started_at    DATETIME NOT NULL,
		ended_at      DATETIME,
		restarts      INTEGER NOT NULL DEFAULT 0,
		output_file   TEXT    NOT NULL DEFAULT '',
		output        BLOB
	);
	CREATE INDEX jobs_service_phase ON jobs (service_id, phase);
	CREATE INDEX jobs_active ON jobs (phase) WHERE phase IN ('running', 'retrying');`,
	// 2: one job per systemd invocation (recorded at most once), the boot a run belongs to,
	// whether its output tail was copied from the journal; output files are gone (the journal
	// keeps output); a key-value table for the daemon's own state (its journal cursor).
	`ALTER TABLE jobs DROP COLUMN output_file;
	ALTER TABLE jobs ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE jobs ADD COLUMN output_saved INTEGER NOT NULL DEFAULT 0;
	UPDATE jobs SET output_saved = 1 WHERE phase NOT IN ('pending', 'running', 'retrying');
	UPDATE jobs SET invocation_id = '' WHERE id NOT IN
		(SELECT MAX(id) FROM jobs WHERE invocation_id != '' GROUP BY invocation_id);
	CREATE UNIQUE INDEX jobs_invocation ON jobs (invocation_id) WHERE invocation_id != '';
	DROP INDEX jobs_active;
	CREATE INDEX jobs_unfinished ON jobs (phase) WHERE phase IN ('pending', 'running', 'retrying');
	CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
	// 3: the invocations of deleted jobs (pruned, trimmed, removed), until the journal cursor
	// has passed their records, so a replay of the journal does not record them again.
	`CREATE TABLE forgotten_runs (invocation_id TEXT PRIMARY KEY, forgotten_at DATETIME NOT NULL);
	CREATE INDEX forgotten_runs_at ON forgotten_runs (forgotten_at);`,
	// 4: whether a job's kept output is a tail copied while journald still read the run's
	// output, to be completed.
	`ALTER TABLE jobs ADD COLUMN output_partial INTEGER NOT NULL DEFAULT 0;`,
	// 5: the services systemd stopped because a requirement went down, which herod starts again
	// once their requirements run (kept here so that a restart of herod forgets none).
	`CREATE TABLE waits (service TEXT PRIMARY KEY, requirement TEXT NOT NULL, since DATETIME NOT NULL);`,
}

// ErrNewerSchema is returned for a ledger a newer hero wrote.
var ErrNewerSchema = errors.New("the ledger is newer than this hero")

// schemaVersion is the version a ledger has once Open returns.
var schemaVersion = len(migrations)

func (db *DB) migrate(ctx context.Context) error {
	g := db.gorm.WithContext(ctx)
	if err := g.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at DATETIME NOT NULL)`).Error; err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := g.Raw(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current).Error; err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: ledger schema version %d, this hero knows %d: refusing to touch it", ErrNewerSchema, current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		err := g.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(migrations[v-1]).Error; err != nil {
				return err
			}
			return tx.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, time.Now().UTC()).Error
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		db.log.Info("job ledger migrated", "version", v)
	}
	return nil
}
