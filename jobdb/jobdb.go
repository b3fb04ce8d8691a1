// Package jobdb is hero's job ledger: one row per run of a service (one systemd invocation of its
// unit), in SQLite (pure Go, through GORM and github.com/glebarez/sqlite). Rows are keyed and
// indexed by service_id; an invocation ID is recorded at most once. Jobs are never deleted on
// stop; starting a service prunes that service's inactive jobs first; at most Keep ended jobs
// are kept per service, so a crash loop cannot grow the ledger without bound.
//
// The database runs in WAL mode with synchronous=NORMAL (SQLite's setting for WAL: a committed
// transaction survives any crash of the process; only an OS crash or power loss may roll back the
// last ones), a busy timeout, and IMMEDIATE transactions: SQLite skips the busy handler when a deferred transaction upgrades its read lock
// to a write lock, so deferred read-then-write transactions fail under concurrency.
package jobdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"gorm.io/gorm"
)

var _ Ledger = (*DB)(nil)

// Open opens (creating if needed) the ledger at path and applies pending migrations. The
// database and its WAL files are private to the daemon's user: created 0600 (SQLite gives its
// -wal and -shm files the database file's mode), in a directory of their own made 0700.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := private(path); err != nil {
		return nil, fmt.Errorf("open job ledger %s: %w", path, err)
	}
	g, err := openGorm(path)
	if err != nil {
		return nil, fmt.Errorf("open job ledger %s: %w", path, damaged(err))
	}
	db := &DB{gorm: g, log: log, Keep: DefaultKeep, path: path, file: watchFile(path)}
	err = db.quickCheck(ctx)
	if err == nil {
		err = db.migrate(ctx)
	}
	if err == nil {
		err = db.openIDs(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open job ledger %s: %w", path, damaged(err))
	}
	return db, nil
}

// Close closes the database, restoring its file first if it was deleted or replaced.
func (db *DB) Close() error {
	db.checkFile(context.Background())
	db.file.mu.Lock()
	defer db.file.mu.Unlock()
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Create inserts j and sets its ID. StartedAt defaults to now, Phase to pending.
func (db *DB) Create(ctx context.Context, j *Job) error {
	defer db.hold(ctx)()
	if j.StartedAt.IsZero() {
		j.StartedAt = time.Now().UTC()
	}
	if j.Phase == "" {
		j.Phase = PhasePending
	}
	db.reserveIDs(ctx, 1)
	if err := db.gorm.WithContext(ctx).Create(j).Error; err != nil {
		return fmt.Errorf("create job for %s: %w", j.ServiceID, explain(err))
	}
	return nil
}

// Get returns job id, or ErrNotFound.
func (db *DB) Get(ctx context.Context, id int64) (*Job, error) {
	defer db.hold(ctx)()
	var j Job
	err := db.gorm.WithContext(ctx).First(&j, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	return &j, nil
}

// Jobs returns the service's jobs, newest first (without their output).
func (db *DB) Jobs(ctx context.Context, service string) ([]Job, error) {
	defer db.hold(ctx)()
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("service_id = ?", service).Order("id DESC").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("list jobs of %s: %w", service, err)
	}
	return jobs, nil
}

// JobsOf returns the jobs of each of services, newest first and without their output, by
// service: what Jobs returns for each, in one query per jobsOfBatch services (a read of
// thousands of services' objects would otherwise be thousands of queries). A service without
// jobs has none in the map.
func (db *DB) JobsOf(ctx context.Context, services []string) (map[string][]Job, error) {
	defer db.hold(ctx)()
	out := make(map[string][]Job, len(services))
	for len(services) > 0 {
		batch := services[:min(len(services), jobsOfBatch)]
		services = services[len(batch):]
		var jobs []Job
		err := db.gorm.WithContext(ctx).Omit("output").Where("service_id IN ?", batch).Order("id DESC").Find(&jobs).Error
		if err != nil {
			return nil, fmt.Errorf("list jobs of %d services: %w", len(batch), err)
		}
		for _, j := range jobs {
			out[j.ServiceID] = append(out[j.ServiceID], j)
		}
	}
	return out, nil
}

// jobsOfBatch is how many services one query of JobsOf names: far below SQLite's limit of
// bound parameters (32,766 since 3.32). A variable: the tests make batches of a few.
var jobsOfBatch = 2000

// Latest returns the service's newest job without its output (Get reads that), or ErrNotFound.
func (db *DB) Latest(ctx context.Context, service string) (*Job, error) {
	defer db.hold(ctx)()
	var j Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("service_id = ?", service).Order("id DESC").First(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("latest job of %s: %w", service, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("latest job of %s: %w", service, err)
	}
	return &j, nil
}

// LatestOfAll returns every service's newest job without its output, by service: what Latest
// returns for each, in one query.
func (db *DB) LatestOfAll(ctx context.Context) (map[string]*Job, error) {
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("id IN (SELECT MAX(id) FROM jobs GROUP BY service_id)").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("latest jobs: %w", err)
	}
	out := make(map[string]*Job, len(jobs))
	for i := range jobs {
		out[jobs[i].ServiceID] = &jobs[i]
	}
	return out, nil
}

// Active returns every running or retrying job, for reconciliation with systemd.
func (db *DB) Active(ctx context.Context) ([]Job, error) {
	return db.listPhases(ctx, "active", PhaseRunning, PhaseRetrying)
}

// Unfinished returns every job that has not ended: pending, running or retrying.
func (db *DB) Unfinished(ctx context.Context) ([]Job, error) {
	return db.listPhases(ctx, "unfinished", PhasePending, PhaseRunning, PhaseRetrying)
}

func (db *DB) listPhases(ctx context.Context, what string, phases ...Phase) ([]Job, error) {
	defer db.hold(ctx)()
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("phase IN ?", phases).Order("id").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("list %s jobs: %w", what, err)
	}
	return jobs, nil
}

