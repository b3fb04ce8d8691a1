package graphs

import (
	"fmt"
	"testing"
)

// Shapes for the benchmarks. Every service requires the root, plus its predecessor in blocks of
// ten (chains of depth 10) and is ordered after another service: a realistic but heavy graph.
func benchNodes(n int) []Node {
	nodes := make([]Node, n)
	nodes[0] = Node{Name: "root"}
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("svc%06d", i)
		req := []string{"root"}
		if i%10 != 1 {
			req = append(req, fmt.Sprintf("svc%06d", i-1))
		}
		var after []string
		if i > 20 {
			after = []string{fmt.Sprintf("svc%06d", i-20)}
		}
		nodes[i] = Node{Name: name, Requires: req, After: after}
	}
	return nodes
}

func benchBuild(b *testing.B, n int) {
	nodes := benchNodes(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, probs := Build(nodes); len(probs) > 0 {
			b.Fatal(probs[0])
		}
	}
}

func BenchmarkBuildValidate10k(b *testing.B)  { benchBuild(b, 10_000) }
func BenchmarkBuildValidate100k(b *testing.B) { benchBuild(b, 100_000) }

func benchStop(b *testing.B, n int) {
	g, _ := Build(benchNodes(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := g.Stop("root")
		if err != nil || len(p.Order) != n {
			b.Fatalf("plan of %d, err %v", len(p.Order), err)
		}
	}
}

func benchStart(b *testing.B, n int) {
	g, _ := Build(benchNodes(n))
	top := fmt.Sprintf("svc%06d", n-1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Start(top); err != nil {
			b.Fatal(err)
		}
	}
}

// Cascade stop of a root that every service depends on: the worst case.
func BenchmarkStopPlanRoot10k(b *testing.B)  { benchStop(b, 10_000) }
func BenchmarkStopPlanRoot100k(b *testing.B) { benchStop(b, 100_000) }
func BenchmarkStartPlan10k(b *testing.B)     { benchStart(b, 10_000) }
func BenchmarkStartPlan100k(b *testing.B)    { benchStart(b, 100_000) }
