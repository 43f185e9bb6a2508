package render

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"os"
	"sync"

	gotext "github.com/go-text/typesetting/font"
	"github.com/tdewolff/canvas"
	"github.com/tdewolff/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
)

// System fonts used as fallbacks for what the embedded Go fonts lack. They come from
// Debian packages (fonts-noto-cjk, fonts-noto-color-emoji, fonts-dejavu-core) so the
// binary stays small; a missing one is reported by LogFonts and its glyphs fall
// through to the next font of the chain.
var (
	cjkRegularPaths = []string{
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
		"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
		"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
	}
	cjkBoldPaths = []string{
		"/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
		"/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
		"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
	}
	emojiPaths = []string{
		"/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
		"/usr/share/fonts/noto/NotoColorEmoji.ttf",
		"/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
	}
	symbolPaths = []string{
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/dejavu/DejaVuSans.ttf",
	}
	symbolBoldPaths = []string{
		"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
		"/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
	}
)

// cjkIndex picks the Simplified Chinese face of the Noto CJK collection (JP, KR, SC, TC, HK).
const cjkIndex = 2

// fontStyle selects one of the four embedded Go faces.
type fontStyle uint8

const (
	styleRegular fontStyle = 0
	styleBold    fontStyle = 1
	styleItalic  fontStyle = 2
)

// outlineFont is one vector font; its glyph outlines are cached in glyphOutlines.
type outlineFont struct {
	name string
	sfnt *font.SFNT
	upem float64
}

// outlineKey names a glyph outline of font in em units, flattened to lines within
// tol em; tol 0 is the outline as the font has it.
type outlineKey struct {
	font *outlineFont
	gid  uint16
	tol  float64
}

// maxOutlineBytes bounds the memory of the outline cache, all fonts together:
// every picture scale makes new flattened outlines, and over months a service
// meets many distinct glyphs (Noto CJK has 65,000). A flattened glyph of text
// takes 0.5 to 3 KB, a complex CJK one up to 16 KB at 512 pixels per em; a map
// of 500 checks draws a few hundred of them.
const maxOutlineBytes = 8 << 20

// outlineOverhead is about what a cached outline takes besides its points: the
// Path, its map entry and the rounding of its allocation.
const outlineOverhead = 96

var glyphOutlines = byteCache[outlineKey, *canvas.Path]{budget: maxOutlineBytes}

func parseOutlineFont(name string, b []byte, index int) (*outlineFont, error) {
	sfnt, err := font.ParseFont(b, index)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return &outlineFont{name: name, sfnt: sfnt, upem: float64(sfnt.Head.UnitsPerEm)}, nil
}

func (f *outlineFont) has(r rune) uint16 { return f.sfnt.GlyphIndex(r) }

// advance in em.
func (f *outlineFont) advance(gid uint16) float64 {
	return float64(f.sfnt.GlyphAdvance(gid)) / f.upem
}

func cacheOutline(key outlineKey, p *canvas.Path) *canvas.Path {
	return glyphOutlines.put(key, p, outlineOverhead+8*cap(p.Data()))
}

// outline returns the glyph outline in em units, y up; callers must not modify it.
func (f *outlineFont) outline(gid uint16) *canvas.Path {
	key := outlineKey{f, gid, 0}
	if p, ok := glyphOutlines.get(key); ok {
		return p
	}
	p := &canvas.Path{}
	if err := f.sfnt.GlyphPath(p, gid, 0, 0, 0, 1/f.upem, font.NoHinting); err != nil {
		p = &canvas.Path{}
	}
	return cacheOutline(key, p)
}

// flatOutline is the glyph outline in em units flattened to lines no further than
// tol em from the curves, cached: a map repeats the same few glyphs hundreds of
// times and flattening them was a large part of drawing its text. The rasterizer
// would flatten with the same tolerance, so the pixels are the same. Callers must
// not modify it.
func (f *outlineFont) flatOutline(gid uint16, tol float64) *canvas.Path {
	key := outlineKey{f, gid, tol}
	if p, ok := glyphOutlines.get(key); ok {
		return p
	}
	return cacheOutline(key, f.outline(gid).Flatten(tol))
}

// emojiFont draws colour emoji from the PNG strikes of a CBDT/sbix font.
type emojiFont struct {
	face *gotext.Face
	upem float64

	// mu serializes reading bitmaps: a Face is not safe for concurrent use.
	mu sync.Mutex
	// drawable tells which glyphs have a bitmap, so choosing a font for a rune
	// needs no decoding once the bitmap has left the cache. It holds at most
	// one bool per glyph of the font.
	drawable map[gotext.GID]bool
}

