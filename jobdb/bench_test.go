package jobdb

import (
	"context"
	"testing"
)

// fill inserts n inactive jobs of service in one transaction, with a recursive CTE.
func fill(b *testing.B, db *DB, service string, n int) {
	b.Helper()
	err := db.gorm.Exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO jobs (service_id, context, unit, invocation_id, phase, started_at, output)
		SELECT ?, 'default', 'u', lower(hex(randomblob(16))), 'failed', datetime('now'), randomblob(256) FROM seq`, n, service).Error
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPrune1M: 1M jobs in the ledger, 10k of them the service's; prune them (start's cost),
// remembering their 10k invocations (see forget).
func BenchmarkPrune1M(b *testing.B) {
	db, _ := open(b)
	for i := 0; i < 99; i++ {
		fill(b, db, "other"+string(rune('a'+i%26))+string(rune('a'+i/26)), 10_000)
	}
	create(b, db, "target", PhaseRunning) // must survive
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill(b, db, "target", 10_000)
		b.StartTimer()
		n, err := db.PruneInactive(context.Background(), "target")
		if err != nil || n != 10_000 {
			b.Fatalf("pruned %d, %v", n, err)
		}
	}
}

// BenchmarkCreate: one job inserted per transaction.
func BenchmarkCreate(b *testing.B) {
	db, _ := open(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		create(b, db, "web", PhaseRunning)
	}
}

// BenchmarkPrune100Of1M: what a start costs with the default retention (at most DefaultKeep
// ended jobs per service): prune 100 among 1M jobs.
func BenchmarkPrune100Of1M(b *testing.B) {
	db, _ := open(b)
	for i := 0; i < 100; i++ {
		fill(b, db, "other"+string(rune('a'+i%26))+string(rune('a'+i/26)), 10_000)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill(b, db, "target", DefaultKeep)
		b.StartTimer()
		n, err := db.PruneInactive(context.Background(), "target")
		if err != nil || n != DefaultKeep {
			b.Fatalf("pruned %d, %v", n, err)
		}
	}
}
