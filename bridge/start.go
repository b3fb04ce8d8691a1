package bridge

import (
	"context"
	"slices"

	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// start starts names, with plan (under the locks of the plan). A service whose dependency
// stopped between the look at the units and the start (a kill, a crash: those take no lock) is
// started once more, with that dependency.
func (s *starter) start(ctx context.Context, set *config.Set, names []string, plan graphs.StartPlan, mode startMode, obs Observer, reply StartReply) (StartReply, error) {
	reply, err := s.startOnce(ctx, set, names, plan, mode, obs, reply)
	if len(reply.vanished) == 0 {
		return reply, err
	}
	if mode.only != nil {
		// herod's revival starts no requirement: what vanished waits for it again.
		reply.Failed, reply.vanished = append(reply.Failed, reply.vanished...), nil
		if err == nil {
			err = errRequirementDown
		}
		return reply, err
	}
	again := reply.vanished
	reply.vanished = nil
	s.log.Info("starting again: a dependency stopped while they started", "services", again)
	plan2, perr := set.Graph.StartAll(again)
	if perr != nil {
		return reply, perr
	}
	r2, err2 := s.startOnce(ctx, set, again, plan2, mode, obs, newStartReply(reply.Service))
	for _, sv := range r2.Started { // a requirement that died and was started again is named once
		if !slices.Contains(reply.Started, sv) {
			reply.Started = append(reply.Started, sv)
		}
	}
	reply.Failed = append(reply.Failed, r2.Failed...)
	reply.Failed = append(reply.Failed, r2.vanished...)
	for k, v := range r2.Jobs {
		reply.Jobs[k] = v
	}
	if err == nil {
		err = err2
	}
	return reply, err
}

// startOnce starts the members of plan that do not run, in one go.
func (s *starter) startOnce(ctx context.Context, set *config.Set, names []string, plan graphs.StartPlan, mode startMode, obs Observer, reply StartReply) (StartReply, error) {
	t := newStopwatch(s.log, "start")
	defer t.done()
	states, running, err := s.states(ctx, set, plan)
	if err != nil {
		return reply, err
	}
	// Up only when the whole closure is: a service whose requirement died is not "running"
	// for a start, which brings the requirement back.
	if !slices.ContainsFunc(plan.Order, func(m string) bool { return !running(m) }) {
		reply.AlreadyRunning = true
		return reply, nil
	}
	if err := checkConflicts(set, plan.Order, running); err != nil {
		return reply, err
	}
	if err := requirementsUp(set, plan, mode, states); err != nil {
		return reply, err
	}
	t.lap("states")
	todo, err := s.units(set, plan, running)
	if err != nil {
		return reply, err
	}
	t.lap("units generated")
	jobs, err := s.register(ctx, set, todo, states, mode, &reply)
	if err != nil {
		return reply, err
	}
	t.lap("jobs created")
	loaded := map[string]bool{}
	for _, u := range todo {
		loaded[u.Name] = states[u.Name].LoadState != "not-found"
	}
	q := s.queue(ctx, set, todo, mode.jobMode(), loaded)
	t.lap("queued")
	c := &startCollector{s: s, ctx: ctx, set: set, todo: todo, jobs: jobs, obs: obs, reply: reply, seen: make([]bool, len(todo)), hard: hardClosure(set, names)}
	r, err := c.collect(q)
	t.lap("collected")
	return r, err
}
