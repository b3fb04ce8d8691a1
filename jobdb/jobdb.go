// Package jobdb is hero's job ledger: one row per run of a service, in SQLite (pure Go, through
// GORM and github.com/glebarez/sqlite). Rows are keyed and indexed by service_id. Jobs are never
// deleted on stop; starting a service prunes that service's inactive jobs first.
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
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Phase is where a job is in its life.
type Phase string

const (
	PhasePending   Phase = "pending"   // created, its unit not started yet
	PhaseRunning   Phase = "running"   // its unit is activating or active
	PhaseRetrying  Phase = "retrying"  // systemd is restarting it (Restart=)
	PhaseSucceeded Phase = "succeeded" // ended with success
	PhaseFailed    Phase = "failed"    // ended with a failure Result
	PhaseCancelled Phase = "cancelled" // stopped on request (directly or by a cascade)
)

// Active reports whether a job of this phase is still running: such jobs are never pruned.
func (p Phase) Active() bool { return p == PhaseRunning || p == PhaseRetrying }

// MaxOutput is how much of a run's output (its tail) a job keeps.
const MaxOutput = 64 << 10

// Job is one run of a service: one systemd invocation of its unit.
type Job struct {
	ID           int64      `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	ServiceID    string     `gorm:"column:service_id;not null" json:"service_id"`        // the service's name
	Context      string     `gorm:"column:context;not null" json:"context"`              // the service's context
	Unit         string     `gorm:"column:unit;not null" json:"unit"`                    // hero-CONTEXT-NAME.service
	InvocationID string     `gorm:"column:invocation_id" json:"invocation_id,omitempty"` // systemd's InvocationID, hex
	Phase        Phase      `gorm:"column:phase;not null" json:"phase"`                  // see Phase
	MainPID      int        `gorm:"column:main_pid" json:"main_pid,omitempty"`           // the main process, while it ran
	ExitCode     *int       `gorm:"column:exit_code" json:"exit_code,omitempty"`         // exit status, when it exited
	Signal       string     `gorm:"column:signal" json:"signal,omitempty"`               // the signal that killed it, when one did
	Result       string     `gorm:"column:result" json:"result,omitempty"`               // systemd's Result (success, exit-code, signal, timeout...)
	StartedAt    time.Time  `gorm:"column:started_at;not null" json:"started_at"`        // when the job was created
	EndedAt      *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`           // when the run ended
	Restarts     int        `gorm:"column:restarts;not null" json:"restarts"`            // systemd's NRestarts during this job
	OutputFile   string     `gorm:"column:output_file" json:"output_file,omitempty"`     // where systemd appends the output
	Output       []byte     `gorm:"column:output" json:"-"`                              // the output's tail, at most MaxOutput bytes
}

// ErrNotFound is returned for a job id the ledger does not hold.
var ErrNotFound = errors.New("job not found")

// Ledger is what the bridge needs of the job store.
type Ledger interface {
	Create(ctx context.Context, j *Job) error
	Get(ctx context.Context, id int64) (*Job, error)
	Jobs(ctx context.Context, service string) ([]Job, error)
	Latest(ctx context.Context, service string) (*Job, error)
	Active(ctx context.Context) ([]Job, error)
	Update(ctx context.Context, id int64, change func(*Job) error) (*Job, error)
	UpdateAll(ctx context.Context, changes map[int64]func(*Job) error) error
	PruneInactive(ctx context.Context, service string) (int64, error)
	PruneAndCreate(ctx context.Context, jobs ...*Job) (int64, error)
	DeleteService(ctx context.Context, service string) (int64, error)
	Close() error
}

// DB is the SQLite ledger.
type DB struct {
	gorm *gorm.DB
	log  *slog.Logger
}

var _ Ledger = (*DB)(nil)

// DSN is the connection string: the pragmas run on every pooled connection.
func DSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Open opens (creating if needed) the ledger at path and applies pending migrations.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open job ledger %s: %w", path, err)
	}
	g, err := gorm.Open(sqlite.Open(DSN(path)), &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open job ledger %s: %w", path, err)
	}
	db := &DB{gorm: g, log: log}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open job ledger %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Create inserts j and sets its ID. StartedAt defaults to now, Phase to pending.
