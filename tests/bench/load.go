package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// The load test's mix of operations, by weight.
var opMix = []struct {
	verb   string
	weight int
}{{"start", 30}, {"stop", 20}, {"restart", 15}, {"status", 25}, {"kill", 10}}

// okCodes are the exit codes that are answers, not errors: status of a stopped service and kill
// of one that is not running exit 3, as systemctl's do.
var okCodes = map[string][]int{"start": {0}, "stop": {0}, "restart": {0}, "status": {0, 3}, "kill": {0, 3}}

type op struct{ verb, service string }

type opResult struct {
	verb  string
	took  float64 // ms
	fault string  // "" when the op succeeded
	hang  bool    // no answer within opTimeout
}

// mixedOps draws n operations on svcs from the mix; the seed makes every run draw the same.
func mixedOps(seed uint64, n int, svcs []service) []op {
	rng := rand.New(rand.NewPCG(seed, 17))
	total := 0
	for _, m := range opMix {
		total += m.weight
	}
	ops := make([]op, n)
	for i := range ops {
		pick := rng.IntN(total)
		for _, m := range opMix {
			if pick < m.weight {
				ops[i].verb = m.verb
				break
			}
			pick -= m.weight
		}
		ops[i].service = svcs[rng.IntN(len(svcs))].name
	}
	return ops
}

func runOp(ctx context.Context, o op) opResult {
	out := heroctl(ctx, o.verb, o.service)
	r := opResult{verb: o.verb, took: float64(out.took) / float64(time.Millisecond), hang: out.timedOut}
	for _, c := range okCodes[o.verb] {
		if out.code == c && !out.timedOut {
			return r
		}
	}
	r.fault = fmt.Sprintf("%s (exit %d): %s", o.verb, out.code, errorLine(out.stderr+out.stdout))
	if out.timedOut {
		r.fault = o.verb + ": no answer"
	}
	return r
}

// runClients runs each client's ops in order, the clients concurrently; it returns every result
// and the wall time.
func runClients(ctx context.Context, clients [][]op) ([]opResult, time.Duration) {
	results := make([][]opResult, len(clients))
	var wg sync.WaitGroup
	began := time.Now()
	for i, ops := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, o := range ops {
				results[i] = append(results[i], runOp(ctx, o))
			}
		}()
	}
	wg.Wait()
	wall := time.Since(began)
	var all []opResult
	for _, r := range results {
		all = append(all, r...)
	}
	return all, wall
}

// loadTest runs the mix with one client (the reference latency), then with many clients at
// once, on ten overlapping services.
func (b *bench) loadTest(ctx context.Context) error {
	svcs := overlapping()
	if err := b.loadServices(ctx, svcs); err != nil {
		return err
	}
	single, _ := runClients(ctx, [][]op{mixedOps(1, b.sz.singleOps, svcs)})
	if err := b.resetServices(ctx, svcs); err != nil {
		return err
	}
	clients := make([][]op, b.sz.clients)
	for i := range clients {
		clients[i] = mixedOps(uint64(100+i), b.sz.perCli, svcs)
	}
	loaded, wall := runClients(ctx, clients)
	b.loadRows(loaded, single, wall)
	return b.resetServices(ctx, svcs)
}

// resetServices brings the load test's services back to stopped, whatever the mix left.
func (b *bench) resetServices(ctx context.Context, svcs []service) error {
	for _, r := range roots(svcs) {
		if _, err := mustHeroctl(ctx, "stop", r); err != nil {
			return err
		}
	}
	_, err := mustHeroctl(ctx, append([]string{"reset-failed"}, names(svcs)...)...)
	return err
}

func latencies(results []opResult, verb string) []float64 {
	var out []float64
	for _, r := range results {
		if verb == "" || r.verb == verb {
			out = append(out, r.took)
		}
	}
	return out
}

// faults counts the failed ops by message, and the hangs among them.
func faults(results []opResult) (byMessage map[string]int, total, hangs int) {
	byMessage = map[string]int{}
	for _, r := range results {
		if r.fault != "" {
			byMessage[r.fault]++
			total++
		}
		if r.hang {
			hangs++
		}
	}
	return byMessage, total, hangs
}

func (b *bench) loadRows(loaded, single []opResult, wall time.Duration) {
	shape := fmt.Sprintf("%d clients x %d mixed ops on 10 overlapping services", b.sz.clients, b.sz.perCli)
	byMessage, nFaults, hangs := faults(loaded)
	_, singleFaults, _ := faults(single)
	b.figure("load", shape+": throughput", "ops/s", []float64{float64(len(loaded)) / wall.Seconds()}, Goal{},
		fmt.Sprintf("%d ops in %.1f s", len(loaded), wall.Seconds()))
	b.figure("load", shape+": errors", "count", []float64{float64(nFaults)}, Goal{Of: "median", Max: 0},
		strings.TrimPrefix(fmt.Sprintf("%s; one client alone: %d error(s) in %d ops", faultSummary(byMessage), singleFaults, len(single)), "; "))
	b.figure("load", shape+": hangs", "count", []float64{float64(hangs)}, Goal{Of: "median", Max: 0},
		fmt.Sprintf("no answer within %s", opTimeout))
	for _, verb := range append([]string{""}, verbs()...) {
		what := "latency, every op"
		if verb != "" {
			what = "latency of heroctl " + verb
		}
		b.loadLatency(shape+": "+what, latencies(loaded, verb), latencies(single, verb))
	}
}

// loadLatency is one latency row: its ratio is the loaded p95 over the single client's median,
// the goal's measure (p95 under load at most twice one client's latency).
func (b *bench) loadLatency(what string, loaded, single []float64) {
	b.record("load", what, "hero", loaded)
	b.record("load", what, "one client", single)
	r := Row{Section: "load", What: what, Unit: "ms", Hero: summarize(loaded), Baseline: "one client",
		Base: summarize(single), Goal: Goal{Of: "ratio", Max: 2}, Note: "ratio: p95 under load / one client's median"}
	r.Ratio = ratio(r.Hero.P95, r.Base.Median)
	b.add(r)
}

func verbs() []string {
	out := make([]string, len(opMix))
	for i, m := range opMix {
		out[i] = m.verb
	}
	return out
}

// faultSummary lists the distinct errors, most frequent first.
func faultSummary(faults map[string]int) string {
	keys := make([]string, 0, len(faults))
	for k := range faults {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if faults[keys[i]] != faults[keys[j]] {
			return faults[keys[i]] > faults[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%dx %s", faults[k], k))
	}
	return strings.Join(parts, "; ")
}

// errorLine is heroctl's error message (its "heroctl: ..." line), else the output's first line:
// progress lines come first on stderr.
func errorLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "heroctl: ") {
			return l
		}
	}
	return firstLines(strings.TrimSpace(s), 1)
}
