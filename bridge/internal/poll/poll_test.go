package poll

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		timeout time.Duration
		holdsAt int   // the check at which cond is done (0: never)
		failAt  int   // the check at which cond fails (0: never)
		cancel  bool  // ctx is cancelled before the wait
		want    error // nil, boom, ErrTimeout or context.Canceled
		checks  int   // how many checks, at least
	}{
		{name: "holds at once", timeout: time.Second, holdsAt: 1, checks: 1},
		{name: "holds after a few looks", timeout: 5 * time.Second, holdsAt: 4, checks: 4},
		{name: "fails: the wait ends there", timeout: 5 * time.Second, failAt: 2, want: boom, checks: 2},
		{name: "never holds", timeout: 50 * time.Millisecond, want: ErrTimeout, checks: 2},
		{name: "no time: one look", timeout: 0, want: ErrTimeout, checks: 1},
		{name: "ctx ended", timeout: 5 * time.Second, cancel: true, want: context.Canceled, checks: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancel {
				cancel()
			}
			n := 0
			began := time.Now()
			err := Until(ctx, c.timeout, 5*time.Millisecond, func() (bool, error) {
				n++
				if n == c.failAt {
					return false, boom
				}
				return n == c.holdsAt, nil
			})
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("Until = %v, want %v", err, c.want)
			}
			if n < c.checks || c.want == nil && n != c.holdsAt {
				t.Errorf("%d checks, want %d", n, c.checks)
			}
			if took := time.Since(began); took > c.timeout+time.Second {
				t.Errorf("took %v, past its deadline %v", took, c.timeout)
			}
		})
	}
}

func TestHolds(t *testing.T) {
	if !Holds(context.Background(), time.Second, time.Millisecond, func() bool { return true }) {
		t.Error("Holds of a true condition = false")
	}
	if Holds(context.Background(), 10*time.Millisecond, time.Millisecond, func() bool { return false }) {
		t.Error("Holds of a false condition = true")
	}
}
