package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge"
	"github.com/hero-systemd/hero-systemd/bridge/plan"
	"github.com/hero-systemd/hero-systemd/bridge/state"
	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// standIn is an engine without systemd, for testing herod's D-Bus API on a private bus: each
// service's unit is a state in memory, and its runs are jobs in a real ledger, created and ended
// as the bridge does (a start prunes the service's ended jobs; a stop ends the runs of its
// cascade and keeps them). It says what happened through OnEvent as the bridge does. What the
// bridge does with systemd is tested against systemd (tests/integration); here only what herod
// makes of the engine's answers is under test.
type standIn struct {
	set    atomic.Pointer[config.Set]
	ledger *jobdb.DB

	mu       sync.Mutex
	units    map[string]string // service -> "active", "failed" or "inactive"
	events   func(bridge.Event)
	plan     plan.Apply // what PlanApply and Apply answer
	applies  int        // Apply calls
	failNext error      // the next Start fails with this, having started nothing
	sweeps   int        // SweepEnvFiles calls
	signals  []int      // the signals Kill sent
	reloaded []string   // the services Reload reloaded, in order
}

func newStandIn(set *config.Set, ledger *jobdb.DB) *standIn {
	s := &standIn{ledger: ledger, units: map[string]string{}}
	s.set.Store(set)
	return s
}

func (s *standIn) Config() *config.Set       { return s.set.Load() }
func (s *standIn) SetConfig(set *config.Set) { s.set.Store(set) }
func (s *standIn) Close()                    {}

func (s *standIn) OnEvent(fn func(bridge.Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = fn
}

func (s *standIn) emit(e bridge.Event) {
	s.mu.Lock()
	fn := s.events
	s.mu.Unlock()
	if fn != nil {
		fn(e)
	}
}

func (s *standIn) unitState(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.units[name]; u != "" {
		return u
	}
	return "inactive"
}

func (s *standIn) setUnit(name, st string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.units[name] = st
}

func (s *standIn) service(name string) (*config.Service, error) {
	svc := s.Config().Service(name)
	if svc == nil {
		return nil, fmt.Errorf("%w %q", bridge.ErrNoSuchService, name)
	}
	return svc, nil
}

func (s *standIn) PrecheckStart(ctx context.Context, names []string) (bridge.StartCheck, error) {
	set := s.Config()
	plan, err := set.Graph.StartAll(names)
	if err != nil {
		return bridge.StartCheck{}, fmt.Errorf("%w: %v", bridge.ErrNoSuchService, err)
	}
	var check bridge.StartCheck
	starting := map[string]bool{}
	for _, n := range plan.Order {
		starting[n] = true
	}
	for _, n := range plan.Order {
		if s.unitState(n) != "active" {
			check.Starting = append(check.Starting, n)
		}
		for _, c := range set.Graph.Conflicts(n) {
			if s.unitState(c) == "active" || starting[c] {
				return bridge.StartCheck{}, &bridge.ConflictError{Service: n, Conflicting: c}
			}
		}
	}
	check.AlreadyRunning = len(check.Starting) == 0
	return check, nil
}

func (s *standIn) Start(ctx context.Context, names []string, replace bool, obs bridge.Observer) (bridge.StartReply, error) {
	reply := bridge.StartReply{Started: []string{}, Failed: []string{}, Jobs: map[string]int64{}}
	check, err := s.PrecheckStart(ctx, names)
	if err != nil {
		return reply, err
	}
	s.mu.Lock()
	fail := s.failNext
	s.failNext = nil
	s.mu.Unlock()
	if fail != nil {
		if obs != nil {
			obs(bridge.Progress{Service: names[0], Event: "failed", Err: fail})
		}
		return reply, fail
	}
	for _, n := range check.Starting {
		svc, _ := s.service(n)
		j := &jobdb.Job{ServiceID: n, Context: svc.Context, Unit: unitgen.UnitName(svc.Context, n), Phase: jobdb.PhaseRunning,
			InvocationID: newInvocation(), StartedAt: time.Now()}
		if _, err := s.ledger.PruneAndCreate(ctx, j); err != nil {
			return reply, err
		}
		s.setUnit(n, "active")
		reply.Started, reply.Jobs[n] = append(reply.Started, n), j.ID
		s.emit(bridge.Event{Kind: "job-started", Service: n, JobID: j.ID, State: string(jobdb.PhaseRunning)})
		if obs != nil {
			obs(bridge.Progress{Service: n, Event: "started", JobID: j.ID})
		}
	}
	return reply, nil
}

func newInvocation() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *standIn) PrecheckStop(ctx context.Context, name string) ([]string, error) {
	plan, err := s.Config().Graph.Stop(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", bridge.ErrNoSuchService, err)
	}
	running := []string{}
	for _, n := range plan.Order {
		if s.unitState(n) == "active" {
			running = append(running, n)
		}
	}
	return running, nil
}

