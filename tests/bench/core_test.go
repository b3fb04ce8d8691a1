package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseBenchOutput(t *testing.T) {
	out := `goos: linux
BenchmarkStopPlanRoot10k-2    	       3	  25184534 ns/op
BenchmarkStopPlanRoot10k-2    	       3	  24000000 ns/op
BenchmarkPlan/chain/1k-2      	      10	    127811.5 ns/op	  1024 B/op
BenchmarkNoProcs   	       1	  88 ns/op
PASS
ok  	github.com/hero-systemd/hero-systemd/graphs	0.592s
`
	want := map[string][]float64{
		"StopPlanRoot10k": {25184534, 24000000},
		"Plan/chain/1k":   {127811.5},
		"NoProcs":         {88},
	}
	if got := parseBenchOutput(strings.NewReader(out)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSizeOf(t *testing.T) {
	for name, want := range map[string]int{
		"BenchmarkStopPlanRoot10k":   10_000,
		"BenchmarkBuildValidate100k": 100_000,
		"BenchmarkPrune1M":           1_000_000,
		"BenchmarkPlan1k":            1_000,
		"BenchmarkCreate":            0,
	} {
		if got := sizeOf(name); got != want {
			t.Errorf("sizeOf(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestCoreGoals(t *testing.T) {
	rows := coreRows("./graphs", map[string][]float64{
		"StopPlanRoot10k": {3e6}, "StopPlanRoot100k": {2e9}, "StartPlan10k": {1e5}, "StartPlanChain10k": {25e6},
		"BuildValidate10k": {40e6}, "BuildValidateChain100k": {2.5e9}, "Other": {1e9}}, "1x")
	got := map[string]string{}
	for _, r := range rows {
		got[r.What] = r.Met()
	}
	want := map[string]string{"graphs: StopPlanRoot10k": "met", "graphs: StopPlanRoot100k": "missed", "graphs: StartPlan10k": "met",
		"graphs: StartPlanChain10k": "missed", "graphs: BuildValidate10k": "met", "graphs: BuildValidateChain100k": "missed", "graphs: Other": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
