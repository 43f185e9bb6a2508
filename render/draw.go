package render

import (
	"bytes"
	"fmt"
	"html"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
)

// The drawing is first recorded as a scene in diagram units (y down), then written
// either as PNG through tdewolff/canvas or as SVG text. One scene, two writers, so
// both outputs show the same picture.

type textAnchor uint8

const (
	anchorStart textAnchor = iota
	anchorMiddle
	anchorEnd
)

type paint struct {
	ok    bool
	rgb   color.RGBA // premultiplied
	css   string     // as written in SVG
	alpha float64    // extra opacity, 0 meaning opaque
}

func (p paint) withAlpha(a float64) paint {
	p.alpha = a
	f := func(v uint8) uint8 { return uint8(float64(v) * a) }
	p.rgb = color.RGBA{f(p.rgb.R), f(p.rgb.G), f(p.rgb.B), f(p.rgb.A)}
	return p
}

func (p paint) opacity(attr string) string {
	if p.ok && p.alpha > 0 && p.alpha < 1 {
		return " " + attr + `="` + fmtNum(p.alpha) + `"`
	}
	return ""
}

type sceneItem struct {
	// path
	path   *canvas.Path
	fill   paint
	stroke paint
	width  float64
	dash   []float64
	join   bool // round joins and caps (nomnoml's look)

	// text
	text      string
	x, y      float64 // baseline start, middle or end per anchor
	em        float64
	style     fontStyle
	underline bool
	anchor    textAnchor
	color     paint

	// group markers: a node's drawing is wrapped in <g data-name=... data-status=...>
	// in SVG, so a page can find a node to recolour it or to show its detail.
	groupOpen  bool
	groupClose bool
	name       string
	status     string
}

type scene struct {
	w, h       float64
	background paint
	fontFamily string
	fonts      *fontSet
	items      []sceneItem
}

func (s *scene) addPath(p *canvas.Path, fill, stroke paint, width float64, dash []float64) {
	if p == nil || p.Empty() {
		return
	}
	s.items = append(s.items, sceneItem{path: p, fill: fill, stroke: stroke, width: width, dash: dash, join: true})
}

func (s *scene) openGroup(name, status string) {
	s.items = append(s.items, sceneItem{groupOpen: true, name: name, status: status})
}

func (s *scene) closeGroup() {
	s.items = append(s.items, sceneItem{groupClose: true})
}

func (s *scene) addText(t string, x, y, em float64, st fontStyle, underline bool, anchor textAnchor, col paint) {
	if strings.TrimSpace(t) == "" {
		return
	}
	s.items = append(s.items, sceneItem{text: t, x: x, y: y, em: em, style: st, underline: underline, anchor: anchor, color: col})
}

// maxPNGSide keeps photos within Telegram's limit (width + height <= 10000).
const maxPNGSum = 10000

// maxPNGPixels bounds the time and file size of one picture. A phone
// shows a chat photo at 2560 pixels at most, so a map of a hundred checks still gets
// its full useful resolution (about one pixel per unit, 16 px text).
const maxPNGPixels = 6e6

// pngScale is the pixel density: 2 pixels per diagram unit reads well on a phone.
const pngScale = 2.0

