package render

import (
	"math"
	"slices"
)

// Coordinates: ranks stacked top to bottom, x by Brandes & Köpf's four
// alignments balanced, and edge routes through the dummy nodes.

// lyPositionY puts each rank's centre line below the previous one, gap apart.
func lyPositionY(lg *lyLayered, gap float64) {
	nl := len(lg.layers)
	lg.rankH = make([]float64, nl)
	lg.rankY = make([]float64, nl)
	for v, r := range lg.rank {
		lg.rankH[r] = math.Max(lg.rankH[r], lg.h[v])
	}
	y := 0.0
	for r := 0; r < nl; r++ {
		if r > 0 {
			y += lg.rankH[r-1]/2 + gap + lg.rankH[r]/2
		} else {
			y = lg.rankH[0] / 2
		}
		lg.rankY[r] = y
	}
	lg.y = make([]float64, len(lg.w))
	for v, r := range lg.rank {
		lg.y[v] = lg.rankY[r]
	}
}

// lySep is the least distance between the centres of neighbours a (left) and b.
func (lg *lyLayered) sep(a, b int, nodeSep, edgeSep float64) float64 {
	ga, gb := nodeSep, nodeSep
	if lg.dummy[a] {
		ga = edgeSep
	}
	if lg.dummy[b] {
		gb = edgeSep
	}
	return (lg.w[a]+lg.w[b])/2 + (ga+gb)/2
}

// lyPositionX assigns x coordinates after Brandes & Köpf: type-1 conflicts
// (inner segments crossing other segments) are marked, each of the four
// combinations of upper/lower medians and left/right preference aligns nodes
// into vertical blocks and compacts the blocks, and the result is the average
// of the two middle candidates after aligning the four to the narrowest.
func lyPositionX(lg *lyLayered, nodeSep, edgeSep float64) {
	N := len(lg.w)
	lg.x = make([]float64, N)
	if N == 0 {
		return
	}
	marked := lg.typeOneConflicts()
	var xs [4][]float64
	for k := 0; k < 4; k++ {
		xs[k] = lg.alignAndCompact(k&1 == 1, k&2 == 2, marked, nodeSep, edgeSep)
	}
	// Align the candidates to the narrowest one: left-preferring ones by their
	// left edge, right-preferring ones by their right edge.
	lo := [4]float64{}
	hi := [4]float64{}
	best := 0
	for k := 0; k < 4; k++ {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
		for v := 0; v < N; v++ {
			lo[k] = math.Min(lo[k], xs[k][v]-lg.w[v]/2)
			hi[k] = math.Max(hi[k], xs[k][v]+lg.w[v]/2)
		}
		if hi[k]-lo[k] < hi[best]-lo[best] {
			best = k
		}
	}
	for k := 0; k < 4; k++ {
		shift := lo[best] - lo[k]
		if k&2 == 2 { // right-preferring
			shift = hi[best] - hi[k]
		}
		for v := range xs[k] {
			xs[k][v] += shift
		}
	}
	var c [4]float64
	for v := 0; v < N; v++ {
		for k := 0; k < 4; k++ {
			c[k] = xs[k][v]
		}
		s := c[:]
		slices.Sort(s)
		lg.x[v] = (s[1] + s[2]) / 2
	}
}

func lySegKey(upper, lower, n int) int64 { return int64(upper)*int64(n) + int64(lower) }

