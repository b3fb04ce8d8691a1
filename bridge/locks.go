package bridge

import (
	"context"
	"sync"
)

// locks holds the services operations are working on. An operation takes all the services of
// its plan at once, or waits until none of them is held: it never holds some while waiting for
// others, so operations cannot deadlock, and operations on disjoint services run concurrently.
type locks struct {
	mu      sync.Mutex
	held    map[string]bool
	changed chan struct{} // closed (and replaced) whenever a set is released
}

func newLocks() *locks {
	return &locks{held: map[string]bool{}, changed: make(chan struct{})}
}

// acquire takes every service in names (duplicates are fine), waiting while any is held, and
// returns the function that releases them.
func (l *locks) acquire(ctx context.Context, names []string) (func(), error) {
	for {
		l.mu.Lock()
		free := true
		for _, n := range names {
			if l.held[n] {
				free = false
				break
			}
		}
		if free {
			for _, n := range names {
				l.held[n] = true
			}
			l.mu.Unlock()
			var once sync.Once
			return func() { once.Do(func() { l.release(names) }) }, nil
		}
		wait := l.changed
		l.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (l *locks) release(names []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		delete(l.held, n)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// busy reports whether any of names is held by an operation.
func (l *locks) busy(names ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		if l.held[n] {
			return true
		}
	}
	return false
}
