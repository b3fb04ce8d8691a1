package bridge

import (
	"context"
	"testing"
	"time"
)

// Operations on overlapping services wait for each other; disjoint ones do not; a wait ends
// with its context.
func TestLocks(t *testing.T) {
	l := newLocks()
	ctx := context.Background()
	release, err := l.acquire(ctx, []string{"a", "b"})
	if err != nil || !l.busy("b") || l.busy("c") {
		t.Fatalf("acquire: %v busy b %v c %v", err, l.busy("b"), l.busy("c"))
	}
	other, err := l.acquire(ctx, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	other()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(short, []string{"b"}); err == nil {
		t.Fatal("b taken twice")
	}
	got := make(chan error, 1)
	go func() {
		r, err := l.acquire(ctx, []string{"b", "b"})
		if err == nil {
			r()
		}
		got <- err
	}()
	release()
	release() // a second release does nothing
	select {
	case err := <-got:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting operation never got b")
	}
}
