package daemon

import (
	"runtime"
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