func (db *DB) Create(ctx context.Context, j *Job) error {
	if j.StartedAt.IsZero() {
		j.StartedAt = time.Now().UTC()
	}
	if j.Phase == "" {
		j.Phase = PhasePending
	}
	if err := db.gorm.WithContext(ctx).Create(j).Error; err != nil {
		return fmt.Errorf("create job for %s: %w", j.ServiceID, err)
	}
	return nil
}

// Get returns job id, or ErrNotFound.
func (db *DB) Get(ctx context.Context, id int64) (*Job, error) {
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
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("service_id = ?", service).Order("id DESC").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("list jobs of %s: %w", service, err)
	}
	return jobs, nil
}

// Latest returns the service's newest job, or ErrNotFound.
func (db *DB) Latest(ctx context.Context, service string) (*Job, error) {
	var j Job
	err := db.gorm.WithContext(ctx).Where("service_id = ?", service).Order("id DESC").First(&j).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("latest job of %s: %w", service, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("latest job of %s: %w", service, err)
	}
	return &j, nil
}

// Active returns every running or retrying job, for reconciliation with systemd.
func (db *DB) Active(ctx context.Context) ([]Job, error) {
	var jobs []Job
	err := db.gorm.WithContext(ctx).Omit("output").Where("phase IN ?", []Phase{PhaseRunning, PhaseRetrying}).Order("id").Find(&jobs).Error
	if err != nil {
		return nil, fmt.Errorf("list active jobs: %w", err)
	}
	return jobs, nil
}

// Update reads job id and applies change to it in one IMMEDIATE transaction, so concurrent
// updates never lose each other's writes. The output is trimmed to its last MaxOutput bytes.
func (db *DB) Update(ctx context.Context, id int64, change func(*Job) error) (*Job, error) {
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

// applyChange reads job id in tx, applies change, trims the output to MaxOutput and saves it.
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
	if len(j.Output) > MaxOutput {
		j.Output = j.Output[len(j.Output)-MaxOutput:]
	}
	return &j, tx.Save(&j).Error
}

// UpdateAll applies every change in one IMMEDIATE transaction: a cascade's jobs are recorded
// all together or not at all. Jobs that no longer exist are skipped.
func (db *DB) UpdateAll(ctx context.Context, changes map[int64]func(*Job) error) error {
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
		return fmt.Errorf("update %d jobs: %w", len(changes), err)
	}
	return nil
}

// PruneInactive deletes the service's jobs in every phase but running/retrying, as starting a
// service does; other services' jobs and running jobs are never touched.
func (db *DB) PruneInactive(ctx context.Context, service string) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("service_id = ? AND phase NOT IN ?", service, []Phase{PhaseRunning, PhaseRetrying}).Delete(&Job{})
	if res.Error != nil {
		return 0, fmt.Errorf("prune jobs of %s: %w", service, res.Error)
	}
	return res.RowsAffected, nil
}

// PruneAndCreate prunes each job's service's inactive jobs and creates the jobs, all in one
// transaction: what starting services does to the ledger. It returns how many jobs were pruned.
func (db *DB) PruneAndCreate(ctx context.Context, jobs ...*Job) (int64, error) {
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
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, j := range jobs {
			res := tx.Where("service_id = ? AND phase NOT IN ?", j.ServiceID, []Phase{PhaseRunning, PhaseRetrying}).Delete(&Job{})
			if res.Error != nil {
				return res.Error
			}
			pruned += res.RowsAffected
			if err := tx.Create(j).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("start %d job(s): %w", len(jobs), err)
	}
	return pruned, nil
}

// DeleteService deletes every job of the service that is not running (stop --remove-jobs).
func (db *DB) DeleteService(ctx context.Context, service string) (int64, error) {
	return db.PruneInactive(ctx, service)
}
