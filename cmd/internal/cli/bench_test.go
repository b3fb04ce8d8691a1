package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hero-systemd/hero-systemd/bridge/configdir"
	"github.com/hero-systemd/hero-systemd/graphs"
	"github.com/hero-systemd/hero-systemd/unitgen/config"
)

// writeConfigDir writes n hero TOML services into dir: "root", required by every other service;
// each svcNNNNNN is also ordered after the one before it and has an environment, a restart
// policy and limits, so every part of the decoder is used.
func writeConfigDir(tb testing.TB, dir string, n int) {
	tb.Helper()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("root", "description = \"the root every service requires\"\nexec = [\"/usr/bin/sleep\", \"infinity\"]\n")
	for i := 1; i < n; i++ {
		after := ""
		if i > 1 {
			after = fmt.Sprintf("after = [\"svc%06d\"]\n", i-1)
		}
		write(fmt.Sprintf("svc%06d", i), fmt.Sprintf(`description = "generated service %d"
exec = ["/usr/bin/sleep", "infinity"]
env = { PORT = "%d", MODE = "production" }
restart = "on-failure"
restart_delay = "2s"

[dependencies]
requires = ["root"]
%s
[limits]
memory = "256M"
tasks = 64
`, i, 8000+i%1000, after))
	}
}

// BenchmarkStopDryRun10kFiles splits `heroctl stop --dry-run root --config-dir DIR` over 10k TOML
// files into its steps, each a sub-benchmark: read (every file read, as configdir does), decode
// (config.Build on the bytes: TOML decoding, validation and the graph), graph (graphs.Build
// alone), plan (the stop plan alone), load (configdir.Load: read + decode) and heroctl (the whole
// command in process, output discarded). Profile one step with -cpuprofile. With
// HERO_BENCH_CONFIG_DIR=DIR the files are written to DIR and left there, to time the binary:
// heroctl stop --dry-run root --config-dir DIR.
func BenchmarkStopDryRun10kFiles(b *testing.B) {
	const n = 10_000
	dir := os.Getenv("HERO_BENCH_CONFIG_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	writeConfigDir(b, dir, n)
	files := readDir(b, dir)
	set, probs := config.Build(files)
	if len(probs) > 0 || len(set.Services) != n {
		b.Fatalf("%d services, problems %v", len(set.Services), probs)
	}
	nodes := make([]graphs.Node, len(set.Services))
	for i, s := range set.Services {
		nodes[i] = graphs.Node{Name: s.Name, Requires: s.Requires, After: s.After, Conflicts: s.Conflicts}
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"read", func() error { readDir(b, dir); return nil }},
		{"decode", func() error { config.Build(files); return nil }},
		{"graph", func() error { graphs.Build(nodes); return nil }},
		{"plan", func() error { _, err := set.Graph.Stop("root"); return err }},
		{"load", func() error { _, _, err := configdir.Load(dir); return err }},
		{"heroctl", func() error {
			Stdout, Stderr = io.Discard, io.Discard
			defer func() { Stdout, Stderr = os.Stdout, os.Stderr }()
			if code := Run(context.Background(), []string{"stop", "--dry-run", "root", "--config-dir", dir}); code != 0 {
				return fmt.Errorf("heroctl exit %d", code)
			}
			return nil
		}},
	}
	for _, step := range steps {
		b.Run(step.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := step.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readDir reads every file of dir into memory, the part of configdir.Load that touches the disk.
func readDir(tb testing.TB, dir string) []config.File {
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	files := make([]config.File, 0, len(entries))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, config.File{Name: e.Name(), Data: data})
	}
	return files
}
