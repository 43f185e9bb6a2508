package render

import (
	"math"
	"strings"
	"unicode"
)

// Sizing and placing nested compartments: lines are measured with the real fonts,
// each compartment's child graph is laid out by Layout, nodes get their visual's
// size (nomnoml's rules), and everything is positioned relative to its parent.

type pt struct{ X, Y float64 }

type boxLabel struct {
	lines      []string
	x, y, w, h float64 // top-left, in the owning graph's coordinates
}

type boxEdge struct {
	typ        string
	path       []pt // border to border, in the owning graph's coordinates
	start, end boxLabel
}

type boxPart struct {
	lines        []string
	x, y, w, h   float64 // relative to the node's top-left
	textH        float64
	graphX       float64 // child graph origin relative to the part's top-left
	graphY       float64
	nodes        []*boxNode
	edges        []*boxEdge
	live         bool // the added status compartment
	dir          string
	hasGraph     bool
	graphW, grH  float64
	textStyleIdx int
}

type boxNode struct {
	id       string
	st       *nodeStyle
	parts    []*boxPart
	dividers [][]pt // relative to the node's top-left
	x, y     float64
	w, h     float64
	status   string  // "" when not live
	icon     float64 // lollipop and socket: size of the drawn icon
	tabW     float64 // package: width of the tab above the body
	tabX     float64 // package: left of the tab, under the title wherever it is set
	dir      string  // direction of the compartment holding the node
}

type layouter struct {
	opts  *drawOpts
	fonts *fontSet
	live  map[string]NodeStatus
}

func (l *layouter) em() float64 { return l.opts.fontSize * 4 / 3 }

func (l *layouter) textWidth(s string, bold bool) float64 {
	st := styleRegular
	if bold {
		st = styleBold
	}
	return l.fonts.textWidth(s, st, l.em())
}

// measureLines follows nomnoml: no lines is padding high; otherwise widest line plus
// padding on both sides, and leading·fontSize per line plus padding.
func (l *layouter) measureLines(lines []string, bold bool) (float64, float64) {
	if len(lines) == 0 {
		return 0, l.opts.padding
	}
	w := 0.0
	for _, s := range lines {
		w = math.Max(w, l.textWidth(s, bold))
	}
	o := l.opts
	return math.Round(w + 2*o.padding), math.Round(o.leading*o.fontSize*float64(len(lines)) + 2*o.padding)
}

// lookupLive finds a node's status: by its exact id, else by the id without a leading
// emoji or symbol ("📦 foldwrap" matches the check "foldwrap").
func (l *layouter) lookupLive(id string) (NodeStatus, bool) { return l.lookupLiveNode(id, true) }

