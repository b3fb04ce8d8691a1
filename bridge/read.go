package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
	"github.com/hero-systemd/hero-systemd/bridge/journal"
	"github.com/hero-systemd/hero-systemd/bridge/recording"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// reader answers what the services' states, runs and units are: from systemd's units (read
// quietly), the ledger and the recorder, the waits and the journal. It takes no lock.
type reader struct {
	svc    *services
	sd     *systemd.Client
	ledger jobdb.Ledger
	rec    *recording.Recorder
	waits  *waitBook
	jrnl   journal.Journal
	log    *slog.Logger
}

// status returns one service's status.
func (r *reader) status(ctx context.Context, name string) (Status, error) {
	set := r.svc.get()
	if set.Service(name) == nil {
		return Status{}, noSuchService(name)
	}
	list, err := r.statuses(ctx, set, []string{name}, true, nil)
	if err != nil {
		return Status{}, err
	}
	return list[0], nil
}

// some returns the statuses of names (not their main processes), their last jobs from latest
// when it is not nil (a service missing has none), else from the ledger.
func (r *reader) some(ctx context.Context, names []string, latest map[string]*jobdb.Job) ([]Status, error) {
	set := r.svc.get()
	for _, n := range names {
		if set.Service(n) == nil {
			return nil, noSuchService(n)
		}
	}
	return r.statuses(ctx, set, names, false, latest)
}

// all returns the status of every service, sorted by name.
func (r *reader) all(ctx context.Context) ([]Status, error) {
	set := r.svc.get()
	names := make([]string, len(set.Services))
	for i, s := range set.Services {
		names[i] = s.Name
	}
	return r.statuses(ctx, set, names, len(names) == 1, nil)
}

// isStale reports whether systemd holds st's unit with another definition than its config's.
func (r *reader) isStale(ctx context.Context, st Status) bool {
	set := r.svc.get()
	s := set.Service(st.Service)
	return s != nil && r.stale(ctx, set, s, st.LoadState)
}

// jobs returns a service's jobs, newest first.
func (r *reader) jobs(ctx context.Context, name string) ([]jobdb.Job, error) {
	if _, err := r.svc.lookup(name); err != nil {
		return nil, err
	}
	return r.ledger.Jobs(ctx, name)
}

// unitText is the unit file of name exactly as the bridge would start it, and whether systemd
// holds it.
func (r *reader) unitText(ctx context.Context, name string) (UnitText, error) {
	svc, err := r.svc.lookup(name)
	if err != nil {
		return UnitText{}, err
	}
	u, err := r.svc.unit(r.svc.get(), svc)
	if err != nil {
		return UnitText{}, err
	}
	return UnitText{Text: u.Text(), Withheld: u.WithheldText(), Loaded: r.sd.LoadedDefinition(ctx, u.Name) == u.Definition}, nil
}

