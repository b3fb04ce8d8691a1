package main

import (
	"context"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// The scale section's reads and memory, with N services running: each read through heroctl
// against systemctl's, the same reads as D-Bus calls alone (no process: what herod and systemd
// take to answer), the first reads right after a start of all N, GetManagedObjects, and herod's
// memory right after the start, right after the reads, settled, and at its peak.

// firstReads times the first reads right after heroctl start of n services returned: heroctl
// status of mid, heroctl list-units, then systemctl's same reads of the same units (systemd
// holds no cache to warm: the same moment is its first read too); and herod's RSS before and
// after them.
func (b *bench) firstReads(ctx context.Context, n int, mid service) error {
	pid, err := b.herodPID(ctx)
	if err != nil {
		return err
	}
	rss, err := memoryMB(pid, "VmRSS")
	if err != nil {
		return err
	}
	if b.first == nil {
		b.first = map[int]*firstSamples{}
	}
	f := b.first[n]
	wait := func() error { return nil }
	if f == nil {
		f = &firstSamples{}
		b.first[n] = f
		// Profiled once per N: herod's heap when the start returned, its CPU during the reads.
		if err := b.prof.heap(ctx, fmt.Sprintf("heap-%d-after-start", n)); err != nil {
			return err
		}
		wait = b.prof.cpu(ctx, fmt.Sprintf("first-reads-%d-cpu", n), 3)
	}
	reads := []struct {
		into *[]time.Duration
		read func() (time.Duration, error)
	}{
		{&f.heroStatus, func() (time.Duration, error) { return mustHeroctl(ctx, "status", mid.name) }},
		{&f.heroList, func() (time.Duration, error) { return mustHeroctl(ctx, "list-units") }},
		{&f.nativeStatus, func() (time.Duration, error) {
			return must(ctx, "systemctl", "status", "--no-pager", mid.unit())
		}},
		{&f.nativeList, func() (time.Duration, error) { return must(ctx, "systemctl", "list-units", "--no-pager") }},
	}
	for _, r := range reads {
		took, err := r.read()
		if err != nil {
			return fmt.Errorf("first read after the start: %w", err)
		}
		*r.into = append(*r.into, took)
	}
	if err := wait(); err != nil {
		return err
	}
	after, err := memoryMB(pid, "VmRSS")
	if err != nil {
		return err
	}
	f.rssStart, f.rssAfter = append(f.rssStart, rss), append(f.rssAfter, after)
	return nil
}

// firstRows adds the rows of the first reads at n (if any were made).
func (b *bench) firstRows(n int) {
	f := b.first[n]
	if f == nil {
		return
	}
	delete(b.first, n)
	note := fmt.Sprintf("right after heroctl start of N services returned (%d starts); systemctl's right after hero's, same units", len(f.heroList))
	b.compare("scale", scaleWhat(n, "first read after the start: heroctl list-units"), "ms", millis(f.heroList),
		"systemctl list-units", millis(f.nativeList), Goal{Of: "ratio", Max: 1.5}, note)
	b.compare("scale", scaleWhat(n, "first read after the start: heroctl status"), "ms", millis(f.heroStatus),
		"systemctl status", millis(f.nativeStatus), Goal{Of: "ratio", Max: 1.5}, note)
	goal := Goal{}
	if n == 2000 {
		goal = Goal{Of: "max", Max: 64}
	}
	b.figure("scale", scaleWhat(n, "herod RSS right after the start"), "MB", f.rssStart, goal,
		fmt.Sprintf("VmRSS when heroctl start of N returned; after the first reads: %s", spread(summarize(f.rssAfter), "MB")))
}

// scaleReads times list-units and status against systemctl's, as processes and as D-Bus calls
// alone, and GetManagedObjects, with n+1 services running.
func (b *bench) scaleReads(ctx context.Context, n int, mid service) error {
	b.firstRows(n)
	rounds := min(b.sz.readRounds, 15)
	pairs := []struct {
		what, baseline, note string
		goal                 Goal
		hero, native         func() (time.Duration, error)
	}{
		{"heroctl list-units", "systemctl list-units", "N+1 services running; systemctl lists every loaded unit of the container", Goal{Of: "ratio", Max: 1.5},
			func() (time.Duration, error) { return mustHeroctl(ctx, "list-units") },
			func() (time.Duration, error) { return must(ctx, "systemctl", "list-units", "--no-pager") }},
		{"heroctl status " + mid.name, "systemctl status", "N+1 services running", Goal{Of: "ratio", Max: 1.5},
			func() (time.Duration, error) { return mustHeroctl(ctx, "status", mid.name) },
			func() (time.Duration, error) { return must(ctx, "systemctl", "status", "--no-pager", mid.unit()) }},
		{"D-Bus call alone: herod's ListUnits", "systemd's ListUnits", "one call from a connected Go client (godbus), reply decoded: no process started", Goal{},
			b.call(ctx, busName, "/org/hero/Proc1", "org.hero.Proc1.Manager.ListUnits"),
			b.call(ctx, "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.ListUnits")},
		{"D-Bus call alone: herod's Status", "systemd's GetAll of the unit", "one call from a connected Go client, reply decoded; systemctl status reads the unit's properties with GetAll", Goal{},
			b.call(ctx, busName, "/org/hero/Proc1", "org.hero.Proc1.Manager.Status", mid.name),
			b.call(ctx, "org.freedesktop.systemd1", unitPath(mid.unit()), "org.freedesktop.DBus.Properties.GetAll", "")},
	}
	for _, p := range pairs {
		var got [][]time.Duration
		err := b.prof.during(ctx, profileName(n, p.what), 10, func() error {
			var err error
			got, err = timedSides(rounds,
				func(int) (time.Duration, error) { return p.hero() },
				func(int) (time.Duration, error) { return p.native() })
			return err
		})
		if err != nil {
			return err
		}
		b.compare("scale", scaleWhat(n, p.what), "ms", millis(got[0]), p.baseline, millis(got[1]), p.goal, p.note)
	}
	if err := b.journalFloor(ctx, n, mid, rounds); err != nil {
		return err
	}
	return b.managedObjects(ctx, n, rounds)
}

// call returns a timed D-Bus call from the benchmark's own connection (reply decoded).
func (b *bench) call(ctx context.Context, dest, path, method string, args ...any) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		began := time.Now()
		if c := b.bus.Object(dest, dbus.ObjectPath(path)).CallWithContext(ctx, method, 0, args...); c.Err != nil {
			return 0, fmt.Errorf("%s: %w", method, c.Err)
		}
		return time.Since(began), nil
	}
}

