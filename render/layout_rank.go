package render

// Cycle removal and ranking.

// lyAcyclic reverses a set of edges so that the graph has no directed cycle:
// the back edges of a depth-first search, or with greedy the edges running
// against the vertex sequence of Eades, Lin & Smyth's feedback arc set heuristic.
func lyAcyclic(n int, edges []lyInEdge, greedy bool) {
	if len(edges) == 0 {
		return
	}
	if greedy {
		seq := lyGreedySequence(n, edges)
		for i := range edges {
			e := &edges[i]
			if seq[e.from] > seq[e.to] {
				e.from, e.to, e.reversed = e.to, e.from, true
			}
		}
		return
	}
	out := make([][]int, n)
	for i, e := range edges {
		out[e.from] = append(out[e.from], i)
	}
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]uint8, n)
	type frame struct{ v, next int }
	var stack []frame
	for s := 0; s < n; s++ {
		if state[s] != unseen {
			continue
		}
		state[s] = onStack
		stack = append(stack[:0], frame{s, 0})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(out[top.v]) {
				state[top.v] = done
				stack = stack[:len(stack)-1]
				continue
			}
			ei := out[top.v][top.next]
			top.next++
			e := &edges[ei]
			switch state[e.to] {
			case onStack:
				e.from, e.to, e.reversed = e.to, e.from, true
			case unseen:
				state[e.to] = onStack
				stack = append(stack, frame{e.to, 0})
			}
		}
	}
}

// lyGreedySequence returns each node's place in the Eades–Lin–Smyth sequence:
// sinks go to the end, sources to the front, otherwise the node with the largest
// out-degree minus in-degree goes to the front.
func lyGreedySequence(n int, edges []lyInEdge) []int {
	out := make([][]int, n)
	in := make([][]int, n)
	indeg := make([]int, n)
	outdeg := make([]int, n)
	for i, e := range edges {
		out[e.from] = append(out[e.from], i)
		in[e.to] = append(in[e.to], i)
		outdeg[e.from]++
		indeg[e.to]++
	}
	removed := make([]bool, n)
	seq := make([]int, n)
	front, back := 0, n-1
	remove := func(v int) {
		removed[v] = true
		for _, ei := range out[v] {
			if t := edges[ei].to; !removed[t] {
				indeg[t]--
			}
		}
		for _, ei := range in[v] {
			if f := edges[ei].from; !removed[f] {
				outdeg[f]--
			}
		}
	}
	left := n
	for left > 0 {
		progress := true
		for progress {
			progress = false
			for v := 0; v < n; v++ {
				if removed[v] {
					continue
				}
				if outdeg[v] == 0 {
					seq[v] = back
					back--
					remove(v)
					left--
					progress = true
				} else if indeg[v] == 0 {
					seq[v] = front
					front++
					remove(v)
					left--
					progress = true
				}
			}
		}
		if left == 0 {
			break
		}
		best, bestD := -1, 0
		for v := 0; v < n; v++ {
			if removed[v] {
				continue
			}
			if d := outdeg[v] - indeg[v]; best < 0 || d > bestD {
				best, bestD = v, d
			}
		}
		seq[best] = front
		front++
		remove(best)
		left--
	}
	return seq
}

// lyREdge is an edge of the simple ranking graph.
type lyREdge struct {
	u, v   int
	minlen int
	weight float64
}

// lyRank assigns integer ranks (0 at the top of each connected component) so
// that every edge from→to has rank(to) - rank(from) >= minlen.
func lyRank(n int, edges []lyInEdge, minlen int, ranker string) []int {
	rank := make([]int, n)
	// Merge parallel edges: one ranking edge per ordered pair, weights added.
	idx := make(map[[2]int]int, len(edges))
	var re []lyREdge
	for _, e := range edges {
		k := [2]int{e.from, e.to}
		if j, ok := idx[k]; ok {
			re[j].weight++
			continue
		}
		idx[k] = len(re)
		re = append(re, lyREdge{u: e.from, v: e.to, minlen: minlen, weight: 1})
	}
	// Rank each connected component on its own.
	comp := lyComponents(n, re)
	nodesOf := map[int][]int{}
	var order []int
	for v := 0; v < n; v++ {
		c := comp[v]
		if _, ok := nodesOf[c]; !ok {
			order = append(order, c)
		}
		nodesOf[c] = append(nodesOf[c], v)
	}
	edgesOf := map[int][]lyREdge{}
	for _, e := range re {
		edgesOf[comp[e.u]] = append(edgesOf[comp[e.u]], e)
	}
	for _, c := range order {
		vs := nodesOf[c]
		if len(vs) == 1 {
			rank[vs[0]] = 0
			continue
		}
		local := make(map[int]int, len(vs))
		for i, v := range vs {
			local[v] = i
		}
		es := edgesOf[c]
		le := make([]lyREdge, len(es))
		for i, e := range es {
			le[i] = lyREdge{u: local[e.u], v: local[e.v], minlen: e.minlen, weight: e.weight}
		}
		r := lyRankComponent(len(vs), le, ranker)
		for i, v := range vs {
			rank[v] = r[i]
		}
	}
	return rank
}

