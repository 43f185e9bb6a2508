package render

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lyTestGraph builds a graph of n nodes of w×h and the given edges.
func lyTestGraph(n int, w, h float64, edges ...[2]int) *LayoutGraph {
	g := &LayoutGraph{}
	for i := 0; i < n; i++ {
		g.Nodes = append(g.Nodes, LayoutNode{ID: fmt.Sprint(i), W: w, H: h})
	}
	for _, e := range edges {
		g.Edges = append(g.Edges, LayoutEdge{From: e[0], To: e[1]})
	}
	return g
}

// lyRandomGraph is a sparse, mostly acyclic graph with varied node sizes.
func lyRandomGraph(rng *rand.Rand, n int, extra float64) *LayoutGraph {
	g := &LayoutGraph{}
	for i := 0; i < n; i++ {
		g.Nodes = append(g.Nodes, LayoutNode{ID: fmt.Sprint(i), W: 30 + float64(rng.IntN(120)), H: 20 + float64(rng.IntN(50))})
	}
	for i := 1; i < n; i++ {
		g.Edges = append(g.Edges, LayoutEdge{From: rng.IntN(i), To: i})
	}
	for k := 0; k < int(extra*float64(n)); k++ {
		a, b := rng.IntN(n), rng.IntN(n)
		if a > b && rng.IntN(8) != 0 { // mostly forward, a few cycles
			a, b = b, a
		}
		g.Edges = append(g.Edges, LayoutEdge{From: a, To: b})
	}
	return g
}

// lyCheckSound asserts what every layout must satisfy: no overlaps, no edge
// through a node it does not join, ends on the borders of their nodes, all
// coordinates inside the reported extent.
func lyCheckSound(t *testing.T, g *LayoutGraph, o LayoutOptions, res *LayoutResult) {
	t.Helper()
	q := Quality(res, g)
	if q.Overlaps != 0 {
		t.Errorf("%d overlapping node pairs", q.Overlaps)
	}
	if q.EdgesThroughNodes != 0 {
		t.Errorf("%d edges through unrelated nodes", q.EdgesThroughNodes)
	}
	const eps = 1e-6
	inside := func(what string, x, y float64) {
		if x < -eps || y < -eps || x > res.Width+eps || y > res.Height+eps || math.IsNaN(x) || math.IsNaN(y) {
			t.Errorf("%s at (%g,%g) outside %gx%g", what, x, y, res.Width, res.Height)
		}
	}
	for i, n := range res.Nodes {
		inside(fmt.Sprintf("node %d corner", i), n.X-n.W/2, n.Y-n.H/2)
		inside(fmt.Sprintf("node %d corner", i), n.X+n.W/2, n.Y+n.H/2)
	}
	onBorder := func(p LayoutPoint, n LayoutNodePos) bool {
		dx, dy := math.Abs(p.X-n.X), math.Abs(p.Y-n.Y)
		if dx > n.W/2+eps || dy > n.H/2+eps {
			return false
		}
		return math.Abs(dx-n.W/2) < 1e-6 || math.Abs(dy-n.H/2) < 1e-6
	}
	for i, e := range g.Edges {
		pts := res.Edges[i].Points
		if e.From < 0 || e.From >= len(g.Nodes) || e.To < 0 || e.To >= len(g.Nodes) {
			if len(pts) != 0 {
				t.Errorf("edge %d to a missing node has points", i)
			}
			continue
		}
		if len(pts) < 2 {
			t.Fatalf("edge %d has %d points", i, len(pts))
		}
		for _, p := range pts {
			inside(fmt.Sprintf("edge %d point", i), p.X, p.Y)
		}
		if !onBorder(pts[0], res.Nodes[e.From]) {
			t.Errorf("edge %d starts at %v, not on the border of %+v", i, pts[0], res.Nodes[e.From])
		}
		if !onBorder(pts[len(pts)-1], res.Nodes[e.To]) {
			t.Errorf("edge %d ends at %v, not on the border of %+v", i, pts[len(pts)-1], res.Nodes[e.To])
		}
	}
}

