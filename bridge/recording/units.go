package recording

import (
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/state"
)

// Event reports a run's start or end, or a service's change, for the daemon's D-Bus signals.
type Event struct {
	Kind    string // one of the Event kinds below
	Service string
	JobID   int64
	State   string // the service's state, for state-changed; the job's phase otherwise
}

// The kinds of events.
const (
	// EventJobStarted is the event of a run that began (State: the job's phase, running).
	EventJobStarted = "job-started"
	// EventJobFinished is the event of a run (or a start's job) that ended (State: its phase).
	EventJobFinished = "job-finished"
	// EventStateChanged is the event of a service whose state changed (State: the new one).
	EventStateChanged = "state-changed"
)

// EventRunActive is the event of a run whose unit became active: its start job (its health
// check included) is over, and what requires it may run.
const EventRunActive = "run-active"

// EventWaitChanged is the event of a service whose wait for its requirements began, ended, or
// whose requirements moved (the bridge's: its status says what it waits for).
const EventWaitChanged = "wait-changed"

// Snapshot is what systemd says about a unit's current (or last) run.
type Snapshot struct {
	loaded      bool
	invocation  string // hex
	active, sub string
	execCode    int32 // CLD_EXITED 1, CLD_KILLED 2, CLD_DUMPED 3; 0 while the main process runs
	execStatus  int32
	mainPID     uint32
	result      string
	restarts    uint32
	execStart   uint64 // ExecMainStartTimestamp, µs since the epoch
	execExit    uint64 // ExecMainExitTimestamp; 0 while the main process runs
}

// SetUnit takes the org.freedesktop.systemd1.Unit properties present in m.
func (s *Snapshot) SetUnit(m map[string]any) {
	if v, ok := m["InvocationID"].([]byte); ok {
		s.invocation = hex.EncodeToString(v)
	}
	if v, ok := m["ActiveState"].(string); ok {
		s.active = Intern(v)
	}
	if v, ok := m["SubState"].(string); ok {
		s.sub = Intern(v)
	}
}

// SetService takes the org.freedesktop.systemd1.Service properties present in m.
func (s *Snapshot) SetService(m map[string]any) {
	if v, ok := m["ExecMainCode"].(int32); ok {
		s.execCode = v
	}
	if v, ok := m["ExecMainStatus"].(int32); ok {
		s.execStatus = v
	}
	if v, ok := m["ExecMainPID"].(uint32); ok {
		s.mainPID = v
	}
	if v, ok := m["MainPID"].(uint32); ok && v != 0 {
		s.mainPID = v
	}
	if v, ok := m["Result"].(string); ok {
		s.result = Intern(v)
	}
	if v, ok := m["NRestarts"].(uint32); ok {
		s.restarts = v
	}
	if v, ok := m["ExecMainStartTimestamp"].(uint64); ok {
		s.execStart = v
	}
	if v, ok := m["ExecMainExitTimestamp"].(uint64); ok {
		s.execExit = v
	}
}

// Loaded reports whether systemd has the unit loaded.
func (s Snapshot) Loaded() bool { return s.loaded }

// MainPID is the unit's main process (its last, once it ended).
func (s Snapshot) MainPID() uint32 { return s.mainPID }

// SetLoaded records whether systemd has the unit loaded.
func (s *Snapshot) SetLoaded(loaded bool) { s.loaded = loaded }

// internedMax bounds the distinct words intern shares; past it, words are copied.
const internedMax = 1024

var (
	internMu sync.Mutex
	interned = map[string]string{}
)

// Intern returns a copy of s, one shared copy per distinct word: systemd's states and results
// (ActiveState, SubState, LoadState, Result) take a few dozen values. herod keeps them for every
// unit, and a string godbus decoded keeps the whole 4 KiB block it was decoded into alive:
// kept as decoded, they held 18 MB with 5,000 services.
func Intern(s string) string {
	internMu.Lock()
	defer internMu.Unlock()
	if c, ok := interned[s]; ok {
		return c
	}
	c := strings.Clone(s)
	if len(interned) < internedMax && len(s) <= 64 {
		interned[c] = c
	}
	return c
}

// intern is Intern, for this package.
func intern(s string) string { return Intern(s) }

// up reports whether a unit in this ActiveState counts as running.
func up(active string) bool { return state.Up(active) }

// usecTime turns systemd's µs timestamps into a time (zero for 0).
func usecTime(usec uint64) time.Time {
	if usec == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(usec)).UTC()
}