// typeOneConflicts marks the non-inner segments that cross an inner segment
// (a segment between two dummy nodes), so alignment keeps long edges straight.
func (lg *lyLayered) typeOneConflicts() map[int64]bool {
	N := len(lg.w)
	marked := map[int64]bool{}
	innerUpper := func(v int) int {
		if !lg.dummy[v] {
			return -1
		}
		for _, u := range lg.up[v] {
			if lg.dummy[u] {
				return u
			}
		}
		return -1
	}
	for i := 0; i+1 < len(lg.layers); i++ {
		upper, lower := lg.layers[i], lg.layers[i+1]
		k0, l := 0, 0
		for l1, v := range lower {
			iu := innerUpper(v)
			if l1 != len(lower)-1 && iu < 0 {
				continue
			}
			k1 := len(upper) - 1
			if iu >= 0 {
				k1 = lg.pos[iu]
			}
			for ; l <= l1; l++ {
				w := lower[l]
				for _, u := range lg.up[w] {
					if k := lg.pos[u]; k < k0 || k > k1 {
						marked[lySegKey(u, w, N)] = true
					}
				}
			}
			k0 = k1
		}
	}
	return marked
}

// alignAndCompact computes one of the four candidate layouts: downward
// (align with lower medians, sweep bottom up) or upward, and right-preferring
// (layers read right to left, x mirrored) or left-preferring.
func (lg *lyLayered) alignAndCompact(downward, right bool, marked map[int64]bool, nodeSep, edgeSep float64) []float64 {
	N := len(lg.w)
	nl := len(lg.layers)
	pos := func(v int) int {
		if right {
			return len(lg.layers[lg.rank[v]]) - 1 - lg.pos[v]
		}
		return lg.pos[v]
	}
	layerAt := func(k int) []int { // k-th layer in sweep order, read in preference order
		r := k
		if downward {
			r = nl - 1 - k
		}
		l := lg.layers[r]
		if !right {
			return l
		}
		rl := make([]int, len(l))
		for i, v := range l {
			rl[len(l)-1-i] = v
		}
		return rl
	}
	root := make([]int, N)
	align := make([]int, N)
	for v := range root {
		root[v], align[v] = v, v
	}
	var nb []int
	for k := 1; k < nl; k++ {
		r := -1
		for _, v := range layerAt(k) {
			if downward {
				nb = append(nb[:0], lg.down[v]...)
			} else {
				nb = append(nb[:0], lg.up[v]...)
			}
			d := len(nb)
			if d == 0 {
				continue
			}
			slices.SortFunc(nb, func(a, b int) int { return pos(a) - pos(b) })
			for _, m := range []int{(d - 1) / 2, d / 2} {
				if align[v] != v {
					break
				}
				u := nb[m]
				var key int64
				if downward {
					key = lySegKey(v, u, N)
				} else {
					key = lySegKey(u, v, N)
				}
				if !marked[key] && r < pos(u) {
					align[u] = v
					root[v] = root[u]
					align[v] = root[v]
					r = pos(u)
				}
			}
		}
	}

	// Block graph: an edge from the block of each node to the block of its
	// right neighbour, weighted with their separation.
	type bedge struct {
		to  int
		sep float64
	}
	succ := make([][]bedge, N)
	pred := make([][]bedge, N)
	indeg := make([]int, N)
	for k := 0; k < nl; k++ {
		l := layerAt(k)
		for i := 1; i < len(l); i++ {
			a, b := l[i-1], l[i]
			s := lg.sep(a, b, nodeSep, edgeSep)
			if right {
				s = lg.sep(b, a, nodeSep, edgeSep)
			}
			ra, rb := root[a], root[b]
			succ[ra] = append(succ[ra], bedge{rb, s})
			pred[rb] = append(pred[rb], bedge{ra, s})
			indeg[rb]++
		}
	}
	topo := make([]int, 0, N)
	for v := 0; v < N; v++ {
		if root[v] == v && indeg[v] == 0 {
			topo = append(topo, v)
		}
	}
	for i := 0; i < len(topo); i++ {
		for _, e := range succ[topo[i]] {
			indeg[e.to]--
			if indeg[e.to] == 0 {
				topo = append(topo, e.to)
			}
		}
	}
	bx := make([]float64, N)
	placed := make([]bool, N)
	for _, b := range topo {
		placed[b] = true
		for _, e := range pred[b] {
			bx[b] = math.Max(bx[b], bx[e.to]+e.sep)
		}
	}
	// Pull blocks right up to their nearest right neighbour, closing gaps left
	// by the first pass.
	for i := len(topo) - 1; i >= 0; i-- {
		b := topo[i]
		if len(succ[b]) == 0 {
			continue
		}
		m := math.Inf(1)
		for _, e := range succ[b] {
			m = math.Min(m, bx[e.to]-e.sep)
		}
		bx[b] = math.Max(bx[b], m)
	}
	x := make([]float64, N)
	cyclic := false
	for v := 0; v < N; v++ {
		if !placed[root[v]] {
			cyclic = true
			break
		}
		x[v] = bx[root[v]]
	}
	if cyclic {
		// Blocks that cross cannot happen with a consistent alignment; should
		// it ever, fall back to packing each layer from the left.
		for k := 0; k < nl; k++ {
			l := layerAt(k)
			cur := 0.0
			for i, v := range l {
				if i > 0 {
					cur += lg.sep(l[i-1], v, nodeSep, edgeSep)
				}
				x[v] = cur
			}
		}
	}
	if right {
		for v := range x {
			x[v] = -x[v]
		}
	}
	return x
}