func TestLayoutNomnomlFigures(t *testing.T) {
	// nomnoml's own layout test: measurer width 100, height 10, spacing 5, padding 2.
	o := LayoutOptions{RankDir: "TB", NodeSep: 5, EdgeSep: 5, RankSep: 5, MinLen: 1}
	one := Layout(lyTestGraph(1, 104, 14), o)
	if n := one.Nodes[0]; n.X != 52 || n.Y != 7 || one.Width != 104 || one.Height != 14 {
		t.Errorf("[apa]: got %+v in %gx%g, want 104x14 at (52,7)", n, one.Width, one.Height)
	}
	two := Layout(lyTestGraph(2, 104, 14, [2]int{0, 1}), o)
	want := []LayoutPoint{{52, 14}, {52, 16.5}, {52, 19}}
	got := two.Edges[0].Points
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("[flea]->[dandruff] path %v, want %v", got, want)
	}
	if two.Nodes[0].Y != 7 || two.Nodes[1].Y != 26 {
		t.Errorf("node centres %v %v, want y 7 and 26", two.Nodes[0], two.Nodes[1])
	}
}

func TestLayoutProperties(t *testing.T) {
	def := DefaultLayoutOptions()
	lr := def
	lr.RankDir = "LR"
	chain := lyTestGraph(4, 80, 30, [2]int{0, 1}, [2]int{1, 2}, [2]int{2, 3})
	tests := []struct {
		name  string
		g     *LayoutGraph
		o     LayoutOptions
		check func(t *testing.T, g *LayoutGraph, r *LayoutResult)
	}{
		{"empty", &LayoutGraph{}, def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
			if r.Width != 0 || r.Height != 0 || len(r.Nodes) != 0 {
				t.Errorf("empty graph: %+v", r)
			}
		}},
		{"chain aligned top to bottom", chain, def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
			for i := 1; i < 4; i++ {
				if r.Nodes[i].X != r.Nodes[0].X {
					t.Errorf("node %d x %g, want %g", i, r.Nodes[i].X, r.Nodes[0].X)
				}
				// 30 high nodes, 40 apart.
				if d := r.Nodes[i].Y - r.Nodes[i-1].Y; d != 70 {
					t.Errorf("rank distance %g, want 70", d)
				}
			}
			if r.Width != 80 || r.Height != 4*30+3*40 {
				t.Errorf("extent %gx%g", r.Width, r.Height)
			}
		}},
		{"chain left to right", chain, lr, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
			for i := 1; i < 4; i++ {
				if r.Nodes[i].Y != r.Nodes[0].Y {
					t.Errorf("node %d y %g, want %g", i, r.Nodes[i].Y, r.Nodes[0].Y)
				}
				if d := r.Nodes[i].X - r.Nodes[i-1].X; d != 120 {
					t.Errorf("rank distance %g, want 80+40", d)
				}
			}
			if r.Width != 4*80+3*40 || r.Height != 30 {
				t.Errorf("extent %gx%g", r.Width, r.Height)
			}
		}},
		{"edges point down", lyRandomGraph(rand.New(rand.NewPCG(1, 2)), 40, 0), def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
			for i, e := range g.Edges {
				if r.Nodes[e.To].Y <= r.Nodes[e.From].Y {
					t.Errorf("edge %d: %d at y %g not below %d at y %g", i, e.To, r.Nodes[e.To].Y, e.From, r.Nodes[e.From].Y)
				}
			}
		}},
		{"fan is balanced under its root", lyTestGraph(4, 40, 20, [2]int{0, 1}, [2]int{0, 2}, [2]int{0, 3}), def,
			func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				n := r.Nodes
				if n[0].X != n[2].X || n[2].X-n[1].X != n[3].X-n[2].X || n[1].X >= n[2].X {
					t.Errorf("root at %g over children at %g %g %g", n[0].X, n[1].X, n[2].X, n[3].X)
				}
			}},
		{"long edge runs straight beside a chain", lyTestGraph(5, 60, 20,
			[2]int{0, 1}, [2]int{1, 2}, [2]int{2, 3}, [2]int{3, 4}, [2]int{0, 4}), def,
			func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				p := r.Edges[4].Points
				// Port stubs at both ends, one vertical line through the dummies between.
				inner := p[2 : len(p)-2]
				for _, q := range inner {
					if q.X != inner[0].X {
						t.Errorf("long edge bends between its ends: %v", p)
						break
					}
				}
				if len(inner) < 6 {
					t.Errorf("long edge has too few points: %v", p)
				}
			}},
		{"K3,3 crosses 9 times", lyTestGraph(6, 40, 20,
			[2]int{0, 3}, [2]int{0, 4}, [2]int{0, 5}, [2]int{1, 3}, [2]int{1, 4}, [2]int{1, 5}, [2]int{2, 3}, [2]int{2, 4}, [2]int{2, 5}),
			def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				if c := Quality(r, g).Crossings; c != 9 {
					t.Errorf("K3,3 has %d crossings, want the minimum 9", c)
				}
			}},
		{"reversed matching untangled", lyTestGraph(10, 40, 20,
			[2]int{0, 9}, [2]int{1, 8}, [2]int{2, 7}, [2]int{3, 6}, [2]int{4, 5}, [2]int{0, 1}),
			def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				if c := Quality(r, g).Crossings; c != 0 {
					t.Errorf("%d crossings, want 0", c)
				}
			}},
		{"six-cycle crosses twice", lyTestGraph(6, 40, 20,
			[2]int{0, 2}, [2]int{1, 2}, [2]int{0, 5}, [2]int{1, 4}, [2]int{3, 4}, [2]int{3, 5}),
			def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				// The cycle 0-2-1-4-3-5-0 on two layers needs k-1 = 2 crossings.
				if c := Quality(r, g).Crossings; c != 2 {
					t.Errorf("%d crossings, want 2", c)
				}
			}},
		{"cycle", lyTestGraph(3, 50, 20, [2]int{0, 1}, [2]int{1, 2}, [2]int{2, 0}), def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
			// The reversed edge still runs from its own start to its own end.
			if p := r.Edges[2].Points; p[0].Y < p[len(p)-1].Y {
				t.Errorf("reversed edge 2->0 runs downwards: %v", p)
			}
		}},
		{"greedy cycle", lyTestGraph(4, 50, 20, [2]int{0, 1}, [2]int{1, 2}, [2]int{2, 0}, [2]int{2, 3}, [2]int{3, 1}),
			LayoutOptions{NodeSep: 20, EdgeSep: 10, RankSep: 30, Acyclicer: "greedy", MinLen: 1}, nil},
		{"self loop and parallel edges", lyTestGraph(3, 60, 30, [2]int{0, 0}, [2]int{0, 1}, [2]int{0, 1}, [2]int{1, 2}, [2]int{2, 2}),
			def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				if fmt.Sprint(r.Edges[1].Points) == fmt.Sprint(r.Edges[2].Points) {
					t.Errorf("parallel edges share a route: %v", r.Edges[1].Points)
				}
				if p := r.Edges[0].Points; len(p) != 4 {
					t.Errorf("self loop %v", p)
				}
			}},
		{"self loops nest", lyTestGraph(2, 60, 30, [2]int{0, 0}, [2]int{0, 0}, [2]int{0, 1}), def,
			func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				a, b := r.Edges[0].Points, r.Edges[1].Points
				if !(a[1].X < b[1].X && a[1].Y > b[1].Y) {
					t.Errorf("second loop %v does not enclose the first %v", b, a)
				}
			}},
		{"disconnected", lyTestGraph(7, 70, 25, [2]int{0, 1}, [2]int{2, 3}, [2]int{3, 4}), def, nil},
		{"bad input", &LayoutGraph{Nodes: []LayoutNode{{W: math.NaN(), H: -5}, {W: math.Inf(1), H: 3}, {W: 10, H: 10}},
			Edges: []LayoutEdge{{From: 0, To: 7}, {From: -1, To: 1}, {From: 0, To: 2, LabelW: math.NaN()}}},
			LayoutOptions{RankDir: "sideways", NodeSep: -3, RankSep: math.NaN(), MinLen: -2, Ranker: "bogus"}, nil},
		{"gravity 0 keeps ends half a rank apart", lyTestGraph(4, 40, 20, [2]int{0, 1}, [2]int{0, 2}, [2]int{0, 3}, [2]int{3, 1}),
			LayoutOptions{NodeSep: 20, EdgeSep: 20, RankSep: 20, MinLen: 0}, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				// 0 on top, 2 and 3 one half rank (20 high + 10) below, 1 below 3.
				want := []float64{10, 70, 40, 40}
				for i, y := range want {
					if r.Nodes[i].Y != y {
						t.Errorf("node %d at y %g, want %g", i, r.Nodes[i].Y, y)
					}
				}
			}},
		{"labels get room", &LayoutGraph{Nodes: lyTestGraph(3, 40, 20).Nodes,
			Edges: []LayoutEdge{{From: 0, To: 1, LabelW: 60, LabelH: 16}, {From: 0, To: 2, LabelW: 60, LabelH: 16}}},
			def, func(t *testing.T, g *LayoutGraph, r *LayoutResult) {
				for i, e := range r.Edges {
					lab := LayoutNodePos{X: e.LabelX, Y: e.LabelY, W: 60, H: 16}
					for j, n := range r.Nodes {
						if qRectsOverlap(lab, n) {
							t.Errorf("label of edge %d overlaps node %d", i, j)
						}
					}
				}
				a := LayoutNodePos{X: r.Edges[0].LabelX, Y: r.Edges[0].LabelY, W: 60, H: 16}
				b := LayoutNodePos{X: r.Edges[1].LabelX, Y: r.Edges[1].LabelY, W: 60, H: 16}
				if qRectsOverlap(a, b) {
					t.Errorf("labels overlap: %v %v", a, b)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Layout(tc.g, tc.o)
			lyCheckSound(t, tc.g, tc.o, r)
			if tc.check != nil {
				tc.check(t, tc.g, r)
			}
		})
	}
}

func TestLayoutRandomSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 60; i++ {
		n := 2 + rng.IntN(40)
		g := lyRandomGraph(rng, n, rng.Float64()*1.5)
		for _, o := range []LayoutOptions{DefaultLayoutOptions(), {RankDir: "LR", NodeSep: 10, EdgeSep: 5, RankSep: 25, Ranker: "longest-path", Acyclicer: "greedy", MinLen: 2}} {
			t.Run(fmt.Sprintf("%d-%s", i, o.RankDir), func(t *testing.T) {
				lyCheckSound(t, g, o, Layout(g, o))
			})
		}
	}
}

// lySpan sums weight·(rank distance) over the ranking edges, the objective network simplex minimises.
func lySpan(edges []lyInEdge, rank []int) int {
	s := 0
	for _, e := range edges {
		s += rank[e.to] - rank[e.from]
	}
	return s
}

func TestLayoutRankers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		n := 2 + rng.IntN(25)
		g := lyRandomGraph(rng, n, rng.Float64())
		var edges []lyInEdge
		for j, e := range g.Edges {
			if e.From != e.To {
				edges = append(edges, lyInEdge{orig: j, from: e.From, to: e.To})
			}
		}
		lyAcyclic(n, edges, i%2 == 0)
		spans := map[string]int{}
		for _, ranker := range []string{"longest-path", "tight-tree", "network-simplex"} {
			rank := lyRank(n, edges, 2, ranker)
			for _, e := range edges {
				if rank[e.to]-rank[e.from] < 2 {
					t.Fatalf("graph %d %s: edge %d->%d spans %d ranks", i, ranker, e.from, e.to, rank[e.to]-rank[e.from])
				}
			}
			spans[ranker] = lySpan(edges, rank)
		}
		if spans["network-simplex"] > spans["longest-path"] || spans["network-simplex"] > spans["tight-tree"] {
			t.Errorf("graph %d: network simplex total span %v is not the least", i, spans)
		}
		if n <= 5 {
			if opt := lyBruteForceSpan(n, edges, 2); spans["network-simplex"] != opt {
				t.Errorf("graph %d: network simplex span %d, optimum %d", i, spans["network-simplex"], opt)
			}
		}
	}
}