// lookupLiveNode is lookupLive for a node that is a leaf or a container. A container
// (a host frame or runtime group holding other boxes) matches by its exact id only: a
// group titled "📦 shell" is not the check "shell" that runs inside it.
func (l *layouter) lookupLiveNode(id string, leaf bool) (NodeStatus, bool) {
	if l.live == nil || id == "" {
		return NodeStatus{}, false
	}
	if s, ok := l.live[id]; ok {
		return s, true
	}
	trimmed := strings.TrimLeftFunc(id, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	if leaf && trimmed != id && trimmed != "" {
		if s, ok := l.live[trimmed]; ok {
			return s, true
		}
	}
	return NodeStatus{}, false
}

// hasChildNodes reports whether a node contains boxes of its own.
func hasChildNodes(n *Node) bool {
	for _, p := range n.Parts {
		if p != nil && len(p.Nodes) > 0 {
			return true
		}
	}
	return false
}

func (l *layouter) compartment(p *Part, index int, st *nodeStyle, dir string, depth int) *boxPart {
	bp := &boxPart{dir: dir}
	if p == nil {
		bp.h = l.opts.padding
		return bp
	}
	bp.lines = p.Lines
	tw, th := l.measureLines(p.Lines, index == 0)
	bp.textH = th
	o := l.opts
	if len(p.Nodes) == 0 && len(p.Assocs) == 0 || depth > 60 {
		bp.w, bp.h = tw, th
		return bp
	}
	if st != nil && st.direction != "" {
		dir = st.direction
	}
	bp.dir = dir
	ids := map[string]int{}
	for _, n := range p.Nodes {
		if n == nil {
			continue
		}
		bn := l.node(n, dir, depth+1)
		if _, dup := ids[bn.id]; !dup {
			ids[bn.id] = len(bp.nodes)
		}
		bp.nodes = append(bp.nodes, bn)
	}
	g := &LayoutGraph{}
	for _, n := range bp.nodes {
		g.Nodes = append(g.Nodes, LayoutNode{ID: n.id, W: n.w + 2*o.edgeMargin, H: n.h + 2*o.edgeMargin})
	}
	type edgeRef struct {
		a    *Assoc
		s, e int
	}
	var refs []edgeRef
	for _, a := range p.Assocs {
		if a == nil {
			continue
		}
		s, ok1 := ids[a.Start]
		e, ok2 := ids[a.End]
		if !ok1 || !ok2 {
			continue
		}
		refs = append(refs, edgeRef{a, s, e})
		// Room for the end labels: reserved on the edge so ranks move apart enough.
		var lw, lh float64
		for _, t := range []string{a.StartLabel.Text, a.EndLabel.Text} {
			if t == "" {
				continue
			}
			lb := l.label(t, pt{}, 1)
			lw, lh = math.Max(lw, lb.w), math.Max(lh, lb.h)
		}
		g.Edges = append(g.Edges, LayoutEdge{From: s, To: e, LabelW: lw, LabelH: lh})
	}
	lo := LayoutOptions{RankDir: dir, NodeSep: o.spacing, EdgeSep: o.spacing, RankSep: o.spacing,
		Ranker: o.ranker, Acyclicer: o.acyclicer, MinLen: o.gravity}
	res := l.layoutPacked(g, lo)
	for i, n := range bp.nodes {
		if i < len(res.Nodes) {
			n.x, n.y = res.Nodes[i].X, res.Nodes[i].Y
		}
	}
	left, top := 0.0, 0.0
	right, bottom := res.Width, res.Height
	var placedRefs []edgeRef
	for i, r := range refs {
		if i >= len(res.Edges) || len(res.Edges[i].Points) < 2 {
			continue
		}
		be := &boxEdge{typ: r.a.Type}
		for _, q := range res.Edges[i].Points {
			be.path = append(be.path, pt{q.X, q.Y})
		}
		sn, en := bp.nodes[r.s], bp.nodes[r.e]
		be.path[0] = clipToShape(sn, be.path[0])
		be.path[len(be.path)-1] = clipToShape(en, be.path[len(be.path)-1])
		bp.edges = append(bp.edges, be)
		placedRefs = append(placedRefs, r)
	}
	// Labels once all lines are known, so each avoids boxes, lines and earlier labels.
	var taken []boxLabel
	for i, be := range bp.edges {
		r := placedRefs[i]
		sn, en := bp.nodes[r.s], bp.nodes[r.e]
		sp, ep := be.path[0], be.path[len(be.path)-1]
		// The label sits beside the end of the line, in the quadrant away from the line.
		be.start = l.placeLabel(r.a.StartLabel.Text, sp, adjustQuadrant(quadrantOf(sp, pt{sn.x, sn.y}, 4), pt{sn.x, sn.y}, pt{en.x, en.y}, dir), bp.nodes, bp.edges, taken)
		taken = append(taken, be.start)
		be.end = l.placeLabel(r.a.EndLabel.Text, ep, adjustQuadrant(quadrantOf(ep, pt{en.x, en.y}, 2), pt{en.x, en.y}, pt{sn.x, sn.y}, dir), bp.nodes, bp.edges, taken)
		taken = append(taken, be.end)
		for _, lb := range []boxLabel{be.start, be.end} {
			if len(lb.lines) == 0 {
				continue
			}
			left, top = math.Min(left, lb.x), math.Min(top, lb.y)
			right, bottom = math.Max(right, lb.x+lb.w), math.Max(bottom, lb.y+lb.h)
		}
	}
	gw, gh := right-left, bottom-top
	if gw > 0 {
		gw += 2 * o.gutter
	}
	if gh > 0 {
		gh += 2 * o.gutter
	}
	bp.hasGraph = true
	bp.graphW, bp.grH = gw, gh
	inner := math.Max(tw, gw)
	bp.w = inner + 2*o.padding
	textTop := o.padding
	if len(p.Lines) > 0 {
		textTop = th
	}
	bp.h = textTop + gh + o.padding
	bp.graphX = o.padding + (inner-gw)/2 + o.gutter - left
	bp.graphY = textTop + o.gutter - top
	return bp
}

func quadrantOf(p, c pt, def int) int {
	switch {
	case p.X < c.X && p.Y < c.Y:
		return 1
	case p.X > c.X && p.Y < c.Y:
		return 2
	case p.X > c.X && p.Y > c.Y:
		return 3
	case p.X < c.X && p.Y > c.Y:
		return 4
	}
	return def
}

func adjustQuadrant(q int, p, opposite pt, dir string) int {
	if opposite.X == p.X || opposite.Y == p.Y {
		return q
	}
	var oq int
	if opposite.Y < p.Y {
		if opposite.X < p.X {
			oq = 2
		} else {
			oq = 1
		}
	} else if opposite.X < p.X {
		oq = 3
	} else {
		oq = 4
	}
	if oq == q {
		if dir == "LR" {
			return [4]int{4, 3, 2, 1}[q-1]
		}
		return [4]int{2, 1, 4, 3}[q-1]
	}
	return q
}

func (l *layouter) label(text string, p pt, quadrant int) boxLabel {
	if text == "" {
		return boxLabel{x: p.X, y: p.Y}
	}
	o := l.opts
	lb := boxLabel{lines: strings.Split(text, "`")}
	for _, s := range lb.lines {
		lb.w = math.Max(lb.w, l.textWidth(s, false))
	}
	lb.h = o.fontSize * 4 / 3 * float64(len(lb.lines))
	pad := o.padding
	if quadrant == 1 || quadrant == 4 {
		lb.x = p.X + pad
	} else {
		lb.x = p.X - lb.w - pad
	}
	if quadrant == 3 || quadrant == 4 {
		lb.y = p.Y + pad
	} else {
		lb.y = p.Y - lb.h - pad
	}
	return lb
}

func (l *layouter) styleOf(typ string) *nodeStyle {
	if s, ok := l.opts.styles[typ]; ok {
		return s
	}
	return l.opts.styles["class"]
}

func (l *layouter) node(n *Node, dir string, depth int) *boxNode {
	st := l.styleOf(n.Type)
	bn := &boxNode{id: n.ID, st: st, dir: dir}
	parts := n.Parts
	for i, p := range parts {
		bn.parts = append(bn.parts, l.compartment(p, i, st, dir, depth))
	}
	if s, ok := l.lookupLiveNode(n.ID, !hasChildNodes(n)); ok {
		bn.status = normStatus(s.Status)
		if len(s.Lines) > 0 && !noParts(st.visual) {
			var lines []string
			for _, ln := range s.Lines {
				lines = append(lines, strings.Split(ln, "\n")...)
			}
			tw, th := l.measureLines(lines, false)
			bn.parts = append(bn.parts, &boxPart{lines: lines, w: tw, h: th, textH: th, live: true, dir: dir})
		}
	}
	l.size(bn)
	return bn
}

func noParts(visual string) bool {
	switch visual {
	case "start", "end", "sync", "hidden":
		return true
	}
	return false
}

// normStatus maps a status word to one of the drawn looks.
func normStatus(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ok", "up":
		return "ok"
	case "error", "down", "fail", "failed", "critical":
		return "error"
	case "warn", "warning", "degraded":
		return "warn"
	case "skip", "skipped":
		return "skip"
	case "paused", "pause":
		return "paused"
	}
	return "unknown"
}

