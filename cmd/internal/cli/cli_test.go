package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const examples = "../../../packaging/examples"

// heroctl runs the CLI in-process and returns stdout, stderr and the exit code.
func heroctl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	Stdout, Stderr = &out, &errb
	t.Cleanup(func() { Stdout, Stderr = os.Stdout, os.Stderr })
	code := Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func TestExitCodes(t *testing.T) {
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "web.toml"), []byte("exce = \"/bin/true\"\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		want string // substring of stdout+stderr
	}{
		{"validate clean", []string{"validate", "--config-dir", examples}, 0, "6 service(s), no problems"},
		{"validate broken", []string{"validate", "--config-dir", broken}, 1, `web.toml:1: exce: unknown key or section (did you mean "exec"?)`},
		{"missing dir", []string{"validate", "--config-dir", "/nonexistent"}, 1, "config directory /nonexistent does not exist"},
		{"cat unknown", []string{"cat", "nope", "--config-dir", examples}, 4, `no such service "nope"`},
		{"dry-run unknown", []string{"stop", "--dry-run", "nope", "--config-dir", examples}, 4, `no such service "nope"`},
		{"list-dependencies unknown", []string{"list-dependencies", "nope", "--config-dir", examples}, 4, `no such service`},
		{"cat refuses broken dir", []string{"cat", "web", "--config-dir", broken}, 1, "run 'heroctl validate --config-dir " + broken + "'"},
		{"bad output format", []string{"validate", "-o", "yaml", "--config-dir", examples}, 1, "--output must be text or json"},
		{"stop without daemon", []string{"stop", "db", "--bus-address", "unix:path=/nonexistent"}, 1, "herod is not running or not reachable"},
		{"quiet", []string{"validate", "-q", "--config-dir", broken}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := heroctl(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if !strings.Contains(out+errs, tt.want) {
				t.Errorf("output %q lacks %q", out+errs, tt.want)
			}
			if tt.name == "quiet" && out+errs != "" {
				t.Errorf("-q printed %q", out+errs)
			}
		})
	}
}

func TestStopDryRunJSON(t *testing.T) {
	out, _, code := heroctl(t, "stop", "--dry-run", "db", "-o", "json", "--config-dir", examples)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got struct {
		Service           string     `json:"service"`
		Order             []string   `json:"order"`
		Waves             [][]string `json:"waves"`
		StoppedDependents []string   `json:"stopped_dependents"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []string{"mailer", "web", "worker", "api", "db"}
	if got.Service != "db" || !reflect.DeepEqual(got.Order, want) || !reflect.DeepEqual(got.StoppedDependents, want[:4]) {
		t.Errorf("plan %+v", got)
	}
	if len(got.Waves) != 4 || !reflect.DeepEqual(got.Waves[0], []string{"mailer", "web"}) {
		t.Errorf("waves %v", got.Waves)
	}
	// A leaf: nothing depends on it, stopped_dependents is an empty array, not null.
	out, _, _ = heroctl(t, "stop", "--dry-run", "web", "-o", "json", "--config-dir", examples)
	if !strings.Contains(out, `"stopped_dependents": []`) {
		t.Errorf("leaf plan: %s", out)
	}
}

func TestListDependencies(t *testing.T) {
	out, _, _ := heroctl(t, "list-dependencies", "web", "--config-dir", examples)
	want := "web\n├─api\n│ └─db\n└─worker (after)\n"
	if out != want {
		t.Errorf("tree:\n%s\nwant:\n%s", out, want)
	}
	out, _, _ = heroctl(t, "list-dependencies", "--reverse", "--plain", "db", "--config-dir", examples)
	want = "db\n  api\n    mailer\n    web\n    worker\n      web (after)\n"
	if out != want {
		t.Errorf("reverse plain:\n%q\nwant:\n%q", out, want)
	}
}

func TestGraphDOT(t *testing.T) {
	out, _, code := heroctl(t, "graph", "--dot", "--config-dir", examples)
	if code != 0 || !strings.HasPrefix(out, "digraph hero {") || !strings.Contains(out, `"api" -> "db";`) ||
		!strings.Contains(out, `"web" -> "worker" [style=dashed, label=after];`) {
		t.Errorf("dot:\n%s", out)
	}
}

func TestCatPrintsGeneratedUnit(t *testing.T) {
	out, _, code := heroctl(t, "cat", "api", "--config-dir", examples)
	if code != 0 || !strings.Contains(out, "# hero-default-api.service\n") || !strings.Contains(out, "Requires=hero-default-db.service\n") {
		t.Errorf("cat:\n%s", out)
	}
}

func TestCompletesServiceNames(t *testing.T) {
	out, _, code := heroctl(t, "__complete", "--config-dir", examples, "status", "w")
	if code != 0 || !strings.HasPrefix(out, "web\nworker\n") {
		t.Errorf("completion of 'status w': %q", out)
	}
}

func TestStartDryRun(t *testing.T) {
	out, _, code := heroctl(t, "start", "--dry-run", "web", "-o", "json", "--config-dir", examples)
	var got struct {
		Order        []string   `json:"order"`
		Waves        [][]string `json:"waves"`
		Dependencies []string   `json:"dependencies"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if !reflect.DeepEqual(got.Order, []string{"db", "api", "web"}) || !reflect.DeepEqual(got.Dependencies, []string{"db", "api"}) {
		t.Errorf("start plan %+v", got)
	}
}

// The README's picture (docs/examples-graph.svg, drawn by packaging/graph.sh) shows the
// examples as they are: every service and every edge, nothing else.
func TestExamplesGraphPictureIsCurrent(t *testing.T) {
	svg, err := os.ReadFile("../../../docs/examples-graph.svg")
	if err != nil {
		t.Fatal(err)
	}
	var drawn []string
	for _, m := range regexp.MustCompile(`<title>([^<]*)</title>`).FindAllStringSubmatch(string(svg), -1) {
		if m[1] != "hero" {
			drawn = append(drawn, strings.NewReplacer("&#45;&gt;", " -> ", "&#45;&#45;", " -- ").Replace(m[1]))
		}
	}
	out, _, _ := heroctl(t, "graph", "-o", "json", "--config-dir", examples)
	var g struct {
		Services []string
		Edges    []struct{ From, To, Kind string }
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatal(err)
	}
	want := append([]string(nil), g.Services...)
	for _, e := range g.Edges {
		want = append(want, e.From+" -> "+e.To)
	}
	sort.Strings(drawn)
	sort.Strings(want)
	if !reflect.DeepEqual(drawn, want) {
		t.Errorf("docs/examples-graph.svg shows %q,\nthe examples are %q: run 'bash packaging/graph.sh'", drawn, want)
	}
}
