package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hero-systemd/hero-systemd/jobdb"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: fixed at 100 for user space.
const userHZ = 100

// cpuTicks is the CPU time pid has used (utime + stime), in 1/userHZ s.
func cpuTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("read CPU time: /proc/%d/stat has %d fields after the name", pid, len(fields))
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64) // field 14
	stime, err2 := strconv.ParseUint(fields[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read CPU time: /proc/%d/stat: utime %q, stime %q", pid, fields[11], fields[12])
	}
	return utime + stime, nil
}

// memoryMB reads a field of /proc/PID/status given in kB (VmRSS, VmHWM), in MB.
func memoryMB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", field, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("read %s: %q", field, rest)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("read %s: not in /proc/%d/status", field, pid)
}

// idle samples herod's CPU use (as % of one core, per slice of the window) and RSS while
// nothing is asked of it.
func (b *bench) idle(ctx context.Context, label string, goals bool) error {
	pid, err := b.herodPID(ctx)
	if err != nil {
		return err
	}
	time.Sleep(b.sz.settle)
	slice := b.sz.idle / time.Duration(b.sz.idleSlices)
	var cpu, rss []float64
	first, err := cpuTicks(pid)
	if err != nil {
		return err
	}
	prev, began := first, time.Now()
	for i := 0; i < b.sz.idleSlices; i++ {
		t0 := time.Now()
		time.Sleep(slice)
		ticks, err := cpuTicks(pid)
		if err != nil {
			return err
		}
		cpu = append(cpu, 100*float64(ticks-prev)/userHZ/time.Since(t0).Seconds())
		prev = ticks
		mb, err := memoryMB(pid, "VmRSS")
		if err != nil {
			return err
		}
		rss = append(rss, mb)
	}
	whole := 100 * float64(prev-first) / userHZ / time.Since(began).Seconds()
	peak, err := memoryMB(pid, "VmHWM")
	if err != nil {
		return err
	}
	cpuGoal, rssGoal := Goal{}, Goal{}
	if goals {
		cpuGoal, rssGoal = Goal{Of: "median", Max: 1}, Goal{Of: "max", Max: 40} // issue 9
	}
	slices := summarize(cpu)
	b.record("herod cost", "idle CPU, "+label, "slice", cpu)
	b.figure("herod cost", "idle CPU, "+label, "%", []float64{whole}, cpuGoal,
		fmt.Sprintf("%% of one core over %s (utime+stime); %d slices of %s: %s-%s %%", b.sz.idle, len(cpu), slice,
			value(slices.Min, "%"), value(slices.Max, "%")))
	b.figure("herod cost", "RSS, "+label, "MB", rss, rssGoal, fmt.Sprintf("VmRSS each slice; peak (VmHWM) %.1f MB", peak))
	return nil
}

func (b *bench) costEmpty(ctx context.Context) error {
	if err := b.loadServices(ctx, nil); err != nil {
		return err
	}
	return b.idle(ctx, "no services", false)
}

// massServices is the star of services herod's cost is measured with.
func (b *bench) massServices() []service { return star("m", b.sz.mass) }

func (b *bench) costMass(ctx context.Context) error {
	svcs := b.massServices()
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	took, err := mustHeroctl(ctx, append([]string{"start"}, names(svcs)...)...)
	if err != nil {
		return err
	}
	b.figure("herod cost", fmt.Sprintf("heroctl start of %d services (one call)", len(svcs)), "ms", millis([]time.Duration{took}), Goal{}, "")
	if err := b.expectActive(ctx, "after starting them", heroUnits(svcs), len(svcs)); err != nil {
		return err
	}
	if err := b.idle(ctx, fmt.Sprintf("%d running services", len(svcs)), true); err != nil {
		return err
	}
	took, err = mustHeroctl(ctx, "stop", svcs[0].name)
	if err != nil {
		return err
	}
	b.figure("herod cost", fmt.Sprintf("heroctl stop of their root: a cascade of %d", len(svcs)), "ms", millis([]time.Duration{took}), Goal{}, "")
	return b.expectActive(ctx, "after stopping them", heroUnits(svcs), 0)
}

// costLedger stops herod, records jobs of the mass services in its ledger as ended runs, and
// measures herod again, started over that ledger.
func (b *bench) costLedger(ctx context.Context) error {
	if err := b.stopHerod(ctx); err != nil {
		return err
	}
	began := time.Now()
	if err := fillLedger(ctx, filepath.Join(b.stateDir, "ledger", "jobs.db"), b.massServices(), b.sz.jobs); err != nil {
		return err
	}
	fmt.Fprintf(b.log, "recorded %d jobs in %.1f s\n", b.sz.jobs, time.Since(began).Seconds())
	if err := b.startHerod(ctx); err != nil {
		return err
	}
	return b.idle(ctx, fmt.Sprintf("%d jobs recorded (%d services, none running)", b.sz.jobs, b.sz.mass), false)
}

// fillLedger creates n ended jobs, spread over svcs, through the ledger's own API.
func fillLedger(ctx context.Context, path string, svcs []service, n int) error {
	db, err := jobdb.Open(ctx, path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	phases := []jobdb.Phase{jobdb.PhaseSucceeded, jobdb.PhaseFailed, jobdb.PhaseCancelled}
	start := time.Now().Add(-time.Duration(n) * time.Second)
	for i := 0; i < n; i++ {
		s := svcs[i%len(svcs)]
		began := start.Add(time.Duration(i) * time.Second)
		ended := began.Add(500 * time.Millisecond).UTC()
		// As herod records them: ended, their output tail already copied.
		j := &jobdb.Job{ServiceID: s.name, Context: "default", Unit: s.unit(),
			Phase: phases[i%len(phases)], StartedAt: began.UTC(), EndedAt: &ended, OutputSaved: true}
		if err := db.Create(ctx, j); err != nil {
			db.Close()
			return fmt.Errorf("fill the ledger: %w", err)
		}
	}
	return db.Close()
}
