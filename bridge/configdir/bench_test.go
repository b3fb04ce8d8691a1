package configdir

import (
	"os/exec"
	"testing"
)

// BenchmarkLoad10k reads a directory of 10,000 service files written by
// tests/tools/gen-configdir.sh (docs/benchmarks.md's figure is for `heroctl stop --dry-run` on it).
func BenchmarkLoad10k(b *testing.B) {
	dir := b.TempDir()
	if out, err := exec.Command("bash", "../../tests/tools/gen-configdir.sh", "10000", dir).CombinedOutput(); err != nil {
		b.Fatalf("gen-configdir.sh: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, probs, err := Load(dir); err != nil || len(probs) > 0 {
			b.Fatal(err, probs)
		}
	}
}