// lyComponents labels the weakly connected components.
func lyComponents(n int, es []lyREdge) []int {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, e := range es {
		a, b := find(e.u), find(e.v)
		if a != b {
			parent[a] = b
		}
	}
	comp := make([]int, n)
	for i := range comp {
		comp[i] = find(i)
	}
	return comp
}

// lyRankComponent ranks one connected acyclic graph.
func lyRankComponent(n int, es []lyREdge, ranker string) []int {
	rank := lyLongestPath(n, es)
	switch ranker {
	case "longest-path":
	case "tight-tree":
		ns := newLyNetSimplex(n, es, rank)
		ns.feasibleTree()
		rank = ns.rank
	default:
		ns := newLyNetSimplex(n, es, rank)
		ns.feasibleTree()
		ns.optimise()
		rank = ns.rank
	}
	lyNormaliseRanks(rank)
	return rank
}

func lyNormaliseRanks(rank []int) {
	if len(rank) == 0 {
		return
	}
	lo := rank[0]
	for _, r := range rank {
		lo = min(lo, r)
	}
	for i := range rank {
		rank[i] -= lo
	}
}

// lyLongestPath puts every sink on rank 0 and every other node as close above
// its successors as the edges allow (ranks are negative before normalising).
func lyLongestPath(n int, es []lyREdge) []int {
	out := make([][]int, n)
	indeg := make([]int, n)
	for i, e := range es {
		out[e.u] = append(out[e.u], i)
		indeg[e.v]++
	}
	// Topological order (Kahn); the graph is acyclic.
	topo := make([]int, 0, n)
	for v := 0; v < n; v++ {
		if indeg[v] == 0 {
			topo = append(topo, v)
		}
	}
	for i := 0; i < len(topo); i++ {
		for _, ei := range out[topo[i]] {
			t := es[ei].v
			indeg[t]--
			if indeg[t] == 0 {
				topo = append(topo, t)
			}
		}
	}
	rank := make([]int, n)
	for i := len(topo) - 1; i >= 0; i-- {
		v := topo[i]
		first := true
		for _, ei := range out[v] {
			r := rank[es[ei].v] - es[ei].minlen
			if first || r < rank[v] {
				rank[v] = r
				first = false
			}
		}
	}
	return rank
}

// lyNetSimplex is Gansner et al.'s network simplex on one connected component.
// Cut values come from subtree sums: the cut value of the tree edge above
// subtree S is ±Σ_{v∈S}(out-weight(v) − in-weight(v)), because edges inside S
// cancel; so one post-order walk refreshes all of them after an exchange.
type lyNetSimplex struct {
	n      int
	es     []lyREdge
	rank   []int
	adj    [][]int // incident edge indices
	inTree []bool  // per edge
	net    []float64

	parent, parentEdge []int
	low, lim           []int
	sum                []float64 // Σ net over each node's subtree
	cut                []float64 // per edge (valid for tree edges)
	nextLeave          int

	stamp []int // visit marks of rebuild, by generation
	gen   int
	stack []struct{ v, next int }
}

func newLyNetSimplex(n int, es []lyREdge, rank []int) *lyNetSimplex {
	ns := &lyNetSimplex{n: n, es: es, rank: rank, adj: make([][]int, n), inTree: make([]bool, len(es)), net: make([]float64, n)}
	for i, e := range es {
		ns.adj[e.u] = append(ns.adj[e.u], i)
		ns.adj[e.v] = append(ns.adj[e.v], i)
		ns.net[e.u] += e.weight
		ns.net[e.v] -= e.weight
	}
	return ns
}

func (ns *lyNetSimplex) slack(ei int) int {
	e := ns.es[ei]
	return ns.rank[e.v] - ns.rank[e.u] - e.minlen
}

// feasibleTree grows a spanning tree of tight edges, shifting the tree's ranks
// to make the least slack incident edge tight whenever growth stops.
func (ns *lyNetSimplex) feasibleTree() {
	if ns.n <= 1 {
		return
	}
	in := make([]bool, ns.n)
	in[0] = true
	size := 1
	members := []int{0}
	for {
		// Grow along tight edges.
		stack := append([]int(nil), members...)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, ei := range ns.adj[v] {
				e := ns.es[ei]
				w := e.u
				if w == v {
					w = e.v
				}
				if in[w] || ns.slack(ei) != 0 {
					continue
				}
				in[w] = true
				ns.inTree[ei] = true
				members = append(members, w)
				stack = append(stack, w)
				size++
			}
		}
		if size >= ns.n {
			return
		}
		best, bestSlack := -1, 0
		for ei, e := range ns.es {
			if in[e.u] == in[e.v] {
				continue
			}
			if s := ns.slack(ei); best < 0 || s < bestSlack {
				best, bestSlack = ei, s
			}
		}
		if best < 0 { // not connected: cannot happen for a component
			return
		}
		delta := bestSlack
		if in[ns.es[best].v] {
			delta = -delta
		}
		for _, v := range members {
			ns.rank[v] += delta
		}
	}
}

