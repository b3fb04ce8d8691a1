package main

import (
	"context"
	"fmt"
	"time"
)

// scale measures how hero's costs grow with the number of services N, each against native
// systemd doing the same at the same N: the start of N independent services in one heroctl call
// against systemd's pipelined floor for hero's units, the cascade stop of N services that
// require one root against systemctl stop, list-units and status against systemctl's with N
// running, GetManagedObjects, and herod's memory with N running. Its rows' What begins with
// "N=<n>: " (scaleN reads it back for the chart).
func (b *bench) scale(ctx context.Context) error {
	for _, n := range b.sz.scale {
		fmt.Fprintf(b.log, "-- N = %d\n", n)
		if err := b.scaleStart(ctx, n); err != nil {
			return fmt.Errorf("at N=%d, start: %w", n, err)
		}
		if err := b.scaleCascade(ctx, n); err != nil {
			return fmt.Errorf("at N=%d, cascade: %w", n, err)
		}
	}
	return nil
}

// scaleRounds is how many rounds a start or cascade figure at n gets: fewer as one round takes
// longer.
func (b *bench) scaleRounds(n int) int {
	switch {
	case n >= 5000:
		return min(b.sz.rounds, 2)
	case n >= 2000:
		return min(b.sz.rounds, 3)
	case n >= 500:
		return min(b.sz.rounds, 5)
	}
	return b.sz.rounds
}

// heroUnitsFloorMax is the largest N whose start is compared with systemd's floor for hero's
// units (see scaleStart).
const heroUnitsFloorMax = 200

// scaleStart times heroctl start of n independent services (one call) against systemd's floor
// for hero's units (one process queueing every unit with hero's properties, then waiting).
func (b *bench) scaleStart(ctx context.Context, n int) error {
	svcs := independent("x", n)
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	units := heroUnits(svcs)
	rounds := b.scaleRounds(n)
	hero := func(int) (time.Duration, error) {
		took, err := mustHeroctl(ctx, append([]string{"start"}, names(svcs)...)...)
		if err == nil {
			err = b.firstReads(ctx, n, svcs[n/2])
		}
		if err == nil {
			err = b.expectActive(ctx, "after heroctl start", units, n)
		}
		if err == nil { // untimed cleanup: herod records the ends from systemd's signals
			_, err = must(ctx, "systemctl", "stop", "hero-default-x*.service")
		}
		return took, err
	}
	// Above heroUnitsFloorMax, systemd failed start jobs of the floor's copies of hero's units on
	// the 2-core testbed (not hero's own): the floor there is plain units started in parallel.
	baseline, note := "systemd's floor, hero's units", heroUnitsNote
	var floor func(int) (time.Duration, error)
	if n <= heroUnitsFloorMax {
		sz := b.sz
		b.sz.rounds = rounds // heroUnitsSide prepares the properties of this many rounds
		var err error
		floor, err = b.heroUnitsSide(ctx, fmt.Sprintf("nat-x%d-", n), svcs, "")
		b.sz = sz
		if err != nil {
			return err
		}
	} else {
		baseline, note = "systemd's floor, plain units", "one process starts every plain unit in parallel over D-Bus and waits for all jobs"
		floor = b.nativeStart(ctx, fmt.Sprintf("nat-x%d-", n), svcs, "", func(prefix string) error { return b.startNativeParallel(ctx, prefix, svcs) })
	}
	got, err := timedSides(rounds, hero, floor)
	if err != nil {
		return err
	}
	b.compare("scale", scaleWhat(n, "heroctl start of N independent services (one call)"), "ms", millis(got[0]),
		baseline, millis(got[1]), Goal{Of: "ratio", Max: 1.10}, note)
	return nil
}

// scaleCascade times heroctl stop of the root of a star of n+1 (n services require it) against
// systemctl stop of native units of the same shape; then, with the star running, the reads and
// herod's memory.
func (b *bench) scaleCascade(ctx context.Context, n int) error {
	sh := shape{label: "star", tag: fmt.Sprintf("z%d-", n), svcs: star("z", n+1)}
	sh.root = sh.svcs[0].name
	if err := b.loadServices(ctx, sh.svcs); err != nil {
		return err
	}
	got, err := timedSides(b.scaleRounds(n),
		func(int) (time.Duration, error) { return b.heroCascade(ctx, sh) },
		func(r int) (time.Duration, error) { return b.nativeCascade(ctx, sh, r) })
	if err != nil {
		return err
	}
	b.compare("scale", scaleWhat(n, "heroctl stop of the root N services require"), "ms", millis(got[0]),
		"systemctl stop", millis(got[1]), Goal{Of: "ratio", Max: 1.10}, "systemctl stop of the root of native units of the same shape")
	if _, err := mustHeroctl(ctx, append([]string{"start"}, names(sh.svcs)...)...); err != nil {
		return err
	}
	if err := b.firstReads(ctx, n, sh.svcs[len(sh.svcs)/2]); err != nil {
		return err
	}
	if err := b.expectActive(ctx, "after heroctl start", heroUnits(sh.svcs), n+1); err != nil {
		return err
	}
	if err := b.scaleReads(ctx, n, sh.svcs[len(sh.svcs)/2]); err != nil {
		return err
	}
	if err := b.scaleMemory(ctx, n); err != nil {
		return err
	}
	_, err = mustHeroctl(ctx, "stop", sh.root)
	return err
}

// scaleReadsOnly is the scale section without its timed starts and cascades (--only
// scale-reads): at each N, the star of N+1 is started in one untimed heroctl call, then the
// reads and herod's memory are measured as scale does. It reaches N = 5,000 in minutes.
func (b *bench) scaleReadsOnly(ctx context.Context) error {
	for _, n := range b.sz.scale {
		fmt.Fprintf(b.log, "-- N = %d\n", n)
		svcs := star("z", n+1)
		if err := b.loadServices(ctx, svcs); err != nil {
			return err
		}
		if _, err := mustHeroctl(ctx, append([]string{"start"}, names(svcs)...)...); err != nil {
			return fmt.Errorf("at N=%d: start: %w", n, err)
		}
		if err := b.firstReads(ctx, n, svcs[len(svcs)/2]); err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		if err := b.expectActive(ctx, "after heroctl start", heroUnits(svcs), n+1); err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		if err := b.scaleReads(ctx, n, svcs[len(svcs)/2]); err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		if err := b.scaleMemory(ctx, n); err != nil {
			return fmt.Errorf("at N=%d: %w", n, err)
		}
		if _, err := mustHeroctl(ctx, "stop", svcs[0].name); err != nil {
			return fmt.Errorf("at N=%d: stop: %w", n, err)
		}
	}
	return nil
}
