package render

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/tdewolff/canvas"
)

// heapAfterGC is the live heap after a collection.
func heapAfterGC() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestOutlineCacheBound flattens thousands of glyphs at several sizes, CJK ones
// when the font is installed, many times what the cache may hold, and wants the
// memory kept within maxOutlineBytes for all fonts together: a service running
// for months meets every size and many distinct glyphs.
func TestOutlineCacheBound(t *testing.T) {
	fs := sharedFonts()
	if fs.err != nil {
		t.Fatal(fs.err)
	}
	fonts := []*outlineFont{fs.goFonts[styleRegular], fs.goFonts[styleBold]}
	for _, f := range append(fs.cjk[:], fs.symbol[:]...) {
		if f != nil {
			fonts = append(fonts, f)
		}
	}
	first := fonts[0].has('@')
	tol := canvas.PixelTolerance / 24
	want := slices.Clone(fonts[0].flatOutline(first, tol).Data())

	before := heapAfterGC()
	drawn := 0
	for _, f := range fonts {
		n := min(int(f.sfnt.Maxp.NumGlyphs), 2500)
		for gid := 1; gid < n; gid++ {
			for _, ppem := range []float64{12, 17, 24, 36} {
				if !f.flatOutline(uint16(gid), canvas.PixelTolerance/ppem).Empty() {
					drawn++
				}
			}
		}
	}
	if drawn < 5000 {
		t.Fatalf("only %d outlines drawn", drawn)
	}
	if n := glyphOutlines.size(); n > maxOutlineBytes {
		t.Errorf("the cache counts %d bytes, more than %d", n, maxOutlineBytes)
	}
	if grown := heapAfterGC() - before; grown > maxOutlineBytes*5/4 {
		t.Errorf("the heap grew by %d MB flattening %d outlines, the cache may keep %d MB", grown>>20, drawn, maxOutlineBytes>>20)
	}
	if got := fonts[0].flatOutline(first, tol).Data(); !slices.Equal(got, want) {
		t.Errorf("'@' flattened again differs: %d values, want %d", len(got), len(want))
	}
}

// TestEmojiCacheBound decodes more distinct emoji than the cache may hold and
// wants the memory kept within maxEmojiBytes; an emoji whose bitmap left the
// cache is still chosen for its rune and decodes to the same pixels.
func TestEmojiCacheBound(t *testing.T) {
	fs := sharedFonts()
	if fs.emoji == nil {
		t.Skip("colour emoji font not installed")
	}
	e := fs.emoji
	box, ok := e.glyph('📦')
	if !ok || e.image(box) == nil {
		t.Fatal("no bitmap for 📦")
	}
	want := slices.Clone(e.image(box).Pix)

	before := heapAfterGC()
	decoded, bytesDecoded := 0, 0
	for r := rune(0x1F300); r < 0x1F600 && decoded < 300; r++ {
		gid, ok := e.glyph(r)
		if !ok {
			continue
		}
		if img := e.image(gid); img != nil {
			decoded++
			bytesDecoded += len(img.Pix)
		}
	}
	if bytesDecoded < 2*maxEmojiBytes {
		t.Fatalf("only %d emoji of %d KB decoded", decoded, bytesDecoded>>10)
	}
	if n := emojiImages.size(); n > maxEmojiBytes {
		t.Errorf("the cache counts %d bytes, more than %d", n, maxEmojiBytes)
	}
	if grown := heapAfterGC() - before; grown > maxEmojiBytes*5/4 {
		t.Errorf("the heap grew by %d MB decoding %d emoji, the cache may keep %d MB", grown>>20, decoded, maxEmojiBytes>>20)
	}
	if g, ok := fs.pick('📦', 0, styleRegular); !ok || g.outline != nil {
		t.Errorf("📦 no longer drawn from the colour emoji font")
	}
	if got := e.image(box); got == nil || !bytes.Equal(got.Pix, want) {
		t.Errorf("📦 decoded again differs")
	}
}

// TestByteCacheConcurrent has goroutines fill a small cache many times over and
// wants every value found under its own key and the accounted bytes within the
// budget whenever they look.
func TestByteCacheConcurrent(t *testing.T) {
	c := byteCache[int, string]{budget: 1000}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5000 {
				k := (i*7 + w) % 97
				v := fmt.Sprint(k)
				if got, ok := c.get(k); ok && got != v {
					errs <- fmt.Errorf("key %d holds %q", k, got)
					return
				}
				if got := c.put(k, v, 10+k); got != v {
					errs <- fmt.Errorf("put %d returned %q", k, got)
					return
				}
				if n := c.size(); n > c.budget {
					errs <- fmt.Errorf("the cache counts %d bytes, more than %d", n, c.budget)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := c.put(1000, "big", 1001); got != "big" {
		t.Errorf("an entry over the budget: put returned %q", got)
	}
	if _, ok := c.get(1000); ok {
		t.Errorf("an entry over the budget was kept")
	}
}
