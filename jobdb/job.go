package jobdb

import (
	"context"
	"errors"
	"time"
)

// What the ledger holds: a job (one run of a service) and its phases, the waits of the rebinder,
// a batch of changes, and Ledger, what the bridge needs of the store.

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

// Wait says a service waits for its requirements: systemd stopped it because one of them went
// down (BindsTo=), and herod starts it again once all of them run. It is kept until the service
// runs again or is stopped on purpose, whatever happens to herod meanwhile.
type Wait struct {
	Service     string    `gorm:"column:service;primaryKey" json:"service"`
	Requirement string    `gorm:"column:requirement;not null" json:"requirement"` // the requirement whose going down stopped it
	Since       time.Time `gorm:"column:since;not null" json:"since"`             // when it began to wait
}

// TableName is the waits table.
func (Wait) TableName() string { return "waits" }
