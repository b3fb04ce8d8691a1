package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// machine describes where the figures were measured, for the report's header.
type machine struct {
	date, cpu, kernel, systemd, mode string
	cores                            int
	loadStart, loadEnd               string // the host's 1-minute load average
}

func hostMachine(out, mode string) machine {
	m := machine{date: time.Now().Format("2006-01-02 15:04 MST"), cores: runtime.NumCPU(), mode: mode,
		cpu: "unknown CPU", kernel: "unknown kernel", systemd: "unknown systemd"}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile(filepath.Join(out, "systemd-version.txt")); err == nil {
		m.systemd = strings.TrimSpace(string(data))
	}
	m.loadStart, m.loadEnd = "?", "?"
	if data, err := os.ReadFile(filepath.Join(out, "loadavg-start.txt")); err == nil {
		m.loadStart = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.loadEnd = strings.Fields(string(data))[0]
	}
	return m
}

// writeReport merges the figures into results.csv, writes results.md (docs/benchmarks.md's table) and
// the ratio chart's data and script, and draws the chart with gnuplot.
func writeReport(out string, rows []Row, m machine, log io.Writer) error {
	sort.SliceStable(rows, func(i, j int) bool { return sectionRank(rows[i].Section) < sectionRank(rows[j].Section) })
	if err := writeRows(filepath.Join(out, "results.csv"), rows); err != nil {
		return err
	}
	md := markdown(rows, m)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(md), 0o644); err != nil {
		return fmt.Errorf("write results.md: %w", err)
	}
	fmt.Fprint(log, "\n"+md)
	if err := writeChart(out, rows); err != nil {
		return err
	}
	if err := writeScaleChart(out, rows); err != nil {
		return err
	}
	fmt.Fprintf(log, "\nWritten: %s/results.md, results.csv, samples.csv, ratios.png, scale.png\n", out)
	return nil
}

// sections is the report's order: what users wait for first, then cost and the core.
var sections = []string{"cascade stop", "start", "recovery", "recovery steps", "reads", "concurrency", "load", "scale", "herod cost", "core"}

func sectionRank(s string) int {
	for i, name := range sections {
		if s == name {
			return i
		}
	}
	return len(sections)
}

func markdown(rows []Row, m machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s by `bash tests/bench/run.sh%s` on %d cores (%s), kernel %s, %s in the testbed container.\n",
		m.date, map[bool]string{true: " --short", false: ""}[m.mode == "short"], m.cores, m.cpu, m.kernel, m.systemd)
	fmt.Fprintf(&b, "The host's load average was %s at the start and %s at the end (above %d, other work shared the cores and skews the timings). ",
		m.loadStart, m.loadEnd, m.cores)
	b.WriteString("hero runs as a user runs it: herod under the container's systemd, every operation a `heroctl` process. " +
		"Cells: median (min-max, and p95 where the samples are a distribution); ratio: hero / what it is compared with; " +
		"load: the host's 1-minute load average when the figure was taken.\n\n")
	met, missed := goalCounts(rows)
	fmt.Fprintf(&b, "Goals: %d figures meet theirs, %d miss them. Every goal of the issues, with the figures that measure it:\n\n", met, missed)
	b.WriteString(goalsTable(rows))
	b.WriteString("\nEvery figure:\n\n")
	b.WriteString("| section | figure | measured | compared with | ratio | goal | load | notes |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		against := ""
		if r.Baseline != "" {
			against = r.Baseline + ": " + spread(r.Base, r.Unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(r.Section), cell(r.What), cell(spread(r.Hero, r.Unit)),
			cell(against), ratioText(r.Ratio), cell(goalText(r)), loadText(r.Load), cell(r.Note))
	}
	return b.String()
}

// chartLabel is a row's short name under its bar.
func chartLabel(r Row) string {
	parts := strings.Split(r.What, ": ")
	switch r.Section {
	case "load":
		last := strings.TrimPrefix(parts[len(parts)-1], "latency of heroctl ")
		return "load p95: " + strings.TrimPrefix(last, "latency, ")
	case "start":
		if strings.Contains(r.What, "floor with hero's units") {
			return "start: " + parts[0] + " (systemd floor, hero's units)"
		}
		if strings.Contains(r.What, "floor") {
			return "start: " + parts[0] + " (systemd floor)"
		}
	}
	return r.Section + ": " + parts[0]
}

