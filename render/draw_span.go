package render

import (
	"image"
	"image/color"
	"sync"

	"github.com/srwiley/scanx"
	"github.com/tdewolff/canvas"
)

// spanPainter fills paths into a strip with scanx's area-coverage scanner, the one
// behind canvas's rasterizer, and writes the spans itself: a fully covered span of
// an opaque colour is copied from a prepared row instead of being written byte by
// byte, and the scanner and its cells are kept from one strip to the next.
type spanPainter struct {
	scanner *scanx.Scanner
	pix     []byte
	stride  int
	c       color.RGBA
	solid   []byte // a strip's row of colour c, for opaque spans
	solidOK bool   // solid is c over the strip's width
}

var spanPainters = sync.Pool{New: func() any {
	p := &spanPainter{}
	p.scanner = scanx.NewScanner(p, 0, 0)
	return p
}}

// getSpanPainter returns a painter drawing onto dst; put it back with release.
func getSpanPainter(dst *image.RGBA) *spanPainter {
	p := spanPainters.Get().(*spanPainter)
	p.pix, p.stride = dst.Pix, dst.Stride
	p.solidOK = false
	p.scanner.SetBounds(dst.Rect.Dx(), dst.Rect.Dy())
	return p
}

func (p *spanPainter) release() {
	p.pix = nil
	spanPainters.Put(p)
}

// SetColor is part of scanx.Spanner; the colour is given to fill instead.
func (p *spanPainter) SetColor(any) {}

// GetSpanFunc is part of scanx.Spanner.
func (p *spanPainter) GetSpanFunc() scanx.SpanFunc { return p.span }

// fill paints path (canvas coordinates, y up, in units of 1/dpmm pixels) in the
// premultiplied colour c with the non-zero rule; a point at height y lands on row
// dy - y*dpmm of the strip.
func (p *spanPainter) fill(path *canvas.Path, c color.RGBA, dy float64, res canvas.Resolution) {
	if c != p.c {
		p.c, p.solidOK = c, false
	}
	p.scanner.Clear()
	path.ToScanxScanner(p.scanner, dy, res)
	p.scanner.Draw()
}

// span lays colour c at coverage ma (0..0xffff) over pixels [xi0,xi1) of row yi,
// with the arithmetic of scanx's ImgSpanner.SpanFgColor, so the pixels are the
// ones canvas's rasterizer writes.
func (p *spanPainter) span(yi, xi0, xi1 int, ma uint32) {
	const (
		m  = 1<<16 - 1
		mp = 0x100 * m
		pa = 0x101
	)
	row := p.pix[yi*p.stride+xi0*4 : yi*p.stride+xi1*4]
	c := p.c
	if c.A == 255 && ma == m {
		if !p.solidOK {
			p.solid = append(p.solid[:0], make([]byte, p.stride)...)
			for i := 0; i+3 < len(p.solid); i += 4 {
				p.solid[i], p.solid[i+1], p.solid[i+2], p.solid[i+3] = c.R, c.G, c.B, c.A
			}
			p.solidOK = true
		}
		copy(row, p.solid)
		return
	}
	cr, cg, cb, ca := uint32(c.R)*pa, uint32(c.G)*pa, uint32(c.B)*pa, uint32(c.A)*pa
	rma, gma, bma, ama := cr*ma, cg*ma, cb*ma, ca*ma
	a := (m - ama/m) * pa
	for i := 0; i+3 < len(row); i += 4 {
		row[i+0] = uint8((uint32(row[i+0])*a + rma) / mp)
		row[i+1] = uint8((uint32(row[i+1])*a + gma) / mp)
		row[i+2] = uint8((uint32(row[i+2])*a + bma) / mp)
		row[i+3] = uint8((uint32(row[i+3])*a + ama) / mp)
	}
}
