package main

import (
	"context"
	"fmt"
	"time"
)

// recovery measures what users of a real stack wait for (issue 33): after kill -9 of
// PostgreSQL, how long until the top of the stack (nginx -> app -> PostgreSQL and Redis) serves
// again, and how long an apply of one changed env value of the app makes requests fail, each as
// hero services (herod brings the dependents back; heroctl apply) against the same stack as
// native units (systemd's Requires= restarts them; systemctl restart), in rounds that alternate
// which side goes first. A client through nginx every 50 ms sees the failures; each round's
// steps are read back from the journal (see timeline.go).
func (b *bench) recovery(ctx context.Context) error {
	pgBin, err := pgBinDir()
	if err != nil {
		return err
	}
	if err := b.prepareStack(ctx); err != nil {
		return err
	}
	if err := b.loadFiles(ctx, stackFiles(pgBin, "v0")); err != nil {
		return err
	}
	if err := b.writeNativeStack(ctx, "v0"); err != nil {
		return err
	}
	defer b.removeNativeStack(context.Background())
	sides := []stackSide{b.heroStack(), nativeStack()}
	res := map[string]*stackResults{}
	for _, s := range sides {
		res[s.name] = &stackResults{steps: map[string][]time.Duration{}}
	}
	for r := 0; r < b.sz.stackRounds; r++ {
		for k := range sides {
			s := sides[(k+r)%len(sides)]
			if err := b.stackRound(ctx, s, r, res[s.name]); err != nil {
				return fmt.Errorf("%s stack, round %d: %w", s.name, r+1, err)
			}
		}
	}
	b.recoveryRows(res["hero"], res["native"])
	return nil
}

// stackResults are one side's figures, a sample per round.
type stackResults struct {
	recovery, recoveryWindow         []time.Duration // kill -> served again; requests failing
	applyWindow, applyNew, applyTook []time.Duration // requests failing; the new value served; the command
	steps                            map[string][]time.Duration
}

// stackRound brings the side's stack up, kills PostgreSQL, applies a changed env value of the
// app, and takes the stack down again, recording what the client saw and, once the stack is
// steady again, each step from the journal.
func (b *bench) stackRound(ctx context.Context, s stackSide, round int, into *stackResults) (err error) {
	if err := s.up(ctx); err != nil {
		return err
	}
	defer func() {
		if derr := s.down(ctx); err == nil {
			err = derr
		}
	}()
	p := startProber(ctx, stackURL)
	defer p.stop()
	if err := b.waitSteady(ctx, s, p); err != nil {
		return fmt.Errorf("before the kill: %w", err)
	}
	began, served, err := b.killRound(ctx, s, p, into)
	if err != nil {
		return err
	}
	if err := b.waitSteady(ctx, s, p); err != nil {
		return fmt.Errorf("after the recovery: %w", err)
	}
	if err := b.timeline(ctx, s, began, served, recoveryMarks, recoverySpans, into); err != nil {
		return err
	}
	if began, served, err = b.applyRound(ctx, s, p, fmt.Sprintf("%s-%d", s.name, round+1), into); err != nil {
		return err
	}
	if err := b.waitSteady(ctx, s, p); err != nil {
		return fmt.Errorf("after the apply: %w", err)
	}
	return b.timeline(ctx, s, began, served, applyMarks, applySpans, into)
}

// killRound kills PostgreSQL's main process as a crash would and waits until the stack serves
// again; it returns when it killed it and when the client was served again.
func (b *bench) killRound(ctx context.Context, s stackSide, p *prober, into *stackResults) (time.Time, time.Time, error) {
	var wait func() error
	if s.name == "hero" {
		wait = b.prof.cpu(ctx, "recovery-cpu", 8)
	}
	began := time.Now()
	if _, err := must(ctx, "systemctl", "kill", "-s", "KILL", "--kill-who=main", s.unit("spg")); err != nil {
		return began, began, err
	}
	o, err := waitServed(ctx, p, began, "", true)
	if err != nil {
		return began, began, fmt.Errorf("after kill -9 of PostgreSQL: %w", err)
	}
	if wait != nil {
		if err := wait(); err != nil {
			return began, began, err
		}
	}
	into.recovery = append(into.recovery, o.served.Sub(began))
	into.recoveryWindow = append(into.recoveryWindow, o.window())
	return began, o.served, nil
}

// applyRound changes the app's env value to greeting (hero: its file, then heroctl apply;
// native: its environment file, then systemctl restart) and waits until the new value is
// served; it returns when the command began and when the new value was served.
func (b *bench) applyRound(ctx context.Context, s stackSide, p *prober, greeting string, into *stackResults) (time.Time, time.Time, error) {
	began := time.Now()
	took, err := s.apply(ctx, greeting)
	if err != nil {
		return began, began, err
	}
	o, err := waitServed(ctx, p, began, greeting, false)
	if err != nil {
		return began, began, fmt.Errorf("after the change of the app's environment: %w", err)
	}
	into.applyWindow = append(into.applyWindow, o.window())
	into.applyNew = append(into.applyNew, o.servedWant.Sub(began))
	into.applyTook = append(into.applyTook, took)
	return began, o.servedWant, nil
}

