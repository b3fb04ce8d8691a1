package graphs

import "strings"

// walk is a breadth-first walk of the library graph over the edges of one kind, in one direction.
// The library's BFS and DFS do not fit plans: each call first takes a whole-graph AdjacencyMap
// (BenchmarkLibraryAdjacencyMap: 15 ms and 9.5 MiB for 10k services, most of a plan's budget of
// 20 ms; 0.19 s and 94 MiB for 100k), and they follow every edge, forwards only, where a stop
// follows requires edges backwards. So a walk reads each vertex's edges from the library graph's
// store as it goes, in the order they were declared, and costs what it visits. Its state is in
// slices indexed by vertex id.
type walk struct {
	g      *Graph
	pos    []int32 // pos[v]: v's position in order plus one; 0 while v is not reached
	order  []int32 // the vertices reached, in the order reached
	parent []int32 // parent[i]: position in order of the vertex that reached order[i]; -1 for a start
}

func (g *Graph) newWalk() *walk { return &walk{g: g, pos: make([]int32, len(g.store.names))} }

func (w *walk) reached(v int32) bool { return w.pos[v] != 0 }

func (w *walk) add(v, parent int32) {
	w.order = append(w.order, v)
	w.parent = append(w.parent, parent)
	w.pos[v] = int32(len(w.order))
}

// from walks from start over edges of kind k in direction dir, adding to what earlier walks
// reached, and reports whether target was reached, stopping there (target -1: walk everything).
func (w *walk) from(start int32, dir direction, k kinds, target int32) bool {
	if w.reached(start) {
		return start == target
	}
	w.add(start, -1)
	for head := len(w.order) - 1; head < len(w.order); head++ {
		v := w.order[head]
		if v == target {
			return true
		}
		for _, a := range w.g.arcs(v, dir) {
			if a.kind&k != 0 && !w.reached(a.peer) {
				w.add(a.peer, int32(head))
			}
		}
	}
	return false
}

// reset forgets what was reached, in time proportional to it.
func (w *walk) reset() {
	for _, v := range w.order {
		w.pos[v] = 0
	}
	w.order, w.parent = w.order[:0], w.parent[:0]
}

// requires reports whether from requires to, directly or through other services.
func (w *walk) requires(from, to int32) bool {
	w.reset()
	return w.from(from, outgoing, requires, to)
}

// path names the chain by which the walk reached v: "start -> ... -> v".
func (w *walk) path(v int32) string {
	var names []string
	for i := w.pos[v] - 1; i >= 0; i = w.parent[i] {
		names = append(names, w.g.store.names[w.order[i]])
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return strings.Join(names, " -> ")
}
