//go:build fleet

package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// play is one ansible-playbook run, as its json stdout callback reports it.
type play struct {
	exit    int
	output  string // stdout and stderr, for failure messages
	elapsed time.Duration
	Plays   []struct {
		Tasks []struct {
			Task  struct{ Name string }
			Hosts map[string]result
		}
	}
	Stats map[string]map[string]int
}

// result is one task's result on one host.
type result map[string]any

// playbook runs ansible-playbook on the fleet's inventory and decodes its report.
func playbook(t *testing.T, path string, args ...string) play {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ansible-playbook", append([]string{"-i", env.inventory, path}, args...)...)
	cmd.Env = env.ansible
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	err := cmd.Run()
	p := play{elapsed: time.Since(started), output: stdout.String() + stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		p.exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("ansible-playbook %s: %v\n%s", path, err, p.output)
	}
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		t.Fatalf("ansible-playbook %s: reading its json report: %v\n%s", path, err, p.output)
	}
	return p
}

// tasks runs a play of the given tasks (YAML, indented as a play's task list) on group hero.
func tasks(t *testing.T, body string, args ...string) play {
	t.Helper()
	path := filepath.Join(t.TempDir(), "play.yml")
	text := "- hosts: hero\n  gather_facts: false\n  tasks:\n" + body
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return playbook(t, path, args...)
}

// result returns task i's result on host h, failing the test if there is none.
func (p play) result(t *testing.T, i int, h host) result {
	t.Helper()
	if len(p.Plays) != 1 || i >= len(p.Plays[0].Tasks) {
		t.Fatalf("no task %d in the report (exit %d):\n%s", i, p.exit, p.output)
	}
	r, ok := p.Plays[0].Tasks[i].Hosts[h.name]
	if !ok {
		t.Fatalf("task %q has no result for %s:\n%s", p.Plays[0].Tasks[i].Task.Name, h.name, p.output)
	}
	return r
}

// wantExit fails the test unless ansible-playbook exited with code.
func (p play) wantExit(t *testing.T, code int) {
	t.Helper()
	if p.exit != code {
		t.Fatalf("ansible-playbook exited %d, want %d:\n%s", p.exit, code, p.output)
	}
}

func (r result) bool(key string) bool {
	b, _ := r[key].(bool)
	return b
}

func (r result) str(key string) string {
	s, _ := r[key].(string)
	return s
}

// list returns a list of strings of the result (nil when absent).
func (r result) list(key string) []string {
	return strs(r[key])
}

func strs(v any) []string {
	items, _ := v.([]any)
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it))
	}
	return out
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func same(got, want []string) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}

// onAll runs f for every host at once and waits for all.
func onAll(f func(h host)) {
	var wg sync.WaitGroup
	for _, h := range env.hosts {
		wg.Add(1)
		go func(h host) {
			defer wg.Done()
			f(h)
		}(h)
	}
	wg.Wait()
}

// inside runs a shell command in h's container (the ground truth the tests assert on).
func inside(t *testing.T, h host, script string) string {
	t.Helper()
	out, err := h.execIn(nil, "sh", "-c", script)
	if err != nil {
		t.Errorf("%s: %s: %v\n%s", h.name, script, err, out)
	}
	return out
}

// states reads systemd's ActiveState of each service on h through heroctl in the container.
func states(t *testing.T, h host, names ...string) map[string]string {
	t.Helper()
	out, _ := h.execIn(nil, append([]string{"heroctl", "is-active"}, names...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%s: heroctl is-active %v: %q", h.name, names, out)
	}
	got := map[string]string{}
	for i, n := range names {
		got[n] = lines[i]
	}
	return got
}

// wantStates fails unless every service has state on every host.
func wantStates(t *testing.T, state string, names ...string) {
	t.Helper()
	for _, h := range env.hosts {
		for n, s := range states(t, h, names...) {
			if s != state {
				t.Errorf("%s: %s is %s, want %s", h.name, n, s, state)
			}
		}
	}
}

// stack is the example stack's services (packaging/examples).
var stack = []string{"db", "api", "worker", "web", "mailer", "cleanup"}

// reset puts every host in a known state: nothing running, nothing enabled, and the config
// directory holding the examples (withExamples) or nothing.
func reset(t *testing.T, withExamples bool) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			for _, h := range env.hosts {
				out, _ := h.execIn(nil, "sh", "-c", "journalctl -b --no-pager -o short-precise | grep -E 'hero-default|herod|cgroup|[Ff]ailed' | tail -40")
				t.Logf("%s: the journal of herod and the hero units, last lines:\n%s", h.name, out)
			}
		}
	})
	script := "heroctl -q stop db; heroctl -q stop cleanup; heroctl -q disable " + strings.Join(stack, " ") +
		"; rm -rf /etc/hero/services && install -d -m 755 /etc/hero/services"
	if withExamples {
		script += " && cp /usr/share/doc/hero-systemd/examples/* /etc/hero/services/"
	}
	script += " && heroctl -q daemon-reload"
	onAll(func(h host) { inside(t, h, script) })
	if withExamples {
		wantStates(t, "inactive", stack...)
	}
}

func median(d []time.Duration) time.Duration {
	c := append([]time.Duration(nil), d...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c[len(c)/2].Round(10 * time.Millisecond)
}

func minOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = min(m, x)
	}
	return m.Round(10 * time.Millisecond)
}

func maxOf(d []time.Duration) time.Duration {
	m := d[0]
	for _, x := range d {
		m = max(m, x)
	}
	return m.Round(10 * time.Millisecond)
}
