package graphs

import (
	"fmt"
	"sort"
	"strings"
)

// successors calls fn for every ordering edge out of i: requires first, then after.
func (g *Graph) successors(i int32, fn func(j int32, kind string)) {
	for _, j := range g.req[i] {
		fn(j, KindRequires)
	}
	for _, j := range g.after[i] {
		fn(j, KindAfter)
	}
}

// cycles finds every strongly connected component of the requires+after graph with more than one
// service (self-edges are refused earlier) with an iterative Tarjan, and names one cycle in each,
// starting from its smallest service name: "a -> b -> c -> a".
func (g *Graph) cycles() []Problem {
	v := len(g.names)
	const unvisited = -1
	index := make([]int32, v)
	low := make([]int32, v)
	onStack := make([]bool, v)
	for i := range index {
		index[i] = unvisited
	}
	var stack []int32
	type frame struct {
		node int32
		next int // position in req ++ after
	}
	var probs []Problem
	counter := int32(0)
	succ := func(n int32, k int) (int32, bool) {
		if k < len(g.req[n]) {
			return g.req[n][k], true
		}
		k -= len(g.req[n])
		if k < len(g.after[n]) {
			return g.after[n][k], true
		}
		return 0, false
	}
	for root := int32(0); root < int32(v); root++ {
		if index[root] != unvisited {
			continue
		}
		call := []frame{{node: root}}
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			top := &call[len(call)-1]
			n := top.node
			if w, ok := succ(n, top.next); ok {
				top.next++
				if index[w] == unvisited {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{node: w})
				} else if onStack[w] && index[w] < low[n] {
					low[n] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				parent := call[len(call)-1].node
				if low[n] < low[parent] {
					low[parent] = low[n]
				}
			}
			if low[n] != index[n] {
				continue
			}
			var comp []int32
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == n {
					break
				}
			}
			if len(comp) > 1 {
				probs = append(probs, g.describeCycle(comp))
			}
		}
	}
	sort.Slice(probs, func(i, j int) bool { return probs[i].Service < probs[j].Service })
	return probs
}

// describeCycle finds the shortest cycle through the smallest member of a component (BFS inside
// the component) and reports it against that member.
func (g *Graph) describeCycle(comp []int32) Problem {
	in := make(map[int32]bool, len(comp))
	start := comp[0]
	for _, c := range comp {
		in[c] = true
		if c < start {
			start = c
		}
	}
	parent := map[int32]int32{}
	queue := []int32{start}
	found := false
	var last int32
	for len(queue) > 0 && !found {
		n := queue[0]
		queue = queue[1:]
		g.successors(n, func(w int32, _ string) {
			if found || !in[w] {
				return
			}
			if w == start {
				found, last = true, n
				return
			}
			if _, seen := parent[w]; !seen {
				parent[w] = n
				queue = append(queue, w)
			}
		})
	}
	path := []string{g.names[start]}
	for n := last; n != start; n = parent[n] {
		path = append(path, g.names[n])
	}
	// path is start, then the cycle backwards; reverse all but the first.
	for i, j := 1, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	path = append(path, g.names[start])
	first := g.index[path[1]]
	key := KindAfter
	for _, r := range g.req[start] {
		if r == first {
			key = KindRequires
		}
	}
	return Problem{Service: g.names[start], Key: key, Target: path[1], Message: "dependency cycle: " + strings.Join(path, " -> ")}
}

// conflictProblems reports a declared conflict that the service's own requires closure (or the
// other service's closure) would start at the same time: such a service could never start.
// Cost: one closure walk per service that declares conflicts.
func (g *Graph) conflictProblems() []Problem {
	var probs []Problem
	for i, cs := range g.conflicts {
		if len(cs) == 0 {
			continue
		}
		s := int32(i)
		parents := g.requiresTree(s)
		for _, c := range cs {
			if _, in := parents[c]; in {
				probs = append(probs, Problem{Service: g.names[s], Key: "conflicts", Target: g.names[c],
					Message: fmt.Sprintf("%q is in the requires closure of %q (%s): it could never start", g.names[c], g.names[s], g.pathTo(parents, c))})
				continue
			}
			if other := g.requiresTree(c); other != nil {
				if _, in := other[s]; in {
					probs = append(probs, Problem{Service: g.names[s], Key: "conflicts", Target: g.names[c],
						Message: fmt.Sprintf("%q requires %q (%s): it could never start", g.names[c], g.names[s], g.pathTo(other, s))})
				}
			}
		}
	}
	return probs
}

// requiresTree walks the requires closure of s breadth-first and returns each member's parent.
func (g *Graph) requiresTree(s int32) map[int32]int32 {
	parents := map[int32]int32{s: -1}
	queue := []int32{s}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range g.req[n] {
			if _, seen := parents[d]; !seen {
				parents[d] = n
				queue = append(queue, d)
			}
		}
	}
	return parents
}

func (g *Graph) pathTo(parents map[int32]int32, n int32) string {
	var path []string
	for ; n != -1; n = parents[n] {
		path = append(path, g.names[n])
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return strings.Join(path, " -> ")
}