// timeline reads the round's steps back from the journal.
func (b *bench) timeline(ctx context.Context, s stackSide, began, served time.Time, specs []markSpec, spans []span, into *stackResults) error {
	recs, err := readJournal(ctx, began)
	if err != nil {
		return err
	}
	found := marks(recs, specs, s.unit, began)
	found["served"] = served
	for label, d := range spanTimes(found, spans) {
		into.steps[label] = append(into.steps[label], d)
	}
	return nil
}

// stackDeadline bounds each wait of the recovery section: a stack that does not serve within
// it is a failure to report, never a wait without end.
const stackDeadline = 2 * time.Minute

// waitServed waits until the client was served again after began: after a failure (mustFail),
// or with want in the answer.
func waitServed(ctx context.Context, p *prober, began time.Time, want string, mustFail bool) (outage, error) {
	deadline := time.Now().Add(stackDeadline)
	for {
		got := p.since(began)
		o := outageOf(got, want)
		if (!mustFail || !o.served.IsZero()) && !o.servedWant.IsZero() {
			return o, nil
		}
		if time.Now().After(deadline) {
			last := "no request"
			if len(got) > 0 {
				last = fmt.Sprintf("the last answer: %q", got[len(got)-1].body)
			}
			return o, fmt.Errorf("not served again within %s (%d requests failed; %s)", stackDeadline, o.failed, last)
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(probeEvery):
		}
	}
}

// steadyServed is how many answers in a row make the stack steady.
const steadyServed = 3

// waitSteady waits until the stack's four units are active and the client was served
// steadyServed times in a row.
func (b *bench) waitSteady(ctx context.Context, s stackSide, p *prober) error {
	deadline := time.Now().Add(stackDeadline)
	for {
		n, err := b.activeCount(ctx, s.units())
		if err != nil {
			return err
		}
		served := 0 // the last answers in a row
		for _, g := range p.since(time.Now().Add(-4 * steadyServed * probeEvery)) {
			served++
			if !g.ok {
				served = 0
			}
		}
		if n == len(stackNames) && served >= steadyServed {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the stack is not steady after %s: %d of %d units active, %d answers in a row", stackDeadline, n, len(stackNames), served)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(probeEvery):
		}
	}
}

// recoveryRows adds the section's rows: the two figures, then each step.
func (b *bench) recoveryRows(hero, native *stackResults) {
	stack := "PostgreSQL, Redis, a Python app requiring both, nginx requiring the app (with a health check); a client through nginx every 50 ms"
	b.compare("recovery", "kill -9 of PostgreSQL: the top of the stack serving again", "ms", millis(hero.recovery),
		"native units", millis(native.recovery), Goal{Of: "ratio", Max: 1.10},
		stack+"; from the kill to the client's first answer again; native: hero's unit text as unit files (Requires=+After=+Restart=, no BindsTo=), same commands and settings")
	b.compare("recovery", "kill -9 of PostgreSQL: window of failed requests", "ms", millis(hero.recoveryWindow),
		"native units", millis(native.recoveryWindow), Goal{}, "from the first failed request to the first answer again")
	b.compare("recovery", "one env value of the app changed: window of failed requests", "ms", millis(hero.applyWindow),
		"systemctl restart", millis(native.applyWindow), Goal{Of: "ratio", Max: 1.0},
		"hero: its file edited, heroctl apply (restarts the app and nginx); native: its environment file edited, systemctl restart of the app (systemd restarts nginx with it)")
	b.compare("recovery", "one env value of the app changed: the new value served", "ms", millis(hero.applyNew),
		"systemctl restart", millis(native.applyNew), Goal{}, "from the command's start to the first answer with the new value")
	b.compare("recovery", "one env value of the app changed: the command (heroctl apply, systemctl restart)", "ms", millis(hero.applyTook),
		"systemctl restart", millis(native.applyTook), Goal{}, "")
	for _, spans := range [][]span{recoverySpans, applySpans} {
		for _, s := range spans {
			if s.heroOnly {
				b.figure("recovery steps", s.label, "ms", millis(hero.steps[s.label]), Goal{}, "hero only; read from the journal")
				continue
			}
			b.compare("recovery steps", s.label, "ms", millis(hero.steps[s.label]), "native units", millis(native.steps[s.label]), Goal{},
				"read from the journal (systemd's records of each unit, herod's log)")
		}
	}
}
