package render

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAdlerMatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sparse := make([]byte, 300000)
	for i := range sparse {
		if rng.IntN(20) == 0 {
			sparse[i] = byte(rng.IntN(256))
		}
	}
	dense := make([]byte, 200003)
	for i := range dense {
		dense[i] = byte(rng.IntN(256))
	}
	ones := bytes.Repeat([]byte{0xff}, 1<<17+5)
	for _, tc := range []struct {
		name   string
		pieces [][]byte
	}{
		{"empty", nil},
		{"one byte", [][]byte{{7}}},
		{"zeros", [][]byte{make([]byte, 1<<18+3)}},
		{"0xff beyond a reduction period", [][]byte{ones}},
		{"sparse in uneven pieces", [][]byte{sparse[:1], sparse[1:9], sparse[9:70001], sparse[70001:]}},
		{"dense", [][]byte{dense}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a adler
			var all []byte
			for _, p := range tc.pieces {
				a.update(p)
				all = append(all, p...)
			}
			if got, want := a.sum(), adler32.Checksum(all); got != want {
				t.Errorf("adler %08x, want %08x", got, want)
			}
		})
	}
}

// TestAdlerZeroRow checks the shortcut for a byte followed by zeros against the
// bytes themselves.
func TestAdlerZeroRow(t *testing.T) {
	var a adler
	var all []byte
	for i, n := range []int{0, 1, 2, 6961, 70000, 30001, 5, 1 << 17} {
		row := make([]byte, n)
		if n > 0 {
			row[0] = byte(250 + i)
		}
		if i%3 == 2 {
			a.update([]byte{9, 8, 7})
			all = append(all, 9, 8, 7)
		}
		if n > 0 {
			a.zeroRow(row[0], n)
		}
		all = append(all, row...)
		if i%2 == 1 {
			a.zeros(n + 11)
			all = append(all, make([]byte, n+11)...)
		}
		if got, want := a.sum(), adler32.Checksum(all); got != want {
			t.Fatalf("after a zero row of %d: adler %08x, want %08x", n, got, want)
		}
	}
}

// TestEncodeOpaquePNG decodes what the encoder wrote and checks every pixel, and
// inflates the zlib stream to its end so its checksum is verified too.
func TestEncodeOpaquePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		w, h int
		bg   color.RGBA
	}{
		{"single pixel", 1, 1, color.RGBA{255, 255, 255, 255}},
		{"odd width, one piece", 7, 30, color.RGBA{10, 200, 30, 255}},
		{"several pieces", 301, 517, color.RGBA{255, 255, 255, 255}},
		{"wide", 3001, 129, color.RGBA{0, 0, 0, 255}},
		// the strips and deflaters of the wide picture, reused
		{"narrow after wide", 50, 700, color.RGBA{255, 255, 255, 255}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
			// flat runs, repeated rows and translucent premultiplied pixels
			for y := 0; y < tc.h; y++ {
				if y > 0 && rng.IntN(3) == 0 {
					copy(img.Pix[y*img.Stride:(y+1)*img.Stride], img.Pix[(y-1)*img.Stride:y*img.Stride])
					continue
				}
				for x := 0; x < tc.w; x++ {
					if rng.IntN(4) != 0 && x > 0 {
						copy(img.Pix[y*img.Stride+x*4:y*img.Stride+x*4+4], img.Pix[y*img.Stride+x*4-4:y*img.Stride+x*4])
						continue
					}
					a := uint8(rng.IntN(256))
					img.SetRGBA(x, y, color.RGBA{uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), a})
				}
			}
			var buf bytes.Buffer
			paint := func(dst *image.RGBA, y0 int) {
				for r := 0; r < dst.Rect.Dy() && y0+r < tc.h; r++ {
					if y0+r >= 0 {
						copy(dst.Pix[r*dst.Stride:r*dst.Stride+4*tc.w], img.Pix[(y0+r)*img.Stride:])
					}
				}
			}
			if err := encodeOpaquePNG(&buf, tc.w, tc.h, tc.bg, paint); err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if got.Bounds() != img.Bounds() {
				t.Fatalf("bounds %v, want %v", got.Bounds(), img.Bounds())
			}
			for y := 0; y < tc.h; y++ {
				for x := 0; x < tc.w; x++ {
					p := img.RGBAAt(x, y)
					r, g, b := overBg([]byte{p.R, p.G, p.B, p.A}, tc.bg)
					gr, gg, gb, ga := got.At(x, y).RGBA()
					if uint8(gr>>8) != r || uint8(gg>>8) != g || uint8(gb>>8) != b || ga != 0xffff {
						t.Fatalf("pixel %d,%d is %d %d %d %d, want %d %d %d opaque", x, y, gr>>8, gg>>8, gb>>8, ga>>8, r, g, b)
					}
				}
			}
			zr, err := zlib.NewReader(bytes.NewReader(idatStream(t, buf.Bytes())))
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, zr)
			if err != nil {
				t.Fatalf("inflate: %v", err)
			}
			if want := int64(tc.h * (1 + 3*tc.w)); n != want {
				t.Errorf("inflated %d bytes, want %d", n, want)
			}
		})
	}
}

