package bridge

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/internal/systemd"
)

// A start queues at most its window of jobs: the next waits until one ends (release), and
// never longer than its context.
func TestStartQueueWindow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	q := &startQueue{ctx: ctx, slots: make(chan struct{}, 2), pipe: new(systemd.Pipeline), s: &starter{log: slog.New(slog.DiscardHandler)}}
	q.acquire()
	q.acquire()
	freed := make(chan time.Time, 1)
	go func() {
		<-time.After(50 * time.Millisecond)
		freed <- time.Now()
		q.release()
	}()
	q.acquire() // waits for the release
	queued := time.Now()
	if at := <-freed; queued.Before(at) {
		t.Error("the third job was queued before one of two ended")
	}
	if len(q.slots) != 2 {
		t.Errorf("%d slots taken, want 2", len(q.slots))
	}
	cancel()
	done := make(chan struct{})
	go func() { q.acquire(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("acquire waited past its context's end")
	}
	q.release()
	q.release()
	q.release() // more releases than slots taken never block
}
