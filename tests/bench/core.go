package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// corePkg is a package whose go test benchmarks measure hero's core: they are found by a
// pattern on their names, so renaming a benchmark keeps it measured.
type corePkg struct {
	dir   string         // ./graphs
	match *regexp.Regexp // which of the package's benchmarks to run
}

var corePkgs = []corePkg{
	{"./graphs", regexp.MustCompile(`(?i)(plan|build)`)},
	{"./unitgen/config", regexp.MustCompile(`(?i)(build|parse)`)},
	{"./jobdb", regexp.MustCompile(`(?i)prune`)},
}

// coreGoals are the issues' goals for core figures, by the names' words and size.
var coreGoals = []struct {
	match *regexp.Regexp
	goal  Goal
}{
	{regexp.MustCompile(`(?i)^graphs: .*plan\D*10k\b`), Goal{Of: "median", Max: 20}},
	{regexp.MustCompile(`(?i)^graphs: .*plan\D*100k\b`), Goal{Of: "median", Max: 500}},
	{regexp.MustCompile(`(?i)^graphs: .*build\D*10k\b`), Goal{Of: "median", Max: 150}},
	{regexp.MustCompile(`(?i)^graphs: .*build\D*100k\b`), Goal{Of: "median", Max: 2000}},
	{regexp.MustCompile(`(?i)^jobdb: .*prune.*1m\b`), Goal{Of: "median", Max: 100}},
}

// coreGoal is the goal of the core figure named what, or none.
func coreGoal(what string) Goal {
	for _, g := range coreGoals {
		if g.match.MatchString(what) {
			return g.goal
		}
	}
	return Goal{}
}

// sizeOf is the number of services a benchmark's name says it uses ("10k", "1M"), or 0.
func sizeOf(name string) int {
	m := regexp.MustCompile(`(\d+)([kKmM])`).FindAllStringSubmatch(name, -1)
	if m == nil {
		return 0
	}
	last := m[len(m)-1]
	n, _ := strconv.Atoi(last[1])
	if last[2] == "k" || last[2] == "K" {
		return n * 1_000
	}
	return n * 1_000_000
}

// runCore runs the core benchmarks on the host. The short run keeps the graph and config
// benchmarks of at most 10k services and runs everything once.
func runCore(ctx context.Context, repo string, short bool, log io.Writer) ([]Row, error) {
	benchtime, count := "3x", 3
	if short {
		benchtime, count = "1x", 1
	}
	var rows []Row
	for _, p := range corePkgs {
		sel, err := selectBenchmarks(ctx, repo, p, short)
		if err != nil {
			return nil, err
		}
		if len(sel) == 0 {
			fmt.Fprintf(log, "core: %s: no benchmark of at most 10k services in a short run\n", p.dir)
			continue
		}
		pattern := "^(" + strings.Join(sel, "|") + ")$"
		args := []string{"test", p.dir, "-run", "^$", "-bench", pattern, "-benchtime", benchtime, "-count", strconv.Itoa(count),
			// go test's default 10 min is not enough for the ledger's: each run of a 1M-row
			// benchmark fills its ledger anew.
			"-timeout", "60m"}
		fmt.Fprintf(log, "core: go %s\n", strings.Join(args, " "))
		out, err := goCmd(ctx, repo, args...)
		if err != nil {
			return nil, err
		}
		got := parseBenchOutput(strings.NewReader(out))
		if len(got) == 0 {
			return nil, fmt.Errorf("core: go %s printed no benchmark result:\n%s", strings.Join(args, " "), out)
		}
		rows = append(rows, coreRows(p.dir, got, benchtime)...)
	}
	for _, r := range rows {
		fmt.Fprintln(log, r.line())
	}
	return rows, nil
}

// selectBenchmarks lists the package's benchmarks and keeps those the package's pattern
// matches; none matching is an error naming what exists.
func selectBenchmarks(ctx context.Context, repo string, p corePkg, short bool) ([]string, error) {
	out, err := goCmd(ctx, repo, "test", p.dir, "-list", "^Benchmark")
	if err != nil {
		return nil, err
	}
	var all, sel []string
	for _, line := range strings.Fields(out) {
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		all = append(all, line)
		if !p.match.MatchString(line) {
			continue
		}
		if short && sizeOf(line) > 10_000 && !strings.Contains(p.dir, "jobdb") {
			continue
		}
		sel = append(sel, line)
	}
	matched := false
	for _, b := range all {
		matched = matched || p.match.MatchString(b)
	}
	if !matched {
		return nil, fmt.Errorf("core: no benchmark of %s matches %s (it has: %s); update corePkgs in tests/bench/core.go",
			p.dir, p.match, strings.Join(all, ", "))
	}
	return sel, nil
}

func goCmd(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("core: go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op`)

// parseBenchOutput returns each benchmark's ns/op figures (one per -count), by name without
// the "Benchmark" prefix and the GOMAXPROCS suffix.
func parseBenchOutput(r io.Reader) map[string][]float64 {
	got := map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if ns, err := strconv.ParseFloat(m[2], 64); err == nil {
			got[m[1]] = append(got[m[1]], ns)
		}
	}
	return got
}

func coreRows(dir string, got map[string][]float64, benchtime string) []Row {
	pkg := strings.TrimPrefix(dir, "./")
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rows []Row
	for _, k := range keys {
		ms := make([]float64, len(got[k]))
		for i, ns := range got[k] {
			ms[i] = ns / 1e6
		}
		r := Row{Section: "core", What: pkg + ": " + k, Unit: "ms", Hero: summarize(ms), Ratio: ratio(0, 0),
			Note: fmt.Sprintf("go test %s -run '^$' -bench '^Benchmark%s$' -benchtime %s (one figure per run)", dir, strings.SplitN(k, "/", 2)[0], benchtime)}
		r.Goal = coreGoal(r.What)
		r.Load = loadAverage()
		rows = append(rows, r)
	}
	return rows
}
