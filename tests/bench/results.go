package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Row is one figure of the benchmark: hero's samples, what they are compared with, and the goal.
type Row struct {
	Section  string  // cascade stop, start, reads, concurrency, load, herod cost, core
	What     string  // the measurement, in words
	Unit     string  // ms, MB, %, ops/s, count
	Hero     Summary // hero's samples
	Baseline string  // what hero is compared with; "" when nothing is
	Base     Summary // the baseline's samples
	Ratio    float64 // hero/baseline (medians, unless Note says otherwise); NaN when not compared
	Goal     Goal
	Note     string
	Load     float64 // the host's 1-minute load average when the figure was taken; NaN: not known
}

// Goal is a figure's target from the issues: Of must be at most Max.
type Goal struct {
	Of  string  // "ratio", "median", "max" or "p95"; "" for no goal
	Max float64 // the bound, in the row's unit (or x for a ratio)
}

// value is the figure the goal applies to, or NaN.
func (r Row) goalValue() float64 {
	switch r.Goal.Of {
	case "ratio":
		return r.Ratio
	case "median":
		return r.Hero.Median
	case "max":
		return r.Hero.Max
	case "p95":
		return r.Hero.P95
	}
	return math.NaN()
}

// Met says whether the goal is met: "met", "missed", or "" without a goal or a figure.
func (r Row) Met() string {
	v := r.goalValue()
	switch {
	case r.Goal.Of == "" || math.IsNaN(v):
		return ""
	case v <= r.Goal.Max:
		return "met"
	default:
		return "missed"
	}
}

var csvHeader = []string{"section", "what", "unit", "n", "median", "min", "max", "p95",
	"baseline", "base_n", "base_median", "base_min", "base_max", "base_p95",
	"ratio", "goal_of", "goal_max", "goal_met", "note", "load"}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func parseNum(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

func (r Row) record() []string {
	return []string{r.Section, r.What, r.Unit,
		strconv.Itoa(r.Hero.N), num(r.Hero.Median), num(r.Hero.Min), num(r.Hero.Max), num(r.Hero.P95),
		r.Baseline, strconv.Itoa(r.Base.N), num(r.Base.Median), num(r.Base.Min), num(r.Base.Max), num(r.Base.P95),
		num(r.Ratio), r.Goal.Of, num(goalBound(r.Goal)), r.Met(), r.Note, num(r.Load)}
}

func goalBound(g Goal) float64 {
	if g.Of == "" {
		return math.NaN()
	}
	return g.Max
}

// writeRows writes rows as CSV (with a header) to path.
func writeRows(path string, rows []Row) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write results %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	w.Write(csvHeader)
	for _, r := range rows {
		w.Write(r.record())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write results %s: %w", path, err)
	}
	return f.Close()
}

// readRows reads a CSV file written by writeRows.
func readRows(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	defer f.Close()
	rows, err := parseRows(f)
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	return rows, nil
}

func parseRows(in io.Reader) ([]Row, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	// Files written before the load column have one column less.
	if len(recs) == 0 || len(recs[0]) != len(csvHeader) && len(recs[0]) != len(csvHeader)-1 {
		return nil, fmt.Errorf("not a results file (want the header %v)", csvHeader)
	}
	var rows []Row
	for i, rec := range recs[1:] {
		r, err := parseRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func parseRecord(rec []string) (Row, error) {
	if len(rec) != len(csvHeader) && len(rec) != len(csvHeader)-1 {
		return Row{}, fmt.Errorf("%d fields, want %d", len(rec), len(csvHeader))
	}
	load := math.NaN()
	if len(rec) == len(csvHeader) {
		v, err := parseNum(rec[19])
		if err != nil {
			return Row{}, fmt.Errorf("load: %w", err)
		}
		load = v
	}
	nums := make([]float64, len(rec))
	for _, i := range []int{4, 5, 6, 7, 10, 11, 12, 13, 14, 16} {
		v, err := parseNum(rec[i])
		if err != nil {
			return Row{}, fmt.Errorf("%s: %w", csvHeader[i], err)
		}
		nums[i] = v
	}
	n, err1 := strconv.Atoi(rec[3])
	bn, err2 := strconv.Atoi(rec[9])
	if err1 != nil || err2 != nil {
		return Row{}, fmt.Errorf("sample counts %q, %q are not integers", rec[3], rec[9])
	}
	return Row{
		Section: rec[0], What: rec[1], Unit: rec[2],
		Hero:     Summary{N: n, Median: nums[4], Min: nums[5], Max: nums[6], P95: nums[7]},
		Baseline: rec[8],
		Base:     Summary{N: bn, Median: nums[10], Min: nums[11], Max: nums[12], P95: nums[13]},
		Ratio:    nums[14], Goal: Goal{Of: rec[15], Max: nums[16]}, Note: rec[18], Load: load,
	}, nil
}

// loadAverage is the host's 1-minute load average now (the container shares the host's
// /proc/loadavg), or NaN.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}
