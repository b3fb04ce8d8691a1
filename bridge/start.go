package bridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// StartReply says what a start did.
type StartReply struct {
	Service        string           `json:"service"`         // the service asked for (StartMany: the first)
	AlreadyRunning bool             `json:"already_running"` // it was running (StartMany: all were): nothing was started
	Started        []string         `json:"started"`         // what this call started, in order, dependencies first
	Jobs           map[string]int64 `json:"jobs"`            // the new job of each started service
}

// Start starts name after the not-yet-running services of its requires closure, wave by wave
// (each wave's units in parallel). It is blocked, with nothing started, when any service it
// would start conflicts with a running one (or with another it would start). Each started
// service's inactive jobs are pruned before its new job is created; running jobs and other
// services' jobs are never touched. replace is systemd's job mode: true "replace" (a queued
// conflicting job is replaced), false "fail" (the start fails instead).
func (b *Bridge) Start(ctx context.Context, name string, replace bool) (StartReply, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.start(ctx, []string{name}, replace)
}

// StartMany starts several services together, as systemctl start A B C does: the union of their
// requires closures, wave by wave, each wave's units in parallel. Conflicts are checked for all
// of them before anything starts.
func (b *Bridge) StartMany(ctx context.Context, names []string, replace bool) (StartReply, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.start(ctx, names, replace)
}