// idatStream joins the IDAT chunks of a PNG file.
func idatStream(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	for p := b[8:]; len(p) >= 12; {
		n := int(binary.BigEndian.Uint32(p))
		if 12+n > len(p) {
			t.Fatalf("chunk of %d bytes overruns the file", n)
		}
		if string(p[4:8]) == "IDAT" {
			out = append(out, p[8:8+n]...)
		}
		p = p[12+n:]
	}
	return out
}

// TestUpRowSpans filters rows of translucent pixels that differ from the row above
// here and there, one pixel or a few, anywhere in a block of eight, and checks every
// byte against the filter written out, and that the bytes outside the reported
// spans are zero.
func TestUpRowSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	bg := color.RGBA{0, 0, 0, 255}
	for trial := 0; trial < 300; trial++ {
		w := 1 + rng.IntN(200)
		prev := make([]byte, 4*w)
		for i := range prev {
			prev[i] = byte(rng.IntN(256))
		}
		cur := append([]byte{}, prev...)
		for k := rng.IntN(4); k > 0; k-- {
			x, c := rng.IntN(w), rng.IntN(4)
			cur[4*x+c] ^= byte(1 + rng.IntN(255))
		}
		dst := make([]byte, 3*w)
		same, spans := upRow(dst, cur, prev, bg, nil)
		if same != bytes.Equal(cur, prev) {
			t.Fatalf("trial %d: same = %v", trial, same)
		}
		in := make([]bool, len(dst))
		last := -1
		for _, s := range spans {
			if s[0] <= last || s[1] <= s[0] || s[1] > len(dst) {
				t.Fatalf("trial %d: spans %v", trial, spans)
			}
			last = s[1]
			for i := s[0]; i < s[1]; i++ {
				in[i] = true
			}
		}
		for x := 0; x < w; x++ {
			r1, g1, b1 := overBg(cur[4*x:], bg)
			r0, g0, b0 := overBg(prev[4*x:], bg)
			for c, want := range []byte{r1 - r0, g1 - g0, b1 - b0} {
				if got := dst[3*x+c]; got != want {
					t.Fatalf("trial %d: pixel %d channel %d filtered to %d, want %d", trial, x, c, got, want)
				}
				if want != 0 && !in[3*x+c] {
					t.Fatalf("trial %d: pixel %d differs outside the spans %v", trial, x, spans)
				}
			}
		}
	}
}

// TestEncodeOpaquePNGPanicIsError: a strip whose drawing panics makes the
// picture's error, as the caller's recover would, instead of ending the process
// from a goroutine of the encoder; the next picture is drawn as usual.
func TestEncodeOpaquePNGPanicIsError(t *testing.T) {
	for _, bad := range []int{0, 3, 7} {
		paint := func(dst *image.RGBA, y0 int) {
			if y0+bandMargin == bad*bandRows {
				var ops []rasterOp
				_ = ops[y0] // out of range
			}
		}
		var buf bytes.Buffer
		err := encodeOpaquePNG(&buf, 40, 8*bandRows, color.RGBA{255, 255, 255, 255}, paint)
		if err == nil || !strings.Contains(err.Error(), "panic") {
			t.Errorf("strip %d panicking: error %v", bad, err)
		}
	}
	var buf bytes.Buffer
	if err := encodeOpaquePNG(&buf, 40, 8*bandRows, color.RGBA{1, 2, 3, 255}, func(*image.RGBA, int) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Fatal(err)
	}
}

// TestPNGWorkerKeepsBounded: a worker goes back into the pool without the buffers
// of a picture wider or larger than workerKeepBytes, and with those of an
// ordinary one.
func TestPNGWorkerKeepsBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		width    int
		out      int
		keepBand bool
		keepOut  bool
	}{
		{"ordinary", 2000, 300 << 10, true, true},
		{"widest", 9998, 300 << 10, false, true},
		{"large output", 1000, 3 << 20, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &pngWorker{}
			w.band = image.NewRGBA(image.Rect(0, 0, tc.width, bandMargin+bandRows))
			w.prev = make([]byte, 4*tc.width)
			w.d.out = make([]byte, 0, tc.out)
			putPNGWorker(w)
			if (w.band != nil) != tc.keepBand || (w.d.out != nil) != tc.keepOut {
				t.Errorf("kept band %v, output %v; want %v, %v", w.band != nil, w.d.out != nil, tc.keepBand, tc.keepOut)
			}
			kept := cap(w.prev) + cap(w.d.out) + cap(w.d.hist)
			if w.band != nil {
				kept += cap(w.band.Pix)
			}
			if kept > 3*workerKeepBytes {
				t.Errorf("kept %d bytes", kept)
			}
		})
	}
}
