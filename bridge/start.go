package bridge

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
	"github.com/hero-systemd/hero-systemd/unitgen"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// StartReply says what a start did.
type StartReply struct {
	Service        string           `json:"service"`
	AlreadyRunning bool             `json:"already_running"` // the service was running: nothing was started
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
	return b.start(ctx, name, replace)
}

func (b *Bridge) start(ctx context.Context, name string, replace bool) (StartReply, error) {
	reply := StartReply{Service: name, Started: []string{}, Jobs: map[string]int64{}}
	set := b.Config()
	if _, err := b.service(name); err != nil {
		return reply, err
	}
	plan, err := set.Graph.Start(name)
	if err != nil {
		return reply, err
	}
	members := map[string]bool{}
	for _, m := range plan.Order {
		members[m] = true
	}
	// Record runs of these services that ended meanwhile before deciding anything.
	if err := b.reconcile(ctx, members); err != nil {
		return reply, err
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
		return reply, fmt.Errorf("start %s: %w", name, err)
	}
	if up(states[unitOf(name)].ActiveState) {
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
	for _, wave := range plan.Waves {
		var todo []*config.Service
		for _, m := range wave {
			if !up(states[unitOf(m)].ActiveState) {
				todo = append(todo, set.Service(m))
			}
		}
		errs := make([]error, len(todo))
		ids := make([]int64, len(todo))
		var wg sync.WaitGroup
		for i, svc := range todo {
			wg.Add(1)
			go func(i int, svc *config.Service) {
				defer wg.Done()
				ids[i], errs[i] = b.startOne(ctx, set, svc, mode)
			}(i, svc)
		}
		wg.Wait()
		for i, svc := range todo {
			if errs[i] == nil {
				reply.Started = append(reply.Started, svc.Name)
				reply.Jobs[svc.Name] = ids[i]
			}
		}
		for _, err := range errs {
			if err != nil {
				var se *StartError
				if errors.As(err, &se) {
					se.Started = reply.Started
				}
				return reply, err
			}
		}
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

// startOne starts one service's unit as a new job. The job is running once systemd's start job
// is done (for services with a health check: once it passed).
func (b *Bridge) startOne(ctx context.Context, set *config.Set, svc *config.Service, mode string) (int64, error) {
	unit := unitgen.UnitName(svc.Context, svc.Name)
	if _, err := b.ledger.PruneInactive(ctx, svc.Name); err != nil {
		return 0, err
	}
	job := &jobdb.Job{ServiceID: svc.Name, Context: svc.Context, Unit: unit, Phase: jobdb.PhasePending}
	if err := b.ledger.Create(ctx, job); err != nil {
		return 0, err
	}
	output, exit := b.serviceFiles(svc.Name)
	if err := b.prepareFiles(svc.Name); err != nil {
		return job.ID, b.failJob(ctx, job, err)
	}
	_, err := b.updateJob(ctx, job.ID, func(j *jobdb.Job) error { j.OutputFile = output; return nil })
	if err != nil {
		return job.ID, err
	}
	u, err := unitgen.Generate(set, svc, unitgen.Options{ConfigDir: b.opts.ConfigDir, OutputFile: output, ExitFile: exit})
	if err != nil {
		return job.ID, b.failJob(ctx, job, err)
	}
	// A failed unit of an earlier run stays loaded until reset (its end is already recorded);
	// resetting also clears systemd's start rate limit.
	b.resetFailed(ctx, unit)
	result, err := b.startUnit(ctx, u, mode)
	if err != nil {
		return job.ID, b.failJob(ctx, job, fmt.Errorf("start %s: %w", unit, err))
	}
	ri, _ := b.runInfo(ctx, unit)
	if result != "done" {
		now := time.Now().UTC()
		j, uerr := b.updateJob(ctx, job.ID, b.finish(svc.Name, ri, false, now))
		if uerr != nil {
			return job.ID, uerr
		}
		b.emit(Event{Kind: "job-finished", Service: svc.Name, JobID: job.ID, State: string(j.Phase)})
		return job.ID, &StartError{Service: svc.Name, JobResult: result, Job: j}
	}
	_, err = b.updateJob(ctx, job.ID, func(j *jobdb.Job) error {
		j.Phase, j.InvocationID, j.MainPID = jobdb.PhaseRunning, ri.invocationID, ri.mainPID
		return nil
	})
	if err != nil {
		return job.ID, err
	}
	b.log.Info("started", "service", svc.Name, "unit", unit, "job", job.ID)
	b.emit(Event{Kind: "job-started", Service: svc.Name, JobID: job.ID, State: string(jobdb.PhaseRunning)})
	return job.ID, nil
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

func (b *Bridge) failJob(ctx context.Context, job *jobdb.Job, cause error) error {
	now := time.Now().UTC()
	_, err := b.updateJob(ctx, job.ID, func(j *jobdb.Job) error {
		j.Phase, j.Result, j.EndedAt = jobdb.PhaseFailed, "refused", &now
		j.Output = []byte(cause.Error())
		return nil
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

func (b *Bridge) updateJob(ctx context.Context, id int64, change func(*jobdb.Job) error) (*jobdb.Job, error) {
	return b.ledger.Update(ctx, id, change)
}