func maxW(parts []*boxPart) float64 {
	w := 0.0
	for _, p := range parts {
		w = math.Max(w, p.w)
	}
	return w
}

func sumH(parts []*boxPart) float64 {
	h := 0.0
	for _, p := range parts {
		h += p.h
	}
	return h
}

// stack places parts top to bottom from y, full width, with dividers between them.
func stack(n *boxNode, x0, y float64, divider func(y float64) []pt) {
	for i, p := range n.parts {
		p.x, p.y = x0, y
		p.w = n.w - 2*x0
		if x0 < 0 {
			p.w = n.w
		}
		y += p.h
		if i < len(n.parts)-1 && divider != nil {
			n.dividers = append(n.dividers, divider(y))
		}
	}
}

// size applies the visual's sizing rule (nomnoml's layouters).
func (l *layouter) size(n *boxNode) {
	o := l.opts
	W, H := maxW(n.parts), sumH(n.parts)
	line := func(y float64) []pt { return []pt{{0, y}, {n.w, y}} }
	switch n.st.visual {
	case "actor":
		n.w = math.Max(2*o.padding, W)
		n.h = 3*o.padding + H
		y := 3 * o.padding
		for i, p := range n.parts {
			p.x, p.y, p.w = 0, y, n.w
			y += p.h
			if i < len(n.parts)-1 {
				n.dividers = append(n.dividers, []pt{{o.padding, y}, {n.w - o.padding, y}})
			}
		}
	case "database":
		n.w, n.h = W, H+2*o.padding
		y := o.padding * 1.5
		for i, p := range n.parts {
			p.x, p.y, p.w = 0, y, n.w
			y += p.h
			if i < len(n.parts)-1 {
				var path []pt
				for k := 0; k <= 16; k++ {
					a := math.Pi * float64(k) / 16
					path = append(path, pt{n.w * 0.5 * (1 - math.Cos(a)), y + o.padding*(0.75*math.Sin(a)-0.5)})
				}
				n.dividers = append(n.dividers, path)
			}
		}
	case "ellipse":
		n.w, n.h = W*1.25, H*1.25
		y := H * 0.125
		for i, p := range n.parts {
			p.x, p.y, p.w = W*0.125, y, W
			y += p.h
			if i < len(n.parts)-1 {
				rim := math.Sqrt(math.Max(0, 0.25-sq(y/n.h-0.5))) * n.w
				n.dividers = append(n.dividers, []pt{{n.w/2 + rim - 1, y}, {n.w/2 - rim + 1, y}})
			}
		}
	case "rhomb":
		n.w, n.h = W*1.5, H*1.5
		y := H * 0.25
		slope := 0.0
		if n.h > 0 {
			slope = n.w / n.h
		}
		for i, p := range n.parts {
			p.x, p.y, p.w = W*0.25, y, W
			y += p.h
			if i < len(n.parts)-1 {
				d := y * slope
				if y >= n.h/2 {
					d = (n.h - y) * slope
				}
				n.dividers = append(n.dividers, []pt{{n.w/2 + d, y}, {n.w/2 - d, y}})
			}
		}
	case "start", "end":
		n.parts = nil
		n.w, n.h = o.fontSize*2.5, o.fontSize*2.5
	case "sync":
		n.parts = nil
		if n.dir == "LR" {
			n.w, n.h = l.lineWidth()*3, o.fontSize*5
		} else {
			n.w, n.h = o.fontSize*5, l.lineWidth()*3
		}
	case "hidden":
		n.parts = nil
		n.w, n.h = 1, 1
	case "lollipop", "socket":
		// The icon sits at the centre; the box also spans the label (beside it top to
		// bottom, below it left to right) so the label never overlaps a neighbour.
		icon := o.fontSize * 1.5
		n.icon = icon
		n.w, n.h = icon, icon
		if n.dir == "LR" {
			n.w = math.Max(icon, W)
			n.h = icon + 2*math.Max(0, H-o.padding)
		} else if W > 0 {
			n.w = icon + 2*(o.padding/2+W)
			n.h = math.Max(2*icon, 2*(H-icon))
		}
		y := n.h/2 - icon/2 - icon/2
		if n.dir == "LR" {
			y = n.h/2 + icon/2 - o.padding
		}
		for _, p := range n.parts {
			if n.dir == "LR" {
				p.x = n.w/2 - p.w/2
			} else {
				p.x = n.w/2 + o.padding/2
			}
			p.y = y
			y += p.h
		}
	case "frame":
		if len(n.parts) > 0 {
			p0 := n.parts[0]
			tagW, tagH := p0.w, p0.h
			p0.w += tagH / 2
			n.w, n.h = maxW(n.parts), sumH(n.parts)
			stack(n, 0, 0, line)
			if len(n.dividers) > 0 {
				n.dividers = n.dividers[1:]
			}
			n.dividers = append([][]pt{{{0, tagH}, {tagW - tagH/4, tagH}, {tagW + tagH/4, tagH / 2}, {tagW + tagH/4, 0}}}, n.dividers...)
		} else {
			n.w, n.h = 0, 0
		}
	case "pipe":
		n.w, n.h = W, H
		y := 0.0
		for i, p := range n.parts {
			p.x, p.y, p.w = -o.padding/2, y, n.w
			y += p.h
			if i < len(n.parts)-1 {
				n.dividers = append(n.dividers, []pt{{0, y}, {n.w, y}})
			}
		}
	case "table":
		l.sizeTable(n)
	case "package":
		n.w, n.h = W, H
		stack(n, 0, 0, line)
		n.tabW = n.w / 2
		if len(n.parts) > 0 && len(n.parts[0].lines) > 0 {
			n.tabW = math.Min(n.w, l.textWidth(n.parts[0].lines[0], n.st.title.bold)+2*o.padding)
		}
		if n.st.title.center {
			n.tabX = (n.w - n.tabW) / 2
		}
	default:
		n.w, n.h = W, H
		stack(n, 0, 0, line)
	}
	// A node always has some size, so an edge can reach it.
	n.w, n.h = math.Max(n.w, 1), math.Max(n.h, 1)
}

