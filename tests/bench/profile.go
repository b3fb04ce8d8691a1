package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiler fetches herod's Go profiles while the benchmark runs (run.sh --profile: a herod
// built with -tags pprof serves them on pprofSocket, see cmd/herod/pprof.go) into DIR/profiles.
// A nil profiler fetches nothing: every method is a no-op on it.
type profiler struct {
	dir    string
	client *http.Client
}

// pprofSocket is where the benchmark's herod serves its profiles (root's, 0600).
const pprofSocket = "/run/herod-pprof.sock"

func newProfiler(out string) (*profiler, error) {
	dir := filepath.Join(out, "profiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", pprofSocket)
	}
	return &profiler{dir: dir, client: &http.Client{Transport: &http.Transport{DialContext: dial}}}, nil
}

// cpu begins a CPU profile of seconds and returns a function that waits for it and writes it to
// name.pprof.
func (p *profiler) cpu(ctx context.Context, name string, seconds int) func() error {
	if p == nil {
		return func() error { return nil }
	}
	done := make(chan error, 1)
	go func() { done <- p.fetch(ctx, fmt.Sprintf("profile?seconds=%d", seconds), name+".pprof") }()
	time.Sleep(50 * time.Millisecond) // the profile has begun when the work does
	return func() error { return <-done }
}

// heap writes the heap profile (live and allocated since herod started) to name.pprof.
func (p *profiler) heap(ctx context.Context, name string) error {
	if p == nil {
		return nil
	}
	return p.fetch(ctx, "heap?gc=1", name+".pprof")
}

// during runs work again and again for seconds under a CPU profile written to name.pprof (once,
// without a profile, when p is nil).
func (p *profiler) during(ctx context.Context, name string, seconds int, work func() error) error {
	if p == nil {
		return work()
	}
	wait := p.cpu(ctx, name, seconds)
	end := time.Now().Add(time.Duration(seconds) * time.Second)
	for time.Now().Before(end) {
		if err := work(); err != nil {
			wait()
			return err
		}
	}
	return wait()
}

func (p *profiler) fetch(ctx context.Context, what, file string) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://herod/debug/pprof/"+what, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("herod's profile %s: %w (is herod built with -tags pprof?)", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("herod's profile %s: %s", what, resp.Status)
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err != nil {
		return fmt.Errorf("herod's profile %s: %w", what, err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("herod's profile %s: %w", what, err)
	}
	return f.Close()
}
