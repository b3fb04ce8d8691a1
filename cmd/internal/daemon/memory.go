package daemon

import (
	"context"
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
