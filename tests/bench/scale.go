package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
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

func scaleWhat(n int, what string) string { return fmt.Sprintf("N=%d: %s", n, what) }

// scaleN reads the N of a scale row's What (0 if none).
func scaleN(what string) int {
	s, ok := strings.CutPrefix(what, "N=")
	if !ok {
		return 0
	}
	s, _, _ = strings.Cut(s, ":")
	n, _ := strconv.Atoi(s)
	return n
}

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

// scaleReads times list-units and status against systemctl's, and GetManagedObjects, with n+1
// services running.
func (b *bench) scaleReads(ctx context.Context, n int, mid service) error {
	rounds := min(b.sz.readRounds, 15)
	pairs := []struct {
		what, baseline string
		goal           Goal
		hero, native   func() (time.Duration, error)
	}{
		{"heroctl list-units", "systemctl list-units", Goal{Of: "ratio", Max: 1.5},
			func() (time.Duration, error) { return mustHeroctl(ctx, "list-units") },
			func() (time.Duration, error) { return must(ctx, "systemctl", "list-units", "--no-pager") }},
		{"heroctl status " + mid.name, "systemctl status", Goal{Of: "ratio", Max: 1.5},
			func() (time.Duration, error) { return mustHeroctl(ctx, "status", mid.name) },
			func() (time.Duration, error) { return must(ctx, "systemctl", "status", "--no-pager", mid.unit()) }},
	}
	for _, p := range pairs {
		got, err := timedSides(rounds,
			func(int) (time.Duration, error) { return p.hero() },
			func(int) (time.Duration, error) { return p.native() })
		if err != nil {
			return err
		}
		b.compare("scale", scaleWhat(n, p.what), "ms", millis(got[0]), p.baseline, millis(got[1]), p.goal,
			"N+1 services running; systemctl lists every loaded unit of the container")
	}
	// heroctl status shows the service's last lines: herod reads them with a journalctl process
	// (herod is static); that process alone is the floor of a status.
	jr, err := timedSides(rounds, func(int) (time.Duration, error) {
		return must(ctx, "journalctl", "--no-pager", "-u", mid.unit(), "-n", "10", "-o", "json")
	})
	if err != nil {
		return err
	}
	b.figure("scale", scaleWhat(n, "journalctl -u UNIT -n 10 -o json (the journal read inside heroctl status)"), "ms", millis(jr[0]), Goal{},
		"the floor of heroctl status: herod runs it for the service's last lines")
	var took []time.Duration
	for range rounds {
		began := time.Now()
		var objs map[dbus.ObjectPath]map[string]map[string]dbus.Variant
		err := b.bus.Object(busName, "/org/hero/Proc1").CallWithContext(ctx, "org.freedesktop.DBus.ObjectManager.GetManagedObjects", 0).Store(&objs)
		if err != nil {
			return fmt.Errorf("GetManagedObjects: %w", err)
		}
		took = append(took, time.Since(began))
		if len(objs) < n+1 {
			return fmt.Errorf("GetManagedObjects: %d objects, want at least %d", len(objs), n+1)
		}
	}
	goal := Goal{}
	if n >= 5000 {
		goal = Goal{Of: "median", Max: 200}
	}
	b.figure("scale", scaleWhat(n, "GetManagedObjects"), "ms", millis(took), goal,
		"one call over the system bus from a Go client (godbus), reply decoded: every service and kept job object")
	return nil
}

// scaleMemory reads herod's VmRSS with n+1 services running: right after the reads, and after
// idleSettle without calls (herod gives back what a burst left, every 10 s: its steady state,
// the figure), and VmHWM (the peak since herod started).
func (b *bench) scaleMemory(ctx context.Context, n int) error {
	pid, err := b.herodPID(ctx)
	if err != nil {
		return err
	}
	busy, err := memoryMB(pid, "VmRSS")
	if err != nil {
		return err
	}
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return ctx.Err()
	}
	rss, err := memoryMB(pid, "VmRSS")
	if err != nil {
		return err
	}
	hwm, err := memoryMB(pid, "VmHWM")
	if err != nil {
		return err
	}
	goal := Goal{}
	if n >= 5000 {
		goal = Goal{Of: "median", Max: 100}
	}
	b.figure("scale", scaleWhat(n, "herod RSS, N+1 running"), "MB", []float64{rss}, goal,
		fmt.Sprintf("VmRSS %s after the reads (%.1f MB right after them); peak since herod started (VmHWM) %.1f MB", idleSettle, busy, hwm))
	return nil
}

// idleSettle is how long scaleMemory leaves herod idle before its steady-state figure.
const idleSettle = 15 * time.Second
