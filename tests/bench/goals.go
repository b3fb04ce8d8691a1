package main

import (
	"fmt"
	"regexp"
	"strings"
)

// issueGoal is a goal an issue set, and the figures (rows) that measure it: the report lists
// every one, with each figure measured for it, met or missed, or says it was not measured in
// this run (a --short or --only run leaves some out).
type issueGoal struct {
	issue int
	goal  string         // the goal in words, as the issue says it
	rows  *regexp.Regexp // matches "SECTION: WHAT" of its rows
}

// issueGoals are the goals the benchmark measures, newest issue first.
var issueGoals = []issueGoal{
	{33, "a stack serving again after a requirement's crash (kill -9 -> the top of the stack serving) <= 1.10x the same stack as native units",
		regexp.MustCompile(`^recovery: kill -9 of PostgreSQL: the top of the stack`)},
	{33, "apply's window of failed requests <= systemctl restart's for the same change",
		regexp.MustCompile(`^recovery: one env value of the app changed: window`)},
	{33, "heroctl list-units <= 1.5x systemctl at 2,000 and 5,000, the first read right after a start included",
		regexp.MustCompile(`^scale: N=(2000|5000): (first read after the start: )?heroctl list-units`)},
	{33, "heroctl status <= 1.5x systemctl at 2,000 and 5,000, the first read right after a start included",
		regexp.MustCompile(`^scale: N=(2000|5000): (first read after the start: )?heroctl status`)},
	{33, "GetManagedObjects <= 200 ms at 5,000", regexp.MustCompile(`^scale: N=5000: GetManagedObjects`)},
	{33, "herod's RSS <= 64 MB at 2,000 (right after the start, right after the reads)",
		regexp.MustCompile(`^scale: N=2000: herod RSS right after`)},
	{33, "herod's peak RSS <= 100 MB at 5,000, reads included", regexp.MustCompile(`^scale: N=5000: herod peak RSS`)},
	{33, "keep: start <= 1.10x systemd's floor, from 50 to 5,000", regexp.MustCompile(`^scale: N=\d+: heroctl start of N`)},
	{33, "keep: cascade stop <= 1.10x systemctl stop, from 50 to 5,000",
		regexp.MustCompile(`^scale: N=\d+: heroctl stop of the root|^cascade stop: .*heroctl stop`)},
}

// goalsTable is the report's first table: every issue goal, the figures measured for it (with a
// goal of their own), met or missed, and the load average beside each.
func goalsTable(rows []Row) string {
	var b strings.Builder
	b.WriteString("| issue | goal | figure | measured | ratio | met | load |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, g := range issueGoals {
		n := 0
		for _, r := range rows {
			if r.Goal.Of == "" || !g.rows.MatchString(r.Section+": "+r.What) {
				continue
			}
			n++
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s |\n", g.issue, cell(g.goal), cell(r.Section+": "+r.What),
				cell(measuredText(r)), ratioText(r.Ratio), cell(goalText(r)), loadText(r.Load))
		}
		if n == 0 {
			fmt.Fprintf(&b, "| %d | %s | - | not measured in this run | - | - | - |\n", g.issue, cell(g.goal))
		}
	}
	return b.String()
}

// measuredText is a row's figure with what it was compared with.
func measuredText(r Row) string {
	s := spread(r.Hero, r.Unit)
	if r.Baseline != "" {
		s += " against " + r.Baseline + " " + spread(r.Base, r.Unit)
	}
	return s
}

// goalCounts counts the rows with a goal that met it and that missed it.
func goalCounts(rows []Row) (met, missed int) {
	for _, r := range rows {
		switch r.Met() {
		case "met":
			met++
		case "missed":
			missed++
		}
	}
	return met, missed
}
