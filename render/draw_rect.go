package render

import (
	"image"
	"image/color"
	"math"

	"github.com/tdewolff/canvas"
)

// axisRect reports whether p is one closed axis-aligned rectangle and returns its
// corners (x0 < x1, y0 < y1) in the path's coordinates.
func axisRect(p *canvas.Path) (x0, y0, x1, y1 float64, ok bool) {
	var pts [5]canvas.Point
	n := 0
	closed := false
	it := p.Scanner()
	for it.Scan() {
		if closed {
			return 0, 0, 0, 0, false
		}
		switch it.Cmd() {
		case canvas.MoveToCmd:
			if n != 0 {
				return 0, 0, 0, 0, false
			}
		case canvas.LineToCmd:
			if n == 0 {
				return 0, 0, 0, 0, false
			}
		case canvas.CloseCmd:
			closed = true
			continue
		default:
			return 0, 0, 0, 0, false
		}
		if n == len(pts) {
			return 0, 0, 0, 0, false
		}
		pts[n] = it.End()
		n++
	}
	if !closed {
		return 0, 0, 0, 0, false
	}
	if n == 5 {
		if pts[4] != pts[0] {
			return 0, 0, 0, 0, false
		}
		n = 4
	}
	if n != 4 {
		return 0, 0, 0, 0, false
	}
	// Every side horizontal or vertical, alternating.
	for i := 0; i < 4; i++ {
		a, b, c := pts[i], pts[(i+1)%4], pts[(i+2)%4]
		h1, v1 := a.Y == b.Y, a.X == b.X
		h2, v2 := b.Y == c.Y, b.X == c.X
		if !(h1 && v2) && !(v1 && h2) {
			return 0, 0, 0, 0, false
		}
	}
	x0, x1 = math.Min(pts[0].X, pts[2].X), math.Max(pts[0].X, pts[2].X)
	y0, y1 = math.Min(pts[0].Y, pts[2].Y), math.Max(pts[0].Y, pts[2].Y)
	if !(x1 > x0 && y1 > y0) || math.IsInf(x1-x0, 0) || math.IsInf(y1-y0, 0) {
		return 0, 0, 0, 0, false
	}
	return x0, y0, x1, y1, true
}

// fillRect fills the rectangle [x0,x1]×[y0,y1] (pixels, y down) with the
// premultiplied colour c over img, source-over. Edge pixels get the covered
// fraction of their area, as an area-coverage rasterizer gives them.
func fillRect(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	x0, x1 = math.Max(x0, 0), math.Min(x1, float64(w))
	y0, y1 = math.Max(y0, 0), math.Min(y1, float64(h))
	if !(x1 > x0 && y1 > y0) {
		return
	}
	px0, px1 := int(math.Floor(x0)), int(math.Ceil(x1))
	py0, py1 := int(math.Floor(y0)), int(math.Ceil(y1))
	// Horizontal coverage is 1 but in the first and last columns.
	cov := func(px int) float64 {
		x := float64(px)
		return math.Min(x+1, x1) - math.Max(x, x0)
	}
	// Columns [i0,i1) are wholly inside; a fully covered row of an opaque colour
	// fills them by doubling copies and blends only its two edge pixels.
	i0, i1 := px0, px1
	for i0 < i1 && cov(i0) < 1 {
		i0++
	}
	for i1 > i0 && cov(i1-1) < 1 {
		i1--
	}
	for py := py0; py < py1; py++ {
		y := float64(py)
		cy := math.Min(y+1, y1) - math.Max(y, y0)
		row := img.Pix[py*img.Stride : (py+1)*img.Stride]
		if cy < 1 || c.A != 255 {
			for px := px0; px < px1; px++ {
				blendPixel(row[px*4:px*4+4:px*4+4], c, cov(px)*cy)
			}
			continue
		}
		if i1 > i0 {
			solid := row[i0*4 : i1*4]
			solid[0], solid[1], solid[2], solid[3] = c.R, c.G, c.B, c.A
			for n := 4; n < len(solid); n *= 2 {
				copy(solid[n:], solid[:n])
			}
		}
		for px := px0; px < i0; px++ {
			blendPixel(row[px*4:px*4+4:px*4+4], c, cov(px))
		}
		for px := i1; px < px1; px++ {
			blendPixel(row[px*4:px*4+4:px*4+4], c, cov(px))
		}
	}
}

// blendPixel lays c at coverage k (0..1) over the premultiplied pixel p.
func blendPixel(p []byte, c color.RGBA, k float64) {
	if k <= 0 {
		return
	}
	if k >= 1 && c.A == 255 {
		p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
		return
	}
	m := uint32(math.Min(k, 1)*65535 + 0.5)
	inv := 65535 - uint32(c.A)*m/255
	p[0] = uint8((uint32(c.R)*m + uint32(p[0])*inv + 32767) / 65535)
	p[1] = uint8((uint32(c.G)*m + uint32(p[1])*inv + 32767) / 65535)
	p[2] = uint8((uint32(c.B)*m + uint32(p[2])*inv + 32767) / 65535)
	p[3] = uint8((uint32(c.A)*m + uint32(p[3])*inv + 32767) / 65535)
}