func (s *standIn) Stop(ctx context.Context, name string, removeJobs bool, obs bridge.Observer) (bridge.StopReply, error) {
	reply := bridge.StopReply{Service: name, StoppedDependents: []string{}}
	running, err := s.PrecheckStop(ctx, name)
	if err != nil {
		return reply, err
	}
	for _, n := range running {
		if err := s.end(ctx, n, "inactive", func(j *jobdb.Job) { j.Phase, j.Result = jobdb.PhaseCancelled, "success" }); err != nil {
			return reply, err
		}
		reply.Cancelled++
		if n != name {
			reply.StoppedDependents = append(reply.StoppedDependents, n)
		}
		if obs != nil {
			obs(bridge.Progress{Service: n, Event: "stopped"})
		}
	}
	if removeJobs {
		if reply.RemovedJobs, err = s.ledger.DeleteService(ctx, name); err != nil {
			return reply, err
		}
	}
	reply.OK = true
	return reply, nil
}

// end ends the service's running job as how says, and leaves its unit in unit.
func (s *standIn) end(ctx context.Context, name, unit string, how func(*jobdb.Job)) error {
	j, err := s.ledger.Latest(ctx, name)
	if err != nil {
		return err
	}
	now := time.Now()
	j, err = s.ledger.Update(ctx, j.ID, func(j *jobdb.Job) error {
		how(j)
		j.EndedAt = &now
		return nil
	})
	if err != nil {
		return err
	}
	s.setUnit(name, unit)
	s.emit(bridge.Event{Kind: "job-finished", Service: name, JobID: j.ID, State: string(j.Phase)})
	return nil
}

func (s *standIn) Restart(ctx context.Context, name string, obs bridge.Observer) (bridge.RestartReply, error) {
	stop, err := s.Stop(ctx, name, false, obs)
	if err != nil {
		return bridge.RestartReply{Stop: stop}, err
	}
	start, err := s.Start(ctx, append([]string{name}, stop.StoppedDependents...), true, obs)
	return bridge.RestartReply{Stop: stop, Start: start, Restarted: slices.Clone(stop.StoppedDependents)}, err
}

// Kill sends signal to a running service; the stand-in's services die of every signal.
func (s *standIn) Kill(ctx context.Context, name string, signal int) error {
	if _, err := s.service(name); err != nil {
		return err
	}
	if s.unitState(name) != "active" {
		return fmt.Errorf("kill %s: %w", name, bridge.ErrNotRunning)
	}
	s.mu.Lock()
	s.signals = append(s.signals, signal)
	s.mu.Unlock()
	return s.end(ctx, name, "failed", func(j *jobdb.Job) {
		j.Phase, j.Result, j.Signal = jobdb.PhaseFailed, "signal", fmt.Sprintf("SIG%d", signal)
	})
}

// PrecheckReload refuses as the bridge does: an undefined service, one whose config has no
// reload, one that does not run.
func (s *standIn) PrecheckReload(ctx context.Context, name string) error {
	svc, err := s.service(name)
	if err != nil {
		return err
	}
	if svc.Main().Reload == nil && svc.Main().ReloadSignal == "" {
		return fmt.Errorf("reload %s: %w: its config sets neither reload nor reload_signal", name, bridge.ErrNotReloadable)
	}
	if s.unitState(name) != "active" {
		return fmt.Errorf("reload %s: %w", name, bridge.ErrNotRunning)
	}
	return nil
}

// Reload records the reload of a service that can be reloaded, and reports it.
func (s *standIn) Reload(ctx context.Context, name string, obs bridge.Observer) error {
	if err := s.PrecheckReload(ctx, name); err != nil {
		return err
	}
	s.mu.Lock()
	s.reloaded = append(s.reloaded, name)
	s.mu.Unlock()
	if obs != nil {
		obs(bridge.Progress{Service: name, Event: "reloaded"})
	}
	return nil
}

// sent returns the signals Kill sent, in order.
func (s *standIn) sent() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.signals)
}

func (s *standIn) ResetFailed(ctx context.Context, name string) error {
	if _, err := s.service(name); err != nil {
		return err
	}
	if s.unitState(name) == "failed" {
		s.setUnit(name, "inactive")
	}
	return nil
}

func (s *standIn) PlanApply(ctx context.Context, next *config.Set) (plan.Apply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plan.WithLists()
	p.DryRun = true
	return p, nil
}

// Apply answers its plan to planned before it acts, loads next and starts the plan's restarts.
func (s *standIn) Apply(ctx context.Context, next *config.Set, planned func(plan.Apply), obs bridge.Observer) (plan.Apply, error) {
	s.mu.Lock()
	p := s.plan.WithLists()
	s.applies++
	s.mu.Unlock()
	planned(p)
	s.SetConfig(next)
	for _, n := range p.Restart {
		obs(bridge.Progress{Service: n, Event: "started"})
	}
	p.Started = slices.Clone(p.Restart)
	return p, nil
}

