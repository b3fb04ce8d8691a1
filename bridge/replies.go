package bridge

import (
	"log/slog"

	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// Options configure a Bridge.
type Options struct {
	ConfigDir  string          // where the service files are (for SourcePath=)
	ExecHelper string          // hero-exec's path (default unitgen.DefaultExecHelper)
	EnvDir     string          // where environment files are written (default unitgen.DefaultEnvDir)
	User       bool            // the units run in a user's manager (journal fields differ)
	BootID     string          // this boot's ID (default: read from the kernel)
	Journal    journal.Journal // where systemd's records are read (default: journalctl)
	Log        *slog.Logger    // default: discard
	// EnvFileCheck checks a service's env_file before each start the bridge makes (systemd
	// reads the file then, as root): herod gives the config files' trust rule, so a file made
	// writable by others since the configs were read is refused. nil checks nothing.
	EnvFileCheck func(*config.Service) *config.Problem
}

// Event reports a run's start or end, or a service's change, for the daemon's D-Bus signals.
type Event = recording.Event

// The kinds of events (see recording's).
const (
	EventJobStarted   = recording.EventJobStarted
	EventJobFinished  = recording.EventJobFinished
	EventStateChanged = recording.EventStateChanged
)

// EventRunActive is the event of a run whose unit became active (its start, a health check
// included, is over).
const EventRunActive = recording.EventRunActive

// EventWaitChanged is the event of a service whose wait for its requirements (status's
// ComesBack, WaitsFor, Waiting) changed.
const EventWaitChanged = recording.EventWaitChanged

// LogLine is one line of a run's output, as the journal recorded it.
type LogLine = recording.LogLine

// Observer receives one operation's progress, as it happens: each service's start or stop.
type Observer func(Progress)

// Progress is one step of an operation.
type Progress struct {
	Service string
	Event   string // "started", "stopped", "reloaded", "failed", "skipped", "planned"
	JobID   int64
	Detail  string // for planned: the plan in a line (names only: every user may read it)
	// Err is why, for failed: whole (a StartError holds the service's last lines), so whoever
	// tells it chooses what its reader may see (StartError.Public).
	Err error
}

func (o Observer) report(p Progress) {
	if o != nil {
		o(p)
	}
}

// StartReply says what a start did.
type StartReply struct {
	Service        string           `json:"service"`         // the first service asked for
	AlreadyRunning bool             `json:"already_running"` // all asked for and what they require were running: nothing was started
	Started        []string         `json:"started"`         // what this call started, dependencies first
	Failed         []string         `json:"failed"`          // what it could not start (and dependents it skipped)
	Jobs           map[string]int64 `json:"jobs"`            // the new job of each service it tried to start
	// Warnings name the soft dependencies (wants) it started without: undefined, unusable, or
	// failed to start. They fail nothing (systemd's Wants=, compose's required: false).
	Warnings []string `json:"warnings,omitempty"`
	vanished []string // services whose dependency stopped while they were started
}

// newStartReply is an empty reply to a start whose first service is first.
func newStartReply(first string) StartReply {
	return StartReply{Service: first, Started: []string{}, Failed: []string{}, Jobs: map[string]int64{}}
}

// StartCheck is what a start would do, as far as can be told without taking its services.
type StartCheck struct {
	AlreadyRunning bool     // everything asked for runs: nothing to do
	Starting       []string // the services it would start, in start order
}

// StopReply says what a stop did.
type StopReply struct {
	OK                bool     `json:"ok"`
	Service           string   `json:"service"`
	Cancelled         int      `json:"cancelled"`          // running jobs this stop ended (the service's and its dependents')
	StoppedDependents []string `json:"stopped_dependents"` // dependents that ran and were stopped, most-dependent first
	RemovedJobs       int64    `json:"removed_jobs"`       // the service's own job records deleted (remove_jobs)
}

// RestartReply says what a restart did.
type RestartReply struct {
	Stop  StopReply  `json:"stop"`
	Start StartReply `json:"start"`
	// Restarted are the dependents that ran before and were started again, in start order.
	Restarted []string `json:"restarted_dependents"`
}