// lyPortGap is the distance between neighbouring edge ends on a node's side.
const lyPortGap = 10

// lyPorts spreads the ends of the edges leaving each node's bottom (and
// entering its top) along that side, in the order of the nodes they lead to,
// so that the edges of one node never cross each other. It returns the x of
// each edge's start and end.
func lyPorts(lg *lyLayered, edges []lyInEdge, w []float64) [][2]float64 {
	ports := make([][2]float64, len(edges))
	type end struct {
		edge, key int
	}
	bottom := make([][]end, lg.nReal)
	top := make([][]end, lg.nReal)
	for i := range edges {
		c := edges[i].chain
		s, t := c[0], c[len(c)-1]
		if lg.rank[s] == lg.rank[t] {
			ports[i] = [2]float64{lg.x[s], lg.x[t]}
			continue
		}
		bottom[s] = append(bottom[s], end{i, lg.pos[c[1]]})
		top[t] = append(top[t], end{i, lg.pos[c[len(c)-2]]})
	}
	spread := func(v int, ends []end, side int) {
		slices.SortFunc(ends, func(a, b end) int {
			if a.key != b.key {
				return a.key - b.key
			}
			return a.edge - b.edge
		})
		k := len(ends)
		step := 0.0
		if k > 1 {
			step = math.Min(lyPortGap, w[v]*2/3/float64(k-1))
		}
		for i, e := range ends {
			ports[e.edge][side] = lg.x[v] + (float64(i)-float64(k-1)/2)*step
		}
	}
	for v := 0; v < lg.nReal; v++ {
		spread(v, bottom[v], 0)
		spread(v, top[v], 1)
	}
	return ports
}

