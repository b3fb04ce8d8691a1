package bridge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

func TestSettledBy(t *testing.T) {
	start := jobWait{unit: "hero-a-x.service", job: jobPath(7), succeeded: up}
	stop := jobWait{unit: "hero-a-x.service", job: jobPath(7), succeeded: func(a string) bool { return !hasProcesses(a) }}
	unknownJob := jobWait{unit: "hero-a-x.service", succeeded: up}
	cases := []struct {
		name       string
		wait       jobWait
		state      sddbus.UnitStatus
		wantResult string
		wantGone   bool
	}{
		{"its job is still queued", start, sddbus.UnitStatus{ActiveState: "activating", JobPath: jobPath(7)}, "", false},
		{"start gone, unit up", start, sddbus.UnitStatus{ActiveState: "active", JobPath: "/"}, "done", true},
		{"start gone, unit failed", start, sddbus.UnitStatus{ActiveState: "failed", JobPath: "/"}, "failed", true},
		{"start gone, another job now", start, sddbus.UnitStatus{ActiveState: "deactivating", JobPath: jobPath(9)}, "failed", true},
		{"start gone, unit unloaded", start, notLoaded("hero-a-x.service"), "failed", true},
		{"stop gone, unit down", stop, sddbus.UnitStatus{ActiveState: "inactive", JobPath: "/"}, "done", true},
		{"stop gone, unloaded", stop, notLoaded("hero-a-x.service"), "done", true},
		{"stop gone, still deactivating", stop, sddbus.UnitStatus{ActiveState: "deactivating", JobPath: "/"}, "failed", true},
		{"job unknown, unit has a job", unknownJob, sddbus.UnitStatus{ActiveState: "activating", JobPath: jobPath(3)}, "", false},
		{"job unknown, unit has none", unknownJob, sddbus.UnitStatus{ActiveState: "active", JobPath: "/"}, "done", true},
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
	list := []sddbus.UnitStatus{{Name: "hero-a-x.service", ActiveState: "active"}, {Name: "hero-a-other.service", ActiveState: "active"}}
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

// TestAwaitJobsSignals: results that come as signals are each reported once, duplicates and
// unknown indexes are ignored, and the await ends when every job has one, without asking systemd.
func TestAwaitJobsSignals(t *testing.T) {
	b := &Bridge{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	waits := []jobWait{{unit: "a", job: jobPath(1), succeeded: up}, {unit: "b", job: jobPath(2), succeeded: up}}
	ends := make(chan jobEnd, 4)
	ends <- jobEnd{index: 1, result: "failed"}
	ends <- jobEnd{index: 1, result: "done"}
	ends <- jobEnd{index: 5, result: "done"}
	ends <- jobEnd{index: 0, result: "done"}
	got := map[int]string{}
	err := b.awaitJobs(context.Background(), waits, ends, func(e jobEnd) {
		if _, dup := got[e.index]; dup {
			t.Errorf("job %d reported twice", e.index)
		}
		got[e.index] = e.result
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "done" || got[1] != "failed" || len(got) != 2 {
		t.Fatalf("reported %v, want 0:done 1:failed", got)
	}
}

func TestAwaitJobsContextEnds(t *testing.T) {
	b := &Bridge{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := b.awaitJobs(ctx, []jobWait{{unit: "a", job: jobPath(1), succeeded: up}}, make(chan jobEnd), func(jobEnd) {
		t.Error("nothing may be reported")
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}
