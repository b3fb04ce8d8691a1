package graphs

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dominikbraun/graph"
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
		{"wants does not cascade a stop", []Node{n("a", nil), {Name: "b", Wants: []string{"a"}}}, "a",
			"a", "a", []string{}},
		{"wants is pulled in by a start", []Node{n("a", nil), {Name: "b", Wants: []string{"a"}}}, "b",
			"b", "a | b", []string{}},
		{"wants and requires the same service is requires", []Node{n("a", nil), {Name: "b", Requires: []string{"a"}, Wants: []string{"a"}}}, "a",
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
		{"unknown under two keys, listed twice", []Node{{Name: "web", Requires: []string{"dbx", "dbx"}, After: []string{"dbx"}}},
			[]string{`web requires: unknown service "dbx"`, `web after: unknown service "dbx"`}},
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
	g := build(t, n("a", nil), n("b", []string{"a"}, "c", "a"), n("c", nil), Node{Name: "d", After: []string{"c"}, Conflicts: []string{"c", "a"}})
	tests := []struct{ from, to, kind string }{
		{"b", "a", KindRequires}, // after the same service is folded into requires
		{"b", "c", KindAfter},
		{"d", "c", "after+conflicts"},
		{"d", "a", KindConflicts},
	}
	for _, tt := range tests {
		e, err := g.Library().Edge(tt.from, tt.to)
		if err != nil || e.Properties.Attributes["kind"] != tt.kind {
			t.Errorf("edge %s -> %s = %+v, %v; want kind %s", tt.from, tt.to, e, err, tt.kind)
		}
	}
	if size, _ := g.Library().Size(); size != len(tests) {
		t.Errorf("library graph has %d edges, want %d", size, len(tests))
	}
	if err := g.Library().AddVertex("a"); !errors.Is(err, graph.ErrVertexAlreadyExists) {
		t.Errorf("AddVertex(a) again = %v, want ErrVertexAlreadyExists", err)
	}
	if err := g.Library().AddEdge("b", "a"); !errors.Is(err, graph.ErrEdgeAlreadyExists) {
		t.Errorf("AddEdge(b, a) again = %v, want ErrEdgeAlreadyExists", err)
	}
	if err := g.Library().RemoveEdge("b", "a"); !errors.Is(err, errReadOnly) {
		t.Errorf("RemoveEdge = %v, want errReadOnly", err)
	}
}