// statuses builds the statuses of names (of set) from their units' states, read in one call,
// and their last jobs (latest, when the caller read them: a service missing has none; nil: read
// from the ledger); withPID reads the main process of those that run too (one more call each).
// A status of one service also says whether systemd holds an older definition of it (one call
// more).
func (r *reader) statuses(ctx context.Context, set *config.Set, names []string, withPID bool, latest map[string]*jobdb.Job) ([]Status, error) {
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
	waits := r.waits.all(ctx)
	for _, n := range names {
		if _, ok := waits[n]; ok {
			for _, q := range set.Graph.RequiresClosure(n) {
				units = append(units, unitOf(set.Service(q)))
			}
		}
	}
	unitStates, err := r.sd.States(ctx, units)
	if err != nil {
		return nil, err
	}
	if latest == nil {
		if latest, err = r.latestOfAll(ctx, len(names)); err != nil {
			return nil, err
		}
	}
	out := make([]Status, 0, len(names))
	for _, n := range names {
		st, err := r.serviceStatus(ctx, set, n, unitStates, latest, withPID, len(names) == 1)
		if _, ok := waits[n]; ok && st.LastJob != nil && !state.Up(st.ActiveState) {
			r.describeWait(set, &st, unitStates, waits)
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
func (r *reader) serviceStatus(ctx context.Context, set *config.Set, n string, unitStates map[string]systemd.UnitStatus,
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
	} else if j, err := r.ledger.Latest(ctx, n); err == nil {
		j.Output = nil
		st.LastJob = j
	} else if !errors.Is(err, jobdb.ErrNotFound) {
		return Status{}, err
	}
	st.State = deriveState(u.ActiveState, u.SubState, st.LastJob)
	info := r.rec.Info(u.Name)
	st.Restarts, st.LimitHit = restartsOf(info.Restarts, state.Up(u.ActiveState), st.LastJob), info.LimitHit && !state.Up(u.ActiveState)
	if state.Up(u.ActiveState) && withPID {
		st.MainPID = int(r.sd.MainPID(ctx, u.Name))
	}
	if single {
		st.Stale = r.stale(ctx, set, s, u.LoadState)
	}
	if len(s.Actions) > 0 {
		st.CanReload = s.Main().Reload != nil || s.Main().ReloadSignal != ""
	}
	if len(s.Actions) > 0 && len(s.Main().Liveness) > 0 && u.LoadState == "loaded" {
		st.Health = recording.Intern(r.sd.StatusText(ctx, u.Name))
	}
	for _, ps := range []config.Problems{set.Problems(n), set.Pending(n)} {
		for _, p := range ps {
			st.Problems = append(st.Problems, p.String())
		}
	}
	switch {
	case set.BadConfig(n):
		st.State = StateBadConfig
	case len(set.Blocked(n)) > 0 && !state.Up(u.ActiveState):
		st.State, st.WaitingFor = StateBlocked, set.Blocked(n)
	}
	if !state.Up(u.ActiveState) && st.State != StateBadConfig {
		for _, c := range st.Conflicts {
			if state.Up(unitStates[unitOf(set.Service(c))].ActiveState) {
				st.State, st.BlockedBy = StateBlocked, c
				break
			}
		}
	}
	if !state.Up(u.ActiveState) && st.LastJob != nil { // it ran: say why it does not now
		for _, q := range st.Requires {
			if r := unitStates[unitOf(set.Service(q))]; r.ActiveState != "active" || r.SubState == "auto-restart" {
				st.RequirementsDown = append(st.RequirementsDown, q)
			}
		}
	}
	return st, nil
}

// stale reports whether systemd holds s's unit loaded with another definition than set's (one
// call to systemd, for a loaded unit only: reading an unloaded one would load it).
func (r *reader) stale(ctx context.Context, set *config.Set, s *config.Service, loadState string) bool {
	if loadState != "loaded" {
		return false
	}
	gen, err := r.svc.unit(set, s)
	return err == nil && r.sd.LoadedDefinition(ctx, gen.Name) != gen.Definition
}

// fewStatuses is how many statuses read each service's last job on its own.
const fewStatuses = 16

// latestOfAll returns every service's newest job in one query when many statuses are read and
// the ledger can (nil otherwise: each is read on its own).
func (r *reader) latestOfAll(ctx context.Context, statuses int) (map[string]*jobdb.Job, error) {
	all, ok := r.ledger.(interface {
		LatestOfAll(context.Context) (map[string]*jobdb.Job, error)
	})
	if statuses <= fewStatuses || !ok {
		return nil, nil
	}
	return all.LatestOfAll(ctx)
}

// describeWait fills in what a service that waits for its requirements waits for, and says what
// will happen, from the states of its requires closure's units (unitStates) and the waits.
func (r *reader) describeWait(set *config.Set, st *Status, unitStates map[string]systemd.UnitStatus, waits map[string]jobdb.Wait) {
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
		parts = append(parts, q+" (down: "+downReason(q, u, r.rec.Info(u.Name).LimitHit)+")")
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

// outputSyncWait bounds how long a read of an ended run's output waits for journald.
const outputSyncWait = 10 * time.Second

// output returns the last lines (at most limit; 0: all that are kept) of a job of name (its
// latest when id is 0): from the journal while the run goes on or until its tail is copied,
// from the ledger after that (so a crash's output survives journal rotation).
func (r *reader) output(ctx context.Context, name string, id int64, limit int) (*jobdb.Job, []LogLine, error) {
	if _, err := r.svc.lookup(name); err != nil {
		return nil, nil, err
	}
	var j *jobdb.Job
	var err error
	if id == 0 {
		j, err = r.ledger.Latest(ctx, name)
		if err == nil && j.OutputSaved {
			j, err = r.ledger.Get(ctx, j.ID) // with its output
		}
	} else {
		j, err = r.ledger.Get(ctx, id)
		if err == nil && j.ServiceID != name {
			err = fmt.Errorf("job %d belongs to %s, not %s: %w", id, j.ServiceID, name, jobdb.ErrNotFound)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var lines []LogLine
	if j.OutputSaved {
		lines = recording.DecodeTail(j.Output)
	} else if j.InvocationID != "" {
		// The same tail the ledger will keep: the last jobdb.MaxOutput bytes, once journald
		// wrote what the run sent it.
		if j.Phase.Ended() && r.rec.Info(j.Unit).Invocation == j.InvocationID {
			sctx, cancel := context.WithTimeout(ctx, outputSyncWait)
			err := r.jrnl.Sync(sctx, []string{j.Unit})
			cancel()
			if err != nil {
				r.log.Warn("waiting for journald to write a run's last output failed", "service", name, "err", err)
			}
		}
		entries, err := recording.ReadTail(ctx, r.jrnl, r.rec.Fields(), j, limit)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			lines = append(lines, recording.LineOf(e.Fields))
		}
	}
	if limit > 0 && len(lines) > limit {
		lines = lines[len(lines)-limit:]
	}
	j.Output = nil
	return j, lines, nil
}
