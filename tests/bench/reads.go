package main

import (
	"context"
	"fmt"
	"time"
)

// reads measures `heroctl status` and `heroctl list-units` against systemctl's, with a running
// chain loaded (the same units for both).
func (b *bench) reads(ctx context.Context) error {
	svcs := chain(b.sz.chain)
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	if _, err := mustHeroctl(ctx, "start", svcs[len(svcs)-1].name); err != nil {
		return err
	}
	mid := svcs[len(svcs)/2]
	pairs := []struct {
		what, baseline, note string
		hero, native         func() (time.Duration, error)
	}{
		{"status of one service: heroctl status " + mid.name, "systemctl status", "systemctl status of the same unit",
			func() (time.Duration, error) { return mustHeroctl(ctx, "status", mid.name) },
			func() (time.Duration, error) { return must(ctx, "systemctl", "status", "--no-pager", mid.unit()) }},
		{"list-units: heroctl list-units", "systemctl list-units", "systemctl lists every loaded unit of the container, hero its services",
			func() (time.Duration, error) { return mustHeroctl(ctx, "list-units") },
			func() (time.Duration, error) { return must(ctx, "systemctl", "list-units", "--no-pager") }},
	}
	for _, p := range pairs {
		got, err := timedSides(b.sz.readRounds,
			func(int) (time.Duration, error) { return p.hero() },
			func(int) (time.Duration, error) { return p.native() })
		if err != nil {
			return err
		}
		b.compare("reads", p.what, "ms", millis(got[0]), p.baseline, millis(got[1]), Goal{},
			fmt.Sprintf("%d services running; %s", len(svcs), p.note))
	}
	_, err := mustHeroctl(ctx, "stop", svcs[0].name)
	return err
}