// ByInvocation returns the job of a systemd invocation, or ErrNotFound.
func (db *DB) ByInvocation(ctx context.Context, invocationID string) (*Job, error) {
	defer db.hold(ctx)()
	var j Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("invocation_id = ?", invocationID).First(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("job of invocation %s: %w", invocationID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job of invocation %s: %w", invocationID, err)
	}
	return &j, nil
}

// Unsaved returns up to limit ended jobs whose output tail was not copied yet, oldest first.
func (db *DB) Unsaved(ctx context.Context, limit int) ([]Job, error) {
	defer db.hold(ctx)()
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").
		Where("output_saved = 0 AND phase IN ?", []Phase{PhaseSucceeded, PhaseFailed, PhaseCancelled}).
		Order("id").Limit(limit).Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("list jobs without output: %w", err)
	}
	return jobs, nil
}

// Update reads job id and applies change to it in one IMMEDIATE transaction, so concurrent
// updates never lose each other's writes. The output is trimmed to its last MaxStoredOutput bytes.
func (db *DB) Update(ctx context.Context, id int64, change func(*Job) error) (*Job, error) {
	defer db.hold(ctx)()
	var j *Job
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		j, err = applyChange(tx, id, change)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update job %d: %w", id, err)
	}
	return j, nil
}

// applyChange reads job id in tx, applies change, trims the output to MaxStoredOutput and saves it.
func applyChange(tx *gorm.DB, id int64, change func(*Job) error) (*Job, error) {
	var j Job
	if err := tx.First(&j, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
		}
		return nil, err
	}
	if err := change(&j); err != nil {
		return nil, err
	}
	j.ID = id
	if len(j.Output) > MaxStoredOutput {
		j.Output = j.Output[len(j.Output)-MaxStoredOutput:]
	}
	return &j, tx.Save(&j).Error
}

// UpdateAll applies every change in one IMMEDIATE transaction: a cascade's jobs are recorded
// all together or not at all. Jobs that no longer exist are skipped.
func (db *DB) UpdateAll(ctx context.Context, changes map[int64]func(*Job) error) error {
	defer db.hold(ctx)()
	if len(changes) == 0 {
		return nil
	}
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for id, change := range changes {
			if _, err := applyChange(tx, id, change); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update %d jobs: %w", len(changes), explain(err))
	}
	return nil
}

