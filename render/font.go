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

// outlineFont is one vector font with a cache of glyph outlines in em units.
type outlineFont struct {
	name string
	sfnt *font.SFNT
	upem float64

	mu     sync.Mutex
	glyphs map[uint16]*canvas.Path
	flat   map[flatKey]*canvas.Path
}

// flatKey names a glyph outline flattened to lines within tol em.
type flatKey struct {
	gid uint16
	tol float64
}

// maxFlatGlyphs bounds the flattened-outline cache: every picture scale makes new
// entries, and a long-running service draws maps of many sizes.
const maxFlatGlyphs = 20000

func parseOutlineFont(name string, b []byte, index int) (*outlineFont, error) {
	sfnt, err := font.ParseFont(b, index)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return &outlineFont{name: name, sfnt: sfnt, upem: float64(sfnt.Head.UnitsPerEm), glyphs: map[uint16]*canvas.Path{}, flat: map[flatKey]*canvas.Path{}}, nil
}

func (f *outlineFont) has(r rune) uint16 { return f.sfnt.GlyphIndex(r) }

// advance in em.
func (f *outlineFont) advance(gid uint16) float64 {
	return float64(f.sfnt.GlyphAdvance(gid)) / f.upem
}

// outline returns the glyph outline in em units, y up; callers must not modify it.
func (f *outlineFont) outline(gid uint16) *canvas.Path {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.glyphs[gid]; ok {
		return p
	}
	p := &canvas.Path{}
	if err := f.sfnt.GlyphPath(p, gid, 0, 0, 0, 1/f.upem, font.NoHinting); err != nil {
		p = &canvas.Path{}
	}
	f.glyphs[gid] = p
	return p
}

// flatOutline is the glyph outline in em units flattened to lines no further than
// tol em from the curves, cached: a map repeats the same few glyphs hundreds of
// times and flattening them was a large part of drawing its text. The rasterizer
// would flatten with the same tolerance, so the pixels are the same. Callers must
// not modify it.
func (f *outlineFont) flatOutline(gid uint16, tol float64) *canvas.Path {
	key := flatKey{gid, tol}
	f.mu.Lock()
	p, ok := f.flat[key]
	f.mu.Unlock()
	if ok {
		return p
	}
	p = f.outline(gid).Flatten(tol)
	f.mu.Lock()
	if len(f.flat) >= maxFlatGlyphs {
		clear(f.flat)
	}
	f.flat[key] = p
	f.mu.Unlock()
	return p
}

// emojiFont draws colour emoji from the PNG strikes of a CBDT/sbix font.
type emojiFont struct {
	face *gotext.Face
	upem float64

	mu     sync.Mutex
	images map[gotext.GID]*image.RGBA
}

func parseEmojiFont(b []byte) (*emojiFont, error) {
	face, err := gotext.ParseTTF(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("emoji font: %w", err)
	}
	return &emojiFont{face: face, upem: float64(face.Upem()), images: map[gotext.GID]*image.RGBA{}}, nil
}

func (e *emojiFont) glyph(r rune) (gotext.GID, bool) {
	return e.face.NominalGlyph(r)
}

func (e *emojiFont) advance(gid gotext.GID) float64 {
	return float64(e.face.HorizontalAdvance(gid)) / e.upem
}

// image returns the decoded bitmap of a glyph, nil when it has none.
func (e *emojiFont) image(gid gotext.GID) *image.RGBA {
	e.mu.Lock()
	defer e.mu.Unlock()
	if img, ok := e.images[gid]; ok {
		return img
	}
	var out *image.RGBA
	if bm, ok := e.face.GlyphData(gid).(gotext.GlyphBitmap); ok && bm.Format == gotext.PNG {
		if img, err := png.Decode(bytes.NewReader(bm.Data)); err == nil {
			out = image.NewRGBA(img.Bounds())
			draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
		}
	}
	e.images[gid] = out
	return out
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
		if gid, ok := fs.emoji.glyph(r); ok && fs.emoji.image(gid) != nil {
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
		if gid, ok := fs.emoji.glyph(r); ok && fs.emoji.image(gid) != nil {
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
