//go:build integration

package integration

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/api"
	"github.com/hero-systemd/hero-systemd/tests/testbed"
	"github.com/hero-systemd/hero-systemd/unitgen"
)

// scaleServices is how many services TestThousandsStartAndCascadeStop starts: 2,000 in CI;
// HERO_TEST_SCALE_N=5000 measures more by hand.
func scaleServices(t *testing.T) int {
	n := 2000
	if v := os.Getenv("HERO_TEST_SCALE_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("HERO_TEST_SCALE_N=%q: want a positive count", v)
		}
	}
	return n
}

// TestThousandsStartAndCascadeStop starts thousands of services that all require one root in one
// heroctl call, then stops the root (systemd's cascade stops them all), twice in a row: every
// call answers, every service is up after the start and down after the stop. Signals are lost
// or late under this load; nothing may hang on one.
func TestThousandsStartAndCascadeStop(t *testing.T) {
	n := scaleServices(t)
	files := map[string]string{"sroot.toml": "exec = [\"/bin/sleep\", \"infinity\"]\n"}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%05d", i)
		files[names[i]+".toml"] = "exec = [\"/bin/sleep\", \"infinity\"]\n[dependencies]\nrequires = [\"sroot\"]\n"
	}
	startHerodWith(t, files)
	conn := testbed.Systemd(t)
	countActive := func() int {
		list, err := conn.ListUnitsByPatternsContext(t.Context(), []string{"active"}, []string{unitgen.Prefix + "-default-s*"})
		if err != nil {
			t.Fatalf("listing units: %v", err)
		}
		return len(list)
	}
	callLimit := time.Duration(n) * 30 * time.Millisecond * 10 // ten times a slow machine's pace
	for round := 1; round <= 2; round++ {
		began := time.Now()
		start := heroctlBackground(t, append([]string{"start"}, names...)...)
		if code := start.wait(t, callLimit); code != 0 {
			t.Fatalf("round %d: heroctl start of %d services: exit %d\nstderr (end): %s", round, n, code, tail(start.stderr.String(), 40))
		}
		t.Logf("round %d: heroctl start of %d services answered in %s", round, n, time.Since(began).Round(time.Millisecond))
		if got := countActive(); got != n+1 {
			t.Fatalf("round %d: %d of %d units active after heroctl start answered", round, got, n+1)
		}
		began = time.Now()
		stop := heroctlBackground(t, "stop", "sroot")
		if code := stop.wait(t, callLimit); code != 0 {
			t.Fatalf("round %d: heroctl stop sroot: exit %d\nstderr (end): %s", round, code, tail(stop.stderr.String(), 40))
		}
		t.Logf("round %d: heroctl stop sroot (cascade of %d) answered in %s", round, n, time.Since(began).Round(time.Millisecond))
		if got := countActive(); got != 0 {
			t.Fatalf("round %d: %d units still active after heroctl stop sroot answered", round, got)
		}
	}
}

// TestOperationStatus: herod tells how an operation stands, so heroctl, should it miss the
// operation's signals, learns its end from herod (OperationStatus), and an operation herod does
// not know is "unknown".
func TestOperationStatus(t *testing.T) {
	startHerod(t)
	r := heroctl(t, "start", "--no-block", "db")
	wantExit(t, r, 0, "heroctl start --no-block db")
	m := regexp.MustCompile(`Queued operation (\d+)`).FindStringSubmatch(r.Stderr)
	if m == nil {
		t.Fatalf("heroctl start --no-block said no operation id: %q", r.Stderr)
	}
	status := func(op string) string {
		return testbed.MustRun(t, "busctl", "call", api.BusName, api.Path, api.Interface, api.MethodOperationStatus, "t", op)
	}
	testbed.Eventually(t, 60*time.Second, "operation "+m[1]+" finished", func() bool {
		return strings.HasPrefix(status(m[1]), `sssa{sv} "finished" "" ""`)
	})
	if got := status(m[1]); !strings.Contains(got, `"started"`) {
		t.Errorf("the finished start's summary names no started services: %s", got)
	}
	if got := status("1"); !strings.HasPrefix(got, `sssa{sv} "unknown"`) {
		t.Errorf("OperationStatus of an operation never queued: %s, want unknown", got)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