// Apply writes the batch in one IMMEDIATE transaction: all of it or nothing. Creating a job for
// an invocation the ledger already holds fails the batch (the unique index is the guarantee that
// a run is recorded exactly once); callers check ByInvocation first.
func (db *DB) Apply(ctx context.Context, b *Batch) error {
	defer db.hold(ctx)()
	if b.Empty() {
		return nil
	}
	now := time.Now().UTC()
	for _, j := range b.Create {
		if j.StartedAt.IsZero() {
			j.StartedAt = now
		}
		if j.Phase == "" {
			j.Phase = PhasePending
		}
	}
	if len(b.Create) > 0 {
		db.reserveIDs(ctx, len(b.Create))
	}
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, j := range b.Create {
			if err := tx.Create(j).Error; err != nil {
				return fmt.Errorf("create job for %s: %w", j.ServiceID, err)
			}
		}
		for id, change := range b.Change {
			if _, err := applyChange(tx, id, change); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		for service := range b.Trim {
			if err := trim(tx, service, db.Keep); err != nil {
				return err
			}
		}
		for k, v := range b.State {
			if err := setState(tx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, j := range b.Create {
			j.ID = 0 // rolled back: the batch may be applied again
		}
		return fmt.Errorf("record %d new and %d changed job(s): %w", len(b.Create), len(b.Change), explain(err))
	}
	return nil
}

// trim deletes the service's ended jobs beyond the newest keep.
func trim(tx *gorm.DB, service string, keep int) error {
	if keep <= 0 {
		keep = DefaultKeep
	}
	_, err := forget(tx, `service_id = ? AND phase IN ? AND id NOT IN
		(SELECT id FROM jobs WHERE service_id = ? AND phase IN ? ORDER BY id DESC LIMIT ?)`,
		service, endedPhases, service, endedPhases, keep)
	return err
}

// forget deletes the jobs matching where, remembering their invocations in forgotten_runs:
// the journal still holds those runs' records, and a replay must not make them jobs again.
func forget(tx *gorm.DB, where string, args ...any) (int64, error) {
	remember := append([]any{time.Now().UTC()}, args...)
	if err := tx.Exec(`INSERT OR IGNORE INTO forgotten_runs (invocation_id, forgotten_at)
		SELECT invocation_id, ? FROM jobs WHERE invocation_id != '' AND `+where, remember...).Error; err != nil {
		return 0, err
	}
	res := tx.Exec(`DELETE FROM jobs WHERE `+where, args...)
	return res.RowsAffected, res.Error
}

// Forgotten reports whether a deleted job held this invocation (and the journal cursor has
// not passed it yet: see ForgetBefore).
func (db *DB) Forgotten(ctx context.Context, invocation string) (bool, error) {
	defer db.hold(ctx)()
	var n int64
	if err := db.gorm.WithContext(ctx).Raw(`SELECT COUNT(*) FROM forgotten_runs WHERE invocation_id = ?`, invocation).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("read forgotten run %s: %w", invocation, err)
	}
	return n > 0, nil
}

// ForgetBefore drops the memory of runs deleted before t: once the journal cursor is past
// t, no replay reads their records again.
func (db *DB) ForgetBefore(ctx context.Context, t time.Time) error {
	defer db.hold(ctx)()
	if err := db.gorm.WithContext(ctx).Exec(`DELETE FROM forgotten_runs WHERE forgotten_at < ?`, t.UTC()).Error; err != nil {
		return fmt.Errorf("drop forgotten runs: %w", explain(err))
	}
	return nil
}

var endedPhases = []Phase{PhaseSucceeded, PhaseFailed, PhaseCancelled}

// State returns a value of the daemon's own state ("" when unset).
func (db *DB) State(ctx context.Context, key string) (string, error) {
	defer db.hold(ctx)()
	var v []string
	if err := db.gorm.WithContext(ctx).Raw(`SELECT value FROM state WHERE key = ?`, key).Scan(&v).Error; err != nil {
		return "", fmt.Errorf("read state %s: %w", key, err)
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0], nil
}

// SetState writes a value of the daemon's own state.
func (db *DB) SetState(ctx context.Context, key, value string) error {
	defer db.hold(ctx)()
	if err := setState(db.gorm.WithContext(ctx), key, value); err != nil {
		return fmt.Errorf("write state %s: %w", key, explain(err))
	}
	return nil
}

func setState(tx *gorm.DB, key, value string) error {
	return tx.Exec(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value).Error
}

// PruneInactive deletes the service's jobs in every phase but running/retrying, as starting a
// service does; other services' jobs and running jobs are never touched.
func (db *DB) PruneInactive(ctx context.Context, service string) (int64, error) {
	defer db.hold(ctx)()
	var n int64
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = forget(tx, "service_id = ? AND phase NOT IN ?", service, []Phase{PhaseRunning, PhaseRetrying})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune jobs of %s: %w", service, explain(err))
	}
	return n, nil
}

// PruneAndCreate prunes each job's service's inactive jobs and creates the jobs, all in one
// transaction: what starting services does to the ledger. It returns how many jobs were pruned.
func (db *DB) PruneAndCreate(ctx context.Context, jobs ...*Job) (int64, error) {
	defer db.hold(ctx)()
	now := time.Now().UTC()
	for _, j := range jobs {
		if j.StartedAt.IsZero() {
			j.StartedAt = now
		}
		if j.Phase == "" {
			j.Phase = PhasePending
		}
	}
	var pruned int64
	db.reserveIDs(ctx, len(jobs))
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, j := range jobs {
			n, err := forget(tx, "service_id = ? AND phase NOT IN ?", j.ServiceID, []Phase{PhaseRunning, PhaseRetrying})
			if err != nil {
				return err
			}
			pruned += n
			if err := tx.Create(j).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("start %d job(s): %w", len(jobs), explain(err))
	}
	return pruned, nil
}

// DeleteService deletes every job of the service that is not running (stop --remove-jobs).
func (db *DB) DeleteService(ctx context.Context, service string) (int64, error) {
	return db.PruneInactive(ctx, service)
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check: nil when the database is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	defer db.hold(ctx)()
	var rows []string
	if err := db.gorm.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&rows).Error; err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("integrity check: %s", strings.Join(rows, "; "))
	}
	return nil
}

// States returns every value of the daemon's own state whose key starts with prefix, by key.
func (db *DB) States(ctx context.Context, prefix string) (map[string]string, error) {
	defer db.hold(ctx)()
	var rows []struct{ Key, Value string }
	err := db.gorm.WithContext(ctx).Raw(`SELECT key, value FROM state WHERE substr(key, 1, ?) = ?`, len(prefix), prefix).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read state %s*: %w", prefix, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// DeleteState removes a value of the daemon's own state.
func (db *DB) DeleteState(ctx context.Context, key string) error {
	defer db.hold(ctx)()
	if err := db.gorm.WithContext(ctx).Exec(`DELETE FROM state WHERE key = ?`, key).Error; err != nil {
		return fmt.Errorf("delete state %s: %w", key, explain(err))
	}
	return nil
}
