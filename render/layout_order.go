package render

import (
	"cmp"
	"slices"
)

// The layered graph after normalisation, and crossing reduction on it.

// lyLayered holds real nodes (0..nReal-1) and dummy nodes, each on a rank,
// with edges only between adjacent ranks.
type lyLayered struct {
	nReal int
	w, h  []float64
	rank  []int
	dummy []bool
	up    [][]int // neighbours on the rank above
	down  [][]int // neighbours on the rank below

	layers [][]int
	pos    []int // index within its layer

	x, y  []float64
	rankY []float64 // centre line of each rank
	rankH []float64 // tallest node of each rank
}

// lyBuildLayered inserts a dummy node on every rank an edge passes (the one on
// the middle rank holds the edge's label) and records each edge's chain.
func lyBuildLayered(n int, w, h []float64, rank []int, edges []lyInEdge) *lyLayered {
	lg := &lyLayered{nReal: n}
	lg.w = append([]float64(nil), w...)
	lg.h = append([]float64(nil), h...)
	lg.rank = append([]int(nil), rank...)
	lg.dummy = make([]bool, n)
	lg.up = make([][]int, n)
	lg.down = make([][]int, n)
	addNode := func(r int, w, h float64) int {
		lg.w = append(lg.w, w)
		lg.h = append(lg.h, h)
		lg.rank = append(lg.rank, r)
		lg.dummy = append(lg.dummy, true)
		lg.up = append(lg.up, nil)
		lg.down = append(lg.down, nil)
		return len(lg.w) - 1
	}
	link := func(a, b int) {
		lg.down[a] = append(lg.down[a], b)
		lg.up[b] = append(lg.up[b], a)
	}
	for i := range edges {
		e := &edges[i]
		e.labelNode = -1
		ru, rv := rank[e.from], rank[e.to]
		span := rv - ru
		if span <= 0 {
			e.chain = []int{e.from, e.to}
			continue
		}
		mid := ru + span/2
		chain := make([]int, 0, span+1)
		chain = append(chain, e.from)
		prev := e.from
		for r := ru + 1; r < rv; r++ {
			var d int
			if r == mid {
				d = addNode(r, e.lw, e.lh)
				e.labelNode = d
			} else {
				d = addNode(r, 0, 0)
			}
			link(prev, d)
			chain = append(chain, d)
			prev = d
		}
		link(prev, e.to)
		chain = append(chain, e.to)
		e.chain = chain
	}
	maxRank := 0
	for _, r := range lg.rank {
		maxRank = max(maxRank, r)
	}
	lg.layers = make([][]int, maxRank+1)
	lg.pos = make([]int, len(lg.w))
	return lg
}

// lyOrder orders every layer to reduce edge crossings: an initial order by
// depth-first search (downwards from the top, and for graphs of modest size
// also upwards from the bottom), then alternating down and up sweeps placing
// nodes at the barycenter (then the median) of their neighbours, each sweep
// followed by transposition of neighbours; the order with the fewest
// crossings is kept.
func lyOrder(lg *lyLayered) {
	// Large graphs get less search: the effort grows with the layered size.
	maxIter, maxStale := 48, 8
	large := len(lg.w) > lyLargeLayered
	if large {
		maxIter, maxStale = 24, 4
	}
	lg.initOrder(false)
	best := lg.crossings()
	bestLayers := lg.copyLayers()
	starts := [][][]int{bestLayers}
	if best > 0 && !large {
		lg.initOrder(true)
		if c := lg.crossings(); c < best {
			best, bestLayers = c, lg.copyLayers()
		}
		starts = append(starts, lg.copyLayers())
	}
	for _, start := range starts {
		for _, useMedian := range []bool{false, true} {
			if best == 0 {
				break
			}
			// The barycenter run starts from the initial order, the median
			// run refines the best order found so far.
			if useMedian {
				lg.restore(bestLayers)
			} else {
				lg.restore(start)
			}
			stale := 0
			for iter := 0; iter < maxIter && stale < maxStale && best > 0; iter++ {
				lg.sweep(iter%2 == 0, useMedian, iter%4 >= 2)
				lg.transpose(iter%2 == 1)
				if c := lg.crossings(); c < best {
					best, bestLayers, stale = c, lg.copyLayers(), 0
				} else {
					stale++
				}
			}
		}
	}
	lg.restore(bestLayers)
}

// lyLargeLayered is the number of layered nodes (real and dummy) above which
// ordering searches less.
const lyLargeLayered = 1000

func (lg *lyLayered) copyLayers() [][]int {
	c := make([][]int, len(lg.layers))
	for i, l := range lg.layers {
		c[i] = append([]int(nil), l...)
	}
	return c
}

func (lg *lyLayered) restore(layers [][]int) {
	for i, l := range layers {
		lg.layers[i] = append(lg.layers[i][:0], l...)
		for p, v := range lg.layers[i] {
			lg.pos[v] = p
		}
	}
}