// lyBruteForceSpan finds the least total span of a small graph by trying
// every ranking with ranks below 2·minlen·n.
func lyBruteForceSpan(n int, edges []lyInEdge, minlen int) int {
	limit := minlen * n
	rank := make([]int, n)
	best := math.MaxInt
	var rec func(i int)
	rec = func(i int) {
		if i == n {
			s := 0
			for _, e := range edges {
				d := rank[e.to] - rank[e.from]
				if d < minlen {
					return
				}
				s += d
			}
			best = min(best, s)
			return
		}
		for r := 0; r <= limit; r++ {
			rank[i] = r
			rec(i + 1)
		}
	}
	rec(0)
	return best
}

func TestLayoutBilayerCrossings(t *testing.T) {
	// Upper a,b,c; lower x,y,z with a->z, b->y, c->x: three pairwise crossings.
	lg := &lyLayered{nReal: 6, down: [][]int{{5}, {4}, {3}, nil, nil, nil}, pos: []int{0, 1, 2, 0, 1, 2}}
	if c := lg.bilayerCrossings([]int{0, 1, 2}, []int{3, 4, 5}); c != 3 {
		t.Errorf("crossings %d, want 3", c)
	}
	lg.down = [][]int{{3, 4}, {3, 5}, {4}, nil, nil, nil}
	// a-x a-y b-x b-z c-y: b-x crosses a-y; c-y crosses b-z.
	if c := lg.bilayerCrossings([]int{0, 1, 2}, []int{3, 4, 5}); c != 2 {
		t.Errorf("crossings %d, want 2", c)
	}
}

