package render

import (
	"image"
	"image/color"
	"testing"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
)

func TestAxisRect(t *testing.T) {
	curved := &canvas.Path{}
	curved.MoveTo(0, 0)
	curved.LineTo(4, 0)
	curved.QuadTo(5, 1, 4, 2)
	curved.LineTo(0, 2)
	curved.Close()
	open := &canvas.Path{}
	open.MoveTo(0, 0)
	open.LineTo(4, 0)
	open.LineTo(4, 2)
	open.LineTo(0, 2)
	for _, tc := range []struct {
		name           string
		p              *canvas.Path
		ok             bool
		x0, y0, x1, y1 float64
	}{
		{"rectangle", canvas.Rectangle(4, 2).Translate(1.5, 3), true, 1.5, 3, 5.5, 5},
		{"clockwise", poly(1, 1, 1, 3, 6, 3, 6, 1), true, 1, 1, 6, 3},
		{"rounded", canvas.RoundedRectangle(4, 2, 0.5), false, 0, 0, 0, 0},
		{"diamond", poly(0, 1, 1, 0, 2, 1, 1, 2), false, 0, 0, 0, 0},
		{"triangle", poly(0, 0, 2, 0, 2, 2), false, 0, 0, 0, 0},
		{"curved side", curved, false, 0, 0, 0, 0},
		{"not closed", open, false, 0, 0, 0, 0},
		{"two rectangles", canvas.Rectangle(1, 1).Append(canvas.Rectangle(1, 1).Translate(3, 3)), false, 0, 0, 0, 0},
		{"zero height", poly(0, 0, 2, 0, 2, 0, 0, 0), false, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x0, y0, x1, y1, ok := axisRect(tc.p)
			if ok != tc.ok || (ok && (x0 != tc.x0 || y0 != tc.y0 || x1 != tc.x1 || y1 != tc.y1)) {
				t.Errorf("axisRect = %v %v %v %v %v, want %v %v %v %v %v", x0, y0, x1, y1, ok, tc.x0, tc.y0, tc.x1, tc.y1, tc.ok)
			}
		})
	}
}

func poly(xy ...float64) *canvas.Path {
	p := &canvas.Path{}
	p.MoveTo(xy[0], xy[1])
	for i := 2; i+1 < len(xy); i += 2 {
		p.LineTo(xy[i], xy[i+1])
	}
	p.Close()
	return p
}

// TestFillRectMatchesRasterizer draws the same rectangles, over one another, with
// fillRect and with the scanline rasterizer it stands in for.
func TestFillRectMatchesRasterizer(t *testing.T) {
	const w, h = 40, 30
	rects := []struct {
		x0, y0, x1, y1 float64
		c              color.RGBA
	}{
		{-3, -2, 50, 40, color.RGBA{238, 232, 213, 255}},          // larger than the picture
		{2.3, 1.7, 30.6, 20.2, color.RGBA{200, 250, 190, 255}},    // fractional edges
		{5, 5, 15, 9, color.RGBA{51, 50, 46, 255}},                // on pixel edges
		{10.25, 3.5, 10.75, 25.5, color.RGBA{60, 20, 20, 255}},    // thinner than a pixel
		{8.4, 12.6, 36.1, 28.9, color.RGBA{60, 30, 0, 128}},       // translucent
		{20.5, 0.5, 39.5, 29.5, color.RGBA{0, 0, 0, 0}},           // invisible
		{12.2, 14.4, 12.2, 20, color.RGBA{255, 0, 0, 255}},        // empty
		{30.9, 10.1, 31.3, 10.4, color.RGBA{0, 0, 255, 255}},      // inside one pixel
		{1.1, 22.1, 16.9, 27.9, color.RGBA{25, 50, 100, 100}},     // translucent, fractional
		{25.5, 2.25, 38.75, 6.75, color.RGBA{120, 120, 120, 255}}, // quarter pixels
	}
	got := image.NewRGBA(image.Rect(0, 0, w, h))
	want := image.NewRGBA(image.Rect(0, 0, w, h))
	ras := rasterizer.FromImage(want, canvas.DPMM(1), canvas.LinearColorSpace{})
	for _, r := range rects {
		fillRect(got, r.x0, r.y0, r.x1, r.y1, r.c)
		if r.x1 > r.x0 && r.y1 > r.y0 {
			// the rasterizer's y axis points up
			p := canvas.Rectangle(r.x1-r.x0, r.y1-r.y0).Translate(r.x0, h-r.y1)
			ras.RenderPath(p, canvas.Style{Fill: canvas.Paint{Color: r.c}}, canvas.Identity)
		}
	}
	ras.Close()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g, e := got.RGBAAt(x, y), want.RGBAAt(x, y)
			for i, d := range []int{int(g.R) - int(e.R), int(g.G) - int(e.G), int(g.B) - int(e.B), int(g.A) - int(e.A)} {
				if d > 2 || d < -2 {
					t.Fatalf("pixel %d,%d channel %d: %v, rasterizer %v", x, y, i, g, e)
				}
			}
		}
	}
}
