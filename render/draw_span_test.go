package render

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"
)

// TestSpanPainterMatchesRasterizer fills opaque and translucent paths, curves,
// overlaps and holes, painted strip by strip as the PNG encoder asks for them,
// and wants the very pixels canvas's rasterizer writes on the same strips.
func TestSpanPainterMatchesRasterizer(t *testing.T) {
	const w, h, scale = 157, 121, 2.0
	rng := rand.New(rand.NewPCG(11, 12))
	type fill struct {
		p *canvas.Path
		c color.RGBA
	}
	fills := []fill{
		{canvas.RoundedRectangle(60, 50, 3).Translate(4, 3), color.RGBA{253, 246, 227, 255}},
		{canvas.Circle(20).Translate(40, 30), color.RGBA{51, 50, 46, 255}},
		{canvas.Circle(12).Translate(50, 35), color.RGBA{0, 60, 30, 128}},
		{canvas.Rectangle(70, 0.3).Translate(2.2, 40.1), color.RGBA{10, 20, 30, 255}},
	}
	ring := canvas.Circle(15).Append(canvas.Circle(8).Reverse()).Translate(25, 20)
	fills = append(fills, fill{ring, color.RGBA{200, 0, 0, 255}})
	// Lines only, as rasterOps hands them over: edges cut to the strips. Vertical
	// sides running from above the picture to below it, at fractional x, and the
	// stroke of a rounded box, wound both ways.
	tall := &canvas.Path{}
	tall.MoveTo(10.3, -40)
	tall.LineTo(12.71, -40)
	tall.LineTo(12.71, 100.2)
	tall.LineTo(10.3, 100.2)
	tall.Close()
	tall.MoveTo(70.05, 61.9)
	tall.LineTo(70.05, 0.26)
	tall.LineTo(76.6, 30)
	tall.Close()
	fills = append(fills,
		fill{tall, color.RGBA{20, 40, 60, 255}},
		fill{tall.Reverse().Translate(3.3, 0), color.RGBA{90, 0, 40, 160}},
		fill{strokeOutline(canvas.RoundedRectangle(50, 45, 2).Translate(8.2, 7.7), 1.5, nil, 0.05, nil), color.RGBA{51, 50, 46, 255}},
		fill{strokeOutline(canvas.Rectangle(30, 52).Translate(40.4, 4.6), 0.8, []float64{3, 2}, 0.05, nil), color.RGBA{51, 50, 46, 255}},
		fill{canvas.Circle(9).Translate(60, 12).Flatten(0.05), color.RGBA{0, 0, 200, 255}},
	)
	for i := 0; i < 30; i++ {
		p := &canvas.Path{}
		p.MoveTo(rng.Float64()*80-2, rng.Float64()*62-2)
		for k := 0; k < 2+rng.IntN(5); k++ {
			p.LineTo(rng.Float64()*80-2, rng.Float64()*62-2)
		}
		p.Close()
		a := uint8(rng.IntN(256))
		fills = append(fills, fill{p, color.RGBA{uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), a}})
	}
	var ops []rasterOp
	for _, f := range fills {
		b := f.p.FastBounds()
		ops = append(ops, rasterOp{path: f.p, color: f.c, ymin: b.Y0, ymax: b.Y1})
	}
	// strips as the encoder asks for them, with the margin above, and one strip
	// holding the whole picture
	for _, rows := range []int{7, 32, h} {
		got := image.NewRGBA(image.Rect(0, 0, w, bandMargin+rows))
		want := image.NewRGBA(got.Rect)
		for y0 := -bandMargin; y0 < h; y0 += rows {
			clear(got.Pix)
			clear(want.Pix)
			paintBand(got, y0, h, ops, scale)
			ras := rasterizer.FromImage(want, canvas.DPMM(scale), canvas.LinearColorSpace{})
			shift := canvas.Identity.Translate(0, -float64(h-y0-want.Rect.Dy())/scale)
			for _, f := range fills {
				ras.RenderPath(f.p, canvas.Style{Fill: canvas.Paint{Color: f.c}}, shift)
			}
			ras.Close()
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					x, y := i/4%w, i/4/w
					t.Fatalf("strips of %d rows from %d: pixel %d,%d is %v, rasterizer %v", rows, y0, x, y, got.RGBAAt(x, y), want.RGBAAt(x, y))
				}
			}
		}
	}
}
