package graphs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fuzzNodes decodes up to 16 services and their entries from data: data[0] picks the number of
// services, then each pair of bytes is one entry: from (low 6 bits of the first), kind (its top
// two bits: requires, requires, after, conflicts), to (the second).
func fuzzNodes(data []byte) []Node {
	if len(data) == 0 {
		return nil
	}
	size := 1 + int(data[0]%16)
	nodes := make([]Node, size)
	for i := range nodes {
		nodes[i].Name = string(rune('a' + i))
	}
	for i := 1; i+1 < len(data) && i < 129; i += 2 {
		from, to := &nodes[int(data[i]&63)%size], nodes[int(data[i+1])%size].Name
		switch data[i] >> 6 {
		case 0, 1:
			from.Requires = append(from.Requires, to)
		case 2:
			from.After = append(from.After, to)
		default:
			from.Conflicts = append(from.Conflicts, to)
		}
	}
	return nodes
}

var fuzzSeeds = [][]byte{
	{7, 0, 1, 1, 2, 2, 0, 3, 3},
	{5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0x85, 0x91},
	{3, 1, 0, 0x82, 1, 2, 0, 0xc2, 1},                   // after inside a closure, a conflict
	{4, 1, 0, 2, 0, 3, 1, 3, 2, 0x83, 0, 0xc0, 3},       // diamond plus an after edge
	{2, 0, 1, 0x81, 0},                                  // cycle through requires and after
	{9, 1, 0, 2, 1, 3, 2, 0x84, 3, 5, 4, 0xc6, 5, 7, 6}, // chains, after-only link, conflict
}

// FuzzBuild builds graphs from arbitrary edges: no panic, and on a graph without problems every
// plan holds each member once and ends with its service.
func FuzzBuild(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes := fuzzNodes(data)
		g, probs := Build(nodes)
		for _, nd := range nodes {
			sp, err := g.Stop(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			st, err := g.Start(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) > 0 {
				continue
			}
			for _, order := range [][]string{sp.Order, st.Order} {
				if len(order) != len(set(order)) {
					t.Fatalf("a service twice in %v", order)
				}
				if order[len(order)-1] != nd.Name {
					t.Fatalf("plan %v does not end with %s", order, nd.Name)
				}
			}
		}
	})
}

// FuzzPlans checks the plans and problems of random graphs against a reference computed the slow
// way from the nodes themselves: the stop set is exactly the service and its transitive requires-
// dependents, the start set exactly its requires closure (after edges order but never pull in);
// on an acyclic graph every requires/after edge between members is respected (start: what a
// service depends on comes in an earlier wave; stop: every dependent in an earlier wave than what
// it depends on), each wave is as early as it can be, and Order is the waves in sequence. Cycles
// and impossible conflicts are reported exactly when they exist, and every cycle path is a cycle.
// The same nodes in another order give the same bytes.
func FuzzPlans(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes := fuzzNodes(data)
		ref := newReference(nodes)
		g, probs := Build(nodes)
		checkProblems(t, ref, probs)
		acyclic := !ref.hasCycle()
		var all []string
		for _, nd := range nodes {
			all = append(all, nd.Name)
			sp, err := g.Stop(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, "stop "+nd.Name, ref, sp.Order, sp.Waves, ref.dependents(nd.Name), acyclic, false)
			if want := without(sp.Order, map[string]bool{nd.Name: true}); !reflect.DeepEqual(sp.StoppedDependents, want) {
				t.Fatalf("stop %s: stopped_dependents %v, want %v", nd.Name, sp.StoppedDependents, want)
			}
			st, err := g.Start(nd.Name)
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, "start "+nd.Name, ref, st.Order, st.Waves, ref.closure(nd.Name), acyclic, true)
			if acyclic && sp.Order[len(sp.Order)-1] != nd.Name || acyclic && st.Order[len(st.Order)-1] != nd.Name {
				t.Fatalf("%s: plans %v and %v do not end with it", nd.Name, sp.Order, st.Order)
			}
		}
		if len(all) > 0 {
			sa, err := g.StartAll(all)
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, "start all", ref, sa.Order, sa.Waves, set(all), acyclic, true)
		}
		checkStable(t, nodes, g, probs)
	})
}

// reference is the graph of nodes the slow, obvious way, for checking Build against.
type reference struct {
	names   []string
	req     map[string]map[string]bool // requires entries, self-entries left out
	order   map[string]map[string]bool // requires and after entries: u must start after v
	reach   map[string]map[string]bool // transitive closure of order
	conflct map[string]map[string]bool
}

func newReference(nodes []Node) *reference {
	r := &reference{req: map[string]map[string]bool{}, order: map[string]map[string]bool{},
		reach: map[string]map[string]bool{}, conflct: map[string]map[string]bool{}}
	for _, nd := range nodes {
		r.names = append(r.names, nd.Name)
		r.req[nd.Name], r.order[nd.Name], r.conflct[nd.Name] = map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, d := range nd.Requires {
			if d != nd.Name {
				r.req[nd.Name][d], r.order[nd.Name][d] = true, true
			}
		}
		for _, d := range nd.After {
			if d != nd.Name {
				r.order[nd.Name][d] = true
			}
		}
		for _, d := range nd.Conflicts {
			if d != nd.Name {
				r.conflct[nd.Name][d] = true
			}
		}
	}
	for _, u := range r.names {
		r.reach[u] = r.walk(u, r.order)
		delete(r.reach[u], u)
		for v := range r.order[u] {
			if r.walk(v, r.order)[u] {
				r.reach[u][u] = true // u is on a cycle
			}
		}
	}
	return r
}

