package graphs

import (
	"fmt"
	"slices"
	"sort"

	"github.com/dominikbraun/graph"
)

// Library returns the library graph: vertices are service names, edges carry a "kind" attribute
// (KindRequires, KindAfter, KindConflicts, or "after+conflicts" / "requires+conflicts").
// Callers must not modify it.
func (g *Graph) Library() graph.Graph[string, string] { return g.lib }

// Names returns every service name, sorted.
func (g *Graph) Names() []string { return slices.Clone(g.store.names) }

// Has reports whether the graph holds name.
func (g *Graph) Has(name string) bool { _, ok := g.store.ids[name]; return ok }

func (g *Graph) lookup(name string) (int32, error) {
	i, err := g.store.id(name)
	if err != nil {
		return 0, fmt.Errorf("%w %q", ErrNoSuchService, name)
	}
	return i, nil
}

// Requires returns the services name requires directly, sorted.
func (g *Graph) Requires(name string) []string { return g.neighbours(name, outgoing, requires) }

// RequiresClosure returns every service name requires, directly or through others, nearest
// first (breadth first; each distance sorted), once each: what a start of name cannot go
// without, and what stops name when it goes down.
func (g *Graph) RequiresClosure(name string) []string {
	seen := map[string]bool{name: true}
	var out []string
	for next := []string{name}; len(next) > 0; {
		var ring []string
		for _, n := range next {
			for _, q := range g.Requires(n) {
				if !seen[q] {
					seen[q] = true
					ring = append(ring, q)
				}
			}
		}
		sort.Strings(ring)
		out = append(out, ring...)
		next = ring
	}
	return out
}

// Wants returns the services name wants (soft dependencies) directly, sorted.
func (g *Graph) Wants(name string) []string { return g.neighbours(name, outgoing, wants) }

// WantedBy returns the services that want name directly, sorted.
func (g *Graph) WantedBy(name string) []string { return g.neighbours(name, incoming, wants) }

// After returns the services name is ordered after (and does not require), sorted.
func (g *Graph) After(name string) []string { return g.neighbours(name, outgoing, after) }

// RequiredBy returns the services that require name directly, sorted.
func (g *Graph) RequiredBy(name string) []string { return g.neighbours(name, incoming, requires) }

// OrderedBefore returns the services ordered after name without requiring it, sorted.
func (g *Graph) OrderedBefore(name string) []string { return g.neighbours(name, incoming, after) }

// Conflicts returns the services name conflicts with: those it declares and those declaring it.
func (g *Graph) Conflicts(name string) []string {
	out := append(g.neighbours(name, outgoing, conflicts), g.neighbours(name, incoming, conflicts)...)
	slices.Sort(out)
	return slices.Compact(out)
}

// direction says which of a vertex's edges to read: those it declares or those pointing at it.
type direction bool

const (
	outgoing direction = false
	incoming direction = true
)

// arcs returns the edges of vertex i in one direction. The library has no query for one
// vertex's neighbours (only AdjacencyMap, which rebuilds the whole graph's maps), so this reads
// the library graph's store.
func (g *Graph) arcs(i int32, dir direction) []arc {
	if dir == incoming {
		return g.store.in[i]
	}
	return g.store.out[i]
}

// neighbours returns the names at the other end of name's edges of kind k, sorted.
func (g *Graph) neighbours(name string, dir direction, k kinds) []string {
	i, ok := g.store.ids[name]
	if !ok {
		return nil
	}
	var ids []int32
	for _, a := range g.arcs(i, dir) {
		if a.kind&k != 0 {
			ids = append(ids, a.peer)
		}
	}
	return g.namesOf(ids)
}

// namesOf returns the names of ids, sorted (ids are numbered in name order).
func (g *Graph) namesOf(ids []int32) []string {
	slices.Sort(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = g.store.names[id]
	}
	return out
}

// Edge is one dependency edge for drawing.
type Edge struct {
	From, To, Kind string
}

// Edges returns every requires/after edge of the library graph (conflicts are left to
// Conflicts), sorted by From, then To.
func (g *Graph) Edges() []Edge {
	all, _ := g.lib.Edges() // the store cannot fail to list
	var out []Edge
	for _, e := range all {
		k := kindOf[e.Properties.Attributes["kind"]] & ordering
		if k != 0 {
			out = append(out, Edge{e.Source, e.Target, kindAttribute[k]})
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