// writeChart draws every compared row's ratio as a bar, its goal as a point, on a log scale.
func writeChart(out string, rows []Row) error {
	var data strings.Builder
	n := 0
	for _, r := range rows {
		if r.Baseline == "" || math.IsNaN(r.Ratio) || r.Section == "scale" || r.Section == "recovery steps" { // scale: its own chart
			continue
		}
		goal := "NaN"
		if r.Goal.Of == "ratio" {
			goal = fmt.Sprintf("%.3f", r.Goal.Max)
		}
		kind := 0 // hero against systemd
		if strings.Contains(r.What, "systemd's floor") {
			kind = 1 // systemd against itself
		}
		fmt.Fprintf(&data, "%d \"%s\" %.4f %s %d\n", n, strings.ReplaceAll(chartLabel(r), `"`, "'"), r.Ratio, goal, kind)
		n++
	}
	if err := os.WriteFile(filepath.Join(out, "ratios.dat"), []byte(data.String()), 0o644); err != nil {
		return fmt.Errorf("write ratios.dat: %w", err)
	}
	script := `set terminal pngcairo size 1400,850 font ",10"
set output 'ratios.png'
set title "Time against native systemd (systemctl, a systemd-run loop): median ratio per figure; load: p95 under load / one client's median"
set logscale y
set ylabel "ratio (log scale; below 1: hero is faster)"
set grid ytics
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -40 left
set bmargin 19
set key top left
set xrange [-0.7:` + fmt.Sprint(n) + `-0.3]
plot 'ratios.dat' using 1:($5 == 0 ? $3 : NaN):xtic(2) with boxes lc rgb "#8040c0" title 'hero', \
     '' using 1:($5 == 1 ? $3 : NaN) with boxes lc rgb "#a0a0a0" title "systemd's floor", \
     '' using 1:3:(sprintf("%.2fx", $3)) with labels offset 0,0.8 notitle, \
     '' using 1:4 with points pt 9 ps 2 lc rgb "red" title 'goal', \
     1 with lines dt 2 lc rgb "black" title 'parity'
`
	if err := os.WriteFile(filepath.Join(out, "ratios.gp"), []byte(script), 0o644); err != nil {
		return fmt.Errorf("write ratios.gp: %w", err)
	}
	cmd := exec.Command("gnuplot", "ratios.gp")
	cmd.Dir = out
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("draw ratios.png with gnuplot: %v\n%s", err, msg)
	}
	return nil
}

// scaleFigure is the short name of a scale row's figure in the chart ("" for none: not a time).
func scaleFigure(what string) string {
	switch {
	case strings.Contains(what, "first read after the start: heroctl list-units"):
		return "first list-units after the start"
	case strings.Contains(what, "first read after the start: heroctl status"):
		return "first status after the start"
	case strings.Contains(what, "D-Bus call alone") && strings.Contains(what, "ListUnits"):
		return "ListUnits call"
	case strings.Contains(what, "D-Bus call alone") && strings.Contains(what, "Status"):
		return "Status call"
	case strings.Contains(what, "journalctl"):
		return "journalctl (inside status)"
	case strings.Contains(what, "start of N"):
		return "start"
	case strings.Contains(what, "stop of the root"):
		return "cascade stop"
	case strings.Contains(what, "list-units"):
		return "list-units"
	case strings.Contains(what, "heroctl status"):
		return "status"
	case strings.Contains(what, "GetManagedObjects"):
		return "GetManagedObjects"
	}
	return ""
}

// writeScaleChart draws the scale rows' medians against N, hero's and native systemd's, one
// line each (log-log), into scale.png; without scale rows it draws nothing.
func writeScaleChart(out string, rows []Row) error {
	type series struct {
		title  string
		points []string
	}
	var order []string
	all := map[string]*series{}
	point := func(title string, n int, v float64) {
		s := all[title]
		if s == nil {
			s = &series{title: title}
			all[title] = s
			order = append(order, title)
		}
		s.points = append(s.points, fmt.Sprintf("%d %.3f", n, v))
	}
	for _, r := range rows {
		n, fig := scaleN(r.What), scaleFigure(r.What)
		if r.Section != "scale" || n == 0 || fig == "" || r.Unit != "ms" {
			continue
		}
		point(fig+": hero", n, r.Hero.Median)
		if r.Baseline != "" {
			point(fig+": "+r.Baseline, n, r.Base.Median)
		}
	}
	if len(order) == 0 {
		return nil
	}
	var data, plot strings.Builder
	for i, title := range order {
		fmt.Fprintf(&data, "# %s\n%s\n\n\n", title, strings.Join(all[title].points, "\n"))
		dash := map[bool]string{true: "dt 2", false: "dt 1"}[!strings.HasSuffix(title, ": hero")]
		if i > 0 {
			plot.WriteString(", \\\n     ")
		}
		fmt.Fprintf(&plot, "'scale.dat' index %d using 1:2 with linespoints lw 2 %s title \"%s\"", i, dash, strings.ReplaceAll(title, `"`, "'"))
	}
	if err := os.WriteFile(filepath.Join(out, "scale.dat"), []byte(data.String()), 0o644); err != nil {
		return fmt.Errorf("write scale.dat: %w", err)
	}
	script := `set terminal pngcairo size 1200,800 font ",10"
set output 'scale.png'
set title "Cost against the number of services N: hero (solid) and native systemd (dashed), medians"
set logscale xy
set xlabel "N (services)"
set ylabel "ms (log scale)"
set grid xtics ytics
set key outside right top
plot ` + plot.String() + "\n"
	if err := os.WriteFile(filepath.Join(out, "scale.gp"), []byte(script), 0o644); err != nil {
		return fmt.Errorf("write scale.gp: %w", err)
	}
	cmd := exec.Command("gnuplot", "scale.gp")
	cmd.Dir = out
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("draw scale.png with gnuplot: %v\n%s", err, msg)
	}
	return nil
}
