package render

import (
	"image"
	"image/color"
	"math"

	"github.com/srwiley/scanx"
	"github.com/tdewolff/canvas"
	"golang.org/x/image/math/fixed"
)

// Text is drawn from coverage masks: each glyph is rasterized once per font, size
// and sub-pixel position, as text renderers do, and a line's masks are added into
// one mask laid over the picture in the text's colour. Adding the coverages of
// the glyphs gives what filling all their outlines as one path gives (the
// rasterizer adds up areas the same way), without tracing a glyph twice.

// subpixel is how many positions per pixel a glyph is rasterized at, across and
// down: a glyph lands at most 1/(2*subpixel) pixel from where it belongs.
const subpixel = 64

// maxMaskBytes bounds the memory of the mask cache, all fonts of the fallback
// chain together, as maxOutlineBytes does their outlines: a long-running service
// draws maps of many sizes, and every size and sub-pixel position makes new masks.
// A glyph of 12 pt text at 2 pixels per unit takes about 600 bytes; a map of 500
// checks draws about a megabyte of them.
const maxMaskBytes = 8 << 20

// maskOverhead is about what a cached mask takes besides its coverage: the
// glyphMask, its map entry and the rounding of its allocation.
const maskOverhead = 128

// maxMaskPPEM is the largest text size, in pixels per em, drawn from masks; larger
// glyphs are filled as outlines, so one huge glyph never sits in the cache.
const maxMaskPPEM = 128

// maskKey names a glyph mask: glyph gid of font at ppem pixels per em with its
// pen at (fx, fy)/subpixel pixels right of and below a pixel corner.
type maskKey struct {
	font   *outlineFont
	gid    uint16
	ppem   float64
	fx, fy uint8
}

// glyphMask is the coverage of one glyph, 0..0xffff, over a w×h rectangle whose
// top-left pixel is (x0, y0) from the pixel holding the pen.
type glyphMask struct {
	x0, y0, w, h int
	cov          []uint16
}

// glyphMasks holds the glyph masks of every font, within maxMaskBytes.
var glyphMasks = byteCache[maskKey, *glyphMask]{budget: maxMaskBytes}

// glyphMask returns the mask of glyph gid at ppem pixels per em and pen offset
// (fx, fy)/subpixel; nil when the glyph draws nothing.
func (f *outlineFont) glyphMask(gid uint16, ppem float64, fx, fy uint8) *glyphMask {
	key := maskKey{f, gid, ppem, fx, fy}
	if m, ok := glyphMasks.get(key); ok {
		return m
	}
	// a tenth of a pixel, as the rasterizer would flatten it
	m := rasterizeGlyph(f.flatOutline(gid, canvas.PixelTolerance/ppem), ppem, float64(fx)/subpixel, float64(fy)/subpixel)
	size := maskOverhead
	if m != nil {
		size += 2 * cap(m.cov)
	}
	return glyphMasks.put(key, m, size)
}

