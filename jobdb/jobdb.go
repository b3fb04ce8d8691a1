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
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Phase is where a job is in its life.
type Phase string

const (
	PhasePending   Phase = "pending"   // created by a start, systemd has not started its run yet
	PhaseRunning   Phase = "running"   // its run is activating or active
	PhaseRetrying  Phase = "retrying"  // no longer written: a restart systemd does is a new job (schema 1 rows may hold it)
	PhaseSucceeded Phase = "succeeded" // ended with success
	PhaseFailed    Phase = "failed"    // ended with a failure Result
	PhaseCancelled Phase = "cancelled" // stopped on request (directly, by a cascade, or by the end of the boot)
)

// Active reports whether a job of this phase is still running: such jobs are never pruned.
func (p Phase) Active() bool { return p == PhaseRunning || p == PhaseRetrying }

// Ended reports whether a job of this phase is over.
func (p Phase) Ended() bool {
	return p == PhaseSucceeded || p == PhaseFailed || p == PhaseCancelled
}

// MaxOutput is how much of a run's output (its tail: each line's message and newline) a job
// keeps.
const MaxOutput = 64 << 10

// MaxStoredOutput bounds a job's Output column: the tail with each line's time, priority and
// writer (see bridge/recording), which takes more room than the messages alone.
const MaxStoredOutput = 1 << 20

// DefaultKeep is how many ended jobs a service keeps by default.
const DefaultKeep = 100

// Job is one run of a service: one systemd invocation of its unit.
type Job struct {
	ID           int64      `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	ServiceID    string     `gorm:"column:service_id;not null" json:"service_id"`        // the service's name
	Context      string     `gorm:"column:context;not null" json:"context"`              // the service's context
	Unit         string     `gorm:"column:unit;not null" json:"unit"`                    // hero-CONTEXT-NAME.service
	InvocationID string     `gorm:"column:invocation_id" json:"invocation_id,omitempty"` // systemd's InvocationID, hex; unique
	BootID       string     `gorm:"column:boot_id" json:"boot_id,omitempty"`             // the boot the run belongs to
	Phase        Phase      `gorm:"column:phase;not null" json:"phase"`                  // see Phase
	MainPID      int        `gorm:"column:main_pid" json:"main_pid,omitempty"`           // the main process, while it ran
	ExitCode     *int       `gorm:"column:exit_code" json:"exit_code,omitempty"`         // exit status, when it exited
	Signal       string     `gorm:"column:signal" json:"signal,omitempty"`               // the signal that killed it, when one did
	Result       string     `gorm:"column:result" json:"result,omitempty"`               // systemd's Result (success, exit-code, signal, timeout...)
	StartedAt    time.Time  `gorm:"column:started_at;not null" json:"started_at"`        // when the run started (while pending: when the job was created)
	EndedAt      *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`           // when the run ended
	Restarts     int        `gorm:"column:restarts;not null" json:"restarts"`            // systemd's NRestarts when this run began: 0 for a start, n for the n-th automatic restart
	OutputSaved  bool       `gorm:"column:output_saved;not null" json:"-"`               // the run's tail was copied from the journal, for good
	// OutputPartial: Output holds a tail copied while journald still read the run's output
	// (a flood ends long before journald has written it): the copy is completed once journald
	// has it all (OutputSaved).
	OutputPartial bool   `gorm:"column:output_partial;not null" json:"output_partial,omitempty"`
	Output        []byte `gorm:"column:output" json:"-"` // the output's tail (JSON lines, see bridge/recording), at most MaxStoredOutput bytes
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
	Unfinished(ctx context.Context) ([]Job, error)
	ByInvocation(ctx context.Context, invocationID string) (*Job, error)
	Unsaved(ctx context.Context, limit int) ([]Job, error)
	Update(ctx context.Context, id int64, change func(*Job) error) (*Job, error)
	UpdateAll(ctx context.Context, changes map[int64]func(*Job) error) error
	Apply(ctx context.Context, b *Batch) error
	PruneInactive(ctx context.Context, service string) (int64, error)
	PruneAndCreate(ctx context.Context, jobs ...*Job) (int64, error)
	DeleteService(ctx context.Context, service string) (int64, error)
	State(ctx context.Context, key string) (string, error)
	SetState(ctx context.Context, key, value string) error
	Forgotten(ctx context.Context, invocation string) (bool, error)
	ForgetBefore(ctx context.Context, t time.Time) error
	Waits(ctx context.Context) ([]Wait, error)
	SetWait(ctx context.Context, w Wait) error
	ClearWaits(ctx context.Context, services ...string) (int64, error)
	Close() error
}

