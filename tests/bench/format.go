package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// value prints one figure in its unit with the precision that unit needs.
func value(v float64, unit string) string {
	if math.IsNaN(v) {
		return "-"
	}
	switch unit {
	case "ms":
		switch {
		case v >= 100:
			return fmt.Sprintf("%.0f", v)
		case v >= 10:
			return fmt.Sprintf("%.1f", v)
		}
		return fmt.Sprintf("%.2f", v)
	case "count":
		return fmt.Sprintf("%.0f", v)
	case "%":
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// spread prints a summary as "MEDIAN UNIT (MIN-MAX, p95 P95)": the median, the range of every
// sample, and the 95th percentile where there are enough samples for one.
func spread(s Summary, unit string) string {
	if s.N == 0 {
		return "-"
	}
	out := value(s.Median, unit) + " " + unit
	if s.N > 1 {
		extra := []string{value(s.Min, unit) + "-" + value(s.Max, unit)}
		if !math.IsNaN(s.P95) {
			extra = append(extra, "p95 "+value(s.P95, unit))
		}
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

func ratioText(r float64) string {
	if math.IsNaN(r) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r)
}

// goalText prints a goal and whether the row meets it: "<= 1.10x: missed".
func goalText(r Row) string {
	if r.Goal.Of == "" {
		return ""
	}
	var bound string
	switch {
	case r.Goal.Of == "ratio":
		bound = fmt.Sprintf("<= %.2fx", r.Goal.Max)
	case r.Unit == "count" && r.Goal.Max == 0:
		bound = "none"
	default:
		bound = fmt.Sprintf("%s <= %s %s", r.Goal.Of, value(r.Goal.Max, r.Unit), r.Unit)
	}
	if met := r.Met(); met != "" {
		return bound + ": " + met
	}
	return bound
}

// line is a row on one line, as the benchmark prints it while it runs.
func (r Row) line() string {
	s := fmt.Sprintf("%s, %s: hero %s", r.Section, r.What, spread(r.Hero, r.Unit))
	if r.Baseline != "" {
		s += fmt.Sprintf("; %s %s; ratio %s", r.Baseline, spread(r.Base, r.Unit), ratioText(r.Ratio))
	}
	if g := goalText(r); g != "" {
		s += " (goal " + g + ")"
	}
	if r.Note != "" {
		s += " [" + r.Note + "]"
	}
	if !math.IsNaN(r.Load) {
		s += fmt.Sprintf(" (load %.2f)", r.Load)
	}
	return s
}

// loadText prints a load average, or "?" when it is not known.
func loadText(v float64) string {
	if math.IsNaN(v) {
		return "?"
	}
	return fmt.Sprintf("%.2f", v)
}

// cell escapes a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// scaleWhat names a scale row: its N, then the figure.
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