// RequiresClosure lists everything a service requires, directly or through others, once each,
// nearest first.
func TestRequiresClosure(t *testing.T) {
	g := build(t, n("db", nil), n("log", nil), n("web", []string{"db", "log"}), n("api", []string{"web", "db"}),
		n("edge", []string{"api"}))
	cases := []struct {
		name string
		want []string
	}{
		{"db", nil},
		{"web", []string{"db", "log"}},
		{"api", []string{"db", "web", "log"}},
		{"edge", []string{"api", "db", "web", "log"}},
		{"nope", nil},
	}
	for _, c := range cases {
		if got := g.RequiresClosure(c.name); !slices.Equal(got, c.want) {
			t.Errorf("RequiresClosure(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestQueries(t *testing.T) {
	g := build(t, n("a", nil), n("b", []string{"a"}, "c"), n("c", nil),
		Node{Name: "d", After: []string{"c"}, Conflicts: []string{"c", "a"}}, Node{Name: "e", Conflicts: []string{"d"}})
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"Requires(b)", g.Requires("b"), []string{"a"}},
		{"After(b)", g.After("b"), []string{"c"}},
		{"After(d)", g.After("d"), []string{"c"}},
		{"RequiredBy(a)", g.RequiredBy("a"), []string{"b"}},
		{"OrderedBefore(c)", g.OrderedBefore("c"), []string{"b", "d"}},
		{"Conflicts(d): declared and declaring", g.Conflicts("d"), []string{"a", "c", "e"}},
		{"Conflicts(c)", g.Conflicts("c"), []string{"d"}},
		{"Requires(nope)", g.Requires("nope"), nil},
		{"RequiresClosure(a)", g.RequiresClosure("a"), nil},
		{"RequiresClosure(b)", g.RequiresClosure("b"), []string{"a"}},
		{"Names", g.Names(), []string{"a", "b", "c", "d", "e"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	want := []Edge{{"b", "a", KindRequires}, {"b", "c", KindAfter}, {"d", "c", KindAfter}}
	if got := g.Edges(); !reflect.DeepEqual(got, want) {
		t.Errorf("Edges = %v, want %v", got, want)
	}
}

func TestCycleMessages(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"two shortest cycles: the smaller names win", []Node{n("a", []string{"c", "b"}), n("b", []string{"a"}), n("c", []string{"a"})},
			"a requires b: dependency cycle: a -> b -> a"},
		{"a shorter cycle through the smallest member wins", []Node{n("a", []string{"b"}), n("b", []string{"c"}), n("c", []string{"a", "d"}), n("d", []string{"a"})},
			"a requires b: dependency cycle: a -> b -> c -> a"},
		{"first step through after", []Node{n("a", nil, "b"), n("b", []string{"a"})},
			"a after b: dependency cycle: a -> b -> a"},
		{"conflicts make no cycle", []Node{{Name: "a", Conflicts: []string{"b"}}, n("b", nil, "a")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // the library iterates maps: the message must not depend on it
				_, probs := Build(tt.nodes)
				var got []string
				for _, p := range probs {
					got = append(got, fmt.Sprintf("%s %s %s: %s", p.Service, p.Key, p.Target, p.Message))
				}
				if strings.Join(got, "\n") != tt.want {
					t.Fatalf("problems %q, want %q", got, tt.want)
				}
			}
		})
	}
}

// TestDeterministicOutput builds the same services twice, in two orders, and wants the same
// bytes for every problem and plan.
func TestDeterministicOutput(t *testing.T) {
	nodes := []Node{
		n("db", nil), n("cache", nil, "db"), n("api", []string{"db", "cache"}), n("web", []string{"api"}, "cache"),
		n("worker", []string{"db"}, "api"), n("x", []string{"y"}), n("y", []string{"z"}, "x"), n("z", []string{"x"}),
		{Name: "admin", Requires: []string{"api"}, Conflicts: []string{"db"}},
	}
	render := func(nodes []Node) string {
		g, probs := Build(nodes)
		out := fmt.Sprintln(probs)
		for _, name := range g.Names() {
			sp, _ := g.Stop(name)
			st, _ := g.Start(name)
			out += fmt.Sprintln(sp, st)
		}
		all, _ := g.StartAll(g.Names())
		return out + fmt.Sprintln(all, g.Edges())
	}
	first := render(nodes)
	reversed := append([]Node(nil), nodes...)
	slices.Reverse(reversed)
	for i := range 10 {
		for _, ns := range [][]Node{nodes, reversed} {
			if got := render(ns); got != first {
				t.Fatalf("run %d: output differs:\n%s\nwant\n%s", i, got, first)
			}
		}
	}
}

// The store behind the library graph keeps the library's contract for what hero's graph uses.
func TestStoreThroughLibrary(t *testing.T) {
	g := build(t, n("a", nil), n("b", nil, "a"), n("c", nil))
	lib := g.Library()
	if err := lib.UpdateEdge("b", "a", graph.EdgeAttribute("kind", "after+conflicts")); err != nil {
		t.Fatal(err)
	}
	if got := g.Conflicts("a"); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("after UpdateEdge, Conflicts(a) = %q, want [b]", got)
	}
	if kindAttributes[after]["kind"] != KindAfter {
		t.Errorf("UpdateEdge wrote into the shared attributes of after edges: %v", kindAttributes[after])
	}
	tests := []struct {
		name string
		err  error
		want error // nil: any error
	}{
		{"edge to a missing vertex", lib.AddEdge("a", "nope", kindOption[requires]), graph.ErrVertexNotFound},
		{"edge without a kind", lib.AddEdge("a", "c"), nil},
		{"edge of an unknown kind", lib.AddEdge("a", "c", graph.EdgeAttribute("kind", "upholds")), nil},
		{"missing edge", lib.UpdateEdge("a", "c", kindOption[after]), graph.ErrEdgeNotFound},
		{"vertex removal", lib.RemoveVertex("c"), errReadOnly},
	}
	for _, tt := range tests {
		if tt.err == nil || tt.want != nil && !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := lib.Edge("a", "c"); !errors.Is(err, graph.ErrEdgeNotFound) {
		t.Errorf("a refused edge was stored: %v", err)
	}
}