// rasterizeGlyph fills the flattened outline p (em units, y up) scaled to ppem
// pixels per em, with its origin at (ox, oy) pixels (y down) from a pixel corner.
func rasterizeGlyph(p *canvas.Path, ppem, ox, oy float64) *glyphMask {
	if p.Empty() {
		return nil
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	it := p.Scanner()
	for it.Scan() {
		if it.Cmd() == canvas.CloseCmd {
			continue
		}
		e := it.End()
		x, y := ox+e.X*ppem, oy-e.Y*ppem
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	if !(maxX > minX && maxY > minY) {
		return nil
	}
	x0, y0 := int(math.Floor(minX)), int(math.Floor(minY))
	m := &glyphMask{x0: x0, y0: y0, w: int(math.Ceil(maxX)) - x0, h: int(math.Ceil(maxY)) - y0}
	m.cov = make([]uint16, m.w*m.h)
	sp := &maskSpanner{m: m}
	sc := scanx.NewScanner(sp, m.w, m.h)
	// the points as canvas hands them to the scanner, in 26.6 fixed point
	pt := func(e canvas.Point) fixed.Point26_6 {
		return fixed.Point26_6{
			X: fixed.Int26_6((ox+e.X*ppem-float64(x0))*64 + 0.5),
			Y: fixed.Int26_6((oy-e.Y*ppem-float64(y0))*64 + 0.5),
		}
	}
	it = p.Scanner()
	for it.Scan() {
		switch it.Cmd() {
		case canvas.MoveToCmd:
			sc.Start(pt(it.End()))
		default: // flattened: lines and closes
			sc.Line(pt(it.End()))
		}
	}
	sc.Draw()
	return m
}

// maskSpanner writes the scanner's spans into a mask.
type maskSpanner struct{ m *glyphMask }

func (s *maskSpanner) SetColor(any) {}

func (s *maskSpanner) GetSpanFunc() scanx.SpanFunc {
	return func(yi, xi0, xi1 int, ma uint32) {
		row := s.m.cov[yi*s.m.w:]
		for x := xi0; x < xi1; x++ {
			row[x] = uint16(ma)
		}
	}
}

// textMask is the coverage of a line of text over a w×h rectangle of the picture
// with its top-left pixel at (x, y).
type textMask struct {
	x, y, w, h int
	cov        []uint16
}

// placedMask is a glyph mask with its top-left pixel at (x, y) in the picture.
type placedMask struct {
	m    *glyphMask
	x, y int
}

// addTextMask adds up the glyph masks, and the rectangle ul (x0, y0, x1, y1 in
// picture pixels) when there is one, into one text mask carved from cov (which
// may be nil); nil when nothing is covered.
func addTextMask(glyphs []placedMask, ul *[4]float64, cov *arena[uint16]) *textMask {
	var r, ur image.Rectangle
	for _, g := range glyphs {
		r = r.Union(image.Rect(g.x, g.y, g.x+g.m.w, g.y+g.m.h))
	}
	if ul != nil {
		ur = image.Rect(int(math.Floor(ul[0])), int(math.Floor(ul[1])), int(math.Ceil(ul[2])), int(math.Ceil(ul[3])))
		r = r.Union(ur)
	}
	if r.Empty() {
		return nil
	}
	t := &textMask{x: r.Min.X, y: r.Min.Y, w: r.Dx(), h: r.Dy()}
	t.cov = cov.alloc(t.w * t.h)
	for _, g := range glyphs {
		for row := 0; row < g.m.h; row++ {
			src := g.m.cov[row*g.m.w : (row+1)*g.m.w]
			i := (g.y+row-t.y)*t.w + g.x - t.x
			dst := t.cov[i : i+g.m.w]
			for k, v := range src {
				dst[k] = uint16(min(uint32(dst[k])+uint32(v), 0xffff))
			}
		}
	}
	// area coverage of a rectangle: the product of its extents across each pixel
	for py := ur.Min.Y; py < ur.Max.Y; py++ {
		cy := math.Min(float64(py+1), ul[3]) - math.Max(float64(py), ul[1])
		for px := ur.Min.X; px < ur.Max.X; px++ {
			cx := math.Min(float64(px+1), ul[2]) - math.Max(float64(px), ul[0])
			if cx <= 0 || cy <= 0 {
				continue
			}
			i := (py-t.y)*t.w + px - t.x
			t.cov[i] = uint16(min(uint32(t.cov[i])+uint32(cx*cy*0xffff+0.5), 0xffff))
		}
	}
	return t
}

// drawTextMask lays colour c over the rows of dst covered by t, dst's first row
// being row y0 of the picture, with the arithmetic of spanPainter.span.
func drawTextMask(dst *image.RGBA, y0 int, t *textMask, c color.RGBA) {
	const (
		m  = 1<<16 - 1
		mp = 0x100 * m
		pa = 0x101
	)
	r0, r1 := max(t.y, y0), min(t.y+t.h, y0+dst.Rect.Dy())
	x0, x1 := max(t.x, 0), min(t.x+t.w, dst.Rect.Dx())
	if r0 >= r1 || x0 >= x1 {
		return
	}
	cr, cg, cb, ca := uint32(c.R)*pa, uint32(c.G)*pa, uint32(c.B)*pa, uint32(c.A)*pa
	for y := r0; y < r1; y++ {
		cov := t.cov[(y-t.y)*t.w+x0-t.x : (y-t.y)*t.w+x1-t.x]
		px := dst.Pix[(y-y0)*dst.Stride+x0*4 : (y-y0)*dst.Stride+x1*4]
		for k, v := range cov {
			if v == 0 {
				continue
			}
			p := px[k*4 : k*4+4 : k*4+4]
			ma := uint32(v)
			if ma == m && c.A == 255 {
				p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
				continue
			}
			a := (m - ca*ma/m) * pa
			p[0] = uint8((uint32(p[0])*a + cr*ma) / mp)
			p[1] = uint8((uint32(p[1])*a + cg*ma) / mp)
			p[2] = uint8((uint32(p[2])*a + cb*ma) / mp)
			p[3] = uint8((uint32(p[3])*a + ca*ma) / mp)
		}
	}
}
