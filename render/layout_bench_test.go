package render

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLayout lays out sparse random graphs (one edge more than a tree
// per five nodes, a few cycles) with nomnoml's default options.
func BenchmarkLayout(b *testing.B) {
	for _, n := range []int{20, 100, 500} {
		g := lyRandomGraph(rand.New(rand.NewPCG(uint64(n), 42)), n, 0.2)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Layout(g, DefaultLayoutOptions())
			}
		})
	}
}

// BenchmarkLayoutNetworkSimplex ranks the same graphs with network simplex alone.
func BenchmarkLayoutNetworkSimplex(b *testing.B) {
	for _, n := range []int{100, 500} {
		g := lyRandomGraph(rand.New(rand.NewPCG(uint64(n), 42)), n, 0.2)
		var edges []lyInEdge
		for i, e := range g.Edges {
			if e.From != e.To {
				edges = append(edges, lyInEdge{orig: i, from: e.From, to: e.To})
			}
		}
		lyAcyclic(n, edges, false)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				lyRank(n, edges, 2, "network-simplex")
			}
		})
	}
}
