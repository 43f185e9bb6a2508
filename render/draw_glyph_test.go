package render

import (
	"image"
	"runtime"
	"testing"
)

// TestTextMasksMatchOutlines draws lines of text from glyph masks and as one filled
// outline path, in strips as the encoder does, and wants the same picture: glyphs
// land within 1/128 pixel of their place, which moves an edge pixel by a few levels
// at most.
func TestTextMasksMatchOutlines(t *testing.T) {
	fs := sharedFonts()
	if fs.err != nil {
		t.Fatal(fs.err)
	}
	sc := &scene{fonts: fs, w: 300, h: 120}
	black, red := parseColor("#33322e"), parseColor("#c00000")
	sc.addText("check17 -> tmux 0 | up 99.9%", 3.3, 20.2, 12, styleBold, false, anchorStart, black)
	sc.addText("Wavy fjord, AVA (office) ÿ Ω", 150.25, 45.7, 13.5, styleRegular, false, anchorMiddle, black)
	sc.addText("italic kerning: ffi Tf Ty", 297.1, 70.05, 11, styleItalic, false, anchorEnd, red)
	// underlined without descenders: where an underline crosses one, the mask adds
	// coverages and the outlines lay the underline over the glyphs
	sc.addText("translucent", 10, 100, 20, styleBold|styleItalic, true, anchorStart, black.withAlpha(0.5))
	sc.addText("ABC", 200, 100, 16, styleRegular, true, anchorStart, red)
	const scale = 2.0
	pw, ph := int(sc.w*scale), int(sc.h*scale)
	H := float64(ph) / scale
	var maskOps, pathOps []rasterOp
	for _, it := range sc.items {
		glyphs, w := fs.shape(it.text, it.style)
		x0 := it.x
		switch it.anchor {
		case anchorMiddle:
			x0 -= w * it.em / 2
		case anchorEnd:
			x0 -= w * it.em
		}
		maskOps = sc.textMaskOps(maskOps, it, glyphs, x0, w, H, scale, nil)
		pathOps = sc.textPathOps(pathOps, it, glyphs, x0, w, H, scale)
	}
	if len(maskOps) != len(sc.items) || maskOps[0].text == nil || maskOps[3].text == nil {
		t.Fatalf("%d mask ops for %d lines", len(maskOps), len(sc.items))
	}
	draw := func(ops []rasterOp) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, pw, ph))
		strip := image.NewRGBA(image.Rect(0, 0, pw, bandMargin+37))
		for y0 := 0; y0 < ph; y0 += 37 {
			clear(strip.Pix)
			paintBand(strip, y0-bandMargin, ph, ops, scale)
			for r := 0; r < 37 && y0+r < ph; r++ {
				copy(img.Pix[(y0+r)*img.Stride:(y0+r+1)*img.Stride], strip.Pix[(bandMargin+r)*strip.Stride:])
			}
		}
		return img
	}
	got, want := draw(maskOps), draw(pathOps)
	inked, off := 0, 0
	for i := range want.Pix {
		if want.Pix[i] != 0 {
			inked++
		}
		d := int(got.Pix[i]) - int(want.Pix[i])
		if d > 8 || d < -8 {
			t.Fatalf("pixel %d,%d is %v from masks, %v from outlines", i/4%pw, i/4/pw, got.RGBAAt(i/4%pw, i/4/pw), want.RGBAAt(i/4%pw, i/4/pw))
		}
		if d > 3 || d < -3 {
			off++
		}
	}
	if inked < 5000 {
		t.Fatalf("only %d inked channels: the text was not drawn", inked)
	}
	if off > inked/50 {
		t.Errorf("%d of %d inked channels differ by more than 3", off, inked)
	}
}

// TestGlyphMaskCache wants one mask per glyph, size and sub-pixel position, made
// once and shared, and a different one for another position.
func TestGlyphMaskCache(t *testing.T) {
	f := sharedFonts().goFonts[styleRegular]
	gid := f.has('g')
	a := f.glyphMask(gid, 24, 3, 0)
	if a == nil || a.w == 0 || a.h == 0 {
		t.Fatal("no mask for g")
	}
	if b := f.glyphMask(gid, 24, 3, 0); b != a {
		t.Error("the same glyph, size and position made a second mask")
	}
	b := f.glyphMask(gid, 24, 35, 0)
	if b == a {
		t.Fatal("half a pixel to the right gave the same mask")
	}
	// the same ink, half a pixel further: equal sums of coverage within rounding
	sum := func(m *glyphMask) (s int) {
		for _, v := range m.cov {
			s += int(v)
		}
		return s
	}
	if sa, sb := sum(a), sum(b); sa < sb*99/100 || sa > sb*101/100 {
		t.Errorf("coverage %d at one position, %d at another", sa, sb)
	}
	if m := f.glyphMask(f.has(' '), 24, 0, 0); m != nil {
		t.Errorf("a space has a mask of %dx%d", m.w, m.h)
	}
}

// TestGlyphMaskCacheBound draws masks of many positions from every outline font
// of the fallback chain, more than the cache may hold, and wants the memory they
// keep within maxMaskBytes for all fonts together: a long-running service draws
// maps of every size, and each font filling a budget of its own would keep many
// times that.
func TestGlyphMaskCacheBound(t *testing.T) {
	fs := sharedFonts()
	var fonts []*outlineFont
	for _, f := range append(append(fs.goFonts[:], fs.cjk[:]...), fs.symbol[:]...) {
		if f != nil {
			fonts = append(fonts, f)
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	// 'W' at 120 pixels per em is about 30 KB a mask: 160 positions a font make
	// about 5 MB, several fonts several times the budget
	drawn := 0
	for _, f := range fonts {
		gid := f.has('W')
		if gid == 0 {
			continue
		}
		for p := 0; p < 160; p++ {
			if f.glyphMask(gid, 120, uint8(p%64), uint8(p/64*21)) != nil {
				drawn++
			}
		}
	}
	if drawn < 4*160 {
		t.Fatalf("only %d masks drawn", drawn)
	}
	if n := glyphMasks.size(); n > maxMaskBytes {
		t.Errorf("the cache counts %d bytes, more than %d", n, maxMaskBytes)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > maxMaskBytes*5/4 {
		t.Errorf("the heap grew by %d MB drawing masks, the cache may keep %d MB", grown>>20, maxMaskBytes>>20)
	}
}