func sq(x float64) float64 { return x * x }

func (l *layouter) lineWidth() float64 { return l.opts.lineWidth / 2 }

func isRowBreak(p *boxPart) bool {
	return len(p.lines) == 0 && len(p.nodes) == 0 && len(p.edges) == 0 && !p.hasGraph
}

func (l *layouter) sizeTable(n *boxNode) {
	if len(n.parts) <= 1 {
		n.w, n.h = maxW(n.parts), sumH(n.parts)
		stack(n, 0, 0, func(y float64) []pt { return []pt{{0, y}, {n.w, y}} })
		return
	}
	header := n.parts[0]
	cells := n.parts[1:]
	rows := [][]*boxPart{{}}
	for i, c := range cells {
		last := rows[len(rows)-1]
		isEnd := i == len(cells)-1
		full := len(rows) > 1 && len(rows[0]) == len(last)
		switch {
		case !isEnd && isRowBreak(c) && len(last) > 0:
			rows = append(rows, []*boxPart{})
		case full:
			rows = append(rows, []*boxPart{c})
		default:
			rows[len(rows)-1] = append(last, c)
		}
	}
	cols := math.Max(1, float64(len(rows[0])))
	cellW := header.w / cols
	cellH := 0.0
	for _, c := range cells {
		cellW = math.Max(cellW, c.w)
		cellH = math.Max(cellH, c.h)
	}
	n.w = cellW * cols
	n.h = header.h + cellH*float64(len(rows))
	hh := header.h
	for i := range rows {
		n.dividers = append(n.dividers, []pt{{0, hh + float64(i)*cellH}, {n.w, hh + float64(i)*cellH}})
	}
	for i := 0; i < len(rows[0]); i++ {
		n.dividers = append(n.dividers, []pt{{float64(i+1) * cellW, hh}, {float64(i+1) * cellW, n.h}})
	}
	header.x, header.y, header.w = 0, 0, n.w
	for i, r := range rows {
		for j, c := range r {
			c.x, c.y, c.w = float64(j)*cellW, hh+float64(i)*cellH, cellW
		}
	}
	kept := []*boxPart{header}
	for _, c := range cells {
		if !isRowBreak(c) {
			kept = append(kept, c)
		}
	}
	n.parts = kept
}

