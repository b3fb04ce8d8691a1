package main

import (
	"context"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// starts measures heroctl start against a systemd-run loop doing the same, and systemd's own
// floor beside them: a chain's leaf (its whole closure starts) and many independent services.
func (b *bench) starts(ctx context.Context) error {
	if err := b.startChain(ctx); err != nil {
		return fmt.Errorf("chain: %w", err)
	}
	if err := b.startIndependent(ctx); err != nil {
		return fmt.Errorf("independent services: %w", err)
	}
	return nil
}

// timedSides runs each side once per round, rotating which goes first (so a drift of the
// machine's load favours none), and returns each side's durations.
func timedSides(rounds int, sides ...func(round int) (time.Duration, error)) ([][]time.Duration, error) {
	out := make([][]time.Duration, len(sides))
	for r := 0; r < rounds; r++ {
		for k := range sides {
			i := (k + r) % len(sides)
			d, err := sides[i](r)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], d)
		}
	}
	return out, nil
}

func (b *bench) startChain(ctx context.Context) error {
	svcs := chain(b.sz.chain)
	root, leaf := svcs[0].name, svcs[len(svcs)-1].name
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	units := heroUnits(svcs)
	hero := func(int) (time.Duration, error) {
		took, err := mustHeroctl(ctx, "start", leaf)
		if err == nil {
			err = b.expectActive(ctx, "after heroctl start "+leaf, units, len(units))
		}
		if err == nil {
			_, err = mustHeroctl(ctx, "stop", root)
		}
		return took, err
	}
	loop := b.nativeStart(ctx, "nat-sl", svcs, root, func(prefix string) error { return systemdRunLoop(ctx, prefix, svcs) })
	floor := b.nativeStart(ctx, "nat-sf", svcs, root, func(prefix string) error { return b.startNativeQueued(ctx, prefix, svcs) })
	asHero, err := b.heroUnitsSide(ctx, "nat-sh", svcs, root)
	if err != nil {
		return err
	}
	got, err := timedSides(b.sz.rounds, hero, loop, floor, asHero)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("leaf of a chain of %d", len(svcs))
	b.compare("start", what+": heroctl start "+leaf, "ms", millis(got[0]), "systemd-run loop", millis(got[1]),
		Goal{Of: "ratio", Max: 0.45}, fmt.Sprintf("%d sequential systemd-run calls with Requires=/After=", len(svcs)))
	b.compare("start", what+": systemd's floor", "ms", millis(got[2]), "systemd-run loop", millis(got[1]), Goal{},
		"one process queues every start job in dependency order over D-Bus, then waits for all")
	b.compare("start", what+": systemd's floor with hero's units", "ms", millis(got[3]), "systemd-run loop", millis(got[1]), Goal{},
		heroUnitsNote)
	return nil
}

const heroUnitsNote = "the floor's process, queueing units with the properties herod gives its own (Type=exec, RuntimeDirectory=, journal settings, slice, environment), under other names"

// heroUnitsSide is a timed side starting svcs as native units with hero's properties (see
// heroUnitProps), all queued at once; the properties of each round's units are made before.
func (b *bench) heroUnitsSide(ctx context.Context, tag string, svcs []service, root string) (func(int) (time.Duration, error), error) {
	props := map[string]map[string][]sddbus.Property{}
	for r := 0; r < b.sz.rounds; r++ {
		prefix := fmt.Sprintf("%s%d", tag, r)
		p, err := b.heroUnitProps(prefix, svcs)
		if err != nil {
			return nil, err
		}
		props[prefix] = p
	}
	return b.nativeStart(ctx, tag, svcs, root, func(prefix string) error {
		return b.startNativeQueuedAs(ctx, prefix, svcs, props[prefix])
	}), nil
}

// nativeStart returns a timed side that starts svcs as plain units with start, checks them, and
// stops them again (untimed) through root, or all of them when root is "".
func (b *bench) nativeStart(ctx context.Context, tag string, svcs []service, root string, start func(prefix string) error) func(int) (time.Duration, error) {
	return func(round int) (time.Duration, error) {
		prefix := fmt.Sprintf("%s%d", tag, round)
		units := nativeUnits(prefix, svcs)
		began := time.Now()
		if err := start(prefix); err != nil {
			return 0, err
		}
		took := time.Since(began)
		if err := b.expectActive(ctx, "after starting native units", units, len(units)); err != nil {
			return 0, err
		}
		stop := units
		if root != "" {
			stop = []string{nativeUnit(prefix, root)}
		}
		return took, stopUnits(ctx, stop)
	}
}

func (b *bench) startIndependent(ctx context.Context) error {
	svcs := independent("p", b.sz.many)
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	units := heroUnits(svcs)
	hero := func(int) (time.Duration, error) {
		took, err := mustHeroctl(ctx, append([]string{"start"}, names(svcs)...)...)
		if err == nil {
			err = b.expectActive(ctx, "after heroctl start", units, len(units))
		}
		for _, s := range svcs {
			if err == nil {
				_, err = mustHeroctl(ctx, "stop", s.name)
			}
		}
		return took, err
	}
	loop := b.nativeStart(ctx, "nat-il", svcs, "", func(prefix string) error { return systemdRunLoop(ctx, prefix, svcs) })
	floor := b.nativeStart(ctx, "nat-if", svcs, "", func(prefix string) error { return b.startNativeParallel(ctx, prefix, svcs) })
	asHero, err := b.heroUnitsSide(ctx, "nat-ih", svcs, "")
	if err != nil {
		return err
	}
	got, err := timedSides(b.sz.rounds, hero, loop, floor, asHero)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("%d independent services", len(svcs))
	b.compare("start", what+": heroctl start (one call)", "ms", millis(got[0]), "systemd-run loop", millis(got[1]),
		Goal{Of: "ratio", Max: 0.40}, fmt.Sprintf("%d sequential systemd-run calls", len(svcs)))
	b.compare("start", what+": systemd's floor", "ms", millis(got[2]), "systemd-run loop", millis(got[1]), Goal{},
		"one process starts every unit in parallel over D-Bus and waits for all jobs")
	b.compare("start", what+": systemd's floor with hero's units", "ms", millis(got[3]), "systemd-run loop", millis(got[1]), Goal{},
		heroUnitsNote)
	return nil
}
