package main

import (
	"context"
	"fmt"
	"time"
)

// cascades measures `heroctl stop ROOT` against `systemctl stop ROOTUNIT` of plain units with the
// same Requires=/After=, on each shape.
func (b *bench) cascades(ctx context.Context) error {
	cascadeGoal := Goal{Of: "ratio", Max: 1.10} // issue 8
	shapes := []shape{
		{label: fmt.Sprintf("chain of %d", b.sz.chain), tag: "ch", root: "c00", svcs: chain(b.sz.chain), goal: cascadeGoal},
		{label: fmt.Sprintf("fan-out of %d + a diamond", b.sz.fanout), tag: "fo", root: "froot", svcs: fanoutDiamond(b.sz.fanout), goal: cascadeGoal},
		{label: fmt.Sprintf("diamond-rich graph of %d", b.sz.graph), tag: "gr", root: "g000", svcs: richGraph(b.sz.graph)},
	}
	for _, sh := range shapes {
		if err := b.cascade(ctx, sh); err != nil {
			return fmt.Errorf("%s: %w", sh.label, err)
		}
	}
	return nil
}

func (b *bench) cascade(ctx context.Context, sh shape) error {
	if err := b.loadServices(ctx, sh.svcs); err != nil {
		return err
	}
	got, err := timedSides(b.sz.rounds,
		func(int) (time.Duration, error) { return b.heroCascade(ctx, sh) },
		func(r int) (time.Duration, error) { return b.nativeCascade(ctx, sh, r) })
	if err != nil {
		return err
	}
	b.compare("cascade stop", sh.label+": heroctl stop "+sh.root, "ms", millis(got[0]), "systemctl stop", millis(got[1]), sh.goal,
		fmt.Sprintf("%d services; systemctl stop of the root of plain units with the same Requires=/After=", len(sh.svcs)))
	return nil
}

// heroCascade starts every service of the shape (one heroctl call, untimed), then times
// `heroctl stop ROOT` and checks that it stopped them all.
func (b *bench) heroCascade(ctx context.Context, sh shape) (time.Duration, error) {
	units := heroUnits(sh.svcs)
	if _, err := mustHeroctl(ctx, append([]string{"start"}, names(sh.svcs)...)...); err != nil {
		return 0, err
	}
	if err := b.expectActive(ctx, "after heroctl start", units, len(units)); err != nil {
		return 0, err
	}
	took, err := mustHeroctl(ctx, "stop", sh.root)
	if err != nil {
		return 0, err
	}
	return took, b.expectActive(ctx, "after heroctl stop "+sh.root, units, 0)
}

// nativeCascade creates the shape as plain units (untimed), then times `systemctl stop ROOT`.
func (b *bench) nativeCascade(ctx context.Context, sh shape, round int) (time.Duration, error) {
	prefix := fmt.Sprintf("nat-%s%d", sh.tag, round)
	units := nativeUnits(prefix, sh.svcs)
	if err := b.startNativeInOrder(ctx, prefix, sh.svcs); err != nil {
		return 0, err
	}
	if err := b.expectActive(ctx, "after creating native units", units, len(units)); err != nil {
		return 0, err
	}
	took, err := must(ctx, "systemctl", "stop", nativeUnit(prefix, sh.root))
	if err != nil {
		return 0, err
	}
	return took, b.expectActive(ctx, "after systemctl stop", units, 0)
}
