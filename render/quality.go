package render

import "math"

// QualityFigures measure a layout the way a reader sees it.
type QualityFigures struct {
	// Crossings counts the points where two edges cross, each edge taken as
	// the line from its start node's centre through its route to its end
	// node's centre (an edge cutting through a node cannot hide a crossing).
	Crossings         int
	Overlaps          int     // pairs of nodes whose rectangles overlap
	EdgesThroughNodes int     // (edge, node) pairs where an edge passes through a node it does not join
	Area              float64 // Width × Height
	Aspect            float64 // Width / Height (0 for an empty layout)
}

// Quality computes the figures of a layout of g. Edges without points are ignored.
func Quality(res *LayoutResult, g *LayoutGraph) QualityFigures {
	var q QualityFigures
	if res == nil || g == nil {
		return q
	}
	q.Area = res.Width * res.Height
	if res.Height > 0 {
		q.Aspect = res.Width / res.Height
	}
	nodes := res.Nodes
	for i := 0; i < len(nodes); i++ {
		for j := i + 1; j < len(nodes); j++ {
			if qRectsOverlap(nodes[i], nodes[j]) {
				q.Overlaps++
			}
		}
	}
	var segs []qSeg
	for ei, ep := range res.Edges {
		if ei >= len(g.Edges) {
			break
		}
		e := g.Edges[ei]
		if len(ep.Points) == 0 || e.From < 0 || e.From >= len(nodes) || e.To < 0 || e.To >= len(nodes) {
			continue
		}
		// Crossings are counted on the edge as a line between node centres, so
		// that an edge cutting through a node cannot hide a crossing in there.
		line := make([]LayoutPoint, 0, len(ep.Points)+2)
		line = append(line, LayoutPoint{nodes[e.From].X, nodes[e.From].Y})
		line = append(line, ep.Points...)
		line = append(line, LayoutPoint{nodes[e.To].X, nodes[e.To].Y})
		for k := 1; k < len(line); k++ {
			a, b := line[k-1], line[k]
			segs = append(segs, qSeg{a, b, math.Min(a.X, b.X), math.Min(a.Y, b.Y), math.Max(a.X, b.X), math.Max(a.Y, b.Y), ei})
		}
		for ni, n := range nodes {
			if ni == e.From || ni == e.To {
				continue
			}
			for k := 1; k < len(ep.Points); k++ {
				if lySegmentInRect(ep.Points[k-1], ep.Points[k], n.X, n.Y, n.W, n.H) {
					q.EdgesThroughNodes++
					break
				}
			}
		}
	}
	q.Crossings = qCountCrossings(segs)
	return q
}

func qRectsOverlap(a, b LayoutNodePos) bool {
	const eps = 1e-6
	ox := math.Min(a.X+a.W/2, b.X+b.W/2) - math.Max(a.X-a.W/2, b.X-b.W/2)
	oy := math.Min(a.Y+a.H/2, b.Y+b.H/2) - math.Max(a.Y-a.H/2, b.Y-b.H/2)
	return ox > eps && oy > eps
}

// qProperCross reports whether segments p1-p2 and p3-p4 cross at a single
// point inside both (touching ends and collinear overlaps do not count).
func qProperCross(p1, p2, p3, p4 LayoutPoint) bool {
	d1 := qOrient(p3, p4, p1)
	d2 := qOrient(p3, p4, p2)
	d3 := qOrient(p1, p2, p3)
	d4 := qOrient(p1, p2, p4)
	return d1*d2 < 0 && d3*d4 < 0
}

// qOrient is the sign of the turn a→b→c, with a tolerance for rounding.
func qOrient(a, b, c LayoutPoint) int {
	v := (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X)
	scale := math.Max(1, math.Abs(b.X-a.X)+math.Abs(b.Y-a.Y)) * math.Max(1, math.Abs(c.X-a.X)+math.Abs(c.Y-a.Y))
	if math.Abs(v) <= 1e-9*scale {
		return 0
	}
	if v > 0 {
		return 1
	}
	return -1
}

type qSeg struct {
	a, b                   LayoutPoint
	minX, minY, maxX, maxY float64
	edge                   int
}

// qCountCrossings counts proper crossings between segments of different
// edges. Segments are binned into a uniform grid; a crossing is counted in
// the one cell that holds its point.
func qCountCrossings(segs []qSeg) int {
	if len(segs) < 2 {
		return 0
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range segs {
		minX, minY = math.Min(minX, s.minX), math.Min(minY, s.minY)
		maxX, maxY = math.Max(maxX, s.maxX), math.Max(maxY, s.maxY)
	}
	const maxCells = 512
	side := int(math.Ceil(math.Sqrt(float64(len(segs)))))
	side = max(1, min(side, maxCells))
	// Cells no smaller than the average segment, so a segment spans few cells.
	avgW, avgH := 0.0, 0.0
	for _, s := range segs {
		avgW += s.maxX - s.minX
		avgH += s.maxY - s.minY
	}
	avgW /= float64(len(segs))
	avgH /= float64(len(segs))
	cw := math.Max(math.Max((maxX-minX)/float64(side), avgW), 1e-9)
	ch := math.Max(math.Max((maxY-minY)/float64(side), avgH), 1e-9)
	cell := func(x, y float64) (int, int) {
		i := min(side-1, max(0, int((x-minX)/cw)))
		j := min(side-1, max(0, int((y-minY)/ch)))
		return i, j
	}
	grid := map[[2]int][]int{}
	for k, s := range segs {
		i0, j0 := cell(s.minX, s.minY)
		i1, j1 := cell(s.maxX, s.maxY)
		for i := i0; i <= i1; i++ {
			for j := j0; j <= j1; j++ {
				grid[[2]int{i, j}] = append(grid[[2]int{i, j}], k)
			}
		}
	}
	n := 0
	for c, ks := range grid {
		for x := 0; x < len(ks); x++ {
			a := &segs[ks[x]]
			for y := x + 1; y < len(ks); y++ {
				b := &segs[ks[y]]
				if a.edge == b.edge || a.maxX < b.minX || b.maxX < a.minX || a.maxY < b.minY || b.maxY < a.minY {
					continue
				}
				if !qProperCross(a.a, a.b, b.a, b.b) {
					continue
				}
				p := qIntersection(a.a, a.b, b.a, b.b)
				if i, j := cell(p.X, p.Y); i == c[0] && j == c[1] {
					n++
				}
			}
		}
	}
	return n
}

// qIntersection is the crossing point of two lines known to cross.
func qIntersection(p1, p2, p3, p4 LayoutPoint) LayoutPoint {
	d := (p2.X-p1.X)*(p4.Y-p3.Y) - (p2.Y-p1.Y)*(p4.X-p3.X)
	if d == 0 {
		return p1
	}
	t := ((p3.X-p1.X)*(p4.Y-p3.Y) - (p3.Y-p1.Y)*(p4.X-p3.X)) / d
	return LayoutPoint{p1.X + t*(p2.X-p1.X), p1.Y + t*(p2.Y-p1.Y)}
}
