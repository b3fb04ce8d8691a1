package main

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	ten := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	twenty := make([]float64, 20)
	for i := range twenty {
		twenty[i] = float64(20 - i)
	}
	tests := map[string]struct {
		in   []float64
		want Summary
	}{
		"odd count":           {[]float64{3, 1, 2}, Summary{N: 3, Median: 2, Min: 1, Max: 3, P95: math.NaN()}},
		"even count":          {[]float64{4, 1, 3, 2}, Summary{N: 4, Median: 2.5, Min: 1, Max: 4, P95: math.NaN()}},
		"ten: p95 is the max": {ten, Summary{N: 10, Median: 5.5, Min: 1, Max: 10, P95: 10}},
		"twenty: p95 is 19":   {twenty, Summary{N: 20, Median: 10.5, Min: 1, Max: 20, P95: 19}},
	}
	for name, tc := range tests {
		got := summarize(tc.in)
		if !sameSummary(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", name, got, tc.want)
		}
	}
	if empty := summarize(nil); empty.N != 0 || !math.IsNaN(empty.Median) {
		t.Errorf("empty: got %+v, want N 0 and NaN median", empty)
	}
}

func sameSummary(a, b Summary) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return a.N == b.N && eq(a.Median, b.Median) && eq(a.Min, b.Min) && eq(a.Max, b.Max) && eq(a.P95, b.P95)
}
