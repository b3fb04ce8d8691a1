package systemd

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/hero-systemd/hero-systemd/bridge/internal/poll"
)

func jobRemovedSignal(path dbus.ObjectPath, result string) *dbus.Signal {
	return &dbus.Signal{Name: jobRemoved, Body: []any{uint32(1), path, "u.service", result}}
}

// A job's result reaches whoever waits for it, also when the job ended (inside a window) before
// its path was known; results nobody waits for are not kept outside a window.
func TestJobWatch(t *testing.T) {
	w, err := watchJobs(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer close(w.in)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// result claims a job's result on a channel, as a start's await does.
	result := func(job dbus.ObjectPath) chan string {
		ch := make(chan string, 1)
		w.claim(job, func(r string) { ch <- r })
		return ch
	}
	waitJob := func(ctx context.Context, ch chan string) (string, error) {
		select {
		case r := <-ch:
			return r, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	ch := result("/job/1")
	w.in <- &dbus.Signal{Name: "other"}
	w.in <- jobRemovedSignal("/job/1", "done")
	if r, err := waitJob(ctx, ch); err != nil || r != "done" {
		t.Errorf("awaited job: %q %v", r, err)
	}

	closeWindow := w.open()
	w.in <- jobRemovedSignal("/job/2", "failed")
	var got string
	if !poll.Holds(ctx, 5*time.Second, 10*time.Millisecond, func() bool {
		select {
		case got = <-result("/job/2"):
			return true
		default:
			w.release([]dbus.ObjectPath{"/job/2"})
			return false
		}
	}) {
		t.Fatal("the early result was not kept")
	}
	if got != "failed" {
		t.Errorf("early result %q", got)
	}
	closeWindow()
	ch4 := result("/job/4")
	w.in <- jobRemovedSignal("/job/3", "done") // nobody waits, no window: dropped
	w.in <- jobRemovedSignal("/job/4", "done")
	if r, err := waitJob(ctx, ch4); err != nil || r != "done" {
		t.Fatalf("job 4: %q %v", r, err)
	}
	w.mu.Lock()
	n := len(w.ended)
	w.mu.Unlock()
	if n != 0 {
		t.Errorf("%d results kept outside a window", n)
	}
}
