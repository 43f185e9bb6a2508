package render

import (
	"math"
	"strings"
)

// The layered layout engine (Sugiyama et al. 1981): cycle removal, ranking
// (Gansner et al. 1993), crossing reduction by layer sweeps, coordinate
// assignment after Brandes & Köpf 2001, edge routing through dummy nodes.
// It knows nothing of drawing: nodes are rectangles, edges are index pairs.

// LayoutGraph is one compartment's graph: sized nodes and the edges between them.
// Parallel edges and self-loops are allowed.
type LayoutGraph struct {
	Nodes []LayoutNode
	Edges []LayoutEdge
}

// LayoutNode is a rectangle of W×H to place.
type LayoutNode struct {
	ID   string
	W, H float64
}

// LayoutEdge joins Nodes[From] to Nodes[To]. LabelW×LabelH, when non-zero,
// reserves room for a label at the edge's middle rank.
type LayoutEdge struct {
	From, To       int
	LabelW, LabelH float64
}

// LayoutOptions are the layered graph settings (nomnoml's directives map onto them).
type LayoutOptions struct {
	RankDir   string  // "TB" (default) or "LR"
	NodeSep   float64 // gap between nodes of one rank
	EdgeSep   float64 // gap next to edge bend points of one rank
	RankSep   float64 // gap between ranks of nodes
	Ranker    string  // "network-simplex" (default), "tight-tree", "longest-path"
	Acyclicer string  // "" (depth-first) or "greedy" (Eades–Lin–Smyth)
	MinLen    int     // ranks between the ends of an edge (nomnoml's #gravity); 0 draws ends half a rank apart
}

// DefaultLayoutOptions returns nomnoml's defaults: top to bottom, spacing 40, gravity 1.
func DefaultLayoutOptions() LayoutOptions {
	return LayoutOptions{RankDir: "TB", NodeSep: 40, EdgeSep: 40, RankSep: 40, Ranker: "network-simplex", MinLen: 1}
}

// LayoutPoint is a position in the layout's coordinates (origin top left, y down).
type LayoutPoint struct{ X, Y float64 }

// LayoutNodePos is a placed node: centre X,Y and its size.
type LayoutNodePos struct {
	X, Y, W, H float64
}

// LayoutEdgePath is a routed edge: a polyline from the border of the From node
// to the border of the To node (for a self-loop, a loop beside the node).
// LabelX, LabelY is the centre of the room reserved for the label, on the path.
// Points is empty only for an edge whose ends do not exist.
type LayoutEdgePath struct {
	Points         []LayoutPoint
	LabelX, LabelY float64
}

// LayoutResult holds positions indexed like the graph's Nodes and Edges; all
// coordinates lie within [0,Width]×[0,Height].
type LayoutResult struct {
	Nodes         []LayoutNodePos
	Edges         []LayoutEdgePath
	Width, Height float64
}

// A self-loop reaches at least lyLoopMinReach out of its node; each further
// loop of the same node reaches lyLoopStep further, so they nest.
const (
	lyLoopMinReach = 10
	lyLoopStep     = 6
)

// Layout places the graph's nodes and routes its edges. It never fails: bad
// sizes count as 0, edges naming missing nodes get no points.
func Layout(g *LayoutGraph, o LayoutOptions) *LayoutResult {
	res, _ := lyLayout(g, o)
	return res
}