func (s *standIn) SweepEnvFiles(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweeps++
	return nil
}

func (s *standIn) Status(ctx context.Context, name string) (bridge.Status, error) {
	list, err := s.Statuses(ctx, []string{name})
	if err != nil {
		return bridge.Status{}, err
	}
	return list[0], nil
}

func (s *standIn) List(ctx context.Context) ([]bridge.Status, error) {
	return s.Statuses(ctx, s.Config().Graph.Names())
}

// StatusesWithJobs is Statuses with each last job the newest of jobs, as the bridge's.
func (s *standIn) StatusesWithJobs(ctx context.Context, names []string, jobs map[string][]jobdb.Job) ([]bridge.Status, error) {
	list, err := s.Statuses(ctx, names)
	for i := range list {
		if js := jobs[list[i].Service]; len(js) > 0 {
			list[i].LastJob = &js[0]
		} else {
			list[i].LastJob = nil
		}
	}
	return list, err
}

// Statuses derives each state as the bridge does (bridge/state), from the unit and the last job.
func (s *standIn) Statuses(ctx context.Context, names []string) ([]bridge.Status, error) {
	set := s.Config()
	out := make([]bridge.Status, 0, len(names))
	for _, n := range names {
		svc, err := s.service(n)
		if err != nil {
			return nil, err
		}
		st := bridge.Status{Service: n, Context: svc.Context, Unit: unitgen.UnitName(svc.Context, n), Description: svc.Description,
			LoadState: "loaded", Requires: set.Graph.Requires(n), After: set.Graph.After(n), Conflicts: set.Graph.Conflicts(n),
			Wants: set.Graph.Wants(n)}
		last := state.RunUnknown
		if j, err := s.ledger.Latest(ctx, n); err == nil {
			st.LastJob = j
			last = map[jobdb.Phase]state.LastRun{jobdb.PhaseSucceeded: state.RunSucceeded, jobdb.PhaseFailed: state.RunFailed,
				jobdb.PhaseCancelled: state.RunCancelled}[j.Phase]
		}
		switch s.unitState(n) {
		case "active":
			st.ActiveState, st.SubState = "active", "running"
		case "failed":
			st.ActiveState, st.SubState = "failed", "failed"
		default:
			st.ActiveState, st.SubState = "inactive", "dead"
		}
		st.State = state.Of(st.ActiveState, st.SubState, last)
		if len(svc.Actions) > 0 {
			st.CanReload = svc.Main().Reload != nil || svc.Main().ReloadSignal != ""
		}
		if len(svc.Actions) > 0 && len(svc.Main().Liveness) > 0 && st.ActiveState == "active" {
			st.Health = "unhealthy: 1 of 3 checks failed (exit status 1)" // as a liveness loop's StatusText
		}
		for _, p := range set.Problems(n) {
			st.Problems = append(st.Problems, p.String())
		}
		if set.BadConfig(n) {
			st.State = state.BadConfig
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *standIn) Stale(ctx context.Context, st bridge.Status) bool { return false }

func (s *standIn) Jobs(ctx context.Context, name string) ([]jobdb.Job, error) {
	if _, err := s.service(name); err != nil {
		return nil, err
	}
	return s.ledger.Jobs(ctx, name)
}

// Output answers one line per job, naming it: what herod does with the lines is under test.
func (s *standIn) Output(ctx context.Context, name string, id int64, limit int) (*jobdb.Job, []bridge.LogLine, error) {
	if _, err := s.service(name); err != nil {
		return nil, nil, err
	}
	var j *jobdb.Job
	var err error
	if id == 0 {
		j, err = s.ledger.Latest(ctx, name)
	} else {
		j, err = s.ledger.Get(ctx, id)
	}
	if err != nil {
		return nil, nil, err
	}
	if j.ServiceID != name {
		return nil, nil, fmt.Errorf("job %d is %s's: %w", id, j.ServiceID, jobdb.ErrNotFound)
	}
	line := bridge.LogLine{Time: j.StartedAt, Priority: 6, Identifier: name, Message: fmt.Sprintf("%s: run %d", name, j.ID)}
	return j, []bridge.LogLine{line}, nil
}

func (s *standIn) UnitText(ctx context.Context, name string) (bridge.UnitText, error) {
	svc, err := s.service(name)
	if err != nil {
		return bridge.UnitText{}, err
	}
	u, err := unitgen.Generate(s.Config(), svc, unitgen.Options{})
	if err != nil {
		return bridge.UnitText{}, err
	}
	return bridge.UnitText{Text: u.Text(), Withheld: u.WithheldText(), Loaded: s.unitState(name) == "active"}, nil
}
