package systemd

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Signals reach every channel in the order they came, however far behind its reader is, and the
// channels close when the connection ends.
func TestSignalHandlerKeepsOrderForASlowReader(t *testing.T) {
	h := NewSignalHandler().(*signalHandler)
	fast, slow := make(chan *dbus.Signal, 16), make(chan *dbus.Signal) // slow: no buffer, read late
	h.AddSignal(fast)
	h.AddSignal(slow)
	const n = 50_000
	go func() {
		for i := range n {
			h.DeliverSignal("", "", &dbus.Signal{Sequence: dbus.Sequence(i)})
		}
	}()
	for i := range n {
		if s := <-fast; s.Sequence != dbus.Sequence(i) {
			t.Fatalf("fast reader: signal %d came as number %d", s.Sequence, i)
		}
	}
	for i := range n {
		select {
		case s := <-slow:
			if s.Sequence != dbus.Sequence(i) {
				t.Fatalf("slow reader: signal %d came as number %d", s.Sequence, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("slow reader: signal %d never came", i)
		}
	}
	h.Terminate()
	if _, open := <-fast; open {
		t.Error("the fast channel is still open after Terminate")
	}
	if _, open := <-slow; open {
		t.Error("the slow channel is still open after Terminate")
	}
}

func TestSignalHandlerRemoveStopsDelivery(t *testing.T) {
	h := NewSignalHandler().(*signalHandler)
	ch := make(chan *dbus.Signal, 4)
	h.AddSignal(ch)
	h.RemoveSignal(ch)
	h.DeliverSignal("", "", &dbus.Signal{})
	select {
	case s := <-ch:
		t.Fatalf("a removed channel got %v", s)
	case <-time.After(50 * time.Millisecond):
	}
	h.Terminate()
}
