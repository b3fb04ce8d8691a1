package client

import (
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/bridge/state"
)

// Status is a service's status as herod reports it.
type Status struct {
	Service     string   `json:"service"`
	Context     string   `json:"context"`
	Unit        string   `json:"unit"`
	Description string   `json:"description"`
	State       string   `json:"state"`
	LoadState   string   `json:"load_state"`
	ActiveState string   `json:"active_state"`
	SubState    string   `json:"sub_state"`
	BlockedBy   string   `json:"blocked_by,omitempty"`
	Requires    []string `json:"requires"`
	After       []string `json:"after"`
	Conflicts   []string `json:"conflicts"`
	MainPID     uint32   `json:"main_pid,omitempty"`
	Restarts    uint32   `json:"restarts"`
	LimitHit    bool     `json:"start_limit_hit,omitempty"`
	Stale       bool     `json:"stale,omitempty"`       // systemd holds a unit of an older definition
	Problems    []string `json:"problems,omitempty"`    // bad-config: why; else a new file's problems while the last good definition runs
	WaitingFor  []string `json:"waiting_for,omitempty"` // blocked: undefined services it must start after
	Wants       []string `json:"wants"`                 // soft dependencies
	// RequirementsDown: while it is down, the services it requires that are down too.
	RequirementsDown []string                `json:"requirements_down,omitempty"`
	ComesBack        bool                    `json:"comes_back,omitempty"` // herod starts it again when its requirements run
	WaitsFor         []string                `json:"waits_for,omitempty"`  // while it comes back: the requirements that must run again
	Waiting          string                  `json:"waiting,omitempty"`    // while it comes back: what will happen, in words
	Health           string                  `json:"health,omitempty"`     // liveness: healthy, or unhealthy: ...
	CanReload        bool                    `json:"can_reload,omitempty"` // its config sets reload or reload_signal
	Enabled          string                  `json:"enabled"`              // enabled: herod starts it when it starts; disabled
	EnabledBy        string                  `json:"enabled_by"`           // heroctl (enable/disable), or config (its status key)
	LastJob          *Job                    `json:"last_job,omitempty"`
	Raw              map[string]dbus.Variant `json:"-"`
}

// Up reports whether the service's unit is active or starting.
func (s Status) Up() bool { return state.Up(s.ActiveState) }

// Job is one run of a service.
type Job struct {
	ID           int64      `json:"id"`
	Service      string     `json:"service_id"`
	Context      string     `json:"context,omitempty"`
	Unit         string     `json:"unit,omitempty"`
	InvocationID string     `json:"invocation_id,omitempty"`
	Phase        string     `json:"phase"`
	MainPID      uint32     `json:"main_pid,omitempty"`
	ExitCode     *int32     `json:"exit_code,omitempty"`
	Signal       string     `json:"signal,omitempty"`
	Result       string     `json:"result,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	Restarts     uint32     `json:"restarts"`
	// OutputPartial: its kept output is a copy made while journald still read the run's
	// output; herod completes it.
	OutputPartial bool `json:"output_partial,omitempty"`
}

func str(d map[string]dbus.Variant, k string) string {
	s, _ := d[k].Value().(string)
	return s
}

func strs(d map[string]dbus.Variant, k string) []string {
	s, _ := d[k].Value().([]string)
	if s == nil {
		s = []string{}
	}
	return s
}

func fromMicros(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := time.UnixMicro(v).UTC()
	return &t
}

func statusFrom(d map[string]dbus.Variant) Status {
	s := Status{
		Service: str(d, api.KeyService), Context: str(d, api.KeyContext), Unit: str(d, api.KeyUnit),
		Description: str(d, api.KeyDescription), State: str(d, api.KeyState), LoadState: str(d, api.KeyLoadState),
		ActiveState: str(d, api.KeyActiveState), SubState: str(d, api.KeySubState), BlockedBy: str(d, api.KeyBlockedBy),
		Requires: strs(d, api.KeyRequires), After: strs(d, api.KeyAfter), Conflicts: strs(d, api.KeyConflicts), Raw: d,
	}
	s.MainPID, _ = d[api.KeyMainPID].Value().(uint32)
	s.Restarts, _ = d[api.KeyRestarts].Value().(uint32)
	s.LimitHit, _ = d[api.KeyStartLimitHit].Value().(bool)
	s.Stale, _ = d[api.KeyStale].Value().(bool)
	s.Problems, _ = d[api.KeyProblems].Value().([]string)
	s.WaitingFor, _ = d[api.KeyWaitingFor].Value().([]string)
	s.Wants, _ = d[api.KeyWants].Value().([]string)
	s.RequirementsDown, _ = d[api.KeyRequirementsDown].Value().([]string)
	s.ComesBack, _ = d[api.KeyComesBack].Value().(bool)
	s.WaitsFor, _ = d[api.KeyWaitsFor].Value().([]string)
	s.Waiting = str(d, api.KeyWaiting)
	s.Health = str(d, api.KeyHealth)
	s.CanReload, _ = d[api.KeyCanReload].Value().(bool)
	s.Enabled, s.EnabledBy = str(d, api.KeyEnabled), str(d, api.KeyEnabledBy)
	if id, ok := d[api.KeyJobID].Value().(int64); ok {
		j := Job{ID: id, Service: s.Service, Phase: str(d, api.KeyJobPhase), Result: str(d, api.KeyResult), Signal: str(d, api.KeySignal),
			InvocationID: str(d, api.KeyInvocationID)}
		j.endFrom(d)
		s.LastJob = &j
	}
	return s
}

func jobFrom(d map[string]dbus.Variant) Job {
	j := Job{Service: str(d, api.KeyService), Context: str(d, api.KeyContext), Unit: str(d, api.KeyUnit),
		InvocationID: str(d, api.KeyInvocationID), Phase: str(d, api.KeyPhase), Signal: str(d, api.KeySignal), Result: str(d, api.KeyResult)}
	j.ID, _ = d[api.KeyID].Value().(int64)
	j.MainPID, _ = d[api.KeyMainPID].Value().(uint32)
	j.Restarts, _ = d[api.KeyRestarts].Value().(uint32)
	j.OutputPartial, _ = d[api.KeyOutputPartial].Value().(bool)
	j.endFrom(d)
	return j
}

// endFrom reads ExitCode (-1: none), StartedAt and EndedAt (microseconds; 0: none).
func (j *Job) endFrom(d map[string]dbus.Variant) {
	if c, ok := d[api.KeyExitCode].Value().(int32); ok && c >= 0 {
		j.ExitCode = &c
	}
	if v, ok := d[api.KeyStartedAt].Value().(int64); ok {
		if t := fromMicros(v); t != nil {
			j.StartedAt = *t
		}
	}
	if v, ok := d[api.KeyEndedAt].Value().(int64); ok {
		j.EndedAt = fromMicros(v)
	}
}