// TestLayoutCrossingsMatchOrder: routes run vertically inside rank bands and
// diagonally only between them, so the drawn crossings are exactly the
// crossings of the layer order that crossing reduction minimised.
func TestLayoutCrossingsMatchOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 150; i++ {
		g := lyRandomGraph(rng, 5+rng.IntN(40), rng.Float64())
		o := DefaultLayoutOptions()
		if i%3 == 0 {
			o.RankDir, o.MinLen = "LR", 2
		}
		res, lg := lyLayout(g, o)
		if got, want := Quality(res, g).Crossings, lg.crossings(); got != want {
			t.Errorf("graph %d: %d crossings drawn, %d in the layer order", i, got, want)
		}
	}
}

// TestLayoutLabelRoom: the room reserved for edge labels overlaps no node and
// no other label, in both directions.
func TestLayoutLabelRoom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 60; i++ {
		g := lyRandomGraph(rng, 3+rng.IntN(25), rng.Float64())
		for k := range g.Edges {
			g.Edges[k].LabelW, g.Edges[k].LabelH = float64(10+rng.IntN(60)), float64(12+rng.IntN(20))
		}
		o := DefaultLayoutOptions()
		if i%2 == 1 {
			o.RankDir = "LR"
		}
		r := Layout(g, o)
		lyCheckSound(t, g, o, r)
		var rooms []LayoutNodePos
		for k, e := range g.Edges {
			if e.From == e.To {
				continue
			}
			room := LayoutNodePos{X: r.Edges[k].LabelX, Y: r.Edges[k].LabelY, W: e.LabelW, H: e.LabelH}
			for j, n := range r.Nodes {
				if qRectsOverlap(room, n) {
					t.Errorf("graph %d %s: label room of edge %d overlaps node %d", i, o.RankDir, k, j)
				}
			}
			for j, other := range rooms {
				if qRectsOverlap(room, other) {
					t.Errorf("graph %d %s: label rooms %d and %d overlap", i, o.RankDir, k, j)
				}
			}
			rooms = append(rooms, room)
		}
	}
}
