package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// slowService's start takes secs seconds: its health check passes only once the service has
// slept that long, and systemd keeps the unit activating until it does.
func slowService(secs int) service {
	return service{name: "slow", extra: fmt.Sprintf(`exec = ["/bin/sh", "-c", "sleep %d; touch \"$RUNTIME_DIRECTORY/ready\"; exec sleep infinity"]
health = ["/bin/sh", "-c", "test -e \"$RUNTIME_DIRECTORY/ready\""]
health_interval = "500ms"
health_timeout = "%ds"
`, secs, 4*secs)}
}

// unrelatedOp is an operation on a service the slow start does not touch.
type unrelatedOp struct {
	verb, service string
	took          []float64 // ms
	beforeSlow    int       // how many returned while the slow start still ran
}

// concurrency measures operations on unrelated services while a slow start runs: stop of a
// running service, start of a stopped one and status of a third, launched together a second
// into the slow start's health wait.
func (b *bench) concurrency(ctx context.Context) error {
	secs := b.sz.healthSecs
	slow := slowService(secs)
	if err := b.loadServices(ctx, []service{slow, {name: "u1"}, {name: "u2"}, {name: "u3"}}); err != nil {
		return err
	}
	ops := []*unrelatedOp{{verb: "stop", service: "u1"}, {verb: "start", service: "u2"}, {verb: "status", service: "u3"}}
	var slowTook []float64
	for w := 0; w < b.sz.windows; w++ {
		took, err := b.slowWindow(ctx, slow, ops)
		if err != nil {
			return fmt.Errorf("window %d: %w", w+1, err)
		}
		slowTook = append(slowTook, took)
	}
	for _, op := range ops {
		b.figure("concurrency", fmt.Sprintf("heroctl %s of an unrelated service while a %d-s health-check start runs", op.verb, secs),
			"ms", op.took, Goal{Of: "max", Max: 1000},
			fmt.Sprintf("%d of %d returned before the slow start ended; launched with the other two", op.beforeSlow, len(op.took)))
	}
	b.figure("concurrency", "the slow start itself: heroctl start slow", "ms", slowTook, Goal{},
		fmt.Sprintf("its health check passes after %d s", secs))
	return nil
}

// slowWindow runs one slow start and the unrelated operations inside it; it returns how long
// the slow start took.
func (b *bench) slowWindow(ctx context.Context, slow service, ops []*unrelatedOp) (float64, error) {
	if _, err := mustHeroctl(ctx, "start", "u1", "u3"); err != nil {
		return 0, err
	}
	if _, err := mustHeroctl(ctx, "stop", "u2"); err != nil {
		return 0, err
	}
	slowEnded := make(chan time.Time, 1)
	var slowOut outcome
	began := time.Now()
	go func() {
		slowOut = heroctl(ctx, "start", slow.name)
		slowEnded <- time.Now()
	}()
	if err := b.waitActivating(ctx, slow.unit(), slowEnded); err != nil {
		return 0, err
	}
	time.Sleep(time.Second) // well inside the health wait
	ends, err := runTogether(ctx, ops)
	if err != nil {
		return 0, err
	}
	slowEnd := <-slowEnded
	if slowOut.code != 0 {
		return 0, slowOut.failure("heroctl", []string{"start", slow.name})
	}
	for i, op := range ops {
		if ends[i].Before(slowEnd) {
			op.beforeSlow++
		}
	}
	if _, err := mustHeroctl(ctx, "stop", slow.name); err != nil {
		return 0, err
	}
	return float64(slowEnd.Sub(began)) / float64(time.Millisecond), nil
}

// waitActivating waits until systemd runs the unit's start (its health check), failing if the
// start ends first.
func (b *bench) waitActivating(ctx context.Context, unit string, ended <-chan time.Time) error {
	deadline := time.Now().Add(20 * time.Second)
	for b.activeState(ctx, unit) != "activating" {
		select {
		case t := <-ended:
			return fmt.Errorf("%s: the slow start ended (at %s) before it was seen activating", unit, t.Format(time.TimeOnly))
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not activating 20 s after heroctl start", unit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// runTogether launches each op's heroctl at once, records its latency and returns when each
// ended; an op that fails is an error (the services are unrelated: nothing may refuse them).
func runTogether(ctx context.Context, ops []*unrelatedOp) ([]time.Time, error) {
	ends := make([]time.Time, len(ops))
	outs := make([]outcome, len(ops))
	var wg sync.WaitGroup
	for i, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = heroctl(ctx, op.verb, op.service)
			ends[i] = time.Now()
		}()
	}
	wg.Wait()
	for i, op := range ops {
		if outs[i].code != 0 {
			return nil, outs[i].failure("heroctl", []string{op.verb, op.service})
		}
		op.took = append(op.took, float64(outs[i].took)/float64(time.Millisecond))
	}
	return ends, nil
}