// packAspect is the width:height the packing of unconnected groups aims at: close to
// a phone screen turned sideways, which is how a map photo is usually looked at.
const packAspect = 1.5

// layoutPacked lays out each connected group of nodes on its own and packs the groups
// in rows, instead of one very long rank of unrelated boxes that a phone would shrink
// to illegibility. A connected graph is laid out as is.
func (l *layouter) layoutPacked(g *LayoutGraph, lo LayoutOptions) *LayoutResult {
	n := len(g.Nodes)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, e := range g.Edges {
		if e.From >= 0 && e.From < n && e.To >= 0 && e.To < n {
			parent[find(e.From)] = find(e.To)
		}
	}
	compOf := map[int]int{}
	var comps [][]int
	for i := 0; i < n; i++ {
		r := find(i)
		c, ok := compOf[r]
		if !ok {
			c = len(comps)
			compOf[r] = c
			comps = append(comps, nil)
		}
		comps[c] = append(comps[c], i)
	}
	if len(comps) <= 1 {
		return Layout(g, lo)
	}
	subs := make([]*packItem, len(comps))
	local := make([]int, n)
	for c, members := range comps {
		sg := &LayoutGraph{}
		for k, i := range members {
			local[i] = k
			sg.Nodes = append(sg.Nodes, g.Nodes[i])
		}
		subs[c] = &packItem{nodes: members}
		for ei, e := range g.Edges {
			if e.From >= 0 && e.From < n && e.To >= 0 && e.To < n && compOf[find(e.From)] == c {
				sg.Edges = append(sg.Edges, LayoutEdge{From: local[e.From], To: local[e.To], LabelW: e.LabelW, LabelH: e.LabelH})
				subs[c].edges = append(subs[c].edges, ei)
			}
		}
		subs[c].res = Layout(sg, lo)
	}
	gap := lo.NodeSep
	area, widest := 0.0, 0.0
	for _, s := range subs {
		area += (s.res.Width + gap) * (s.res.Height + gap)
		widest = math.Max(widest, s.res.Width)
	}
	target := math.Max(widest, math.Sqrt(area*packAspect))
	rows := shelves(subs, target, gap)
	// Keep nomnoml's single row unless the rows come closer to the aimed shape.
	if len(rows) > 1 {
		one := shelves(subs, math.Inf(1), gap)
		if aspectCost(one, gap) <= aspectCost(rows, gap) {
			rows = one
		}
	}
	out := &LayoutResult{Nodes: make([]LayoutNodePos, n), Edges: make([]LayoutEdgePath, len(g.Edges))}
	for _, r := range rows {
		out.Width = math.Max(out.Width, r.w)
	}
	y := 0.0
	for ri, r := range rows {
		if ri > 0 {
			y += gap
		}
		x := (out.Width - r.w) / 2
		for _, s := range r.items {
			// Groups hang from the row's top, like ranks do; LR groups are centred.
			dy := y
			if lo.RankDir == "LR" {
				dy = y + (r.h-s.res.Height)/2
			}
			for k, i := range s.nodes {
				if k < len(s.res.Nodes) {
					p := s.res.Nodes[k]
					p.X += x
					p.Y += dy
					out.Nodes[i] = p
				}
			}
			for k, ei := range s.edges {
				if k >= len(s.res.Edges) {
					continue
				}
				e := s.res.Edges[k]
				pts := make([]LayoutPoint, len(e.Points))
				for j, q := range e.Points {
					pts[j] = LayoutPoint{q.X + x, q.Y + dy}
				}
				out.Edges[ei] = LayoutEdgePath{Points: pts, LabelX: e.LabelX + x, LabelY: e.LabelY + dy}
			}
			x += s.res.Width + gap
		}
		y += r.h
	}
	out.Height = y
	return out
}

