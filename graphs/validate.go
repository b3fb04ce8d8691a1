package graphs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dominikbraun/graph"
)

// adjacency is the library's adjacency map: vertex -> successor -> edge.
type adjacency = map[string]map[string]graph.Edge[string]

// view is the library graph seen through an adjacency map derived from it. The library's
// StronglyConnectedComponents and BFS read a graph only through Traits and AdjacencyMap, so a
// view restricts them to some of the edges (or turns them around) without another graph.
type view struct {
	graph.Graph[string, string]
	adj adjacency
}

func (v view) AdjacencyMap() (adjacency, error) { return v.adj, nil }

// orderingEdges derives, from one AdjacencyMap of the library graph, the map of the edges that
// order services (requires and after), leaving out conflicts-only edges: conflicts never make a
// cycle.
func (g *Graph) orderingEdges() adjacency {
	adj, _ := g.lib.AdjacencyMap() // the store cannot fail to list
	for _, succ := range adj {
		for to, e := range succ {
			if kindOf[e.Properties.Attributes["kind"]]&ordering == 0 {
				delete(succ, to)
			}
		}
	}
	return adj
}

// cycles finds every strongly connected component of the requires+after edges with more than one
// service (self-edges are refused earlier) with the library's StronglyConnectedComponents, and
// names one cycle in each, starting from its smallest service name: "a -> b -> c -> a". Problems
// are sorted by that service.
//
// The library's Tarjan is recursive, one Go stack frame per vertex on the deepest path (measured:
// a 200k-deep chain, the most services a config directory may hold, takes 32 MB of stack), and
// keeps its state in maps; it fits the build budget (BenchmarkBuildValidate*).
func (g *Graph) cycles() []Problem {
	adj := g.orderingEdges()
	comps, _ := graph.StronglyConnectedComponents[string, string](view{g.lib, adj}) // directed: cannot fail
	var probs []Problem
	for _, comp := range comps {
		if len(comp) > 1 {
			probs = append(probs, g.describeCycle(adj, comp))
		}
	}
	slices.SortFunc(probs, func(a, b Problem) int { return strings.Compare(a.Service, b.Service) })
	return probs
}

// describeCycle reports a shortest cycle through the smallest member of a component, against that
// member, taking at each step the smallest name one step closer to the start: the same graph
// gives the same message, byte for byte.
func (g *Graph) describeCycle(adj adjacency, comp []string) Problem {
	start := slices.Min(comp)
	succ, toStart := g.distancesTo(adj, comp, start)
	next := func(from string, distance int) string {
		for _, s := range succ[from] {
			if toStart[s] == distance {
				return s
			}
		}
		return start // unreachable: every member of a component reaches start
	}
	closest := len(comp)
	for _, s := range succ[start] {
		closest = min(closest, toStart[s])
	}
	path := []string{start}
	for m := next(start, closest); m != start; m = next(m, toStart[m]-1) {
		path = append(path, m)
	}
	path = append(path, start)
	key := kindAttribute[kindOf[adj[start][path[1]].Properties.Attributes["kind"]]&ordering]
	return Problem{Service: start, Key: key, Target: path[1], Message: "dependency cycle: " + strings.Join(path, " -> ")}
}

// distancesTo returns, for the members of a component, their successors inside it (sorted) and
// how many edges each is from start. The library's BFS visits neighbours in random order, so it is
// used only for what does not depend on that order: walking the component's edges turned around
// from start, it visits members in order of their distance to start, so when m is visited its
// successors one step closer already have theirs.
func (g *Graph) distancesTo(adj adjacency, comp []string, start string) (map[string][]string, map[string]int) {
	in := make(map[string]bool, len(comp))
	back := make(adjacency, len(comp))
	for _, m := range comp {
		in[m] = true
		back[m] = map[string]graph.Edge[string]{}
	}
	succ := make(map[string][]string, len(comp))
	for _, m := range comp {
		for to, e := range adj[m] {
			if in[to] {
				succ[m] = append(succ[m], to)
				back[to][m] = e
			}
		}
		slices.Sort(succ[m])
	}
	toStart := map[string]int{start: 0}
	_ = graph.BFS[string, string](view{g.lib, back}, start, func(m string) bool {
		if m != start {
			best := -1
			for _, s := range succ[m] {
				if d, ok := toStart[s]; ok && (best < 0 || d < best) {
					best = d
				}
			}
			toStart[m] = best + 1
		}
		return false
	}) // start is in back: cannot fail
	return succ, toStart
}

// conflictProblems reports a declared conflict that the service's own requires closure (or the
// other service's closure) would start at the same time: such a service could never start.
// Cost: up to two closure walks per conflicts edge.
func (g *Graph) conflictProblems() []Problem {
	var probs []Problem
	w := g.newWalk()
	names := g.store.names
	for s, arcs := range g.store.out {
		for _, a := range arcs {
			if a.kind&conflicts == 0 {
				continue
			}
			from, c := int32(s), a.peer
			var msg string
			switch {
			case w.requires(from, c):
				msg = fmt.Sprintf("%q is in the requires closure of %q (%s): it could never start", names[c], names[from], w.path(c))
			case w.requires(c, from):
				msg = fmt.Sprintf("%q requires %q (%s): it could never start", names[c], names[from], w.path(from))
			default:
				continue
			}
			probs = append(probs, Problem{Service: names[from], Key: KindConflicts, Target: names[c], Message: msg})
		}
	}
	return probs
}
