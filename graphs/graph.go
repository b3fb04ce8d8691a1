// Package graphs holds the dependency graph of hero services and computes what to stop and start.
//
// The graph is a github.com/dominikbraun/graph graph and nothing else: services are its vertices
// (a service's name is its vertex and its hash), requires/after/conflicts are its edges with their
// kind as the edge's "kind" attribute. Its storage is the compact store of store.go, given to the
// library with graph.NewWithStore. The library refuses duplicate services and edges to unknown
// ones as they are added, and finds the cycles (StronglyConnectedComponents, then BFS for each
// member's distance on a cycle). Hero adds what the library has no notion of: edge kinds, a
// deterministic cycle path, and plans: closures over one kind of edge (a stop follows requires
// edges backwards) and waves, walked over the store (walk.go says why not the library's BFS).
// Nothing here does I/O.
package graphs

import (
	"errors"
	"fmt"
	"sort"

	"github.com/dominikbraun/graph"
)

// Edge kinds, the "kind" attribute of each library edge. An edge that both orders and conflicts
// has the attribute "after+conflicts" (or "requires+conflicts").
const (
	KindRequires  = "requires"  // hard dependency; also orders (Requires= plus After=)
	KindAfter     = "after"     // ordering only
	KindConflicts = "conflicts" // may not run at the same time
	KindWants     = "wants"     // soft dependency: started first; its ends never touch the dependent
)

// Node is one service as the graph sees it.
type Node struct {
	Name      string
	Requires  []string
	Wants     []string
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
	lib   graph.Graph[string, string]
	store *store // lib's storage, read directly where the library has no per-vertex query
}

// Build makes the graph of nodes and validates it: unknown or duplicate services, self-
// dependencies, cycles through requires/after (named by their path), and conflicts with a
// service's own requires closure. A graph is returned even when there are problems, holding
// every edge that could be resolved, so callers can still report and draw it.
func Build(nodes []Node) (*Graph, []Problem) {
	sorted := make([]*Node, len(nodes))
	for i := range nodes {
		sorted[i] = &nodes[i]
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	s := newStore(len(nodes))
	// No PreventCycles: it runs a DFS per AddEdge (194 s for 100k services); cycles are found
	// once, after building.
	g := &Graph{lib: graph.NewWithStore[string, string](graph.StringHash, s, graph.Directed()), store: s}
	var probs []Problem
	kept := sorted[:0]
	for _, n := range sorted {
		if err := g.lib.AddVertex(n.Name); errors.Is(err, graph.ErrVertexAlreadyExists) {
			probs = append(probs, Problem{Service: n.Name, Message: fmt.Sprintf("duplicate service %q", n.Name)})
			continue
		}
		kept = append(kept, n)
	}
	edges := newEdgeSet()
	for _, n := range kept {
		edges.collect(n)
		for _, to := range edges.order {
			probs = append(probs, g.addEdge(n.Name, to, edges.declared[to])...)
		}
	}
	probs = append(probs, g.cycles()...)
	probs = append(probs, g.conflictProblems()...)
	return g, probs
}

// addEdge adds the edge from -> to carrying the declared kinds, or reports why it cannot: a self-
// dependency (the library would accept the loop) or an unknown service (the library refuses the
// edge). A problem is reported once per key that declares the entry.
func (g *Graph) addEdge(from, to string, declared kinds) []Problem {
	var msg string
	if to == from {
		msg = fmt.Sprintf("%q cannot depend on itself", from)
	} else {
		edge := declared
		if edge&requires != 0 {
			edge &^= after | wants // requires already orders and pulls in
		}
		if edge&wants != 0 {
			edge &^= after // wants already orders
		}
		err := g.lib.AddEdge(from, to, kindOption[edge])
		if err == nil {
			return nil
		}
		if !errors.Is(err, graph.ErrVertexNotFound) {
			// Each pair is added once and every kind set has an option: a bug, not bad input.
			panic(fmt.Sprintf("graphs: add edge %s -> %s: %v", from, to, err))
		}
		msg = fmt.Sprintf("unknown service %q", to)
	}
	var probs []Problem
	for _, k := range []kinds{requires, wants, after, conflicts} {
		if declared&k != 0 {
			probs = append(probs, Problem{Service: from, Key: kindAttribute[k], Target: to, Message: msg})
		}
	}
	return probs
}

// edgeSet gathers one service's declared entries into one set of kinds per target; it is reused
// from service to service.
type edgeSet struct {
	declared map[string]kinds
	order    []string // targets in the order first declared
}

func newEdgeSet() *edgeSet { return &edgeSet{declared: map[string]kinds{}} }

func (e *edgeSet) collect(n *Node) {
	clear(e.declared)
	e.order = e.order[:0]
	for _, list := range []struct {
		k       kinds
		entries []string
	}{{requires, n.Requires}, {wants, n.Wants}, {after, n.After}, {conflicts, n.Conflicts}} {
		for _, to := range list.entries {
			old, seen := e.declared[to]
			if !seen {
				e.order = append(e.order, to)
			}
			e.declared[to] = old | list.k
		}
	}
}