// walk returns from and everything reachable from it in adj.
func (r *reference) walk(from string, adj map[string]map[string]bool) map[string]bool {
	seen := map[string]bool{from: true}
	for changed := true; changed; {
		changed = false
		for u := range seen {
			for v := range adj[u] {
				if !seen[v] {
					seen[v], changed = true, true
				}
			}
		}
	}
	return seen
}

func (r *reference) closure(name string) map[string]bool { return r.walk(name, r.req) }

func (r *reference) dependents(name string) map[string]bool {
	out := map[string]bool{}
	for _, u := range r.names {
		if r.closure(u)[name] {
			out[u] = true
		}
	}
	return out
}

func (r *reference) hasCycle() bool {
	for _, u := range r.names {
		if r.reach[u][u] {
			return true
		}
	}
	return false
}

func set(names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// checkPlan checks one plan: its members, its waves, and on an acyclic graph every edge. On a
// start plan an edge u -> v (u requires or is after v) puts v in an earlier wave; on a stop plan u.
func checkPlan(t *testing.T, what string, ref *reference, order []string, waves [][]string, want map[string]bool, acyclic, start bool) {
	t.Helper()
	if !reflect.DeepEqual(set(order), want) || len(order) != len(want) {
		t.Fatalf("%s: order %v, want the members %v once each", what, order, want)
	}
	if !slices.Equal(flatten(waves), order) {
		t.Fatalf("%s: order %v is not the waves %v in sequence", what, order, waves)
	}
	wave := map[string]int{}
	for i, w := range waves {
		if len(w) == 0 || !slices.IsSorted(w) {
			t.Fatalf("%s: wave %d %v empty or unsorted", what, i, w)
		}
		for _, m := range w {
			wave[m] = i
		}
	}
	if !acyclic {
		return
	}
	// first is the end of an edge that goes in the earlier wave.
	edge := func(u, v string) (first, then string) {
		if start {
			return v, u
		}
		return u, v
	}
	for _, u := range order {
		for v := range ref.order[u] {
			if !want[v] {
				continue
			}
			if first, then := edge(u, v); wave[first] >= wave[then] {
				t.Fatalf("%s: %s (wave %d) must come before %s (wave %d): waves %v", what, first, wave[first], then, wave[then], waves)
			}
		}
	}
	// Each member after the first wave waits for a member of the wave just before it.
	for _, m := range order {
		if wave[m] == 0 {
			continue
		}
		held := false
		for _, u := range order {
			for v := range ref.order[u] {
				if first, then := edge(u, v); then == m && want[first] && wave[first] == wave[m]-1 {
					held = true
				}
			}
		}
		if !held {
			t.Fatalf("%s: %s could be in an earlier wave than %d: %v", what, m, wave[m], waves)
		}
	}
}

// checkProblems compares Build's problems with the reference: one cycle problem per group of
// services on cycles, naming a real cycle from that group's smallest name; one conflict problem
// per conflict with a requires closure; one self problem per key naming the service itself.
func checkProblems(t *testing.T, ref *reference, probs []Problem) {
	t.Helper()
	cycleGroups := map[string]bool{} // smallest member of each group of services on one cycle
	for _, u := range ref.names {
		if !ref.reach[u][u] {
			continue
		}
		smallest := u
		for _, v := range ref.names {
			if ref.reach[u][v] && ref.reach[v][u] && v < smallest {
				smallest = v
			}
		}
		cycleGroups[smallest] = true
	}
	conflictsWanted := 0
	for _, s := range ref.names {
		for c := range ref.conflct[s] {
			if ref.closure(s)[c] || ref.closure(c)[s] {
				conflictsWanted++
			}
		}
	}
	cyclesSeen, conflictsSeen := 0, 0
	for _, p := range probs {
		switch {
		case strings.HasPrefix(p.Message, "dependency cycle: "):
			cyclesSeen++
			path := strings.Split(strings.TrimPrefix(p.Message, "dependency cycle: "), " -> ")
			if !cycleGroups[path[0]] || path[0] != p.Service || path[len(path)-1] != path[0] || path[1] != p.Target {
				t.Fatalf("problem %+v: not a cycle from the smallest service of a group %v", p, cycleGroups)
			}
			for i := 0; i+1 < len(path); i++ {
				if !ref.order[path[i]][path[i+1]] {
					t.Fatalf("problem %+v: %s has no requires/after %s", p, path[i], path[i+1])
				}
			}
		case p.Key == KindConflicts && strings.HasSuffix(p.Message, "it could never start"):
			conflictsSeen++
		case strings.HasSuffix(p.Message, "cannot depend on itself"):
			if p.Target != p.Service {
				t.Fatalf("problem %+v: not a self-dependency", p)
			}
		default:
			t.Fatalf("unexpected problem %+v", p)
		}
	}
	if cyclesSeen != len(cycleGroups) || conflictsSeen != conflictsWanted {
		t.Fatalf("%d cycle and %d conflict problems, want %d and %d: %+v", cyclesSeen, conflictsSeen, len(cycleGroups), conflictsWanted, probs)
	}
}

// checkStable builds the same nodes in reverse order and wants the same problems and plans.
func checkStable(t *testing.T, nodes []Node, g *Graph, probs []Problem) {
	t.Helper()
	rev := slices.Clone(nodes)
	slices.Reverse(rev)
	g2, probs2 := Build(rev)
	if fmt.Sprint(probs) != fmt.Sprint(probs2) {
		t.Fatalf("problems depend on the order of services:\n%v\n%v", probs, probs2)
	}
	for _, nd := range nodes {
		a, _ := g.Stop(nd.Name)
		b, _ := g2.Stop(nd.Name)
		c, _ := g.Start(nd.Name)
		d, _ := g2.Start(nd.Name)
		if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(c, d) {
			t.Fatalf("plans of %s depend on the order of services", nd.Name)
		}
	}
}