// emojiKey names the decoded bitmap of glyph gid of font.
type emojiKey struct {
	font *emojiFont
	gid  gotext.GID
}

// maxEmojiBytes bounds the memory of decoded emoji bitmaps. Noto's are 136×128,
// about 70 KB decoded, so this keeps about 115 of them, more than a map shows.
const maxEmojiBytes = 8 << 20

// emojiOverhead is about what a cached bitmap takes besides its pixels.
const emojiOverhead = 128

var emojiImages = byteCache[emojiKey, *image.RGBA]{budget: maxEmojiBytes}

func parseEmojiFont(b []byte) (*emojiFont, error) {
	face, err := gotext.ParseTTF(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("emoji font: %w", err)
	}
	return &emojiFont{face: face, upem: float64(face.Upem()), drawable: map[gotext.GID]bool{}}, nil
}

func (e *emojiFont) glyph(r rune) (gotext.GID, bool) {
	return e.face.NominalGlyph(r)
}

func (e *emojiFont) advance(gid gotext.GID) float64 {
	return float64(e.face.HorizontalAdvance(gid)) / e.upem
}

// hasImage tells whether a glyph has a bitmap that decodes.
func (e *emojiFont) hasImage(gid gotext.GID) bool {
	e.mu.Lock()
	ok, known := e.drawable[gid]
	e.mu.Unlock()
	if known {
		return ok
	}
	return e.image(gid) != nil
}

// image returns the decoded bitmap of a glyph, nil when it has none; callers must
// not modify it.
func (e *emojiFont) image(gid gotext.GID) *image.RGBA {
	key := emojiKey{e, gid}
	if img, ok := emojiImages.get(key); ok {
		return img
	}
	e.mu.Lock()
	if img, ok := emojiImages.get(key); ok { // decoded meanwhile by another picture
		e.mu.Unlock()
		return img
	}
	var out *image.RGBA
	if bm, ok := e.face.GlyphData(gid).(gotext.GlyphBitmap); ok && bm.Format == gotext.PNG {
		if img, err := png.Decode(bytes.NewReader(bm.Data)); err == nil {
			out = image.NewRGBA(img.Bounds())
			draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
		}
	}
	e.drawable[gid] = out != nil
	e.mu.Unlock()
	size := emojiOverhead
	if out != nil {
		size += cap(out.Pix)
	}
	return emojiImages.put(key, out, size)
}

// fontSet is the fallback chain: Go fonts (Latin, Cyrillic, Greek), Noto CJK, colour
// emoji, DejaVu Sans for remaining symbols. It is immutable once loaded apart from
// the glyph caches, which are guarded.
type fontSet struct {
	goFonts [4]*outlineFont // indexed by fontStyle bits
	cjk     [2]*outlineFont // regular, bold
	symbol  [2]*outlineFont
	emoji   *emojiFont
	missing []string
	loaded  []string
	err     error
}

// sharedFonts is loaded once per process: parsing the CJK collection costs ~100 ms and
// fonts never change while running.
var sharedFonts = sync.OnceValue(func() *fontSet { return loadFontSet(os.ReadFile) })

func loadFontSet(read func(string) ([]byte, error)) *fontSet {
	fs := &fontSet{}
	for i, b := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF, gobolditalic.TTF} {
		f, err := parseOutlineFont("Go", b, 0)
		if err != nil {
			// The embedded fonts are part of the binary; this is a build defect, reported
			// by every render call instead of crashing the process.
			fs.err = err
			return fs
		}
		fs.goFonts[i] = f
	}
	firstOf := func(label string, paths []string, index int) *outlineFont {
		for _, p := range paths {
			b, err := read(p)
			if err != nil {
				continue
			}
			f, err := parseOutlineFont(p, b, index)
			if err != nil {
				continue
			}
			fs.loaded = append(fs.loaded, p)
			return f
		}
		fs.missing = append(fs.missing, label)
		return nil
	}
	fs.cjk[0] = firstOf("CJK (Debian package fonts-noto-cjk, NotoSansCJK-Regular.ttc)", cjkRegularPaths, cjkIndex)
	fs.cjk[1] = firstOf("CJK bold (Debian package fonts-noto-cjk, NotoSansCJK-Bold.ttc)", cjkBoldPaths, cjkIndex)
	fs.symbol[0] = firstOf("symbols (Debian package fonts-dejavu-core, DejaVuSans.ttf)", symbolPaths, 0)
	fs.symbol[1] = firstOf("symbols bold (Debian package fonts-dejavu-core, DejaVuSans-Bold.ttf)", symbolBoldPaths, 0)
	for _, p := range emojiPaths {
		b, err := read(p)
		if err != nil {
			continue
		}
		if e, err := parseEmojiFont(b); err == nil {
			fs.emoji = e
			fs.loaded = append(fs.loaded, p)
			break
		}
	}
	if fs.emoji == nil {
		fs.missing = append(fs.missing, "colour emoji (Debian package fonts-noto-color-emoji, NotoColorEmoji.ttf)")
	}
	return fs
}

