package daemon

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var sink [][]byte

// After a burst that is garbage once it is over, an operation's end gives the memory back: the
// runtime then holds little more than the live heap. A second end meanwhile adds no trim.
func TestMemoryIsGivenBackAfterABurst(t *testing.T) {
	for range 64 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	runtime.GC()
	held, live := heldAndLive()
	if held <= 2*live+trimSlack {
		t.Skipf("the runtime gave the burst back by itself (held %d MB, live %d MB)", held>>20, live>>20)
	}
	var m memoryTrimmer
	m.after()
	if !m.busy.Load() {
		t.Fatal("no trim due after an operation's end")
	}
	m.after() // folded into the one due
	deadline := time.Now().Add(trimDelay + 10*time.Second)
	for m.busy.Load() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	after, live := heldAndLive()
	if after > 2*live+trimSlack {
		t.Errorf("held %d MB after the trim (before: %d MB; live %d MB)", after>>20, held>>20, live>>20)
	}
}

// herod's soft memory limit grows with its services, and GOMEMLIMIT in its environment wins.
func TestMemoryLimitFitsTheServices(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	var m memoryTrimmer
	t.Setenv("GOMEMLIMIT", "")
	for _, tt := range []struct {
		services int
		want     int64
	}{{0, 20 << 20}, {2000, 20<<20 + 2000*22<<10}, {5000, 20<<20 + 5000*22<<10}} {
		if got := m.fit(tt.services); got != tt.want || debug.SetMemoryLimit(-1) != tt.want {
			t.Errorf("%d services: limit %d (in force %d), want %d", tt.services, got, debug.SetMemoryLimit(-1), tt.want)
		}
	}
	if m.fit(5000) <= m.fit(2000) {
		t.Error("the limit does not grow with the services")
	}
	debug.SetMemoryLimit(100 << 20)
	t.Setenv("GOMEMLIMIT", "100MiB")
	if got := m.fit(2000); got != 100<<20 || debug.SetMemoryLimit(-1) != 100<<20 {
		t.Errorf("with GOMEMLIMIT=100MiB, fit set %d", debug.SetMemoryLimit(-1))
	}
}

// While an operation runs herod's limit is lifted (a start of thousands needs more than herod
// at rest); the last operation's end sets it again. GOMEMLIMIT's limit is never touched.
func TestMemoryLimitIsLiftedDuringOperations(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	var m memoryTrimmer
	rest := m.fit(2000)
	m.begin()
	m.begin()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit during two operations %d, want none", got)
	}
	m.end()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit while one operation still runs %d, want none", got)
	}
	if m.fit(5000); debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Error("a reload during an operation set the limit")
	}
	m.end()
	if got := debug.SetMemoryLimit(-1); got != memoryLimit(5000) || got == rest {
		t.Errorf("limit after the last operation %d, want %d (for 5,000 services)", got, memoryLimit(5000))
	}

	t.Setenv("GOMEMLIMIT", "100MiB")
	debug.SetMemoryLimit(100 << 20)
	var g memoryTrimmer
	g.fit(2000)
	g.begin()
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("with GOMEMLIMIT=100MiB, an operation set the limit to %d", got)
	}
	g.end()
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("with GOMEMLIMIT=100MiB, an operation's end set the limit to %d", got)
	}
}