// buildTree roots the tree at node 0 and computes parents, low/lim post-order
// numbers and all cut values.
func (ns *lyNetSimplex) buildTree() {
	n := ns.n
	ns.parent = make([]int, n)
	ns.parentEdge = make([]int, n)
	ns.low = make([]int, n)
	ns.lim = make([]int, n)
	ns.sum = make([]float64, n)
	ns.stamp = make([]int, n)
	ns.cut = make([]float64, len(ns.es))
	ns.parent[0] = -1
	ns.parentEdge[0] = -1
	ns.low[0] = 1
	ns.rebuild(0)
}

// rebuild renumbers the subtree rooted at a and refreshes its parents, subtree
// sums and cut values. An exchange changes nothing outside the subtree of the
// lowest common ancestor of its cycle: there the node sets of all subtrees,
// and so their cut values, stay the same, and the subtree keeps its range of
// post-order numbers.
func (ns *lyNetSimplex) rebuild(a int) {
	ns.gen++
	gen := ns.gen
	type frame struct{ v, next int }
	stack := ns.stack[:0]
	stack = append(stack, frame{a, 0})
	ns.stamp[a] = gen
	ns.sum[a] = 0
	counter := ns.low[a]
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		v := top.v
		if top.next < len(ns.adj[v]) {
			ei := ns.adj[v][top.next]
			top.next++
			if !ns.inTree[ei] || ei == ns.parentEdge[v] {
				continue
			}
			e := ns.es[ei]
			w := e.u
			if w == v {
				w = e.v
			}
			if ns.stamp[w] == gen {
				continue
			}
			ns.stamp[w] = gen
			ns.parent[w] = v
			ns.parentEdge[w] = ei
			ns.low[w] = counter
			ns.sum[w] = 0
			stack = append(stack, frame{w, 0})
			continue
		}
		// post-order
		ns.lim[v] = counter
		counter++
		ns.sum[v] += ns.net[v]
		if v != a {
			p := ns.parent[v]
			ns.sum[p] += ns.sum[v]
			ei := ns.parentEdge[v]
			if ns.es[ei].u == v {
				ns.cut[ei] = ns.sum[v]
			} else {
				ns.cut[ei] = -ns.sum[v]
			}
		}
		stack = stack[:len(stack)-1]
	}
	ns.stack = stack
}

// inSubtree reports whether x lies in the subtree rooted at c.
func (ns *lyNetSimplex) inSubtree(x, c int) bool {
	return ns.low[c] <= ns.lim[x] && ns.lim[x] <= ns.lim[c]
}

// optimise exchanges tree edges with negative cut values until none is left.
func (ns *lyNetSimplex) optimise() {
	if ns.n <= 1 {
		return
	}
	ns.buildTree()
	maxIter := 20*ns.n + 200
	for iter := 0; iter < maxIter; iter++ {
		leave := ns.findLeave()
		if leave < 0 {
			return
		}
		e := ns.es[leave]
		c := e.u // the child end of the leaving edge
		if ns.parent[e.v] == e.u {
			c = e.v
		}
		fromS := e.u == c // leaving edge points out of the subtree
		enter, enterSlack := -1, 0
		for ei, f := range ns.es {
			if ns.inTree[ei] {
				continue
			}
			uIn, vIn := ns.inSubtree(f.u, c), ns.inSubtree(f.v, c)
			if uIn == vIn {
				continue
			}
			// The entering edge goes from the head component to the tail component.
			if fromS && !(vIn && !uIn) {
				continue
			}
			if !fromS && !(uIn && !vIn) {
				continue
			}
			if s := ns.slack(ei); enter < 0 || s < enterSlack {
				enter, enterSlack = ei, s
			}
		}
		if enter < 0 {
			return
		}
		delta := enterSlack
		if fromS {
			delta = -delta
		}
		if delta != 0 {
			// The subtree's nodes hold the post-order numbers low..lim of c.
			for v := 0; v < ns.n; v++ {
				if ns.inSubtree(v, c) {
					ns.rank[v] += delta
				}
			}
		}
		// The lowest common ancestor of the entering edge's ends spans the cycle.
		f := ns.es[enter]
		top := f.u
		for !ns.inSubtree(f.v, top) {
			top = ns.parent[top]
		}
		ns.inTree[leave] = false
		ns.inTree[enter] = true
		ns.rebuild(top)
	}
}

// findLeave searches the tree edges cyclically for a negative cut value.
func (ns *lyNetSimplex) findLeave() int {
	m := len(ns.es)
	for k := 0; k < m; k++ {
		ei := (ns.nextLeave + k) % m
		if ns.inTree[ei] && ns.cut[ei] < -1e-9 {
			ns.nextLeave = (ei + 1) % m
			return ei
		}
	}
	return -1
}
