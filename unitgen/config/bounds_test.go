package config

import (
	"runtime/metrics"
	"strings"
	"testing"
)

// hostileFiles are files of at most MaxFileSize bytes built to make a parser slow or large.
func hostileFiles() map[string]string {
	fill := func(head, unit, tail string) string {
		n := (MaxFileSize - len(head) - len(tail)) / len(unit)
		return head + strings.Repeat(unit, n) + tail
	}
	nested := func(open, close string) string {
		n := (MaxFileSize - 8) / (len(open) + len(close))
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	return map[string]string{
		"nested-inline-tables.toml": "a = " + nested("{a=", "}")[:MaxFileSize-8],
		"nested-arrays.toml":        "a = " + nested("[", "]")[:MaxFileSize-8],
		"unclosed-arrays.toml":      fill("a = ", "[", ""),
		"many-keys.toml":            fill("", "k = 1\n", ""),
		"many-distinct-keys.toml":   manyKeys(),
		"long-dotted-key.toml":      fill("a", ".a", " = 1\n"),
		"long-array.toml":           fill("exec = [", "\"x\",", "]\n"),
		"many-action-tables.toml":   fill("", "[[actions]]\n", ""),
		"escapes.toml":              fill("script = \"", `\u00e9`, "\"\n"),
		"dates.toml":                manyDates(),
		"nested-flow.yaml":          fill("a: ", "[", ""),
		"nested-flow-closed.yaml":   "a: " + nested("[", "]")[:MaxFileSize-8],
		"nested-blocks.yaml":        nestedBlocks(),
		"many-keys.yaml":            fill("", "k: 1\n", ""),
		"anchors.yaml":              fill("a: &x 1\n", "b: *x\n", ""),
		"long-scalar.yaml":          fill("exec: ", "x", "\n"),
		"late-error.yaml":           fill("env:\n", "  A: \"1\"\n", " B: 2\n"),
		"late-error-bisected.yaml":  "env:\n" + strings.Repeat("  A: \"1\"\n", (maxBisectedYAML-16)/9) + " B: 2\n",
	}
}

func manyKeys() string {
	var b strings.Builder
	for i := 0; b.Len() < MaxFileSize-16; i++ {
		b.WriteString("k")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(itoa(i))
		b.WriteString(" = 1\n")
	}
	return b.String()
}

// manyDates is tables of arrays of dates, which are checked one by one.
func manyDates() string {
	var b strings.Builder
	for i := 0; b.Len() < MaxFileSize-8192; i++ {
		b.WriteString("[t" + itoa(i) + "]\nd = [")
		for j := 0; j < 1000 && b.Len() < MaxFileSize-64; j++ {
			b.WriteString("1979-05-27T07:32:00Z,")
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func nestedBlocks() string {
	var b strings.Builder
	for i := 0; b.Len()+i+4 < MaxFileSize; i++ {
		b.WriteString(strings.Repeat(" ", i))
		b.WriteString("a:\n")
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// maxParseAlloc is the most a file of at most MaxFileSize bytes may allocate to be read.
const maxParseAlloc = 50 << 20

// allocated returns how many bytes f allocates on the heap (runtime/metrics reads the counter
// without stopping the world, as runtime.ReadMemStats would).
func allocated(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	f()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}

// Every hostile file is accepted or refused, allocating less than maxParseAlloc. (Their times
// are measured by BenchmarkHostileFiles; docs/configs.md lists the worst.)
func TestHostileFilesAreBounded(t *testing.T) {
	for name, data := range hostileFiles() {
		if len(data) > MaxFileSize {
			t.Fatalf("%s: %d bytes, more than a file may have", name, len(data))
		}
		var probs Problems
		n := allocated(func() { _, probs = Parse(name, []byte(data)) })
		if n > maxParseAlloc {
			t.Errorf("%s: allocated %d MB", name, n>>20)
		}
		if len(probs) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}
}

func BenchmarkHostileFiles(b *testing.B) {
	for name, data := range hostileFiles() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Parse(name, []byte(data))
			}
		})
	}
}

// FuzzParseBounded: whatever the bytes, reading one file allocates less than maxParseAlloc.
func FuzzParseBounded(f *testing.F) {
	for name, data := range hostileFiles() {
		f.Add(strings.HasSuffix(name, ".yaml"), []byte(data[:min(len(data), 4096)]))
	}
	f.Fuzz(func(t *testing.T, isYAML bool, data []byte) {
		name := "f.toml"
		if isYAML {
			name = "f.yaml"
		}
		if n := allocated(func() { Parse(name, data) }); n > maxParseAlloc {
			t.Fatalf("%s of %d bytes allocated %d MB", name, len(data), n>>20)
		}
	})
}

var sink []byte

// The allocation bound above is only as good as its measure.
func TestAllocatedMeasures(t *testing.T) {
	if n := allocated(func() { sink = make([]byte, 10<<20) }); n < 10<<20 || n > 11<<20 {
		t.Errorf("allocating 10 MB measured as %d bytes", n)
	}
}
