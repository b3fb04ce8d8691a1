package graphs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func build(t *testing.T, nodes ...Node) *Graph {
	t.Helper()
	g, probs := Build(nodes)
	if len(probs) > 0 {
		t.Fatalf("unexpected problems: %+v", probs)
	}
	return g
}

func n(name string, requires []string, after ...string) Node {
	return Node{Name: name, Requires: requires, After: after}
}

func waves(ws [][]string) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = strings.Join(w, " ")
	}
	return strings.Join(parts, " | ")
}

func TestPlans(t *testing.T) {
	tests := []struct {
		name      string
		nodes     []Node
		target    string
		stop      string // waves, most-dependent first
		start     string // waves, dependencies first
		dependent []string
	}{
		{"chain", []Node{n("a", nil), n("b", []string{"a"}), n("c", []string{"b"})}, "a",
			"c | b | a", "a", []string{"c", "b"}},
		{"chain start from top", []Node{n("a", nil), n("b", []string{"a"}), n("c", []string{"b"})}, "c",
			"c", "a | b | c", []string{}},
		{"diamond", []Node{n("d", nil), n("b", []string{"d"}), n("c", []string{"d"}), n("a", []string{"b", "c"})}, "d",
			"a | b c | d", "d", []string{"a", "b", "c"}},
		{"fan-out", []Node{n("root", nil), n("x", []string{"root"}), n("y", []string{"root"}), n("z", []string{"root"})}, "root",
			"x y z | root", "root", []string{"x", "y", "z"}},
		{"independent untouched", []Node{n("a", nil), n("b", []string{"a"}), n("lone", nil)}, "a",
			"b | a", "a", []string{"b"}},
		{"after-only does not cascade", []Node{n("a", nil), n("b", nil, "a")}, "a",
			"a", "a", []string{}},
		{"after honoured in reverse among members", []Node{n("a", nil), n("b", []string{"a"}, "c"), n("c", []string{"a"})}, "a",
			"b | c | a", "a", []string{"b", "c"}},
		{"requires and after the same service", []Node{n("a", nil), n("b", []string{"a"}, "a")}, "a",
			"b | a", "a", []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.nodes...)
			sp, err := g.Stop(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got := waves(sp.Waves); got != tt.stop {
				t.Errorf("stop waves %q, want %q", got, tt.stop)
			}
			if sp.Order[len(sp.Order)-1] != tt.target {
				t.Errorf("stop order %v does not end with %s", sp.Order, tt.target)
			}
			if !reflect.DeepEqual(sp.StoppedDependents, tt.dependent) {
				t.Errorf("stopped_dependents %q, want %q", sp.StoppedDependents, tt.dependent)
			}
			st, err := g.Start(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got := waves(st.Waves); got != tt.start {
				t.Errorf("start waves %q, want %q", got, tt.start)
			}
		})
	}
}

func TestStartPlanHonoursAfterInsideClosure(t *testing.T) {
	// top requires x and y; x is ordered after y: y must come in an earlier wave.
	g := build(t, n("x", nil, "y"), n("y", nil), n("top", []string{"x", "y"}))
	p, _ := g.Start("top")
	if got := waves(p.Waves); got != "y | x | top" {
		t.Errorf("start waves %q, want %q", got, "y | x | top")
	}
}

func TestUnknownService(t *testing.T) {
	g := build(t, n("a", nil))
	if _, err := g.Stop("nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Stop(nope) = %v, want ErrNoSuchService", err)
	}
	if _, err := g.Start("nope"); !errors.Is(err, ErrNoSuchService) {
		t.Errorf("Start(nope) = %v, want ErrNoSuchService", err)
	}
}

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  []string // "service key: message"
	}{
		{"unknown", []Node{n("web", []string{"dbx"})}, []string{`web requires: unknown service "dbx"`}},
		{"self", []Node{n("web", nil, "web")}, []string{`web after: "web" cannot depend on itself`}},
		{"duplicate", []Node{n("a", nil), n("a", nil)}, []string{` : duplicate service "a"`}},
		{"cycle through after", []Node{n("a", []string{"b"}), n("b", nil, "c"), n("c", []string{"a"})},
			[]string{`a requires: dependency cycle: a -> b -> c -> a`}},
		{"two cycles", []Node{n("a", []string{"b"}), n("b", []string{"a"}), n("x", []string{"y"}), n("y", []string{"x"})},
			[]string{`a requires: dependency cycle: a -> b -> a`, `x requires: dependency cycle: x -> y -> x`}},
		{"conflict in own closure", []Node{{Name: "w", Requires: []string{"db"}, Conflicts: []string{"db"}}, n("db", nil)},
			[]string{`w conflicts: "db" is in the requires closure of "w" (w -> db): it could never start`}},
		{"conflict with a service requiring it", []Node{{Name: "db", Conflicts: []string{"w"}}, n("w", []string{"db"})},
			[]string{`db conflicts: "w" requires "db" (w -> db): it could never start`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Build(tt.nodes)
			var got []string
			for _, p := range probs {
				s := fmt.Sprintf("%s %s: %s", p.Service, p.Key, p.Message)
				if p.Key == "" {
					s = fmt.Sprintf(" : %s", p.Message)
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestPlanOnCyclicGraphStillCompletes(t *testing.T) {
	g, _ := Build([]Node{n("a", []string{"b"}), n("b", []string{"a"})})
	p, err := g.Stop("a")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Order) != 2 {
		t.Errorf("order %v: every member must be in the plan", p.Order)
	}
}

func TestLibraryGraphHoldsEdges(t *testing.T) {
	g := build(t, n("a", nil), n("b", []string{"a"}, "c"), n("c", nil))
	e, err := g.Library().Edge("b", "a")
	if err != nil || e.Properties.Attributes["kind"] != KindRequires {
		t.Errorf("edge b->a = %+v, %v; want kind requires", e, err)
	}
	e, err = g.Library().Edge("b", "c")
	if err != nil || e.Properties.Attributes["kind"] != KindAfter {
		t.Errorf("edge b->c = %+v, %v; want kind after", e, err)
	}
}
