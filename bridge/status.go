package bridge

import (
	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
)

// A service's state, derived from its unit in systemd and its last job.
const (
	StateRunning    = state.Running
	StateActivating = state.Activating
	StateSuccess    = state.Success
	StateFailed     = state.Failed
	StateStopped    = state.Stopped
	StateInactive   = state.Inactive
	StateBlocked    = state.Blocked   // also: it must start after a service no file defines (WaitingFor)
	StateBadConfig  = state.BadConfig // see state for the rest
)

// Status is a service's state and what it is made of.
type Status struct {
	Service     string   `json:"service"`
	Context     string   `json:"context"`
	Unit        string   `json:"unit"`
	Description string   `json:"description"`
	State       string   `json:"state"`        // see the State constants
	LoadState   string   `json:"load_state"`   // systemd's LoadState of the unit
	ActiveState string   `json:"active_state"` // systemd's ActiveState
	SubState    string   `json:"sub_state"`    // systemd's SubState
	Requires    []string `json:"requires"`
	After       []string `json:"after"`
	Conflicts   []string `json:"conflicts"`
	BlockedBy   string   `json:"blocked_by,omitempty"`      // the running conflicting service, when blocked
	MainPID     int      `json:"main_pid,omitempty"`        // the running main process, read from systemd
	Restarts    int      `json:"restarts"`                  // systemd's NRestarts: automatic restarts since hero started it
	LimitHit    bool     `json:"start_limit_hit,omitempty"` // systemd refused to restart it: its start limit was hit
	Stale       bool     `json:"stale,omitempty"`           // systemd holds a unit of an older definition (the config changed since)
	Problems    []string `json:"problems,omitempty"`        // bad-config: why; else its new file's problems while it keeps its last good definition
	WaitingFor  []string `json:"waiting_for,omitempty"`     // blocked: the undefined services it must start after
	Wants       []string `json:"wants"`                     // its soft dependencies
	// RequirementsDown are, while it is not running, the services it requires that are down too
	// (failed, stopped, or waiting for systemd's restart): why it cannot run.
	RequirementsDown []string `json:"requirements_down,omitempty"`
	// ComesBack says systemd stopped it because a requirement went down, and herod starts it
	// again as soon as its requirements run again (the ledger keeps that it waits).
	ComesBack bool `json:"comes_back,omitempty"`
	// WaitsFor are, while it comes back, the requirements (of its whole requires closure) that
	// are down and that herod does not start itself: what must run again first.
	WaitsFor []string `json:"waits_for,omitempty"`
	// Waiting says in words, while it comes back, what will happen: what it waits for, why
	// that is down, and who starts it.
	Waiting string `json:"waiting,omitempty"`
	// Health is, for a service with a liveness check, what its last checks said (systemd's
	// StatusText of the unit, which hero-exec's loop sets): "healthy", or "unhealthy: 2 of 3
	// checks failed (exit status 1)"; after a run its watchdog ended, what they said last. Empty
	// without a liveness check or before the first check.
	Health string `json:"health,omitempty"`
	// CanReload says its loaded config sets reload (a command) or reload_signal: Reload accepts
	// it while it runs, unless systemd still runs a unit made before the config set one.
	CanReload bool       `json:"can_reload,omitempty"`
	LastJob   *jobdb.Job `json:"last_job,omitempty"`
}

// Up reports whether the service counts as up (its unit is active or starting).
func (s Status) Up() bool { return state.Up(s.ActiveState) }

// restartsOf is the number of automatic restarts that ran since hero started the service: one
// count for status, jobs and the D-Bus properties. systemd's NRestarts grows when it queues a
// restart, before its start limit may refuse it, so after a refused restart it is one more than
// the restarts that ran; the last run's job holds the number of the last that did.
func restartsOf(nRestarts int, isUp bool, last *jobdb.Job) int {
	if last != nil && !isUp && last.InvocationID != "" && last.Restarts < nRestarts {
		return last.Restarts
	}
	return nRestarts
}

// deriveState is hero's state of a service from its unit's states and its last job. heroctl's
// view without herod (stateFromSystemd) follows the same rule for the part systemd tells.
func deriveState(active, sub string, last *jobdb.Job) string {
	return state.Of(active, sub, lastRun(last))
}

// lastRun is how the ledger's last job of a service ended, in state's terms.
func lastRun(last *jobdb.Job) state.LastRun {
	if last == nil {
		return state.RunUnknown
	}
	switch last.Phase {
	case jobdb.PhaseSucceeded:
		return state.RunSucceeded
	case jobdb.PhaseFailed:
		return state.RunFailed
	case jobdb.PhaseCancelled:
		return state.RunCancelled
	}
	return state.RunUnknown
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UnitText is a service's unit file as the bridge would start it.
type UnitText struct {
	Text string
	// Withheld is Text with every value of the service's file left out (for callers who may
	// not read the file: unitgen.Unit.WithheldText).
	Withheld string
	// Loaded: systemd holds this very definition (the unit is loaded with its digest), so every
	// user reads it from systemd already, its environment file aside.
	Loaded bool
}

// downReason says why a requirement's unit is down and what brings it back, promising only
// what systemd does by itself.
func downReason(name string, u systemd.UnitStatus, limitHit bool) string {
	switch {
	case u.SubState == "auto-restart":
		return "restarting: systemd restarts it"
	case u.ActiveState == "activating":
		return "starting"
	case u.ActiveState == "failed" && limitHit:
		return "failed, start limit hit: systemd does not restart it; 'heroctl start " + name + "' does"
	case u.ActiveState == "failed":
		return "failed; 'heroctl start " + name + "' starts it"
	case u.ActiveState == "deactivating":
		return "stopping"
	}
	return "stopped; 'heroctl start " + name + "' starts it"
}
