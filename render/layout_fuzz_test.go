package render

import (
	"math"
	"testing"
)

// lyGraphFromBytes decodes fuzz input: options from the first bytes, then
// node sizes and edges, so that every input is some graph.
func lyGraphFromBytes(data []byte) (*LayoutGraph, LayoutOptions) {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := int(data[0])
		data = data[1:]
		return b
	}
	o := LayoutOptions{
		RankDir:   []string{"TB", "LR", "", "x"}[next()%4],
		NodeSep:   float64(next() % 60),
		EdgeSep:   float64(next() % 60),
		RankSep:   float64(next() % 60),
		Ranker:    []string{"network-simplex", "tight-tree", "longest-path", ""}[next()%4],
		Acyclicer: []string{"", "greedy"}[next()%2],
		MinLen:    next()%4 - 1,
	}
	n := next() % 40
	g := &LayoutGraph{}
	for i := 0; i < n; i++ {
		g.Nodes = append(g.Nodes, LayoutNode{W: float64(next() % 200), H: float64(next() % 100)})
	}
	for len(data) >= 2 && len(g.Edges) < 80 {
		e := LayoutEdge{From: next()%(n+2) - 1, To: next()%(n+2) - 1}
		if len(data) > 0 && data[0]%7 == 0 {
			e.LabelW, e.LabelH = float64(next()%80), float64(next()%30)
		}
		g.Edges = append(g.Edges, e)
	}
	return g, o
}

func FuzzLayout(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 40, 40, 40, 0, 0, 2, 3, 50, 20, 60, 30, 70, 40, 1, 2, 2, 3, 3, 1})
	f.Add([]byte{1, 10, 5, 20, 1, 1, 3, 6, 10, 10, 0, 0, 30, 5, 200, 90, 1, 1, 40, 40, 1, 2, 2, 3, 3, 4, 4, 1, 1, 1, 2, 2, 7, 60, 20, 5, 6})
	f.Add([]byte{2, 0, 0, 0, 2, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 1, 3, 1, 4, 1, 5, 2, 6, 3, 6, 4, 6})
	// Dozens of self-loops and parallel edges on three nodes.
	many := []byte{0, 40, 40, 40, 0, 0, 2, 3, 50, 20, 60, 30, 70, 40}
	for i := 0; i < 80; i++ {
		many = append(many, 172, byte(172+i%3))
	}
	f.Add(many)
	f.Fuzz(func(t *testing.T, data []byte) {
		g, o := lyGraphFromBytes(data)
		res := Layout(g, o)
		if len(res.Nodes) != len(g.Nodes) || len(res.Edges) != len(g.Edges) {
			t.Fatalf("result sizes %d/%d for %d/%d", len(res.Nodes), len(res.Edges), len(g.Nodes), len(g.Edges))
		}
		if math.IsNaN(res.Width) || math.IsNaN(res.Height) {
			t.Fatalf("extent %gx%g", res.Width, res.Height)
		}
		lyCheckSound(t, g, o, res)
	})
}
