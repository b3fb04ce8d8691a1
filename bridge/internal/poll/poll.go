// Package poll is the bridge's one way of waiting for a condition that nothing announces: look,
// and look again after a pause, until it holds, the caller's context ends, or a deadline
// passes. Every wait is cancellable and bounded.
package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrTimeout says the condition did not hold before the wait's deadline.
var ErrTimeout = errors.New("timed out")

// Until checks cond at once, then after every interval, until cond reports done or an error,
// ctx ends, or timeout has passed since the call. It returns nil once cond is done, cond's
// error as soon as it returns one (the wait ends there), and otherwise ctx's error or
// ErrTimeout (wrapped with the time waited). The last check happens no later than the
// deadline, so a wait of timeout 0 checks once.
func Until(ctx context.Context, timeout, interval time.Duration, cond func() (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	var t *time.Timer
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		done, err := cond()
		switch {
		case err != nil:
			return err
		case done:
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("after %v: %w", timeout, ErrTimeout)
		}
		if t == nil {
			t = time.NewTimer(min(interval, left))
		} else {
			t.Reset(min(interval, left))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Holds is Until for a condition that cannot fail: it reports whether cond held before ctx
// ended or timeout passed.
func Holds(ctx context.Context, timeout, interval time.Duration, cond func() bool) bool {
	return Until(ctx, timeout, interval, func() (bool, error) { return cond(), nil }) == nil
}