// DB is the SQLite ledger.
type DB struct {
	gorm *gorm.DB
	log  *slog.Logger
	// Keep is how many ended jobs each service keeps (oldest go first); running jobs are never
	// counted or deleted. Set it before use; default DefaultKeep.
	Keep int

	path string
	file *fileWatch // the file db.gorm has open: noticed when deleted or replaced
	ids  *idFloor   // the ids any ledger at path may have issued (see ids.go)
}

var _ Ledger = (*DB)(nil)

// DSN is the connection string: the pragmas run on every pooled connection. The write-ahead log
// stays small: SQLite copies it into the database once it holds walCheckpointPages pages (its
// default, 1000 pages, let it grow to 4 MB beside a database of 120 KB, which a small full disk
// could not hold) and, with journal_size_limit, truncates it to walSizeLimit when it starts
// over (it would otherwise keep its largest size for good).
func DSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", walCheckpointPages, walSizeLimit) +
		"&_txlock=immediate"
}

// walCheckpointPages and walSizeLimit bound the write-ahead log (see DSN): about 1 MB of pages
// (4 KiB each) before a checkpoint, and 1 MiB kept after one.
const (
	walCheckpointPages = 256
	walSizeLimit       = 1 << 20
)

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

func openGorm(path string) (*gorm.DB, error) {
	return gorm.Open(sqlite.Open(DSN(path)), &gorm.Config{
		Logger:         logger.Discard,
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
}

// ErrDamaged says the ledger's file is not a sound SQLite database (SQLite's NOTADB or CORRUPT,
// or a failed quick_check): no write can fix it.
var ErrDamaged = errors.New("the ledger's file is damaged")

// quickCheck runs SQLite's PRAGMA quick_check (integrity_check without matching indexes to
// their tables: linear in the file's size).
func (db *DB) quickCheck(ctx context.Context) error {
	var rows []string
	if err := db.gorm.WithContext(ctx).Raw("PRAGMA quick_check").Scan(&rows).Error; err != nil {
		return fmt.Errorf("quick check: %w", err)
	}
	if len(rows) != 1 || rows[0] != "ok" {
		return fmt.Errorf("%w: quick check: %s", ErrDamaged, strings.Join(rows, "; "))
	}
	return nil
}

// damaged marks SQLite's errors for a file that is not a database, or a corrupt one, as
// ErrDamaged.
func damaged(err error) error {
	msg := err.Error()
	if errors.Is(err, ErrDamaged) {
		return err
	}
	for _, s := range []string{"file is not a database", "database disk image is malformed", "SQLITE_NOTADB", "SQLITE_CORRUPT"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: %w", ErrDamaged, err)
		}
	}
	return err
}

// private makes the ledger's directory 0700 and the database and its WAL files 0600, creating
// the database file if needed so SQLite never creates it with the process's umask.
func private(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
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

// Batch is a set of ledger changes applied in one transaction: what the bridge learns from one
// burst of systemd's signals, or from one read of the journal.
type Batch struct {
	Create []*Job                     // new jobs; their IDs are set once Apply returns
	Change map[int64]func(*Job) error // changes to existing jobs (a job gone meanwhile is skipped)
	Trim   map[string]bool            // services whose ended jobs beyond Keep are deleted, oldest first
	State  map[string]string          // daemon state (e.g. the journal cursor) written with the rest
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool {
	return len(b.Create) == 0 && len(b.Change) == 0 && len(b.Trim) == 0 && len(b.State) == 0
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

// explain adds what a person can do to SQLite's terse errors about the disk.
func explain(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "database or disk is full"), strings.Contains(msg, "SQLITE_FULL"):
		return fmt.Errorf("%w (no space left for the ledger: free space in its file system; nothing was recorded by this write)", err)
	case strings.Contains(msg, "readonly database"), strings.Contains(msg, "read-only file system"), strings.Contains(msg, "SQLITE_READONLY"):
		return fmt.Errorf("%w (the ledger is on a read-only file system or not writable: make it writable; nothing was recorded by this write)", err)
	}
	return err
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