// unitPath is a unit's object path in systemd (sd_bus_path_encode of its name).
func unitPath(unit string) string {
	return string(dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + pathEscape(unit)))
}

// pathEscape escapes s as sd_bus_path_encode does: every byte but [A-Za-z0-9] as _XX.
func pathEscape(s string) string {
	out := make([]byte, 0, len(s)*3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			out = append(out, c)
			continue
		}
		out = append(out, fmt.Sprintf("_%02x", c)...)
	}
	return string(out)
}

// profileName is the file name of a read's profile at n ("reads-2000-heroctl-list-units").
func profileName(n int, what string) string {
	out := []byte(fmt.Sprintf("reads-%d-", n))
	for _, c := range []byte(what) {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			out = append(out, c)
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return string(out)
}

// journalFloor times the journalctl process herod runs inside heroctl status, alone.
func (b *bench) journalFloor(ctx context.Context, n int, mid service, rounds int) error {
	jr, err := timedSides(rounds, func(int) (time.Duration, error) {
		return must(ctx, "journalctl", "--no-pager", "-u", mid.unit(), "-n", "10", "-o", "json")
	})
	if err != nil {
		return err
	}
	b.figure("scale", scaleWhat(n, "journalctl -u UNIT -n 10 -o json (the journal read inside heroctl status)"), "ms", millis(jr[0]), Goal{},
		"the floor of heroctl status: herod runs it for the service's last lines")
	return nil
}

// managedObjects times GetManagedObjects from the benchmark's own connection.
func (b *bench) managedObjects(ctx context.Context, n, rounds int) error {
	var took []time.Duration
	err := b.prof.during(ctx, profileName(n, "GetManagedObjects"), 10, func() error {
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
		return nil
	})
	if err != nil {
		return err
	}
	goal := Goal{}
	if n >= 5000 {
		goal = Goal{Of: "median", Max: 200}
	}
	b.figure("scale", scaleWhat(n, "GetManagedObjects"), "ms", millis(took), goal,
		"one call over the system bus from a Go client (godbus), reply decoded: every service and kept job object")
	return b.prof.heap(ctx, fmt.Sprintf("heap-%d-after-reads", n))
}

// scaleMemory reads herod's VmRSS with n+1 services running: right after the reads, and after
// idleSettle without calls (herod gives back what a burst left, every 10 s: its steady state),
// and VmHWM (the peak since herod started).
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
	busyGoal, peakGoal := Goal{}, Goal{}
	switch n {
	case 2000:
		busyGoal = Goal{Of: "max", Max: 64}
	case 5000:
		peakGoal = Goal{Of: "max", Max: 100}
	}
	b.figure("scale", scaleWhat(n, "herod RSS right after the reads"), "MB", []float64{busy}, busyGoal,
		"VmRSS right after list-units, status and GetManagedObjects")
	b.figure("scale", scaleWhat(n, "herod RSS, N+1 running"), "MB", []float64{rss}, Goal{},
		fmt.Sprintf("VmRSS %s after the reads (settled)", idleSettle))
	b.figure("scale", scaleWhat(n, "herod peak RSS"), "MB", []float64{hwm}, peakGoal,
		"VmHWM: the peak since herod started (the benchmark's starts of up to N services, their reads)")
	return nil
}

// idleSettle is how long scaleMemory leaves herod idle before its steady-state figure.
const idleSettle = 15 * time.Second
