package main

import (
	"math"
	"sort"
	"time"
)

// Summary is the spread of a set of samples, in the unit of the row that holds it.
type Summary struct {
	N      int     // how many samples
	Median float64 // the middle sample (the mean of the two middle ones for an even count)
	Min    float64
	Max    float64
	P95    float64 // the 95th percentile (nearest rank); NaN below 10 samples, where it means nothing
}

// summarize returns the spread of values; an empty set gives N = 0 and NaNs.
func summarize(values []float64) Summary {
	if len(values) == 0 {
		return Summary{Median: math.NaN(), Min: math.NaN(), Max: math.NaN(), P95: math.NaN()}
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	n := len(v)
	s := Summary{N: n, Min: v[0], Max: v[n-1], P95: math.NaN()}
	if n%2 == 1 {
		s.Median = v[n/2]
	} else {
		s.Median = (v[n/2-1] + v[n/2]) / 2
	}
	if n >= 10 {
		s.P95 = v[int(math.Ceil(0.95*float64(n)))-1]
	}
	return s
}

// millis converts durations to milliseconds, the unit of every latency row.
func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// ratio is a/b, or NaN when either is missing.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}