// lyLayout is Layout that also returns the layered graph (nil for no nodes).
func lyLayout(g *LayoutGraph, o LayoutOptions) (*LayoutResult, *lyLayered) {
	if g == nil {
		g = &LayoutGraph{}
	}
	o = lySanitizeOptions(o)
	lr := o.RankDir == "LR"
	n := len(g.Nodes)
	res := &LayoutResult{Nodes: make([]LayoutNodePos, n), Edges: make([]LayoutEdgePath, len(g.Edges))}
	if n == 0 {
		return res, nil
	}

	// Internal coordinates are always top to bottom; LR swaps sizes in and points out.
	w := make([]float64, n)
	h := make([]float64, n)
	for i, nd := range g.Nodes {
		w[i], h[i] = lyClean(nd.W), lyClean(nd.H)
		if lr {
			w[i], h[i] = h[i], w[i]
		}
	}

	loopReach := math.Max(lyLoopMinReach, o.NodeSep/2)
	loops := make([]int, n)
	var edges []lyInEdge // valid non-loop edges
	for i, e := range g.Edges {
		if e.From < 0 || e.From >= n || e.To < 0 || e.To >= n {
			continue
		}
		if e.From == e.To {
			loops[e.From]++
			continue
		}
		lw, lh := lyClean(e.LabelW), lyClean(e.LabelH)
		if lr {
			lw, lh = lh, lw
		}
		edges = append(edges, lyInEdge{orig: i, from: e.From, to: e.To, lw: lw, lh: lh})
	}
	// A node with a self-loop reserves room for it on both sides so the loop
	// never meets a neighbour and the node keeps its centre.
	lw := make([]float64, n)
	copy(lw, w)
	for i := range lw {
		if loops[i] > 0 {
			lw[i] += 2 * (loopReach + float64(loops[i]-1)*lyLoopStep + 2)
		}
	}

	lyAcyclic(n, edges, o.Acyclicer == "greedy")
	// Every edge spans twice its length in ranks so that a dummy on its middle
	// rank can hold its label; ranks are then half the rank gap apart. Gravity
	// 0 keeps ends one such half rank apart, with no room for a label.
	minlen := 2 * o.MinLen
	if minlen == 0 {
		minlen = 1
	}
	rank := lyRank(n, edges, minlen, o.Ranker)

	lg := lyBuildLayered(n, lw, h, rank, edges)
	lyOrder(lg)
	lyPositionY(lg, o.RankSep/2)
	lyPositionX(lg, o.NodeSep, o.EdgeSep)

	// Routing in internal coordinates.
	ports := lyPorts(lg, edges, w)
	paths := make([][]LayoutPoint, len(g.Edges))
	labels := make([]LayoutPoint, len(g.Edges))
	for ei := range edges {
		paths[edges[ei].orig], labels[edges[ei].orig] = lyRoute(lg, &edges[ei], w, h, ports[ei])
	}
	nth := make([]int, n)
	for i, e := range g.Edges {
		if e.From >= 0 && e.From < n && e.From == e.To {
			v := e.From
			paths[i] = lySelfLoop(lg.x[v], lg.y[v], w[v], h[v], loopReach+float64(nth[v])*lyLoopStep, nth[v])
			labels[i] = paths[i][1]
			nth[v]++
		}
	}

	// Bounding box, then translate to the origin and turn for LR.
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	grow := func(x0, y0, x1, y1 float64) {
		minX, minY = math.Min(minX, x0), math.Min(minY, y0)
		maxX, maxY = math.Max(maxX, x1), math.Max(maxY, y1)
	}
	for i := 0; i < n; i++ {
		grow(lg.x[i]-w[i]/2, lg.y[i]-h[i]/2, lg.x[i]+w[i]/2, lg.y[i]+h[i]/2)
	}
	for _, p := range paths {
		for _, q := range p {
			grow(q.X, q.Y, q.X, q.Y)
		}
	}
	for ei := range edges {
		e := &edges[ei]
		if e.labelNode >= 0 && (e.lw > 0 || e.lh > 0) {
			x, y := lg.x[e.labelNode], lg.y[e.labelNode]
			grow(x-e.lw/2, y-e.lh/2, x+e.lw/2, y+e.lh/2)
		}
	}
	tr := func(p LayoutPoint) LayoutPoint {
		p = LayoutPoint{p.X - minX, p.Y - minY}
		if lr {
			p.X, p.Y = p.Y, p.X
		}
		return p
	}
	for i := 0; i < n; i++ {
		p := tr(LayoutPoint{lg.x[i], lg.y[i]})
		res.Nodes[i] = LayoutNodePos{X: p.X, Y: p.Y, W: lyClean(g.Nodes[i].W), H: lyClean(g.Nodes[i].H)}
	}
	for i := range g.Edges {
		if paths[i] == nil {
			continue
		}
		pts := make([]LayoutPoint, len(paths[i]))
		for j, q := range paths[i] {
			pts[j] = tr(q)
		}
		l := tr(labels[i])
		res.Edges[i] = LayoutEdgePath{Points: pts, LabelX: l.X, LabelY: l.Y}
	}
	res.Width, res.Height = maxX-minX, maxY-minY
	if lr {
		res.Width, res.Height = res.Height, res.Width
	}
	return res, lg
}

// lyInEdge is an input edge between two distinct nodes, possibly reversed to break cycles.
type lyInEdge struct {
	orig     int
	from, to int // direction used for layering (to is ranked below from)
	reversed bool
	lw, lh   float64
	// chain of layered nodes from..to after normalisation (both ends included)
	chain     []int
	labelNode int
}

func lySanitizeOptions(o LayoutOptions) LayoutOptions {
	switch strings.ToUpper(strings.TrimSpace(o.RankDir)) {
	case "LR":
		o.RankDir = "LR"
	default:
		o.RankDir = "TB"
	}
	o.NodeSep, o.EdgeSep, o.RankSep = lyClean(o.NodeSep), lyClean(o.EdgeSep), lyClean(o.RankSep)
	if o.MinLen < 0 {
		o.MinLen = 0
	}
	// Each rank of gravity costs a dummy node per edge; beyond a few ranks the
	// drawing only grows.
	if o.MinLen > 16 {
		o.MinLen = 16
	}
	return o
}

// lyClean turns negative, NaN and infinite sizes into 0 and caps absurd ones.
func lyClean(v float64) float64 {
	if math.IsNaN(v) || v < 0 || math.IsInf(v, 0) {
		return 0
	}
	if v > 1e7 {
		return 1e7
	}
	return v
}

// lySelfLoop draws the k-th loop of a node on its right side (below it once
// turned for LR); later loops are wider and taller so they nest.
func lySelfLoop(cx, cy, w, h, reach float64, k int) []LayoutPoint {
	right := cx + w/2
	dy := math.Min(h/4+float64(k)*3, h/2)
	return []LayoutPoint{
		{right, cy - dy},
		{right + reach, cy - dy},
		{right + reach, cy + dy},
		{right, cy + dy},
	}
}
