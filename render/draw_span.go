package render

import (
	"image"
	"image/color"
	"sync"

	"github.com/srwiley/scanx"
	"github.com/tdewolff/canvas"
	"golang.org/x/image/math/fixed"
)

// spanPainter fills paths into a strip with scanx's area-coverage scanner, the one
// behind canvas's rasterizer, and writes the spans itself: a fully covered span of
// an opaque colour is copied from a prepared row instead of being written byte by
// byte, and the scanner and its cells are kept from one strip to the next.
type spanPainter struct {
	scanner *scanx.Scanner
	rows    int
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
	p.pix, p.stride, p.rows = dst.Pix, dst.Stride, dst.Rect.Dy()
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
//
// The points are handed to the scanner as canvas's ToScanxScanner hands them, but
// what lies wholly above or below the strip only moves the pen, and a vertical
// edge is cut to the strip's rows: the long sides of frames and boxes would
// otherwise be walked over their whole height for every strip. The scanner
// accumulates a vertical edge row by row with the same amounts whether it starts
// above the strip or at a row boundary above it, and segments outside the strip's
// rows leave none of its cells, so the pixels are the same.
func (p *spanPainter) fill(path *canvas.Path, c color.RGBA, dy float64, res canvas.Resolution) {
	if c != p.c {
		p.c, p.solidOK = c, false
	}
	sc := p.scanner
	sc.Clear()
	dpmm := res.DPMM()
	// Row boundaries two rows clear of the strip, past where the scanner's
	// truncating division would treat coordinates just above row 0 differently.
	lo, hi := fixed.Int26_6(-2*64), fixed.Int26_6((p.rows+2)*64)
	pt := func(e canvas.Point) fixed.Point26_6 {
		return fixed.Point26_6{X: fixed.Int26_6(e.X*dpmm*64 + 0.5), Y: fixed.Int26_6((dy-e.Y*dpmm)*64 + 0.5)}
	}
	var pen fixed.Point26_6
	it := path.Scanner()
	for it.Scan() {
		switch it.Cmd() {
		case canvas.MoveToCmd:
			pen = pt(it.End())
			sc.Start(pen)
			continue
		case canvas.LineToCmd, canvas.CloseCmd:
		default:
			// a curve: the scanner is fed as canvas feeds it, flattening on the way
			sc.Clear()
			path.ToScanxScanner(sc, dy, res)
			sc.Draw()
			return
		}
		b := pt(it.End())
		a := pen
		pen = b
		switch {
		case a.Y < lo && b.Y < lo, a.Y > hi && b.Y > hi:
			sc.Start(b)
		case a.X == b.X && (a.Y < lo || a.Y > hi || b.Y < lo || b.Y > hi):
			ya, yb := min(max(a.Y, lo), hi), min(max(b.Y, lo), hi)
			if ya != a.Y {
				sc.Start(fixed.Point26_6{X: a.X, Y: ya})
			}
			sc.Line(fixed.Point26_6{X: b.X, Y: yb})
			if yb != b.Y {
				sc.Start(b)
			}
		default:
			sc.Line(b)
		}
	}
	sc.Draw()
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
