package systemd

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hero-systemd/hero-systemd/bridge/state"
)

func TestSettledBy(t *testing.T) {
	start := Wait{Unit: "hero-a-x.service", Job: JobPath(7), Succeeded: state.Up}
	stop := Wait{Unit: "hero-a-x.service", Job: JobPath(7), Succeeded: func(a string) bool { return !state.HasProcesses(a) }}
	unknownJob := Wait{Unit: "hero-a-x.service", Succeeded: state.Up}
	cases := []struct {
		name       string
		wait       Wait
		state      UnitStatus
		wantResult string
		wantGone   bool
	}{
		{"its job is still queued", start, UnitStatus{ActiveState: "activating", JobPath: JobPath(7)}, "", false},
		{"start gone, unit up", start, UnitStatus{ActiveState: "active", JobPath: "/"}, "done", true},
		{"start gone, unit failed", start, UnitStatus{ActiveState: "failed", JobPath: "/"}, "failed", true},
		{"start gone, another job now", start, UnitStatus{ActiveState: "deactivating", JobPath: JobPath(9)}, "failed", true},
		{"start gone, unit unloaded", start, NotLoaded("hero-a-x.service"), "failed", true},
		{"stop gone, unit down", stop, UnitStatus{ActiveState: "inactive", JobPath: "/"}, "done", true},
		{"stop gone, unloaded", stop, NotLoaded("hero-a-x.service"), "done", true},
		{"stop gone, still deactivating", stop, UnitStatus{ActiveState: "deactivating", JobPath: "/"}, "failed", true},
		{"job unknown, unit has a job", unknownJob, UnitStatus{ActiveState: "activating", JobPath: JobPath(3)}, "", false},
		{"job unknown, unit has none", unknownJob, UnitStatus{ActiveState: "active", JobPath: "/"}, "done", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, gone := settledBy(c.wait, c.state)
			if r != c.wantResult || gone != c.wantGone {
				t.Fatalf("settledBy = %q, %v; want %q, %v", r, gone, c.wantResult, c.wantGone)
			}
		})
	}
}

func TestPick(t *testing.T) {
	list := []UnitStatus{{Name: "hero-a-x.service", ActiveState: "active"}, {Name: "hero-a-other.service", ActiveState: "active"}}
	got := pick(list, []string{"hero-a-x.service", "hero-a-y.service"})
	if len(got) != 2 {
		t.Fatalf("pick returned %d units, want 2 (only those asked for): %v", len(got), got)
	}
	if got["hero-a-x.service"].ActiveState != "active" {
		t.Errorf("x: got %q, want active", got["hero-a-x.service"].ActiveState)
	}
	if y := got["hero-a-y.service"]; y.LoadState != "not-found" || y.ActiveState != "inactive" {
		t.Errorf("y (not listed): got %s/%s, want not-found/inactive", y.LoadState, y.ActiveState)
	}
}

// Results that come as signals are each reported once, duplicates and unknown indexes are
// ignored, and the await ends when every job has one, without asking systemd.
func TestAwaitSignals(t *testing.T) {
	c := &Client{log: slog.New(slog.DiscardHandler)}
	waits := []Wait{{Unit: "a", Job: JobPath(1), Succeeded: state.Up}, {Unit: "b", Job: JobPath(2), Succeeded: state.Up}}
	ends := make(chan End, 4)
	ends <- End{Index: 1, Result: "failed"}
	ends <- End{Index: 1, Result: "done"}
	ends <- End{Index: 5, Result: "done"}
	ends <- End{Index: 0, Result: "done"}
	got := map[int]string{}
	err := c.Await(context.Background(), waits, ends, func(e End) {
		if _, dup := got[e.Index]; dup {
			t.Errorf("job %d reported twice", e.Index)
		}
		got[e.Index] = e.Result
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "done" || got[1] != "failed" || len(got) != 2 {
		t.Fatalf("reported %v, want 0:done 1:failed", got)
	}
}

func TestAwaitContextEnds(t *testing.T) {
	c := &Client{log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Await(ctx, []Wait{{Unit: "a", Job: JobPath(1), Succeeded: state.Up}}, make(chan End), func(End) {
		t.Error("nothing may be reported")
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}