// placeLabel starts from nomnoml's quadrant and otherwise takes the nearest spot
// around the line's end that covers no box, no line and no earlier label, so a
// label is never hidden or ambiguous.
func (l *layouter) placeLabel(text string, p pt, quadrant int, nodes []*boxNode, edges []*boxEdge, taken []boxLabel) boxLabel {
	first := l.label(text, p, quadrant)
	if len(first.lines) == 0 {
		return first
	}
	pad := l.opts.padding
	w, h := first.w, first.h
	type spot struct{ x, y float64 }
	spots := []spot{{first.x, first.y}}
	for _, ring := range []float64{pad, 3 * pad} {
		for _, x := range []float64{p.X + ring, p.X - w - ring, p.X - w/2} {
			for _, y := range []float64{p.Y + ring, p.Y - h - ring, p.Y - h/2} {
				if x == p.X-w/2 && y == p.Y-h/2 {
					continue
				}
				spots = append(spots, spot{x, y})
			}
		}
	}
	best, bestScore := first, math.Inf(1)
	for i, sp := range spots {
		lb := first
		lb.x, lb.y = sp.x, sp.y
		// Prefer nomnoml's spot, then the nearest ones.
		score := 0.0
		if i > 0 {
			score = 1 + math.Hypot(lb.x+w/2-p.X, lb.y+h/2-p.Y)
		}
		for _, n := range nodes {
			score += 4 * overlapArea(lb.x, lb.y, w, h, n.x-n.w/2-2, n.y-n.h/2-2, n.w+4, n.h+4)
		}
		for _, e := range edges {
			for i := 1; i < len(e.path); i++ {
				if segmentHitsRect(e.path[i-1], e.path[i], lb.x, lb.y, w, h) {
					score += w * h / 2
				}
			}
		}
		for _, t := range taken {
			if len(t.lines) > 0 {
				score += 2 * overlapArea(lb.x, lb.y, w, h, t.x-2, t.y-2, t.w+4, t.h+4)
			}
		}
		if score < bestScore {
			best, bestScore = lb, score
		}
	}
	return best
}

