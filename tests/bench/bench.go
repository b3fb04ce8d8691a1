package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// sizes are the benchmark's rounds and sizes: the full run is docs/benchmarks.md's source, the short
// one keeps CI's run at a few minutes.
type sizes struct {
	rounds          int // rounds of every cascade and start figure (11 in the full run: single runs vary by 10-30%, a median of 11 far less)
	chain, fanout   int
	graph, many     int // the diamond-rich graph; the independent services started at once
	readRounds      int
	healthSecs      int // the slow service's health check passes after this long
	windows         int // slow starts the concurrency figures are measured in
	clients, perCli int // the load test
	singleOps       int // the single-client reference of the load test
	mass, jobs      int // herod's cost: running services, recorded jobs
	idle            time.Duration
	idleSlices      int // the idle window is cut into this many CPU samples
	settle          time.Duration
	scale           []int // the numbers of services the scale section measures at
	stackRounds     int   // rounds of the recovery section (each: both sides, a kill and an apply)
}

var fullSizes = sizes{rounds: 11, chain: 50, fanout: 100, graph: 200, many: 50, readRounds: 30,
	healthSecs: 30, windows: 3, clients: 20, perCli: 50, singleOps: 100, mass: 500, jobs: 10_000,
	idle: 30 * time.Second, idleSlices: 3, settle: 3 * time.Second, scale: []int{50, 500, 2000, 5000}, stackRounds: 5}

var shortSizes = sizes{rounds: 2, chain: 20, fanout: 30, graph: 50, many: 20, readRounds: 10,
	healthSecs: 10, windows: 1, clients: 10, perCli: 10, singleOps: 30, mass: 100, jobs: 2_000,
	idle: 6 * time.Second, idleSlices: 3, settle: 2 * time.Second, scale: []int{50, 200}, stackRounds: 1}

// bench collects rows and raw samples and prints each row as it is made.
type bench struct {
	*box
	sz      sizes
	rows    []Row
	samples [][]string
	log     io.Writer
	prof    *profiler             // herod's profiles (run.sh --profile); nil: none
	first   map[int]*firstSamples // the first reads after starts, by N, until their rows are made
}

// firstSamples are the first reads right after starts of N services, and herod's RSS then.
type firstSamples struct {
	heroStatus, heroList, nativeStatus, nativeList []time.Duration
	rssStart, rssAfter                             []float64 // MB: right after the start; after these reads
}

func (b *bench) record(section, what, side string, vals []float64) {
	for i, v := range vals {
		b.samples = append(b.samples, []string{section, what, side, strconv.Itoa(i + 1), num(v)})
	}
}

func (b *bench) add(r Row) {
	r.Load = loadAverage()
	b.rows = append(b.rows, r)
	fmt.Fprintln(b.log, r.line())
}

// compare adds a row of hero's samples against a baseline's; the ratio is of the medians.
func (b *bench) compare(section, what, unit string, hero []float64, baseline string, base []float64, goal Goal, note string) {
	b.record(section, what, "hero", hero)
	b.record(section, what, baseline, base)
	r := Row{Section: section, What: what, Unit: unit, Hero: summarize(hero), Baseline: baseline,
		Base: summarize(base), Goal: goal, Note: note}
	r.Ratio = ratio(r.Hero.Median, r.Base.Median)
	b.add(r)
}

// figure adds a row with no baseline.
func (b *bench) figure(section, what, unit string, vals []float64, goal Goal, note string) {
	b.record(section, what, "hero", vals)
	b.add(Row{Section: section, What: what, Unit: unit, Hero: summarize(vals), Ratio: ratio(0, 0), Goal: goal, Note: note})
}

// save writes the rows and the raw samples into dir.
func (b *bench) save(dir string) error {
	if err := writeRows(filepath.Join(dir, "system.csv"), b.rows); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "samples.csv"))
	if err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"section", "what", "side", "sample", "value"})
	w.WriteAll(b.samples)
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write samples: %w", err)
	}
	return f.Close()
}
