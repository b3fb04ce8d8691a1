package bridge

import (
	"context"
	"errors"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"

	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
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
	Health  string     `json:"health,omitempty"`
	LastJob *jobdb.Job `json:"last_job,omitempty"`
}

// Up reports whether the service counts as up (its unit is active or starting).
func (s Status) Up() bool { return up(s.ActiveState) }

// Status returns one service's status.
func (b *Bridge) Status(ctx context.Context, name string) (Status, error) {
	if _, err := b.service(name); err != nil {
		return Status{}, err
	}
	list, err := b.statuses(ctx, []string{name})
	if err != nil {
		return Status{}, err
	}
	return list[0], nil
}

// List returns the status of every service, sorted by name.
func (b *Bridge) List(ctx context.Context) ([]Status, error) {
	set := b.Config()
	names := make([]string, len(set.Services))
	for i, s := range set.Services {
		names[i] = s.Name
	}
	return b.statuses(ctx, names)
}

func (b *Bridge) statuses(ctx context.Context, names []string) ([]Status, error) {
	return b.statusesFrom(ctx, names, b.states, len(names) == 1)
}

// statusesFrom builds the statuses of names from the unit states that states reads; withPID
// reads the main process of those that run too (one more call each).
func (b *Bridge) statusesFrom(ctx context.Context, names []string, states func(context.Context, []string) (map[string]sddbus.UnitStatus, error), withPID bool) ([]Status, error) {
	set := b.Config()
	var units []string
	for _, n := range names {
		units = append(units, unitOf(set.Service(n)))
		for _, c := range set.Graph.Conflicts(n) {
			units = append(units, unitOf(set.Service(c)))
		}
		for _, q := range set.Graph.Requires(n) {
			units = append(units, unitOf(set.Service(q)))
		}
	}
	waits := b.waitingServices(ctx)
	for _, n := range names {
		if _, ok := waits[n]; ok {
			for _, q := range set.Graph.RequiresClosure(n) {
				units = append(units, unitOf(set.Service(q)))
			}
		}
	}
	unitStates, err := states(ctx, units)
	if err != nil {
		return nil, err
	}
	latest, err := b.latestOfAll(ctx, len(names))
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(names))
	for _, n := range names {
		st, err := b.serviceStatus(ctx, set, n, unitStates, latest, withPID, len(names) == 1)
		if _, ok := waits[n]; ok && st.LastJob != nil && !up(st.ActiveState) {
			b.describeWait(set, &st, unitStates, waits)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// serviceStatus builds one service's status from the states of its unit and of the units of
// its conflicts and requirements (unitStates), and its last job: from latest when the caller
// read every service's at once, else from the ledger. withPID reads the main process of a
// unit that runs; single checks whether systemd holds an older definition (one call more).
func (b *Bridge) serviceStatus(ctx context.Context, set *config.Set, n string, unitStates map[string]sddbus.UnitStatus,
	latest map[string]*jobdb.Job, withPID, single bool) (Status, error) {
	s := set.Service(n)
	u := unitStates[unitOf(s)]
	// Nothing of systemd's reply is kept as decoded (see intern): the unit's name is hero's.
	st := Status{Service: n, Context: s.Context, Unit: unitOf(s), Description: s.Description,
		LoadState: recording.Intern(u.LoadState), ActiveState: recording.Intern(u.ActiveState), SubState: recording.Intern(u.SubState),
		Requires: nonNil(set.Graph.Requires(n)), After: nonNil(set.Graph.After(n)), Conflicts: nonNil(set.Graph.Conflicts(n)),
		Wants: nonNil(set.Graph.Wants(n))}
	if latest != nil {
		st.LastJob = latest[n]
	} else if j, err := b.ledger.Latest(ctx, n); err == nil {
		j.Output = nil
		st.LastJob = j
	} else if !errors.Is(err, jobdb.ErrNotFound) {
		return Status{}, err
	}
	st.State = deriveState(u.ActiveState, u.SubState, st.LastJob)
	info := b.rec.Info(u.Name)
	st.Restarts, st.LimitHit = restartsOf(info.Restarts, up(u.ActiveState), st.LastJob), info.LimitHit && !up(u.ActiveState)
	if up(u.ActiveState) && withPID {
		if snap, err := b.snapshot(ctx, u.Name); err == nil {
			st.MainPID = int(snap.MainPID())
		}
	}
	if single {
		st.Stale = b.stale(ctx, set, s, u.LoadState)
	}
	if len(s.Actions) > 0 && len(s.Main().Liveness) > 0 && u.LoadState == "loaded" {
		st.Health = b.statusText(ctx, u.Name)
	}
	for _, ps := range []config.Problems{set.Problems(n), set.Pending(n)} {
		for _, p := range ps {
			st.Problems = append(st.Problems, p.String())
		}
	}
	switch {
	case set.BadConfig(n):
		st.State = StateBadConfig
	case len(set.Blocked(n)) > 0 && !up(u.ActiveState):
		st.State, st.WaitingFor = StateBlocked, set.Blocked(n)
	}
	if !up(u.ActiveState) && st.State != StateBadConfig {
		for _, c := range st.Conflicts {
			if up(unitStates[unitOf(set.Service(c))].ActiveState) {
				st.State, st.BlockedBy = StateBlocked, c
				break
			}
		}
	}
	if !up(u.ActiveState) && st.LastJob != nil { // it ran: say why it does not now
		for _, q := range st.Requires {
			if r := unitStates[unitOf(set.Service(q))]; r.ActiveState != "active" || r.SubState == "auto-restart" {
				st.RequirementsDown = append(st.RequirementsDown, q)
			}
		}
	}
	return st, nil
}

// statusText reads the unit's StatusText (what its notifications said last; "" when unknown).
func (b *Bridge) statusText(ctx context.Context, unit string) string {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	p, err := b.conn.GetUnitTypePropertyContext(ctx, unit, "Service", "StatusText")
	if err != nil {
		return ""
	}
	text, _ := p.Value.Value().(string)
	return recording.Intern(text)
}

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

// Stale reports whether systemd holds st's unit loaded with another definition than its
// config's (one call to systemd, for a loaded unit only: reading an unloaded one would load it).
func (b *Bridge) Stale(ctx context.Context, st Status) bool {
	set := b.Config()
	s := set.Service(st.Service)
	return s != nil && b.stale(ctx, set, s, st.LoadState)
}

func (b *Bridge) stale(ctx context.Context, set *config.Set, s *config.Service, loadState string) bool {
	if loadState != "loaded" {
		return false
	}
	gen, err := unitgen.Generate(set, s, b.unitOptions())
	return err == nil && b.loadedDefinition(ctx, gen.Name) != gen.Definition
}

// latestOfAll returns every service's newest job in one query when many statuses are read and
// the ledger can (nil otherwise: each is read on its own).
func (b *Bridge) latestOfAll(ctx context.Context, statuses int) (map[string]*jobdb.Job, error) {
	all, ok := b.ledger.(interface {
		LatestOfAll(context.Context) (map[string]*jobdb.Job, error)
	})
	if statuses <= fewPatterns || !ok {
		return nil, nil
	}
	return all.LatestOfAll(ctx)
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

// Jobs returns a service's jobs, newest first.
func (b *Bridge) Jobs(ctx context.Context, name string) ([]jobdb.Job, error) {
	if _, err := b.service(name); err != nil {
		return nil, err
	}
	return b.ledger.Jobs(ctx, name)
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

// UnitText is the unit file of name exactly as the bridge would start it, and whether systemd
// holds it.
func (b *Bridge) UnitText(ctx context.Context, name string) (UnitText, error) {
	svc, err := b.service(name)
	if err != nil {
		return UnitText{}, err
	}
	u, err := unitgen.Generate(b.Config(), svc, b.unitOptions())
	if err != nil {
		return UnitText{}, err
	}
	return UnitText{Text: u.Text(), Withheld: u.WithheldText(), Loaded: b.loadedDefinition(ctx, u.Name) == u.Definition}, nil
}

// describeWait fills in what a service that waits for its requirements waits for, and says what
// will happen, from the states of its requires closure's units (unitStates) and the waits.
func (b *Bridge) describeWait(set *config.Set, st *Status, unitStates map[string]sddbus.UnitStatus, waits map[string]jobdb.Wait) {
	if err := checkUsable(set, st.Service); err != nil {
		// herod does not start what cannot start: no promise.
		st.Waiting = "its requirements went down; it cannot start as its config stands (" + stateWord(set, st.Service) + "): herod starts it once that is fixed and they run"
		return
	}
	st.ComesBack = true
	var parts []string
	for _, q := range set.Graph.RequiresClosure(st.Service) {
		u := unitStates[unitOf(set.Service(q))]
		if _, waiting := waits[q]; waiting || u.ActiveState == "active" && u.SubState != "auto-restart" {
			continue // it runs, or herod starts it too
		}
		st.WaitsFor = append(st.WaitsFor, q)
		parts = append(parts, q+" (down: "+downReason(q, u, b.rec.Info(u.Name).LimitHit)+")")
	}
	if len(st.WaitsFor) == 0 {
		st.Waiting = "its requirements run again: herod starts it"
		return
	}
	back := st.WaitsFor[0] + " runs again"
	if len(st.WaitsFor) > 1 {
		back = "they run again"
	}
	st.Waiting = "waiting for " + strings.Join(parts, ", ") + ": herod starts it when " + back
}

// downReason says why a requirement's unit is down and what brings it back, promising only
// what systemd does by itself.
func downReason(name string, u sddbus.UnitStatus, limitHit bool) string {
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