func overlapArea(x1, y1, w1, h1, x2, y2, w2, h2 float64) float64 {
	w := math.Min(x1+w1, x2+w2) - math.Max(x1, x2)
	h := math.Min(y1+h1, y2+h2) - math.Max(y1, y2)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// segmentHitsRect clips the segment against the rectangle grown by a small margin
// (Liang–Barsky).
func segmentHitsRect(a, b pt, x, y, w, h float64) bool {
	const m = 3
	x0, y0, x1, y1 := x-m, y-m, x+w+m, y+h+m
	dx, dy := b.X-a.X, b.Y-a.Y
	t0, t1 := 0.0, 1.0
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
			t0 = math.Max(t0, r)
		} else {
			t1 = math.Min(t1, r)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// insideShape tells whether q (graph coordinates) is inside the node's drawn outline,
// for the visuals that are not their bounding rectangle.
func insideShape(n *boxNode, q pt) (bool, bool) {
	dx, dy := q.X-n.x, q.Y-n.y
	switch n.st.visual {
	case "ellipse":
		return sq(dx/(n.w/2))+sq(dy/(n.h/2)) <= 1, true
	case "start", "end":
		r := n.h / 2.5
		if n.st.visual == "end" {
			r = n.h / 3
		}
		return dx*dx+dy*dy <= r*r, true
	case "lollipop", "socket":
		r := n.icon / 2.5
		if n.st.visual == "socket" {
			r = n.icon / 2
		}
		return dx*dx+dy*dy <= r*r, true
	case "rhomb":
		return math.Abs(dx)/(n.w/2)+math.Abs(dy)/(n.h/2) <= 1, true
	case "package":
		if len(n.parts) == 0 {
			return false, false
		}
		hh := n.parts[0].h
		inBody := math.Abs(dx) <= n.w/2 && dy >= -n.h/2+hh && dy <= n.h/2
		inTab := dx >= -n.w/2+n.tabX && dx <= -n.w/2+n.tabX+n.tabW && dy >= -n.h/2 && dy <= -n.h/2+hh
		return inBody || inTab, true
	}
	return false, false
}

// clipToShape moves an edge end that the layout put on the bounding rectangle onto
// the drawn outline (circle, ellipse, rhombus), so arrowheads touch the shape.
func clipToShape(n *boxNode, end pt) pt {
	c := pt{n.x, n.y}
	// Walk from the rectangle point towards the centre and find the outline by bisection.
	lo, hi := 0.0, 1.0
	at := func(t float64) pt { return pt{end.X + (c.X-end.X)*t, end.Y + (c.Y-end.Y)*t} }
	if in, shaped := insideShape(n, end); in || !shaped {
		return end
	}
	if in, _ := insideShape(n, at(hi)); !in {
		return end
	}
	for i := 0; i < 30; i++ {
		m := (lo + hi) / 2
		if in, _ := insideShape(n, at(m)); in {
			hi = m
		} else {
			lo = m
		}
	}
	return at(hi)
}

// packItem is one connected group laid out on its own.
type packItem struct {
	res   *LayoutResult
	nodes []int
	edges []int
}

type packRow struct {
	items []*packItem
	w, h  float64
}

// shelves fills rows left to right in source order, starting a new row past width.
func shelves(items []*packItem, width, gap float64) []*packRow {
	var rows []*packRow
	cur := &packRow{}
	for _, s := range items {
		if len(cur.items) > 0 && cur.w+gap+s.res.Width > width {
			rows = append(rows, cur)
			cur = &packRow{}
		}
		if len(cur.items) > 0 {
			cur.w += gap
		}
		cur.items = append(cur.items, s)
		cur.w += s.res.Width
		cur.h = math.Max(cur.h, s.res.Height)
	}
	return append(rows, cur)
}

// aspectCost is how far the packing's shape is from packAspect, in log scale.
func aspectCost(rows []*packRow, gap float64) float64 {
	w, h := 0.0, 0.0
	for i, r := range rows {
		w = math.Max(w, r.w)
		h += r.h
		if i > 0 {
			h += gap
		}
	}
	if w <= 0 || h <= 0 {
		return 0
	}
	return math.Abs(math.Log(w / h / packAspect))
}