// LogFonts reports once which fallback fonts the renderer found and which are missing,
// so a map with empty boxes for CJK or emoji can be traced to a missing package.
func LogFonts(logger *slog.Logger) {
	sharedFonts().log(logger)
}

func (fs *fontSet) log(logger *slog.Logger) {
	if fs.err != nil {
		logger.Error("map fonts unusable", "err", fs.err)
	}
	for _, p := range fs.loaded {
		logger.Debug("map font loaded", "path", p)
	}
	for _, m := range fs.missing {
		logger.Warn("map font missing: such characters will be drawn with a fallback or as boxes", "font", m)
	}
}

// glyphRun is a piece of text drawn with one font.
type glyph struct {
	outline *outlineFont // nil for an emoji bitmap
	gid     uint16
	emoji   gotext.GID
	x       float64 // offset from the start of the line, in em
	adv     float64 // in em
	scale   float64 // em scale relative to the text size (CJK/emoji fit)
}

// isEmojiRune tells whether a rune has emoji presentation by default, so the colour
// font is preferred over a monochrome symbol from another font.
func isEmojiRune(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2B00 && r <= 0x2BFF) || (r >= 0x2300 && r <= 0x23FF)
}

// invisible runes of emoji sequences: variation selectors, joiner, skin tones, tags.
func isEmojiModifier(r rune) bool {
	return r == 0xFE0F || r == 0xFE0E || r == 0x200D || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F) || r == 0x20E3
}

// shape lays out a line glyph by glyph, choosing a font per rune; no kerning or
// ligatures, which keeps measuring and drawing trivially identical.
func (fs *fontSet) shape(s string, st fontStyle) ([]glyph, float64) {
	var out []glyph
	x := 0.0
	rs := []rune(s)
	for i, r := range rs {
		if isEmojiModifier(r) {
			continue
		}
		if r < 0x20 {
			r = ' '
		}
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		g, ok := fs.pick(r, next, st)
		if !ok {
			continue
		}
		g.x = x
		x += g.adv
		out = append(out, g)
	}
	return out, x
}

func (fs *fontSet) pick(r, next rune, st fontStyle) (glyph, bool) {
	wantEmoji := fs.emoji != nil && (next == 0xFE0F || (isEmojiRune(r) && next != 0xFE0E))
	if wantEmoji {
		if gid, ok := fs.emoji.glyph(r); ok && fs.emoji.hasImage(gid) {
			return glyph{emoji: gid, adv: fs.emoji.advance(gid), scale: 1}, true
		}
	}
	g := fs.goFonts[st&3]
	if gid := g.has(r); gid != 0 {
		return glyph{outline: g, gid: gid, adv: g.advance(gid), scale: 1}, true
	}
	bold := 0
	if st&styleBold != 0 {
		bold = 1
	}
	for _, f := range []*outlineFont{fs.cjk[bold], fs.cjk[0], fs.symbol[bold], fs.symbol[0]} {
		if f == nil {
			continue
		}
		if gid := f.has(r); gid != 0 {
			return glyph{outline: f, gid: gid, adv: f.advance(gid), scale: 1}, true
		}
	}
	if fs.emoji != nil {
		if gid, ok := fs.emoji.glyph(r); ok && fs.emoji.hasImage(gid) {
			return glyph{emoji: gid, adv: fs.emoji.advance(gid), scale: 1}, true
		}
	}
	// Nothing covers it: the Go font's missing-glyph box, so the gap is visible.
	return glyph{outline: g, gid: 0, adv: g.advance(0), scale: 1}, true
}

// textWidth measures a line in the given em size.
func (fs *fontSet) textWidth(s string, st fontStyle, em float64) float64 {
	_, w := fs.shape(s, st)
	return w * em
}
