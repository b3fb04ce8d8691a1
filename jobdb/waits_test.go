package jobdb

import (
	"context"
	"testing"
	"time"
)

// A wait is kept across a reopen (herod killed and started again), keeps its first cause, and
// is gone once cleared; clearing services that do not wait is no error.
func TestWaitsSurviveReopenAndClear(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, w := range []Wait{{Service: "app", Requirement: "db", Since: since}, {Service: "web", Requirement: "db"},
		{Service: "app", Requirement: "cache", Since: since.Add(time.Hour)}} {
		if err := db.SetWait(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err := Open(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waits, err := db.Waits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[0].Service != "app" || waits[0].Requirement != "db" || !waits[0].Since.Equal(since) ||
		waits[1].Service != "web" || waits[1].Since.IsZero() {
		t.Fatalf("waits after reopen: %+v", waits)
	}
	n, err := db.ClearWaits(ctx, "app", "nothing")
	if err != nil || n != 1 {
		t.Fatalf("ClearWaits = %d, %v; want 1", n, err)
	}
	if n, err := db.ClearWaits(ctx); n != 0 || err != nil {
		t.Fatalf("ClearWaits() = %d, %v", n, err)
	}
	waits, _ = db.Waits(ctx)
	if len(waits) != 1 || waits[0].Service != "web" {
		t.Fatalf("waits after clear: %+v", waits)
	}
}
