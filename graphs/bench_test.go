package graphs

import (
	"fmt"
	"testing"
)

// Shapes for the benchmarks.

// rootNodes: every service requires the root, plus its predecessor in blocks of ten (chains of
// depth 10), and is ordered after another service: a realistic but heavy graph.
func rootNodes(n int) []Node {
	nodes := make([]Node, n)
	nodes[0] = Node{Name: "root"}
	for i := 1; i < n; i++ {
		req := []string{"root"}
		if i%10 != 1 {
			req = append(req, svc(i-1))
		}
		var after []string
		if i > 20 {
			after = []string{svc(i - 20)}
		}
		nodes[i] = Node{Name: svc(i), Requires: req, After: after}
	}
	return nodes
}

// chainNodes: svc000001 requires svc000000, and so on: one chain n services deep.
func chainNodes(n int) []Node {
	nodes := make([]Node, n)
	nodes[0] = Node{Name: svc(0)}
	for i := 1; i < n; i++ {
		nodes[i] = Node{Name: svc(i), Requires: []string{svc(i - 1)}}
	}
	return nodes
}

func svc(i int) string { return fmt.Sprintf("svc%06d", i) }

func benchBuild(b *testing.B, nodes []Node) {
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := Build(nodes); len(probs) > 0 {
			b.Fatal(probs[0])
		}
	}
}

func BenchmarkBuildValidate10k(b *testing.B)       { benchBuild(b, rootNodes(10_000)) }
func BenchmarkBuildValidate100k(b *testing.B)      { benchBuild(b, rootNodes(100_000)) }
func BenchmarkBuildValidateChain10k(b *testing.B)  { benchBuild(b, chainNodes(10_000)) }
func BenchmarkBuildValidateChain100k(b *testing.B) { benchBuild(b, chainNodes(100_000)) }

// benchPlan times plan on the graph of nodes; every plan must hold want services.
func benchPlan(b *testing.B, nodes []Node, want int, plan func(*Graph) ([]string, error)) {
	g, probs := Build(nodes)
	if len(probs) > 0 {
		b.Fatal(probs[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		order, err := plan(g)
		if err != nil || len(order) != want {
			b.Fatalf("plan of %d, want %d, err %v", len(order), want, err)
		}
	}
}

func stopOf(name string) func(*Graph) ([]string, error) {
	return func(g *Graph) ([]string, error) { p, err := g.Stop(name); return p.Order, err }
}

func startOf(names ...string) func(*Graph) ([]string, error) {
	return func(g *Graph) ([]string, error) { p, err := g.StartAll(names); return p.Order, err }
}

func allNames(n int) []string {
	names := []string{"root"}
	for i := 1; i < n; i++ {
		names = append(names, svc(i))
	}
	return names
}

// Cascade stop of a root that every service depends on: the worst case.
func BenchmarkStopPlanRoot10k(b *testing.B) { benchPlan(b, rootNodes(10_000), 10_000, stopOf("root")) }
func BenchmarkStopPlanRoot100k(b *testing.B) {
	benchPlan(b, rootNodes(100_000), 100_000, stopOf("root"))
}

// Cascade stop of the bottom of a chain: as many waves as services.
func BenchmarkStopPlanChain10k(b *testing.B) {
	benchPlan(b, chainNodes(10_000), 10_000, stopOf(svc(0)))
}
func BenchmarkStopPlanChain100k(b *testing.B) {
	benchPlan(b, chainNodes(100_000), 100_000, stopOf(svc(0)))
}

// Start of the last service of the root graph: its chain of nine (svc009991..) and the root.
func BenchmarkStartPlan10k(b *testing.B)  { benchPlan(b, rootNodes(10_000), 10, startOf(svc(9_999))) }
func BenchmarkStartPlan100k(b *testing.B) { benchPlan(b, rootNodes(100_000), 10, startOf(svc(99_999))) }

// Start of every service at once (herod starting every wanted service): the root, then all.
func BenchmarkStartPlanAll10k(b *testing.B) {
	benchPlan(b, rootNodes(10_000), 10_000, startOf(allNames(10_000)...))
}
func BenchmarkStartPlanAll100k(b *testing.B) {
	benchPlan(b, rootNodes(100_000), 100_000, startOf(allNames(100_000)...))
}

// Start of the top of a chain: the whole chain, as many waves as services.
func BenchmarkStartPlanChain10k(b *testing.B) {
	benchPlan(b, chainNodes(10_000), 10_000, startOf(svc(9_999)))
}
func BenchmarkStartPlanChain100k(b *testing.B) {
	benchPlan(b, chainNodes(100_000), 100_000, startOf(svc(99_999)))
}

// The least any of the library's traversals (BFS, DFS, StronglyConnectedComponents) pays per
// call: one whole-graph AdjacencyMap. Plans do not use them for this reason (walk.go).
func benchAdjacencyMap(b *testing.B, n int) {
	g, _ := Build(rootNodes(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Library().AdjacencyMap(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLibraryAdjacencyMap10k(b *testing.B)  { benchAdjacencyMap(b, 10_000) }
func BenchmarkLibraryAdjacencyMap100k(b *testing.B) { benchAdjacencyMap(b, 100_000) }
