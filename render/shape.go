package render

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/tdewolff/canvas"
)

// Drawing of laid-out compartments, nodes (one shape per visual) and edges with
// their terminators, into a scene. Coordinates are diagram units times zoom.

type drawer struct {
	opts *drawOpts
	sc   *scene
	z    float64
}

// Status colours: ok and error as the original project's map, the rest chosen to be
// told apart at a glance on a phone.
var statusFill = map[string]string{
	"ok":      "#ccffbb",
	"error":   "#ff9988",
	"warn":    "#ffee99",
	"skip":    "#e0d0d0",
	"paused":  "#dddddd",
	"unknown": "#d4d4d4",
}

func (d *drawer) lw() float64 { return d.opts.lineWidth / 2 * d.z }

func (d *drawer) dash() []float64 {
	v := math.Max(4, 2*d.opts.lineWidth/2) * d.z
	return []float64{v, v}
}

func (d *drawer) color(s string) paint { return parseColor(s) }

func (d *drawer) fillLevel(level int) paint {
	f := d.opts.fill
	if level < len(f) && strings.TrimSpace(f[level]) != "" {
		return parseColor(f[level])
	}
	return parseColor(f[len(f)-1])
}

// poly builds a path through points offset by (ox, oy), scaled by zoom.
func (d *drawer) poly(pts []pt, ox, oy float64, closed bool) *canvas.Path {
	p := &canvas.Path{}
	for i, q := range pts {
		x, y := (q.X+ox)*d.z, (q.Y+oy)*d.z
		if i == 0 {
			p.MoveTo(x, y)
		} else {
			p.LineTo(x, y)
		}
	}
	if closed && len(pts) > 2 {
		p.Close()
	}
	return p
}

func (d *drawer) ellipse(cx, cy, rx, ry float64) *canvas.Path {
	return canvas.Ellipse(rx*d.z, ry*d.z).Translate(cx*d.z, cy*d.z)
}