func (b *Bridge) start(ctx context.Context, names []string, replace bool) (StartReply, error) {
	reply := StartReply{Started: []string{}, Jobs: map[string]int64{}}
	if len(names) == 0 {
		return reply, nil
	}
	reply.Service = names[0]
	set := b.Config()
	for _, name := range names {
		if _, err := b.service(name); err != nil {
			return reply, err
		}
	}
	plan, err := set.Graph.StartAll(names)
	if err != nil {
		return reply, err
	}
	members := map[string]bool{}
	for _, m := range plan.Order {
		members[m] = true
	}
	unitOf := func(s string) string {
		svc := set.Service(s)
		return unitgen.UnitName(svc.Context, svc.Name)
	}
	var units []string
	for _, m := range plan.Order {
		units = append(units, unitOf(m))
		for _, c := range set.Graph.Conflicts(m) {
			units = append(units, unitOf(c))
		}
	}
	states, err := b.states(ctx, units)
	if err != nil {
		return reply, fmt.Errorf("start %s: %w", strings.Join(names, " "), err)
	}
	// Record runs of these services that ended meanwhile before deciding anything.
	if err := b.reconcileFull(ctx, members, false, states); err != nil {
		return reply, err
	}
	allUp := true
	for _, name := range names {
		allUp = allUp && up(states[unitOf(name)].ActiveState)
	}
	if allUp {
		reply.AlreadyRunning = true
		return reply, nil
	}
	if err := checkConflicts(set, plan.Order, func(s string) bool { return up(states[unitOf(s)].ActiveState) }); err != nil {
		return reply, err
	}
	mode := "fail"
	if replace {
		mode = "replace"
	}
	// A service that fails to start takes down the start of everything that requires it, but not
	// of the others: like systemctl start A B C, the rest still start.
	var firstErr error
	failedSvc := map[string]bool{}
	for _, wave := range plan.Waves {
		var todo []*config.Service
		for _, m := range wave {
			if up(states[unitOf(m)].ActiveState) {
				continue
			}
			blocked := false
			for _, d := range set.Graph.Requires(m) {
				blocked = blocked || failedSvc[d]
			}
			if blocked {
				failedSvc[m] = true
				continue
			}
			todo = append(todo, set.Service(m))
		}
		if len(todo) == 0 {
			continue
		}
		failed := func(s *config.Service) bool { return states[unitOf(s.Name)].ActiveState == "failed" }
		started, err := b.startWave(ctx, set, todo, mode, failed)
		ok := map[string]bool{}
		for _, st := range started {
			reply.Started = append(reply.Started, st.service)
			reply.Jobs[st.service] = st.job
			ok[st.service] = true
		}
		for _, svc := range todo {
			if !ok[svc.Name] {
				failedSvc[svc.Name] = true
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		var se *StartError
		if errors.As(firstErr, &se) {
			se.Started = reply.Started
		}
		return reply, firstErr
	}
	return reply, nil
}

// checkConflicts blocks a start when a service it would start conflicts with one that runs or
// that it would start too.
func checkConflicts(set *config.Set, order []string, running func(string) bool) error {
	starting := map[string]bool{}
	for _, m := range order {
		if !running(m) {
			starting[m] = true
		}
	}
	for _, m := range order {
		if !starting[m] {
			continue
		}
		for _, c := range set.Graph.Conflicts(m) {
			if running(c) || starting[c] {
				return &ConflictError{Service: m, Conflicting: c}
			}
		}
	}
	return nil
}

type startedJob struct {
	service string
	job     int64
}

// startWave starts services that do not depend on each other: their jobs are created in one
// ledger transaction, their units started in parallel, and their results recorded in one more.
// A job is running once systemd's start job is done (with a health check: once it passed).
func (b *Bridge) startWave(ctx context.Context, set *config.Set, svcs []*config.Service, mode string, failed func(*config.Service) bool) ([]startedJob, error) {
	jobs := make([]*jobdb.Job, len(svcs))
	for i, svc := range svcs {
		output, _ := b.serviceFiles(svc.Name)
		jobs[i] = &jobdb.Job{ServiceID: svc.Name, Context: svc.Context, Unit: unitgen.UnitName(svc.Context, svc.Name),
			Phase: jobdb.PhasePending, OutputFile: output}
	}
	if _, err := b.ledger.PruneAndCreate(ctx, jobs...); err != nil {
		return nil, err
	}
	type outcome struct {
		result string
		ri     runInfo
		err    error
	}
	outcomes := make([]outcome, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		wg.Add(1)
		go func(i int, svc *config.Service) {
			defer wg.Done()
			o := &outcomes[i]
			if o.err = b.prepareFiles(svc.Name); o.err != nil {
				return
			}
			u, err := unitgen.Generate(set, svc, unitgen.Options{ConfigDir: b.opts.ConfigDir})
			if err != nil {
				o.err = err
				return
			}
			if failed(svc) {
				// A failed unit of an earlier run stays loaded until reset (its end is already
				// recorded); resetting also clears systemd's start rate limit.
				b.resetFailed(ctx, u.Name)
			}
			if o.result, err = b.startUnit(ctx, u, mode); err != nil {
				o.err = fmt.Errorf("start %s: %w", u.Name, err)
				return
			}
			// A failed start is recorded from the unit's properties now. A running one's
			// InvocationID and MainPID are recorded by the next reconcile: reading them here
			// would double the calls into systemd's single thread on a wide start.
			if o.result != "done" {
				o.ri, _ = b.runInfo(ctx, u.Name)
			}
		}(i, svc)
	}
	wg.Wait()
	now := time.Now().UTC()
	changes := map[int64]func(*jobdb.Job) error{}
	for i, svc := range svcs {
		o := outcomes[i]
		switch {
		case o.err != nil:
			cause := o.err
			changes[jobs[i].ID] = func(j *jobdb.Job) error {
				j.Phase, j.Result, j.EndedAt, j.Output = jobdb.PhaseFailed, "refused", &now, []byte(cause.Error())
				return nil
			}
		case o.result != "done":
			changes[jobs[i].ID] = b.finish(svc.Name, o.ri, false, now)
		default:
			changes[jobs[i].ID] = func(j *jobdb.Job) error {
				j.Phase = jobdb.PhaseRunning
				return nil
			}
		}
	}
	if err := b.ledger.UpdateAll(ctx, changes); err != nil {
		return nil, err
	}
	var started []startedJob
	var firstErr error
	for i, svc := range svcs {
		o := outcomes[i]
		switch {
		case o.err != nil:
			firstErr = cmpErr(firstErr, o.err)
			b.emit(Event{Kind: "job-finished", Service: svc.Name, JobID: jobs[i].ID, State: string(jobdb.PhaseFailed)})
		case o.result != "done":
			j, _ := b.ledger.Get(ctx, jobs[i].ID)
			if j != nil {
				j.Output = nil
			}
			firstErr = cmpErr(firstErr, &StartError{Service: svc.Name, JobResult: o.result, Job: j})
			b.emit(Event{Kind: "job-finished", Service: svc.Name, JobID: jobs[i].ID, State: string(jobdb.PhaseFailed)})
		default:
			started = append(started, startedJob{svc.Name, jobs[i].ID})
			b.log.Info("started", "service", svc.Name, "job", jobs[i].ID)
			b.emit(Event{Kind: "job-started", Service: svc.Name, JobID: jobs[i].ID, State: string(jobdb.PhaseRunning)})
		}
	}
	return started, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// startUnit creates the transient unit, or, when systemd still holds a unit object of that name
// (referenced by a loaded dependent), starts that one. It returns systemd's job result.
func (b *Bridge) startUnit(ctx context.Context, u *unitgen.Unit, mode string) (string, error) {
	for attempt := 0; ; attempt++ {
		ch := make(chan string, 1)
		_, err := b.conn.StartTransientUnitContext(ctx, u.Name, mode, u.Properties, ch)
		if err == nil {
			return waitJob(ctx, ch)
		}
		if dbusErrorName(err) != errUnitExists {
			return "", err
		}
		st, serr := b.states(ctx, []string{u.Name})
		if serr != nil {
			return "", serr
		}
		switch s := st[u.Name]; {
		case s.LoadState == "loaded" && (s.ActiveState == "inactive" || s.ActiveState == "failed"):
			ch := make(chan string, 1)
			if _, err := b.conn.StartUnitContext(ctx, u.Name, mode, ch); err != nil {
				return "", err
			}
			return waitJob(ctx, ch)
		case attempt < 50 && (s.LoadState == "not-found" || s.ActiveState == "deactivating"):
			// Being garbage-collected or still stopping: try again shortly.
			time.Sleep(20 * time.Millisecond)
		default:
			return "", fmt.Errorf("unit %s exists in state %s/%s: %w", u.Name, s.ActiveState, s.SubState, err)
		}
	}
}

func (b *Bridge) resetFailed(ctx context.Context, unit string) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_ = b.conn.ResetFailedUnitContext(ctx, unit) // NoSuchUnit / not failed: nothing to reset
}

// prepareFiles clears the previous run's output and exit record: its tail is in its job already.
func (b *Bridge) prepareFiles(service string) error {
	if err := b.ensureServiceDir(service); err != nil {
		return err
	}
	output, exit := b.serviceFiles(service)
	if err := os.Remove(exit); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(output, nil, 0o640)
}