// lyRoute turns an edge's chain of layered nodes into a polyline from the
// border of its start node to the border of its end node. Inside the band of
// a rank (as tall as its tallest node) the route runs vertically: below a
// port of the start node, through each dummy, above a port of the end node.
// It only runs diagonally in the empty gaps between bands. So it never enters
// another node, and two routes cross exactly where their order changes from
// one rank to the next, which is what ordering minimises.
func lyRoute(lg *lyLayered, e *lyInEdge, w, h []float64, port [2]float64) ([]LayoutPoint, LayoutPoint) {
	s, t := e.chain[0], e.chain[len(e.chain)-1]
	rs, rt := lg.rank[s], lg.rank[t]
	var pts []LayoutPoint
	if rs == rt {
		// Ranking never puts both ends on one rank; should it happen, a
		// straight line is the answer.
		cs := LayoutPoint{lg.x[s], lg.y[s]}
		ct := LayoutPoint{lg.x[t], lg.y[t]}
		pts = []LayoutPoint{lyClip(cs, w[s], h[s], ct), lyClip(ct, w[t], h[t], cs)}
	} else {
		sx, tx := port[0], port[1]
		pts = append(pts, LayoutPoint{sx, lg.y[s] + h[s]/2}, LayoutPoint{sx, lg.rankY[rs] + lg.rankH[rs]/2})
		for _, d := range e.chain[1 : len(e.chain)-1] {
			r := lg.rank[d]
			px := lg.x[d] - lg.w[d]/2 // a label's room lies right of its edge
			pts = append(pts, LayoutPoint{px, lg.rankY[r] - lg.rankH[r]/2}, LayoutPoint{px, lg.rankY[r] + lg.rankH[r]/2})
		}
		pts = append(pts, LayoutPoint{tx, lg.rankY[rt] - lg.rankH[rt]/2}, LayoutPoint{tx, lg.y[t] - h[t]/2})
	}
	pts = lyDedupe(pts)
	var label LayoutPoint
	if e.labelNode >= 0 {
		label = LayoutPoint{lg.x[e.labelNode], lg.y[e.labelNode]}
	} else {
		label = lyHalfway(pts)
	}
	if e.reversed {
		slices.Reverse(pts)
	}
	return pts, label
}

// lyClip moves the centre c of a w×h rectangle to where the segment towards p
// leaves the rectangle (p itself when it lies inside).
func lyClip(c LayoutPoint, w, h float64, p LayoutPoint) LayoutPoint {
	dx, dy := p.X-c.X, p.Y-c.Y
	if dx == 0 && dy == 0 {
		return c
	}
	t := math.Inf(1)
	if dx != 0 {
		t = (w / 2) / math.Abs(dx)
	}
	if dy != 0 {
		t = math.Min(t, (h/2)/math.Abs(dy))
	}
	if t >= 1 {
		return p
	}
	return LayoutPoint{c.X + t*dx, c.Y + t*dy}
}

func lyDedupe(pts []LayoutPoint) []LayoutPoint {
	out := pts[:1]
	for _, p := range pts[1:] {
		q := out[len(out)-1]
		if math.Abs(p.X-q.X) < 1e-9 && math.Abs(p.Y-q.Y) < 1e-9 {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 1 {
		out = append(out, out[0])
	}
	return out
}

// lyHalfway is the point halfway along a polyline.
func lyHalfway(pts []LayoutPoint) LayoutPoint {
	total := 0.0
	for i := 1; i < len(pts); i++ {
		total += math.Hypot(pts[i].X-pts[i-1].X, pts[i].Y-pts[i-1].Y)
	}
	half := total / 2
	for i := 1; i < len(pts); i++ {
		l := math.Hypot(pts[i].X-pts[i-1].X, pts[i].Y-pts[i-1].Y)
		if l >= half && l > 0 {
			f := half / l
			return LayoutPoint{pts[i-1].X + f*(pts[i].X-pts[i-1].X), pts[i-1].Y + f*(pts[i].Y-pts[i-1].Y)}
		}
		half -= l
	}
	return pts[0]
}

// lySegmentInRect reports whether segment a-b passes through the interior of
// the w×h rectangle centred at (cx, cy) (touching its border does not count).
func lySegmentInRect(a, b LayoutPoint, cx, cy, w, h float64) bool {
	const eps = 1e-6
	x0, x1 := cx-w/2+eps, cx+w/2-eps
	y0, y1 := cy-h/2+eps, cy+h/2-eps
	if x0 >= x1 || y0 >= y1 {
		return false
	}
	// Liang–Barsky clipping.
	t0, t1 := 0.0, 1.0
	dx, dy := b.X-a.X, b.Y-a.Y
	for _, c := range [4][2]float64{{-dx, a.X - x0}, {dx, x1 - a.X}, {-dy, a.Y - y0}, {dy, y1 - a.Y}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return false
			}
			t1 = math.Min(t1, r)
		}
	}
	return t1-t0 > 1e-9
}
