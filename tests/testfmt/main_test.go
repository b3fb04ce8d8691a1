package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrinter(t *testing.T) {
	stream := []event{
		{Action: "start", Package: "m/p"},
		{Action: "output", Package: "m/p", Output: "testbed: container up\n"},
		{Action: "run", Package: "m/p", Test: "TestA"},
		{Action: "output", Package: "m/p", Test: "TestA", Output: "=== RUN   TestA\n"},
		{Action: "output", Package: "m/p", Test: "TestA", Output: "--- PASS: TestA (0.10s)\n"},
		{Action: "pass", Package: "m/p", Test: "TestA", Elapsed: 0.1},
		{Action: "run", Package: "m/p", Test: "TestB"},
		{Action: "output", Package: "m/p", Test: "TestB/sub", Output: "    b_test.go:9: got 1, want 2\n"},
		{Action: "fail", Package: "m/p", Test: "TestB/sub"},
		{Action: "fail", Package: "m/p", Test: "TestB", Elapsed: 0.2},
		{Action: "output", Package: "m/p", Test: "TestC", Output: "    c_test.go:3: zsh is not installed\n"},
		{Action: "skip", Package: "m/p", Test: "TestC"},
		{Action: "output", Package: "m/p", Output: "FAIL\n"},
		{Action: "fail", Package: "m/p", Elapsed: 1.5},
		{Action: "output", Package: "m/q", Output: "# q\nq.go:1: syntax error\n"},
		{Action: "fail", Package: "m/q"},
	}
	var out strings.Builder
	p := newPrinter(&out, "m")
	for _, e := range stream {
		p.event(e)
	}
	want := `testbed: container up
--- PASS p.TestA (0.10s)
--- FAIL p.TestB (0.20s)
        b_test.go:9: got 1, want 2
--- SKIP p.TestC: c_test.go:3: zsh is not installed
FAIL m/p (1.5s)
# q
q.go:1: syntax error
FAIL m/q (0.0s)
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := p.tally; got != (Tally{Passed: 1, Failed: 2, Skipped: 1}) {
		t.Errorf("tally %v", got)
	}
	wantRecap := `--- FAIL p.TestB (0.20s)
        b_test.go:9: got 1, want 2
FAIL m/q outside any test; its last lines:
    # q
    q.go:1: syntax error
`
	if got := p.recap.String(); got != wantRecap {
		t.Errorf("recap:\n%s\nwant:\n%s", got, wantRecap)
	}
}

// TestRecapKeepsTheEnd: a long failure keeps its last lines, and says how many went before.
func TestRecapKeepsTheEnd(t *testing.T) {
	var lines []string
	for i := 1; i <= recapLines+5; i++ {
		lines = append(lines, fmt.Sprintf("line %d\n", i))
	}
	p := newPrinter(io.Discard, "m")
	p.addRecap("--- FAIL p.TestLong (1.00s)", lines)
	got := strings.Split(p.recap.String(), "\n")
	if got[1] != "    [5 earlier lines above in the log]" || got[2] != "    line 6" ||
		got[len(got)-2] != fmt.Sprintf("    line %d", recapLines+5) {
		t.Errorf("recap starts %q, %q and ends %q", got[1], got[2], got[len(got)-2])
	}
}

func TestTallyAccumulates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tally")
	if err := addTally(path, Tally{3, 1, 0}); err != nil {
		t.Fatal(err)
	}
	if err := addTally(path, Tally{2, 0, 4}); err != nil {
		t.Fatal(err)
	}
	if got, err := readTally(path); err != nil || got != (Tally{5, 1, 4}) {
		t.Errorf("tally %v, %v", got, err)
	}
}
