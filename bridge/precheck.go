package bridge

import (
	"context"
	"fmt"
)

// StartCheck is what a start would do, as far as can be told without taking its services.
type StartCheck struct {
	AlreadyRunning bool     // everything asked for runs: nothing to do
	Starting       []string // the services it would start, in start order
}

// PrecheckStart tells, without locking anything, whether a start can go ahead: unknown services,
// conflicts with running services and env_files that fail their check are refused here, so a
// caller learns of them at once (in full: the answer is the caller's own).
// Start checks again under its lock.
func (b *Bridge) PrecheckStart(ctx context.Context, names []string) (StartCheck, error) {
	set := b.Config()
	plan, err := b.startPlan(set, names)
	if err != nil {
		return StartCheck{}, err
	}
	_, running, err := b.startStates(ctx, set, names, plan)
	if err != nil {
		return StartCheck{}, err
	}
	check := StartCheck{AlreadyRunning: true, Starting: []string{}}
	for _, m := range plan.Order {
		check.AlreadyRunning = check.AlreadyRunning && running(m)
	}
	if check.AlreadyRunning {
		return check, nil
	}
	if err := checkConflicts(set, plan.Order, running); err != nil {
		return StartCheck{}, err
	}
	for _, m := range plan.Order {
		if !running(m) {
			if err := b.checkEnvFile(set.Service(m)); err != nil {
				return StartCheck{}, err
			}
			check.Starting = append(check.Starting, m)
		}
	}
	return check, nil
}

// PrecheckStop returns the services a stop of name would take down (those running, stop order).
func (b *Bridge) PrecheckStop(ctx context.Context, name string) ([]string, error) {
	set := b.Config()
	if _, err := b.service(name); err != nil {
		return nil, err
	}
	plan, err := stopPlan(set, name)
	if err != nil {
		return nil, err
	}
	var units []string
	for _, m := range plan.Order {
		units = append(units, unitOf(set.Service(m)))
	}
	states, err := b.states(ctx, units)
	if err != nil {
		return nil, fmt.Errorf("stop %s: %w", name, err)
	}
	out := []string{}
	for _, m := range plan.Order {
		if hasProcesses(states[unitOf(set.Service(m))].ActiveState) {
			out = append(out, m)
		}
	}
	return out, nil
}
