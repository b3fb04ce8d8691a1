package daemon

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// A start or stop of thousands of services makes herod decode tens of thousands of systemd's
// signals and build as many objects, most of them garbage a moment later. Go keeps the memory
// that burst took, and returns it to the system only slowly (its scavenger): without help
// herod's RSS stays at the burst's peak (241 MB with 5,000 services) although it uses a third of
// it. So once an operation is over, and every trimEvery, when the memory herod holds is much
// more than its live heap, it is given back.

// trimDelay lets the ends of an operation's runs be recorded before memory is trimmed.
const trimDelay = 2 * time.Second

// trimEvery is how often herod checks, idle or not, whether it holds memory worth giving back
// (after a big read such as GetManagedObjects, say).
const trimEvery = 10 * time.Second

// trimSlack is how much more than twice its live heap herod may hold before it trims.
const trimSlack = 16 << 20

// memoryTrimmer gives memory back after operations and every trimEvery, when it is worth it.
type memoryTrimmer struct {
	busy atomic.Bool // a trim after an operation is due
	mu   sync.Mutex  // one trim at a time

	limitMu sync.Mutex
	limit   int64 // the soft memory limit at rest (0: GOMEMLIMIT's, not herod's)
	running int   // operations under way
}

// watch checks every trimEvery until ctx ends.
func (m *memoryTrimmer) watch(ctx context.Context) {
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.trim()
		}
	}
}

// after is called when an operation ended.
func (m *memoryTrimmer) after() {
	if !m.busy.CompareAndSwap(false, true) {
		return // a trim is due already
	}
	time.AfterFunc(trimDelay, func() {
		defer m.busy.Store(false)
		m.trim()
	})
}

// trim gives memory back when herod holds more than twice its live heap and trimSlack.
func (m *memoryTrimmer) trim() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if held, live := heldAndLive(); held > 2*live+trimSlack {
		debug.FreeOSMemory()
	}
}

// heldAndLive reads the memory the runtime holds from the system (mapped, not released) and
// the heap live after the last collection.
func heldAndLive() (held, live uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return 0, 0 // not known to this runtime: never trim
		}
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64(), s[2].Value.Uint64()
}

// herod's soft memory limit (Go's GOMEMLIMIT) while no operation runs, set from the number of
// services it has unless GOMEMLIMIT is in its environment: Go collects as often as it needs to
// stay under it, and gives memory back to the system as it nears it. Without it, Go lets the
// heap grow to twice what was live after its last collection (GOGC=100): after a start of
// 2,000 services (a live heap of about 34 MB) herod held 124-138 MB. The limit grows with the
// services (their objects, views and ledger rows are most of the live heap once settled: about
// 13 MB at 2,000 and 21 MB at 5,000).
//
// While an operation runs the limit is lifted: a start of 5,000 services holds their units'
// definitions and decodes systemd's signals about them, more than any limit fit for herod at
// rest, and a soft limit below the live heap makes Go collect without pause (up to half the
// CPU: on 2 cores, a start of 5,000 got no answer within 5 minutes beside other work). The limit
// is set again as the last operation ends, and the memory given back (trim).
const (
	memoryBase       = 20 << 20 // the daemon, its libraries and a few services
	memoryPerService = 22 << 10 // each service's share at rest: its objects, views and rows, and room for a read of all of them
)

// memoryLimit is the soft memory limit for a number of services.
func memoryLimit(services int) int64 { return memoryBase + int64(services)*memoryPerService }

// fit sets herod's soft memory limit for a number of services (in force while no operation
// runs), unless GOMEMLIMIT set one; it returns the limit that will be in force at rest.
func (m *memoryTrimmer) fit(services int) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	m.limit = memoryLimit(services)
	if m.running == 0 {
		debug.SetMemoryLimit(m.limit)
	}
	return m.limit
}

// begin is called when an operation begins: the limit is lifted until the last one ends.
func (m *memoryTrimmer) begin() {
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	m.running++
	if m.running == 1 && m.limit != 0 {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// end is called when an operation ended: the last one sets the limit again.
func (m *memoryTrimmer) end() {
	m.limitMu.Lock()
	defer m.limitMu.Unlock()
	m.running--
	if m.running == 0 && m.limit != 0 {
		debug.SetMemoryLimit(m.limit)
	}
}