// initOrder places nodes in the order a depth-first search reaches them,
// starting from the real nodes in input order: from the top rank along
// downward edges, or with upward from the bottom rank along upward edges.
func (lg *lyLayered) initOrder(upward bool) {
	for i := range lg.layers {
		lg.layers[i] = lg.layers[i][:0]
	}
	seen := make([]bool, len(lg.w))
	starts := make([]int, 0, lg.nReal)
	for v := 0; v < lg.nReal; v++ {
		starts = append(starts, v)
	}
	// Top ranks first so that trees grow downwards from their roots.
	slices.SortStableFunc(starts, func(a, b int) int {
		if upward {
			return lg.rank[b] - lg.rank[a]
		}
		return lg.rank[a] - lg.rank[b]
	})
	var stack []int
	for _, s := range starts {
		if seen[s] {
			continue
		}
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[v] {
				continue
			}
			seen[v] = true
			r := lg.rank[v]
			lg.pos[v] = len(lg.layers[r])
			lg.layers[r] = append(lg.layers[r], v)
			next := lg.down[v]
			if upward {
				next = lg.up[v]
			}
			for i := len(next) - 1; i >= 0; i-- {
				if c := next[i]; !seen[c] {
					stack = append(stack, c)
				}
			}
		}
	}
	// Dummies are always reached from their edge's start; this is a safeguard.
	for v := range lg.w {
		if !seen[v] {
			r := lg.rank[v]
			lg.pos[v] = len(lg.layers[r])
			lg.layers[r] = append(lg.layers[r], v)
		}
	}
}

// sweep reorders each layer by its neighbours on the previous layer of the
// sweep. Nodes without such neighbours keep their place.
func (lg *lyLayered) sweep(down, useMedian, biasRight bool) {
	nl := len(lg.layers)
	type keyed struct {
		v   int
		key float64
	}
	var movable []keyed
	var vals []float64
	for k := 1; k < nl; k++ {
		r := k
		if !down {
			r = nl - 1 - k
		}
		layer := lg.layers[r]
		movable = movable[:0]
		fixed := make([]bool, len(layer))
		for i, v := range layer {
			nb := lg.up[v]
			if !down {
				nb = lg.down[v]
			}
			if len(nb) == 0 {
				fixed[i] = true
				continue
			}
			vals = vals[:0]
			for _, u := range nb {
				vals = append(vals, float64(lg.pos[u]))
			}
			var key float64
			if useMedian {
				slices.Sort(vals)
				m := len(vals) / 2
				if len(vals)%2 == 1 {
					key = vals[m]
				} else {
					key = (vals[m-1] + vals[m]) / 2
				}
			} else {
				for _, p := range vals {
					key += p
				}
				key /= float64(len(vals))
			}
			movable = append(movable, keyed{v, key})
		}
		if biasRight {
			slices.Reverse(movable)
		}
		slices.SortStableFunc(movable, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
		m := 0
		for i := range layer {
			if fixed[i] {
				continue
			}
			layer[i] = movable[m].v
			m++
		}
		for p, v := range layer {
			lg.pos[v] = p
		}
	}
}

// pairCrossings counts the crossings between the edges of v and w (v left of
// w) towards the given neighbour lists.
func (lg *lyLayered) pairCrossings(nv, nw []int) int {
	c := 0
	for _, a := range nv {
		pa := lg.pos[a]
		for _, b := range nw {
			if pa > lg.pos[b] {
				c++
			}
		}
	}
	return c
}

// transpose swaps neighbours of a layer while that removes crossings. With
// equal, the first pass also swaps pairs whose crossings stay the same, which
// lets the next sweep leave a local minimum.
func (lg *lyLayered) transpose(equal bool) {
	for pass := 0; pass < 8; pass++ {
		improved := false
		for _, layer := range lg.layers {
			for i := 0; i+1 < len(layer); i++ {
				v, w := layer[i], layer[i+1]
				before := lg.pairCrossings(lg.up[v], lg.up[w]) + lg.pairCrossings(lg.down[v], lg.down[w])
				if before == 0 {
					continue
				}
				after := lg.pairCrossings(lg.up[w], lg.up[v]) + lg.pairCrossings(lg.down[w], lg.down[v])
				if after < before || (equal && pass == 0 && after == before) {
					layer[i], layer[i+1] = w, v
					lg.pos[v], lg.pos[w] = i+1, i
					improved = true
				}
			}
		}
		if !improved {
			return
		}
	}
}

// crossings counts all crossings between adjacent layers.
func (lg *lyLayered) crossings() int {
	total := 0
	for r := 0; r+1 < len(lg.layers); r++ {
		total += lg.bilayerCrossings(lg.layers[r], lg.layers[r+1])
	}
	return total
}

// bilayerCrossings counts crossings between two adjacent layers with the
// accumulator tree of Barth, Jünger & Mutzel: edges sorted by their upper
// end, then the inversions among their lower ends.
func (lg *lyLayered) bilayerCrossings(upper, lower []int) int {
	if len(lower) < 2 || len(upper) < 1 {
		return 0
	}
	first := 1
	for first < len(lower) {
		first <<= 1
	}
	tree := make([]int, 2*first-1)
	first--
	total := 0
	var ends []int
	for _, u := range upper {
		ends = ends[:0]
		for _, v := range lg.down[u] {
			ends = append(ends, lg.pos[v])
		}
		slices.Sort(ends)
		for _, p := range ends {
			idx := p + first
			tree[idx]++
			for idx > 0 {
				if idx%2 == 1 {
					total += tree[idx+1]
				}
				idx = (idx - 1) / 2
				tree[idx]++
			}
		}
	}
	return total
}
