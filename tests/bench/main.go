// Command hero-bench is the benchmark behind tests/bench/run.sh. It measures hero as a user runs
// it (herod under systemd, heroctl as a process) against native systemd doing the same work,
// and writes the figures as CSV, Markdown and a chart.
//
//	hero-bench system [--short] [--only SECTION] [--profile] --out DIR
//	                                         in the testbed container: cascades, starts, reads,
//	                                         concurrency, load, a real stack's recovery, scale,
//	                                         herod's cost (DIR/system.csv); --profile fetches
//	                                         herod's Go profiles into DIR/profiles;
//	                                         --only scale runs that section alone; --scale 50,2000
//	                                         sets its numbers of services
//	hero-bench core [--short] --out DIR --repo DIR
//	                                         on the host: the go test benchmarks of the core (DIR/core.csv)
//	hero-bench report [--short] [--only SECTION] --out DIR
//	                                         merge both, write results.md/.csv, ratios.png and
//	                                         scale.png (with --only, core.csv may be missing)
//
// Performance goals are reported beside the figures, never asserted: the command fails only
// when something does not work (a command fails, a unit is not in the state it must be).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hero-bench:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: hero-bench system|core|report [--short] --out DIR [--repo DIR]")
	}
	fs := flag.NewFlagSet("hero-bench "+args[0], flag.ContinueOnError)
	short := fs.Bool("short", false, "few rounds and small sizes (CI)")
	out := fs.String("out", "", "output directory")
	repo := fs.String("repo", ".", "the repository (core)")
	only := fs.String("only", "", "system: run only this section (e.g. scale); report: the core figures may be missing")
	var herodEnv envList
	fs.Var(&herodEnv, "herod-env", "system: NAME=VALUE in herod's environment (repeatable; e.g. GOMEMLIMIT=64MiB, to measure a setting)")
	profile := fs.Bool("profile", false, "system: fetch herod's Go profiles into DIR/profiles (herod built with -tags pprof)")
	scaleNs := fs.String("scale", "", "system: the numbers of services of the scale section, comma-separated (default 50,500,2000,5000; --short 50,200)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out DIR is required")
	}
	switch args[0] {
	case "system":
		return system(ctx, *out, *short, *only, *scaleNs, *profile, herodEnv)
	case "core":
		rows, err := runCore(ctx, *repo, *short, os.Stdout)
		if err != nil {
			return err
		}
		return writeRows(filepath.Join(*out, "core.csv"), rows)
	case "report":
		return report(*out, *short, *only != "")
	}
	return fmt.Errorf("unknown command %q (system, core, report)", args[0])
}

func system(ctx context.Context, out string, short bool, only, scaleNs string, profile bool, herodEnv []string) error {
	sz := fullSizes
	if short {
		sz = shortSizes
	}
	if scaleNs != "" {
		sz.scale = nil
		for _, f := range strings.Split(scaleNs, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("--scale %q: want positive counts separated by commas", scaleNs)
			}
			sz.scale = append(sz.scale, n)
		}
	}
	version := strings.SplitN(run(ctx, "systemctl", "--version").stdout, "\n", 2)[0]
	if err := os.WriteFile(filepath.Join(out, "systemd-version.txt"), []byte(version+"\n"), 0o644); err != nil {
		return fmt.Errorf("write systemd-version.txt: %w", err)
	}
	return runSystem(ctx, sz, only, out, profile, herodEnv, os.Stdout)
}

func report(out string, short, partial bool) error {
	var rows []Row
	for _, f := range []string{"system.csv", "core.csv"} {
		r, err := readRows(filepath.Join(out, f))
		if err != nil && partial && errors.Is(err, os.ErrNotExist) {
			continue // a run of one section has no core figures
		}
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	// The goals of core figures are applied as the code states them now, so a report made again
	// from earlier figures shows current goals.
	for i := range rows {
		if rows[i].Section == "core" {
			rows[i].Goal = coreGoal(rows[i].What)
		}
	}
	mode := "full"
	if short {
		mode = "short"
	}
	return writeReport(out, rows, hostMachine(out, mode), os.Stdout)
}

// runSystem measures everything that needs the container's systemd, in an order that keeps
// each figure's services alone: herod's idle cost first (nothing loaded), then the cascades,
// starts, reads, concurrency, load, the real stack's recovery and scale, then herod with many
// services and a big ledger. With profile, herod's profiles are fetched into out/profiles.
// only, when not empty, names the one section to run (see sectionNames).
func runSystem(ctx context.Context, sz sizes, only, out string, profile bool, herodEnv []string, log io.Writer) error {
	bx, err := openBox(ctx)
	if err != nil {
		return err
	}
	defer bx.close()
	b := &bench{box: bx, sz: sz, log: log}
	b.herodEnv = herodEnv
	if profile {
		if b.prof, err = newProfiler(out); err != nil {
			return err
		}
		b.herodEnv = append(b.herodEnv, "HEROD_PPROF_SOCKET="+pprofSocket)
	}
	defer func() {
		if err := b.save(out); err != nil {
			fmt.Fprintln(log, "hero-bench:", err)
		}
		os.WriteFile(filepath.Join(out, "herod.log"), []byte(b.herodLog(context.Background(), 2000)), 0o644)
	}()
	// Debian's own daemons of the testbed's flavour start at boot: quiet them for every section.
	run(ctx, "systemctl", append([]string{"stop"}, debianStackUnits...)...)
	if err := b.installPolicy(ctx); err != nil {
		return err
	}
	if err := b.startHerod(ctx); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"herod idle, no services", b.costEmpty},
		{"cascade stop", b.cascades},
		{"start", b.starts},
		{"reads", b.reads},
		{"concurrency", b.concurrency},
		{"load", b.loadTest},
		{"recovery", b.recovery},
		{"scale", b.scale},
		{"scale-reads", b.scaleReadsOnly},
		{"herod with many services", b.costMass},
		{"herod with a big ledger", b.costLedger},
	}
	for _, s := range steps {
		// scale-reads is a part of scale, run alone only when asked for.
		if only != "" && s.name != only || only == "" && s.name == "scale-reads" {
			continue
		}
		fmt.Fprintf(log, "\n== %s\n", s.name)
		began := time.Now()
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(log, "(%s: %.0f s)\n", s.name, time.Since(began).Seconds())
	}
	return nil
}

// envList is a repeatable NAME=VALUE flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
		return fmt.Errorf("%q: want NAME=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}