func (s *scene) png() ([]byte, error) {
	scale := pngScale
	if sum := (s.w + s.h) * scale; sum > maxPNGSum-2 {
		scale = (maxPNGSum - 2) / (s.w + s.h)
	}
	if px := s.w * s.h * scale * scale; px > maxPNGPixels {
		scale *= math.Sqrt(maxPNGPixels / px)
	}
	pw, ph := int(math.Ceil(s.w*scale)), int(math.Ceil(s.h*scale))
	if pw < 1 {
		pw = 1
	}
	if ph < 1 {
		ph = 1
	}
	// A transparent PNG turns black in chat apps' dark themes, hiding the dark lines:
	// the picture gets white behind it unless #background says otherwise.
	bg := color.RGBA{255, 255, 255, 255}
	if s.background.ok {
		// A translucent background is seen over white; the PNG stays opaque.
		c := s.background.rgb
		k := 255 - uint16(c.A)
		bg = color.RGBA{uint8(uint16(c.R) + k), uint8(uint16(c.G) + k), uint8(uint16(c.B) + k), 255}
	}
	// The drawing goes onto transparent pixels and the encoder lays it over bg: the
	// same picture as painting bg first, without a pass over every pixel.
	H := float64(ph) / scale
	scratch := rasterScratches.Get().(*rasterScratch)
	defer scratch.release()
	ops := s.rasterOps(H, scale, scratch)
	var buf bytes.Buffer
	paint := func(dst *image.RGBA, y0 int) { paintBand(dst, y0, ph, ops, scale) }
	if err := encodeOpaquePNG(&buf, pw, ph, bg, paint); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// rasterOp is one filled path or bitmap in canvas coordinates (y up).
type rasterOp struct {
	path       *canvas.Path
	color      color.RGBA
	img        *image.RGBA
	m          canvas.Matrix
	ymin, ymax float64
	// rect marks an axis-aligned rectangle fill, in image pixels (y down), drawn
	// straight into the pixels instead of through the scanline rasterizer: frames,
	// groups and boxes cover most of the picture, several times over.
	rect               bool
	rx0, ry0, rx1, ry1 float64
	// text is a line of text's coverage, in image pixels
	text *textMask
}

// rasterOps turns the scene into fills: strokes become outlines and text becomes
// coverage masks (outlines when large) and emoji bitmaps, all once, so the bands
// can share them.
// Outlines and masks are carved from scratch, which may be nil; they are used up
// when scratch is released.
func (s *scene) rasterOps(H, scale float64, scratch *rasterScratch) []rasterOp {
	var floats *arena[float64]
	var cov *arena[uint16]
	if scratch != nil {
		floats, cov = &scratch.floats, &scratch.cov
	}
	flip := canvas.Matrix{{1, 0, 0}, {0, -1, H}}
	var ops []rasterOp
	add := func(p *canvas.Path, c color.RGBA) {
		if p.Empty() {
			return
		}
		r := p.FastBounds()
		ops = append(ops, rasterOp{path: p, color: c, ymin: r.Y0, ymax: r.Y1})
	}
	for _, it := range s.items {
		if it.groupOpen || it.groupClose {
			continue
		}
		if it.path != nil {
			if it.fill.ok {
				if x0, y0, x1, y1, ok := axisRect(it.path); ok {
					ops = append(ops, rasterOp{rect: true, color: it.fill.rgb, ymin: H - y1, ymax: H - y0,
						rx0: x0 * scale, ry0: y0 * scale, rx1: x1 * scale, ry1: y1 * scale})
				} else {
					// flattened once here rather than in every strip, as the rasterizer would
					add(it.path.Copy().Transform(flip).Flatten(canvas.PixelTolerance/scale), it.fill.rgb)
				}
			}
			if it.stroke.ok && it.width > 0 {
				add(strokeOutline(it.path, it.width, it.dash, 0.1/scale, floats).Transform(flip), it.stroke.rgb)
			}
			continue
		}
		glyphs, w := s.fonts.shape(it.text, it.style)
		x0 := it.x
		switch it.anchor {
		case anchorMiddle:
			x0 -= w * it.em / 2
		case anchorEnd:
			x0 -= w * it.em
		}
		if it.em*scale <= maxMaskPPEM {
			ops = s.textMaskOps(ops, it, glyphs, x0, w, H, scale, cov)
		} else {
			ops = s.textPathOps(ops, it, glyphs, x0, w, H, scale)
		}
	}
	return ops
}

// textPathOps appends the ops of a line of text drawn as outlines: emoji bitmaps as
// they come, then one path of all outline glyphs and the underline.
func (s *scene) textPathOps(ops []rasterOp, it sceneItem, glyphs []glyph, x0, w, H, scale float64) []rasterOp {
	textPath := &canvas.Path{}
	for _, g := range glyphs {
		gx := x0 + g.x*it.em
		if g.outline == nil {
			ops = s.emojiOp(ops, it, g, gx, H)
			continue
		}
		// a tenth of a pixel, as the rasterizer would flatten it
		p := g.outline.flatOutline(g.gid, canvas.PixelTolerance/(it.em*scale))
		if p.Empty() {
			continue
		}
		appendScaled(textPath, p, gx, H-it.y, it.em)
	}
	add := func(p *canvas.Path) {
		if !p.Empty() {
			r := p.FastBounds()
			ops = append(ops, rasterOp{path: p, color: it.color.rgb, ymin: r.Y0, ymax: r.Y1})
		}
	}
	add(textPath)
	if it.underline {
		// a fill of its own: in the glyphs' path, a rectangle wound the other way
		// would cut holes where it crosses descenders
		add(canvas.Rectangle(w*it.em, it.em*0.06).Translate(x0, H-it.y-it.em*0.12))
	}
	return ops
}

// emojiOp appends the bitmap of an emoji glyph with its pen at gx.
func (s *scene) emojiOp(ops []rasterOp, it sceneItem, g glyph, gx, H float64) []rasterOp {
	img := s.fonts.emoji.image(g.emoji)
	if img == nil {
		return ops
	}
	// The bitmap spans ascent and descent: one advance wide, bottom at the descender.
	size := it.em * g.adv
	k := size / float64(img.Bounds().Dx())
	bottom := H - (it.y + 0.2*it.em)
	top := bottom + float64(img.Bounds().Dy())*k
	return append(ops, rasterOp{img: img, m: canvas.Identity.Translate(gx, bottom).Scale(k, k), ymin: bottom, ymax: top})
}

// textMaskOps appends the ops of a line of text drawn from glyph masks: emoji
// bitmaps as they come, then one mask of all outline glyphs and the underline.
func (s *scene) textMaskOps(ops []rasterOp, it sceneItem, glyphs []glyph, x0, w, H, scale float64, cov *arena[uint16]) []rasterOp {
	ppem := it.em * scale
	placed := make([]placedMask, 0, len(glyphs))
	// the pen's row and sub-pixel offset below it
	py := it.y * scale
	iy := math.Floor(py)
	fy := math.Round((py - iy) * subpixel)
	if fy == subpixel {
		iy, fy = iy+1, 0
	}
	for _, g := range glyphs {
		gx := x0 + g.x*it.em
		if g.outline == nil {
			ops = s.emojiOp(ops, it, g, gx, H)
			continue
		}
		px := gx * scale
		ix := math.Floor(px)
		fx := math.Round((px - ix) * subpixel)
		if fx == subpixel {
			ix, fx = ix+1, 0
		}
		m := g.outline.glyphMask(g.gid, ppem, uint8(fx), uint8(fy))
		if m == nil {
			continue
		}
		placed = append(placed, placedMask{m: m, x: int(ix) + m.x0, y: int(iy) + m.y0})
	}
	var ul *[4]float64
	if it.underline {
		// as the outline would have it: em*0.06 high, its bottom em*0.12 below the baseline
		ul = &[4]float64{x0 * scale, (it.y + it.em*0.06) * scale, (x0 + w*it.em) * scale, (it.y + it.em*0.12) * scale}
	}
	t := addTextMask(placed, ul, cov)
	if t == nil {
		return ops
	}
	return append(ops, rasterOp{text: t, color: it.color.rgb, ymin: H - float64(t.y+t.h)/scale, ymax: H - float64(t.y)/scale})
}

// paintBand draws the ops onto dst, the strip of the ph-pixel-high picture whose
// first row is y0; it skips what lies wholly outside the strip.
func paintBand(dst *image.RGBA, y0, ph int, ops []rasterOp, scale float64) {
	rows := dst.Rect.Dy()
	y1 := y0 + rows
	res := canvas.DPMM(scale)
	sp := getSpanPainter(dst)
	defer sp.release()
	var ras *rasterizer.Rasterizer // for bitmaps, made when one is in the strip
	shift := canvas.Identity.Translate(0, -float64(ph-y1)/scale)
	lo, hi := float64(ph-y1)/scale-1, float64(ph-y0)/scale+1
	for _, op := range ops {
		if op.ymax < lo || op.ymin > hi {
			continue
		}
		if op.rect {
			fillRect(dst, op.rx0, op.ry0-float64(y0), op.rx1, op.ry1-float64(y0), op.color)
			continue
		}
		if op.text != nil {
			drawTextMask(dst, y0, op.text, op.color)
			continue
		}
		if op.img != nil {
			if ras == nil {
				ras = rasterizer.FromImage(dst, res, canvas.LinearColorSpace{})
			}
			// RenderImage may convert colours in place: give it a copy.
			cp := image.NewRGBA(op.img.Bounds())
			copy(cp.Pix, op.img.Pix)
			ras.RenderImage(cp, shift.Mul(op.m))
			continue
		}
		sp.fill(op.path, op.color, float64(ph-y0), res)
	}
}

func fmtNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// svgPath writes a path with two decimals, which keeps the file small.
func svgPath(p *canvas.Path) string {
	var sb strings.Builder
	it := p.Scanner()
	for it.Scan() {
		end := it.End()
		switch it.Cmd() {
		case canvas.MoveToCmd:
			sb.WriteString("M" + fmtNum(end.X) + " " + fmtNum(end.Y))
		case canvas.LineToCmd:
			sb.WriteString("L" + fmtNum(end.X) + " " + fmtNum(end.Y))
		case canvas.QuadToCmd:
			c := it.CP1()
			sb.WriteString("Q" + fmtNum(c.X) + " " + fmtNum(c.Y) + " " + fmtNum(end.X) + " " + fmtNum(end.Y))
		case canvas.CubeToCmd:
			c1, c2 := it.CP1(), it.CP2()
			sb.WriteString("C" + fmtNum(c1.X) + " " + fmtNum(c1.Y) + " " + fmtNum(c2.X) + " " + fmtNum(c2.Y) + " " + fmtNum(end.X) + " " + fmtNum(end.Y))
		case canvas.ArcToCmd:
			rx, ry, rot, large, sweep := it.Arc()
			sb.WriteString("A" + fmtNum(rx) + " " + fmtNum(ry) + " " + fmtNum(rot) + " " + b01(large) + " " + b01(sweep) + " " + fmtNum(end.X) + " " + fmtNum(end.Y))
		case canvas.CloseCmd:
			sb.WriteString("Z")
		}
	}
	return sb.String()
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (p paint) attr() string {
	if !p.ok {
		return "none"
	}
	return html.EscapeString(p.css)
}

func (s *scene) svg(title string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s">`,
		fmtNum(s.w), fmtNum(s.h), fmtNum(s.w), fmtNum(s.h), html.EscapeString(fontFamilies(s.fontFamily)))
	if title != "" {
		fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(title))
	}
	b.WriteString("\n")
	if s.background.ok {
		fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", s.background.attr())
	}
	for _, it := range s.items {
		if it.groupOpen {
			fmt.Fprintf(&b, `<g class="node" data-name="%s"`, html.EscapeString(it.name))
			if it.status != "" {
				fmt.Fprintf(&b, ` data-status="%s"`, it.status)
			}
			b.WriteString(">\n")
			continue
		}
		if it.groupClose {
			b.WriteString("</g>\n")
			continue
		}
		if it.path != nil {
			fmt.Fprintf(&b, `<path d="%s" fill="%s"%s`, svgPath(it.path), it.fill.attr(), it.fill.opacity("fill-opacity"))
			if it.stroke.ok && it.width > 0 {
				fmt.Fprintf(&b, ` stroke="%s"%s stroke-width="%s" stroke-linejoin="round" stroke-linecap="round"`, it.stroke.attr(), it.stroke.opacity("stroke-opacity"), fmtNum(it.width))
				if len(it.dash) > 0 {
					ds := make([]string, len(it.dash))
					for i, d := range it.dash {
						ds[i] = fmtNum(d)
					}
					fmt.Fprintf(&b, ` stroke-dasharray="%s"`, strings.Join(ds, " "))
				}
			}
			b.WriteString("/>\n")
			continue
		}
		anchor := "start"
		switch it.anchor {
		case anchorMiddle:
			anchor = "middle"
		case anchorEnd:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s"`, fmtNum(it.x), fmtNum(it.y), fmtNum(it.em), anchor, it.color.attr())
		if it.style&styleBold != 0 {
			b.WriteString(` font-weight="bold"`)
		}
		if it.style&styleItalic != 0 {
			b.WriteString(` font-style="italic"`)
		}
		if it.underline {
			b.WriteString(` text-decoration="underline"`)
		}
		fmt.Fprintf(&b, ">%s</text>\n", html.EscapeString(it.text))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// fontFamilies is the SVG font list: the diagram's #font first, then common sans fonts.
func fontFamilies(f string) string {
	out := []string{}
	seen := map[string]bool{}
	for _, x := range append(strings.Split(f, ","), "Helvetica", "Arial", "sans-serif") {
		x = strings.TrimSpace(x)
		if x == "" || seen[strings.ToLower(x)] {
			continue
		}
		seen[strings.ToLower(x)] = true
		out = append(out, x)
	}
	return strings.Join(out, ", ")
}

// appendScaled appends the flattened path p scaled by k and moved by (dx, dy) to
// dst, without the copies of Copy, Transform and Append.
func appendScaled(dst, p *canvas.Path, dx, dy, k float64) {
	it := p.Scanner()
	for it.Scan() {
		e := it.End()
		switch it.Cmd() {
		case canvas.MoveToCmd:
			dst.MoveTo(dx+k*e.X, dy+k*e.Y)
		case canvas.CloseCmd:
			dst.Close()
		default: // flattened: lines only
			dst.LineTo(dx+k*e.X, dy+k*e.Y)
		}
	}
}

// discCorners are the corners of a decagon of radius 1: a round join or cap at
// stroke widths of a few pixels. Read-only.
var discCorners = func() (c [10]canvas.Point) {
	for i := range c {
		a := 2 * math.Pi * float64(i) / float64(len(c))
		c[i] = canvas.Point{X: math.Cos(a), Y: math.Sin(a)}
	}
	return c
}()

// strokeOutline turns a path into the area its stroke covers, with round joins and
// caps: a quadrilateral per flattened segment and a disc per vertex, all wound the
// same way so the rasterizer's non-zero rule unites them. This avoids the general
// stroker's overlap removal, which dominated the drawing time of large maps.
//
// The outline's data is carved from floats (which may be nil).
func strokeOutline(p *canvas.Path, width float64, dash []float64, tol float64, floats *arena[float64]) *canvas.Path {
	if len(dash) > 0 {
		p = p.Dash(0, dash...)
	}
	flat := p.Flatten(tol)
	h := width / 2
	// Every command of flat becomes at most a quadrilateral and a decagon, 64 floats.
	out := canvas.NewPathFromData(floats.alloc(16 * len(flat.Data()))[:0])
	quad := func(a, b canvas.Point) {
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		if l == 0 {
			return
		}
		nx, ny := -dy/l*h, dx/l*h
		// counter-clockwise: a-n, b-n, b+n, a+n
		out.MoveTo(a.X-nx, a.Y-ny)
		out.LineTo(b.X-nx, b.Y-ny)
		out.LineTo(b.X+nx, b.Y+ny)
		out.LineTo(a.X+nx, a.Y+ny)
		out.Close()
	}
	disc := func(c canvas.Point) {
		for i, u := range discCorners {
			x, y := c.X+h*u.X, c.Y+h*u.Y
			if i == 0 {
				out.MoveTo(x, y)
			} else {
				out.LineTo(x, y)
			}
		}
		out.Close()
	}
	var start, prev canvas.Point
	started := false
	it := flat.Scanner()
	for it.Scan() {
		end := it.End()
		switch it.Cmd() {
		case canvas.MoveToCmd:
			start, prev, started = end, end, true
			disc(end)
		case canvas.LineToCmd:
			if started {
				quad(prev, end)
				disc(end)
			}
			prev = end
		case canvas.CloseCmd:
			if started {
				quad(prev, start)
			}
			prev = start
		default:
			// Flatten leaves only lines; anything else is drawn as a straight segment.
			if started {
				quad(prev, end)
				disc(end)
			}
			prev = end
		}
	}
	return out
}
