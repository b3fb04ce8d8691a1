// Package graphs holds the dependency graph of hero services and computes what to stop and start.
//
// The graph is stored in github.com/dominikbraun/graph (edges carry their kind). Its v0.23.0
// TopologicalSort is O(V^2) and PreventCycles costs a DFS per edge, so validation and plans run on
// a compact index built alongside it: every algorithm here is linear in the vertices and edges it
// visits. Nothing here does I/O.
package graphs

import (
	"errors"
	"fmt"
	"sort"

	"github.com/dominikbraun/graph"
)

// Edge kinds, stored as the "kind" attribute of each library edge.
const (
	KindRequires = "requires" // hard dependency; also orders (Requires= plus After=)
	KindAfter    = "after"    // ordering only
)

// Node is one service as the graph sees it.
type Node struct {
	Name      string
	Requires  []string
	After     []string
	Conflicts []string
}

// Problem is something wrong with the graph, attributed to the service whose key causes it.
type Problem struct {
	Service string // the service whose config holds the offending entry
	Key     string // "requires", "after" or "conflicts"
	Target  string // the entry of that key the problem is about, when there is one
	Message string
}

// ErrNoSuchService is returned by plans and queries for a name the graph does not hold.
var ErrNoSuchService = errors.New("no such service")

// Graph is the validated dependency graph of every service. It is read-only once built and safe
// for concurrent readers.
type Graph struct {
	lib       graph.Graph[string, string]
	names     []string // sorted; a service's index is its position here
	index     map[string]int32
	req       [][]int32 // i requires req[i]
	after     [][]int32 // i is ordered after after[i] (entries also in req are left out)
	rreq      [][]int32 // rreq[i] require i
	rafter    [][]int32 // rafter[i] are ordered after i
	conflicts [][]int32 // as declared
}

// Build makes the graph of nodes and validates it: unknown or duplicate services, self-
// dependencies, cycles through requires/after (named by their path), and conflicts with a
// service's own requires closure. A graph is returned even when there are problems, holding
// every edge that could be resolved, so callers can still report and draw it.
func Build(nodes []Node) (*Graph, []Problem) {
	var probs []Problem
	g := &Graph{index: make(map[string]int32, len(nodes))}
	sorted := make([]*Node, 0, len(nodes))
	for i := range nodes {
		sorted = append(sorted, &nodes[i])
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	kept := sorted[:0]
	for _, n := range sorted {
		if _, dup := g.index[n.Name]; dup {
			probs = append(probs, Problem{Service: n.Name, Message: fmt.Sprintf("duplicate service %q", n.Name)})
			continue
		}
		g.index[n.Name] = int32(len(g.names))
		g.names = append(g.names, n.Name)
		kept = append(kept, n)
	}
	v := len(g.names)
	g.req, g.after = make([][]int32, v), make([][]int32, v)
	g.rreq, g.rafter = make([][]int32, v), make([][]int32, v)
	g.conflicts = make([][]int32, v)
	g.lib = graph.New(graph.StringHash, graph.Directed())
	for _, name := range g.names {
		_ = g.lib.AddVertex(name) // names are unique here
	}
	for i, n := range kept {
		from := int32(i)
		inReq := map[int32]bool{}
		for _, d := range n.Requires {
			if to, ok := g.resolve(n.Name, KindRequires, d, &probs); ok && !inReq[to] {
				inReq[to] = true
				g.req[from] = append(g.req[from], to)
				g.rreq[to] = append(g.rreq[to], from)
				g.addLibEdge(n.Name, d, KindRequires)
			}
		}
		seenAfter := map[int32]bool{}
		for _, d := range n.After {
			if to, ok := g.resolve(n.Name, KindAfter, d, &probs); ok && !inReq[to] && !seenAfter[to] {
				seenAfter[to] = true
				g.after[from] = append(g.after[from], to)
				g.rafter[to] = append(g.rafter[to], from)
				g.addLibEdge(n.Name, d, KindAfter)
			}
		}
		for _, d := range n.Conflicts {
			if to, ok := g.resolve(n.Name, "conflicts", d, &probs); ok {
				g.conflicts[from] = append(g.conflicts[from], to)
			}
		}
	}
	probs = append(probs, g.cycles()...)
	probs = append(probs, g.conflictProblems()...)
	return g, probs
}

func (g *Graph) resolve(from, key, to string, probs *[]Problem) (int32, bool) {
	if to == from {
		*probs = append(*probs, Problem{Service: from, Key: key, Target: to, Message: fmt.Sprintf("%q cannot depend on itself", from)})
		return 0, false
	}
	idx, ok := g.index[to]
	if !ok {
		*probs = append(*probs, Problem{Service: from, Key: key, Target: to, Message: fmt.Sprintf("unknown service %q", to)})
		return 0, false
	}
	return idx, true
}

// addLibEdge records the edge in the library graph. Cycle prevention is off (it costs a DFS per
// edge): cycles are found once, after building.
func (g *Graph) addLibEdge(from, to, kind string) {
	// Both vertices exist and duplicates were filtered, so AddEdge cannot fail here.
	_ = g.lib.AddEdge(from, to, graph.EdgeAttribute("kind", kind))
}

// Library returns the underlying graph (vertices are service names, edges carry a "kind"
// attribute). Callers must not modify it.
func (g *Graph) Library() graph.Graph[string, string] { return g.lib }

// Names returns every service name, sorted.
func (g *Graph) Names() []string { return append([]string(nil), g.names...) }

// Has reports whether the graph holds name.
func (g *Graph) Has(name string) bool { _, ok := g.index[name]; return ok }

func (g *Graph) lookup(name string) (int32, error) {
	i, ok := g.index[name]
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrNoSuchService, name)
	}
	return i, nil
}

func (g *Graph) namesOf(ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = g.names[id]
	}
	sort.Strings(out)
	return out
}

// Requires returns the services name requires directly, sorted.
func (g *Graph) Requires(name string) []string { return g.edges(name, g.req) }

// After returns the services name is ordered after (and does not require), sorted.
func (g *Graph) After(name string) []string { return g.edges(name, g.after) }

// RequiredBy returns the services that require name directly, sorted.
func (g *Graph) RequiredBy(name string) []string { return g.edges(name, g.rreq) }

// OrderedBefore returns the services ordered after name without requiring it, sorted.
func (g *Graph) OrderedBefore(name string) []string { return g.edges(name, g.rafter) }

// Conflicts returns the services name conflicts with: those it declares and those declaring it.
func (g *Graph) Conflicts(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	set := map[string]bool{}
	for _, c := range g.conflicts[i] {
		set[g.names[c]] = true
	}
	for j, cs := range g.conflicts {
		for _, c := range cs {
			if c == i {
				set[g.names[j]] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (g *Graph) edges(name string, adj [][]int32) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.namesOf(adj[i])
}

// Edge is one dependency edge for drawing.
type Edge struct {
	From, To, Kind string
}

// Edges returns every requires/after edge, sorted by From, then To.
func (g *Graph) Edges() []Edge {
	var out []Edge
	for i := range g.names {
		for _, j := range g.req[i] {
			out = append(out, Edge{g.names[i], g.names[j], KindRequires})
		}
		for _, j := range g.after[i] {
			out = append(out, Edge{g.names[i], g.names[j], KindAfter})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].From != out[b].From {
			return out[a].From < out[b].From
		}
		return out[a].To < out[b].To
	})
	return out
}