// arc draws an elliptic arc from angle a0 to a1 (radians, y down) as a polyline.
func (d *drawer) arc(cx, cy, rx, ry, a0, a1 float64) *canvas.Path {
	var pts []pt
	const n = 24
	for i := 0; i <= n; i++ {
		a := a0 + (a1-a0)*float64(i)/n
		pts = append(pts, pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return d.poly(pts, 0, 0, false)
}

func (d *drawer) compartment(p *boxPart, x, y float64, textColor paint, ts textStyle, level int) {
	o := d.opts
	if !textColor.ok {
		textColor = d.color(o.stroke)
	}
	em := o.fontSize * 4 / 3
	st := styleRegular
	if ts.bold {
		st |= styleBold
	}
	if ts.italic {
		st |= styleItalic
	}
	for i, s := range p.lines {
		by := y + o.padding + (0.5+(float64(i)+0.5)*o.leading)*o.fontSize
		if ts.center {
			d.sc.addText(s, (x+p.w/2)*d.z, by*d.z, em*d.z, st, ts.underline, anchorMiddle, textColor)
		} else {
			d.sc.addText(s, (x+o.padding)*d.z, by*d.z, em*d.z, st, ts.underline, anchorStart, textColor)
		}
	}
	gx, gy := x+p.graphX, y+p.graphY
	for _, e := range p.edges {
		d.edge(e, gx, gy)
	}
	for _, n := range p.nodes {
		d.node(n, gx, gy, level, p.dir)
	}
	// Labels last, so no box covers them.
	for _, e := range p.edges {
		d.labels(e, gx, gy)
	}
}

func (d *drawer) labels(e *boxEdge, ox, oy float64) {
	o := d.opts
	em := o.fontSize * 4 / 3
	stroke := d.color(o.stroke)
	for _, lb := range []boxLabel{e.start, e.end} {
		for i, s := range lb.lines {
			by := oy + lb.y + em*float64(i) + em*0.8
			d.sc.addText(s, (ox+lb.x)*d.z, by*d.z, em*d.z, styleRegular, false, anchorStart, stroke)
		}
	}
}

func (d *drawer) node(n *boxNode, ox, oy float64, level int, dir string) {
	o := d.opts
	st := n.st
	x, y := ox+n.x-n.w/2, oy+n.y-n.h/2
	cx, cy := ox+n.x, oy+n.y
	fill := d.fillLevel(level)
	if st.fill != "" {
		if f := d.color(st.fill); f.ok {
			fill = f
		}
	}
	stroke := d.color(o.stroke)
	if st.stroke != "" {
		if s := d.color(st.stroke); s.ok {
			stroke = s
		}
	}
	dashed := st.dashed
	if n.status != "" {
		fill = d.color(statusFill[n.status])
		if n.status == "paused" {
			dashed = true
		}
	}
	var dash []float64
	if dashed {
		dash = d.dash()
	}
	lw := d.lw()
	if n.status == "error" {
		// A heavier outline tells an error apart without relying on red and green,
		// which a colour-blind reader may not distinguish.
		lw *= 2
	}
	d.sc.openGroup(n.id, n.status)
	defer d.sc.closeGroup()
	shape := func(p *canvas.Path) { d.sc.addPath(p, fill, stroke, lw, dash) }
	strokeOnly := func(p *canvas.Path) { d.sc.addPath(p, paint{}, stroke, lw, dash) }
	fillOnly := func(p *canvas.Path) { d.sc.addPath(p, fill, paint{}, 0, nil) }
	rect := func() *canvas.Path {
		return canvas.Rectangle(n.w*d.z, n.h*d.z).Translate(x*d.z, y*d.z)
	}
	pad := o.padding
	switch st.visual {
	case "actor":
		a := pad / 2
		yp := y + a*4
		shape(d.ellipse(cx, yp-a, a, a))
		strokeOnly(d.poly([]pt{{cx, yp}, {cx, yp + 2*a}}, 0, 0, false))
		strokeOnly(d.poly([]pt{{cx - a, yp + a}, {cx + a, yp + a}}, 0, 0, false))
		strokeOnly(d.poly([]pt{{cx - a, yp + a + pad}, {cx, yp + pad}, {cx + a, yp + a + pad}}, 0, 0, false))
	case "database":
		top := y + pad
		bot := y + n.h - pad
		fillOnly(canvas.Rectangle(n.w*d.z, (bot-top)*d.z).Translate(x*d.z, top*d.z))
		strokeOnly(d.poly([]pt{{x, top}, {x, bot}}, 0, 0, false))
		strokeOnly(d.poly([]pt{{x + n.w, top}, {x + n.w, bot}}, 0, 0, false))
		bottom := d.arc(cx, bot, n.w/2, pad, 0, math.Pi)
		bf := bottom.Copy()
		bf.Close()
		fillOnly(bf)
		strokeOnly(bottom)
		shape(d.ellipse(cx, top, n.w/2, pad))
	case "ellipse":
		shape(d.ellipse(cx, cy, n.w/2, n.h/2))
	case "end":
		r := n.h / 3
		shape(d.ellipse(cx, cy, r, r))
		ri := math.Max(r-pad/2, 1)
		d.sc.addPath(d.ellipse(cx, cy, ri, ri), stroke, paint{}, 0, nil)
	case "hidden", "none":
	case "input":
		shape(d.poly([]pt{{x + pad, y}, {x + n.w, y}, {x + n.w - pad, y + n.h}, {x, y + n.h}}, 0, 0, true))
	case "lollipop":
		r := n.icon / 2.5
		shape(d.ellipse(cx, cy, r, r))
	case "note":
		shape(d.poly([]pt{{x, y}, {x + n.w - pad, y}, {x + n.w, y + pad}, {x + n.w, y + n.h}, {x, y + n.h}}, 0, 0, true))
		strokeOnly(d.poly([]pt{{x + n.w - pad, y}, {x + n.w - pad, y + pad}, {x + n.w, y + pad}}, 0, 0, false))
	case "package":
		hh := 0.0
		tabW := n.tabW
		if len(n.parts) > 0 {
			hh = n.parts[0].h
		}
		shape(canvas.Rectangle(n.w*d.z, (n.h-hh)*d.z).Translate(x*d.z, (y+hh)*d.z))
		tx := x + n.tabX
		shape(d.poly([]pt{{tx, y + hh}, {tx, y}, {tx + tabW, y}, {tx + tabW, y + hh}}, 0, 0, true))
	case "pipe":
		fillOnly(rect())
		strokeOnly(d.poly([]pt{{x, y}, {x + n.w, y}}, 0, 0, false))
		strokeOnly(d.poly([]pt{{x, y + n.h}, {x + n.w, y + n.h}}, 0, 0, false))
		shape(d.ellipse(x+n.w, cy, pad*0.75, n.h/2))
		left := d.arc(x, cy, pad*0.75, n.h/2, math.Pi/2, math.Pi*3/2)
		lf := left.Copy()
		lf.Close()
		fillOnly(lf)
		strokeOnly(left)
	case "receiver":
		shape(d.poly([]pt{{x - pad, y}, {x + n.w, y}, {x + n.w, y + n.h}, {x - pad, y + n.h}, {x, cy}}, 0, 0, true))
	case "rhomb":
		shape(d.poly([]pt{{cx, y}, {x + n.w, cy}, {cx, y + n.h}, {x, cy}}, 0, 0, true))
	case "roundrect":
		r := math.Min(pad*2*o.leading, n.h/2)
		shape(canvas.RoundedRectangle(n.w*d.z, n.h*d.z, r*d.z).Translate(x*d.z, y*d.z))
	case "sender":
		shape(d.poly([]pt{{x, y}, {x + n.w - pad, y}, {x + n.w, cy}, {x + n.w - pad, y + n.h}, {x, y + n.h}}, 0, 0, true))
	case "socket":
		// The convex side faces where the edge comes from: the top half top to
		// bottom, the left half left to right (nomnoml's arcs).
		a0, a1 := math.Pi, 2*math.Pi
		if dir != "TB" {
			a0, a1 = math.Pi/2, 3*math.Pi/2
		}
		strokeOnly(d.arc(cx, cy, n.icon/2, n.icon/2, a0, a1))
	case "start":
		r := n.h / 2.5
		d.sc.addPath(d.ellipse(cx, cy, r, r), stroke, paint{}, 0, nil)
	case "sync":
		d.sc.addPath(rect(), stroke, stroke, lw, nil)
	case "transceiver":
		shape(d.poly([]pt{{x - pad, y}, {x + n.w - pad, y}, {x + n.w, cy}, {x + n.w - pad, y + n.h}, {x - pad, y + n.h}, {x, cy}}, 0, 0, true))
	case "frame", "table":
		shape(rect())
	default:
		// class and unknown visuals: a box with slightly rounded corners.
		shape(canvas.RoundedRectangle(n.w*d.z, n.h*d.z, math.Min(2, n.h/4)*d.z).Translate(x*d.z, y*d.z))
	}
	for _, dv := range n.dividers {
		strokeOnly(d.poly(dv, x, y, false))
	}
	for i, p := range n.parts {
		ts := st.body
		if i == 0 {
			ts = st.title
		}
		if p.live {
			ts = textStyle{}
		}
		var tc paint
		if st.stroke != "" {
			tc = d.color(st.stroke)
		}
		d.compartment(p, x+p.x, y+p.y, tc, ts, level+1)
	}
	if n.status == "skip" {
		d.hatch(x, y, n.w, n.h, stroke)
	}
}

// hatch draws thin diagonal strokes over a skipped node, so "not checked because a
// dependency is down" stands apart from plain grey even in greyscale.
func (d *drawer) hatch(x, y, w, h float64, stroke paint) {
	step := 10.0
	p := &canvas.Path{}
	for s := step; s < w+h; s += step {
		// line x+y = s within the rectangle
		x0, y0 := math.Min(s, w), s-math.Min(s, w)
		x1, y1 := s-math.Min(s, h), math.Min(s, h)
		p.MoveTo((x+x0)*d.z, (y+y0)*d.z)
		p.LineTo((x+x1)*d.z, (y+y1)*d.z)
	}
	d.sc.addPath(p, paint{}, stroke.withAlpha(0.3), d.lw()*0.6, nil)
}

func terminatorSize(id string) float64 {
	switch id {
	case ">", "<":
		return 5
	case ":>", "<:":
		return 10
	case "+", "o":
		return 14
	case "(", ")", "(o", "o)":
		return 11
	case ">o", "o<":
		return 15
	}
	return 0
}

func sub(a, b pt) pt         { return pt{a.X - b.X, a.Y - b.Y} }
func addp(a, b pt) pt        { return pt{a.X + b.X, a.Y + b.Y} }
func mul(a pt, f float64) pt { return pt{a.X * f, a.Y * f} }
func norm(a pt) pt {
	m := math.Hypot(a.X, a.Y)
	if m == 0 || math.IsNaN(m) {
		return pt{0, 0}
	}
	return pt{a.X / m, a.Y / m}
}
func rot(a pt) pt { return pt{a.Y, -a.X} }

// dedupe drops repeated points, which would give no direction.
func dedupe(path []pt) []pt {
	out := make([]pt, 0, len(path))
	for _, q := range path {
		if len(out) > 0 && math.Abs(out[len(out)-1].X-q.X) < 1e-6 && math.Abs(out[len(out)-1].Y-q.Y) < 1e-6 {
			continue
		}
		out = append(out, q)
	}
	return out
}

func splitTokens(typ string) (string, string) {
	// The line is one of -, --, -/-; tokens are what surrounds it.
	i := strings.IndexByte(typ, '-')
	if i < 0 {
		return "", ""
	}
	j := strings.LastIndexByte(typ, '-')
	return typ[:i], typ[j+1:]
}

func (d *drawer) edge(e *boxEdge, ox, oy float64) {
	o := d.opts
	stroke := d.color(o.stroke)
	path := make([]pt, 0, len(e.path))
	for _, q := range e.path {
		path = append(path, pt{q.X + ox, q.Y + oy})
	}
	path = dedupe(path)
	if len(path) < 2 || e.typ == "-/-" {
		return
	}
	size := o.spacing * o.arrowSize / 30
	startTok, endTok := splitTokens(e.typ)
	startDir := norm(sub(path[1], path[0]))
	endDir := norm(sub(path[len(path)-2], path[len(path)-1]))
	line := make([]pt, len(path))
	copy(line, path)
	line[0] = addp(line[0], mul(startDir, size*terminatorSize(startTok)))
	line[len(line)-1] = addp(line[len(line)-1], mul(endDir, size*terminatorSize(endTok)))
	var dash []float64
	if strings.Contains(e.typ, "--") {
		dash = d.dash()
	}
	d.sc.addPath(d.strokePath(line), paint{}, stroke, d.lw(), dash)
	d.terminator(endTok, path[len(path)-1], endDir, size)
	d.terminator(startTok, path[0], startDir, size)
}

// strokePath joins the points, rounding bends with radius spacing·bendSize unless
// #edges is hard.
func (d *drawer) strokePath(ps []pt) *canvas.Path {
	p := &canvas.Path{}
	z := d.z
	p.MoveTo(ps[0].X*z, ps[0].Y*z)
	r := d.opts.spacing * d.opts.bendSize
	for i := 1; i < len(ps)-1; i++ {
		if d.opts.edges == "hard" || r <= 0 {
			p.LineTo(ps[i].X*z, ps[i].Y*z)
			continue
		}
		in, out := sub(ps[i], ps[i-1]), sub(ps[i+1], ps[i])
		li, lo := math.Hypot(in.X, in.Y), math.Hypot(out.X, out.Y)
		rr := math.Min(r, math.Min(li/2, lo/2))
		a := sub(ps[i], mul(norm(in), rr))
		b := addp(ps[i], mul(norm(out), rr))
		p.LineTo(a.X*z, a.Y*z)
		p.QuadTo(ps[i].X*z, ps[i].Y*z, b.X*z, b.Y*z)
	}
	last := ps[len(ps)-1]
	p.LineTo(last.X*z, last.Y*z)
	return p
}

// terminator draws an arrowhead at end; nv points from the end back along the line.
func (d *drawer) terminator(id string, end, nv pt, size float64) {
	o := d.opts
	stroke := d.color(o.stroke)
	fill0 := d.fillLevel(0)
	lw := d.lw()
	x := func(s float64) pt { return addp(end, mul(nv, s*size)) }
	y := func(s float64) pt { return mul(rot(nv), s*size) }
	arrow := func(at pt, sz float64, filled bool) {
		xx := func(s float64) pt { return addp(at, mul(nv, s*sz)) }
		yy := func(s float64) pt { return mul(rot(nv), s*sz) }
		notch := 10.0
		if filled && !o.fillArrows {
			notch = 5
		}
		pts := []pt{addp(xx(10), yy(4)), xx(notch), addp(xx(10), yy(-4)), at}
		f := fill0
		if filled {
			f = stroke
		}
		d.sc.addPath(d.poly(pts, 0, 0, true), f, stroke, lw, nil)
	}
	diamond := func(filled bool) {
		pts := []pt{addp(x(7), y(4)), x(14), addp(x(7), y(-4)), end}
		f := fill0
		if filled {
			f = stroke
		}
		d.sc.addPath(d.poly(pts, 0, 0, true), f, stroke, lw, nil)
	}
	stem := func(s float64) {
		d.sc.addPath(d.poly([]pt{x(s), end}, 0, 0, false), paint{}, stroke, lw, nil)
	}
	ball := func(s float64) {
		c := x(s)
		d.sc.addPath(d.ellipse(c.X, c.Y, size*3, size*3), fill0, stroke, lw, nil)
	}
	socket := func(s float64) {
		base := x(s)
		t := rot(nv)
		var pts []pt
		for i := 0; i <= 12; i++ {
			a := -math.Pi/2 + math.Pi*float64(i)/12
			pts = append(pts, addp(base, addp(mul(nv, -6*size*math.Cos(a)), mul(t, 6*size*math.Sin(a)))))
		}
		d.sc.addPath(d.poly(pts, 0, 0, false), paint{}, stroke, lw, nil)
	}
	switch id {
	case ">", "<":
		arrow(end, size, true)
	case ":>", "<:":
		arrow(end, size, false)
	case "+":
		diamond(true)
	case "o":
		diamond(false)
	case "(", ")":
		socket(11)
		stem(5)
	case "(o", "o)":
		socket(11)
		stem(5)
		ball(11)
	case ">o", "o<":
		arrow(addp(end, mul(nv, size*10)), size*0.75, false)
		stem(8)
		ball(8)
	}
}

var namedColors = map[string]string{
	"black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000", "blue": "#0000ff",
	"yellow": "#ffff00", "orange": "#ffa500", "purple": "#800080", "gray": "#808080", "grey": "#808080",
	"lightgray": "#d3d3d3", "lightgrey": "#d3d3d3", "darkgray": "#a9a9a9", "darkgrey": "#a9a9a9",
	"silver": "#c0c0c0", "pink": "#ffc0cb", "brown": "#a52a2a", "cyan": "#00ffff", "magenta": "#ff00ff",
	"lime": "#00ff00", "navy": "#000080", "teal": "#008080", "olive": "#808000", "maroon": "#800000",
	"aqua": "#00ffff", "fuchsia": "#ff00ff", "gold": "#ffd700", "beige": "#f5f5dc", "ivory": "#fffff0",
	"khaki": "#f0e68c", "lavender": "#e6e6fa", "salmon": "#fa8072", "tomato": "#ff6347", "coral": "#ff7f50",
	"skyblue": "#87ceeb", "lightblue": "#add8e6", "lightgreen": "#90ee90", "lightyellow": "#ffffe0",
	"whitesmoke": "#f5f5f5", "snow": "#fffafa", "wheat": "#f5deb3", "tan": "#d2b48c", "crimson": "#dc143c",
	"indigo": "#4b0082", "violet": "#ee82ee", "orchid": "#da70d6", "plum": "#dda0dd", "steelblue": "#4682b4",
	"darkblue": "#00008b", "darkgreen": "#006400", "darkred": "#8b0000", "lightpink": "#ffb6c1",
	"honeydew": "#f0fff0", "mintcream": "#f5fffa", "aliceblue": "#f0f8ff", "linen": "#faf0e6",
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// parseColor understands what people write in nomnoml: #rgb, #rgba, #rrggbb,
// #rrggbbaa, rgb()/rgba() and common colour names. Anything else is "no paint".
func parseColor(s string) paint {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	if ls == "" || ls == "transparent" || ls == "none" {
		return paint{}
	}
	if h, ok := namedColors[ls]; ok {
		return paint{ok: true, rgb: canvas.Hex(h), css: ls}
	}
	if strings.HasPrefix(s, "#") && isHex(s[1:]) {
		switch len(s) - 1 {
		case 3, 6:
			return paint{ok: true, rgb: canvas.Hex(s), css: s}
		case 4, 8:
			c := canvas.Hex(s)
			if c.A == 0 {
				return paint{}
			}
			return paint{ok: true, rgb: c, css: s}
		}
		return paint{}
	}
	if (strings.HasPrefix(ls, "rgb(") || strings.HasPrefix(ls, "rgba(")) && strings.HasSuffix(ls, ")") {
		in := ls[strings.IndexByte(ls, '(')+1 : len(ls)-1]
		fs := strings.FieldsFunc(in, func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
		if len(fs) < 3 || len(fs) > 4 {
			return paint{}
		}
		var v [4]float64
		v[3] = 1
		for i, f := range fs {
			pct := strings.HasSuffix(f, "%")
			x, err := strconv.ParseFloat(strings.TrimSuffix(f, "%"), 64)
			if err != nil || math.IsNaN(x) {
				return paint{}
			}
			if pct {
				x = x / 100
				if i < 3 {
					x *= 255
				}
			}
			v[i] = x
		}
		a := clamp(v[3], 0, 1)
		if a == 0 {
			return paint{}
		}
		r, g, b := clamp(v[0], 0, 255), clamp(v[1], 0, 255), clamp(v[2], 0, 255)
		// premultiplied, as color.RGBA wants
		c := color.RGBA{uint8(r * a), uint8(g * a), uint8(b * a), uint8(a * 255)}
		css := "rgba(" + fmtNum(r) + "," + fmtNum(g) + "," + fmtNum(b) + "," + fmtNum(a) + ")"
		return paint{ok: true, rgb: c, css: css}
	}
	return paint{}
}
