package render

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pixelAt reads a PNG pixel at diagram coordinates (two pixels per unit).
func pixelAt(img image.Image, x, y float64) color.RGBA {
	r, g, b, a := img.At(int(x*pngScale), int(y*pngScale)).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// nodeBoxes returns the scene positions of nodes by id, from a fresh layout.
func layoutFor(t *testing.T, src string, live map[string]NodeStatus) *boxPart {
	t.Helper()
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	opts := optionsFromConfig(d.Config())
	l := &layouter{opts: opts, fonts: sharedFonts(), live: live}
	return l.compartment(d.Root, 0, opts.styles["class"], opts.direction, 0)
}

func findNode(p *boxPart, id string, ox, oy float64) (*boxNode, float64, float64) {
	gx, gy := ox+p.graphX, oy+p.graphY
	for _, n := range p.nodes {
		if n.id == id {
			return n, gx + n.x, gy + n.y
		}
		for _, c := range n.parts {
			if m, x, y := findNode(c, id, gx+n.x-n.w/2+c.x, gy+n.y-n.h/2+c.y); m != nil {
				return m, x, y
			}
		}
	}
	return nil, 0, 0
}

func TestStatusFill(t *testing.T) {
	src := "[api] -> [db]\n[db] -> [cache]\n[plain]\n[<frame> host|[inner]]"
	live := map[string]NodeStatus{
		"api":   {Status: "ok", Lines: []string{"42 ms"}},
		"db":    {Status: "error", Lines: []string{"refused"}},
		"cache": {Status: "warn"},
		"inner": {Status: "paused"},
	}
	data, err := RenderPNG(src, live)
	if err != nil {
		t.Fatal(err)
	}
	img := goldenDecodePNG(t, data)
	root := layoutFor(t, src, live)
	tests := []struct {
		id   string
		want string
	}{
		{"api", "#ccffbb"},
		{"db", "#ff9988"},
		{"cache", "#ffee99"},
		{"inner", "#dddddd"},
		{"plain", "#eee8d5"},
	}
	for _, tc := range tests {
		n, cx, cy := findNode(root, tc.id, 0, 0)
		if n == nil {
			t.Fatalf("node %q not laid out", tc.id)
		}
		// A point inside the node, left of the text, below the top border.
		got := pixelAt(img, cx-n.w/2+3, cy-n.h/2+3)
		want := parseColor(tc.want).rgb
		if diff(got, want) > 6 {
			t.Errorf("%s: fill %v, want %s", tc.id, got, tc.want)
		}
	}
	// The live lines are an added compartment: api has two parts, plain one.
	if n, _, _ := findNode(root, "api", 0, 0); len(n.parts) != 2 || n.parts[1].lines[0] != "42 ms" {
		t.Errorf("api parts %+v", n.parts)
	}
	if n, _, _ := findNode(root, "plain", 0, 0); len(n.parts) != 1 {
		t.Errorf("plain parts %d", len(n.parts))
	}
	// Without live data the same node is drawn plain.
	data, err = RenderPNG(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	img = goldenDecodePNG(t, data)
	root = layoutFor(t, src, nil)
	n, cx, cy := findNode(root, "db", 0, 0)
	if got := pixelAt(img, cx-n.w/2+3, cy-n.h/2+3); diff(got, parseColor("#eee8d5").rgb) > 6 {
		t.Errorf("db without status: %v", got)
	}
}

func diff(a, b color.RGBA) int {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return max(d(a.R, b.R), d(a.G, b.G), d(a.B, b.B), d(a.A, b.A))
}

func TestLiveMatchesNameWithoutEmoji(t *testing.T) {
	l := &layouter{live: map[string]NodeStatus{"foldwrap": {Status: "ok"}, "docker": {Status: "error"}}}
	tests := []struct {
		id     string
		found  bool
		status string
	}{
		{"foldwrap", true, "ok"},
		{"📦 foldwrap", true, "ok"},
		{"🐳 docker", true, "error"},
		{"foldwrap2", false, ""},
		{"my foldwrap", false, ""},
	}
	for _, tc := range tests {
		s, ok := l.lookupLive(tc.id)
		if ok != tc.found || s.Status != tc.status {
			t.Errorf("%q: got %v %q", tc.id, ok, s.Status)
		}
	}
}

func TestStatusWords(t *testing.T) {
	for in, want := range map[string]string{"ok": "ok", "ERROR": "error", "warn": "warn", "skip": "skip",
		"paused": "paused", "unknown": "unknown", "": "unknown", "weird": "unknown"} {
		if got := normStatus(in); got != want {
			t.Errorf("normStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFallbackFonts checks that emoji, CJK and Cyrillic are drawn from a font that has
// them, never as the missing-glyph box.
func TestFallbackFonts(t *testing.T) {
	fs := sharedFonts()
	if os.Getenv("CI") == "true" && len(fs.missing) > 0 {
		t.Fatalf("fonts missing in CI: %v", fs.missing)
	}
	tests := []struct {
		text  string
		emoji bool
		need  string // font that must exist for the check
	}{
		{"Ж", false, ""},
		{"λ", false, ""},
		{"数", false, "cjk"},
		{"データ", false, "cjk"},
		{"📦", true, "emoji"},
		{"🐳", true, "emoji"},
		{"🐢", true, "emoji"},
		{"⚙", true, "emoji"},
	}
	for _, tc := range tests {
		if tc.need == "cjk" && fs.cjk[0] == nil || tc.need == "emoji" && fs.emoji == nil {
			t.Logf("skip %q: font not installed", tc.text)
			continue
		}
		glyphs, w := fs.shape(tc.text, styleBold)
		if len(glyphs) == 0 || w <= 0 {
			t.Errorf("%q: no glyphs", tc.text)
			continue
		}
		for _, g := range glyphs {
			if tc.emoji {
				if g.outline != nil {
					t.Errorf("%q: drawn from %s, want the colour emoji font", tc.text, g.outline.name)
				}
				continue
			}
			if g.outline == nil || g.gid == 0 {
				t.Errorf("%q: missing glyph", tc.text)
			}
		}
	}
	// Variation selectors and joiners take no room.
	_, a := fs.shape("⚙\ufe0f", styleRegular)
	_, b := fs.shape("⚙", styleRegular)
	if a != b {
		t.Errorf("VS16 changed width: %v vs %v", a, b)
	}
}

// TestEmojiInColour looks at the pixels of a rendered emoji: the colour font must
// produce saturated pixels, where a missing glyph would be a grey outline.
func TestEmojiInColour(t *testing.T) {
	if sharedFonts().emoji == nil {
		t.Skip("colour emoji font not installed")
	}
	data, err := RenderPNG("[🐳]", nil)
	if err != nil {
		t.Fatal(err)
	}
	img := goldenDecodePNG(t, data)
	saturated := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := pixelAt(img, float64(x)/pngScale, float64(y)/pngScale)
			hi := max(c.R, c.G, c.B)
			lo := min(c.R, c.G, c.B)
			if int(hi)-int(lo) > 40 {
				saturated++
			}
		}
	}
	if saturated < 50 {
		t.Errorf("only %d colourful pixels: emoji not drawn in colour", saturated)
	}
}

func TestSVGIsSmallText(t *testing.T) {
	src, err := os.ReadFile("testdata/golden/unicode.nomnoml")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := RenderSVG(string(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(svg) > 30_000 {
		t.Errorf("svg is %d bytes", len(svg))
	}
	s := string(svg)
	for _, bad := range []string{"@font-face", "base64", "<image"} {
		if strings.Contains(s, bad) {
			t.Errorf("svg contains %q", bad)
		}
	}
	for _, want := range []string{">📦 foldwrap</text>", ">数据库 服务器</text>", ">Сервер Москва</text>", `font-family="Helvetica, Arial, sans-serif"`} {
		if !strings.Contains(s, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	// Every number in the file is finite.
	if regexp.MustCompile(`NaN|Inf`).MatchString(s) {
		t.Error("svg has NaN or Inf")
	}
}

func TestSVGEscapes(t *testing.T) {
	svg, err := RenderSVG(`#title: a<b & "c"
[& "y"] -> [z\]]`, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, "<title>a&lt;b &amp; &#34;c&#34;</title>") || !strings.Contains(s, ">&amp; &#34;y&#34;</text>") || !strings.Contains(s, ">z]</text>") {
		t.Errorf("not escaped:\n%s", s)
	}
}

func TestPNGSizeCap(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 300; i++ {
		b.WriteString("[node number " + strconv.Itoa(i) + " with a rather long name]\n")
	}
	data, err := RenderPNG(b.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pngConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width+cfg.Height > maxPNGSum {
		t.Errorf("png %dx%d exceeds %d", cfg.Width, cfg.Height, maxPNGSum)
	}
	// Unrelated nodes are packed into rows, not one line thousands of pixels wide.
	ratio := float64(cfg.Width) / float64(cfg.Height)
	if ratio > 4 || ratio < 0.25 {
		t.Errorf("aspect %dx%d", cfg.Width, cfg.Height)
	}
}

func pngConfig(data []byte) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	return cfg, err
}

func TestBackgroundAndZoom(t *testing.T) {
	plain, err := RenderPNG("[a]", nil)
	if err != nil {
		t.Fatal(err)
	}
	zoomed, err := RenderPNG("#zoom: 2\n#background: #102030\n[a]", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pngConfig(plain)
	z, _ := pngConfig(zoomed)
	if z.Width < p.Width*2-2 || z.Width > p.Width*2+2 {
		t.Errorf("zoom 2: width %d, plain %d", z.Width, p.Width)
	}
	img := goldenDecodePNG(t, zoomed)
	if got := pixelAt(img, 0.5, 0.5); diff(got, color.RGBA{0x10, 0x20, 0x30, 255}) > 2 {
		t.Errorf("background %v", got)
	}
	// Transparent by default in nomnoml; a PNG gets white so dark chat themes stay readable.
	if got := pixelAt(goldenDecodePNG(t, plain), 0.5, 0.5); diff(got, color.RGBA{255, 255, 255, 255}) > 2 {
		t.Errorf("default background %v", got)
	}
}

func TestEdgeStyles(t *testing.T) {
	tests := []struct {
		src         string
		dashed      bool
		drawn       bool
		hardCorners bool
	}{
		{"[a]->[b]", false, true, false},
		{"[a]-->[b]", true, true, false},
		{"[a]--:>[b]", true, true, false},
		{"[a]--[b]", true, true, false},
		{"[a]-/-[b]", false, false, false},
	}
	for _, tc := range tests {
		svg, err := RenderSVG(tc.src, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := string(svg)
		lines := 0
		dashed := false
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "<path") && strings.Contains(l, `fill="none"`) {
				lines++
				dashed = dashed || strings.Contains(l, "stroke-dasharray")
			}
		}
		if (lines > 0) != tc.drawn || dashed != tc.dashed {
			t.Errorf("%s: %d lines, dashed %v", tc.src, lines, dashed)
		}
	}
}

func TestArrowheads(t *testing.T) {
	count := func(src string) (filledStroke, filledFill int) {
		svg, err := RenderSVG(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(svg), "\n") {
			if !strings.HasPrefix(l, "<path") || strings.Contains(l, `fill="none"`) {
				continue
			}
			if strings.Contains(l, `fill="#33322E"`) {
				filledStroke++
			}
			if strings.Contains(l, `fill="#eee8d5"`) && strings.Count(l, "L") <= 4 {
				filledFill++
			}
		}
		return
	}
	// Node boxes are filled #eee8d5 too; subtract the plain diagram.
	_, base := count("[a]-[b]")
	tests := []struct {
		src         string
		dark, light int
	}{
		{"[a]->[b]", 1, 0},
		{"[a]<->[b]", 2, 0},
		{"[a]-:>[b]", 0, 1},
		{"[a]+-[b]", 1, 0},
		{"[a]o-[b]", 0, 1},
		{"[a]+->[b]", 2, 0},
	}
	for _, tc := range tests {
		dark, light := count(tc.src)
		if dark != tc.dark || light-base != tc.light {
			t.Errorf("%s: %d dark heads, %d light heads; want %d, %d", tc.src, dark, light-base, tc.dark, tc.light)
		}
	}
}

// TestNoPanic feeds hostile and odd sources; every one either renders or errors.
func TestNoPanic(t *testing.T) {
	srcs := []string{
		"", "[", "]", "[a]->", "[a]->[a]", "[a]->[b]\n[b]->[a]", "[<table>]", "[<table> t||||]",
		"[<lollipop>]", "[<socket>]-[<socket>]", "[<frame>]", "[<package>]", "[<sync>]->[<sync>]",
		"#fontSize: -5\n#spacing: 1e309\n#zoom: NaN\n[a]->[b]", "#lineWidth: 1000000\n[a]",
		"#fill: ;;;\n[a|[b|[c|[d|[e]]]]]", "#.x: visual=nope fill=bogus stroke=rgb(1,2)\n[<x> a]",
		"#direction: right\n[<lollipop> l]-[<socket> s]\n[<sync> y]", "[a] ` ` -> ` [b]",
		"[" + strings.Repeat("x", 5000) + "]", strings.Repeat("[a|", 200) + strings.Repeat("]", 200),
		"#gravity: 0\n[a]->[b]", "#gravity: 99\n[a]->[b]", "[\u0000\uffff\U0010ffff]",
	}
	for _, s := range srcs {
		if _, err := RenderSVG(s, map[string]NodeStatus{"a": {Status: "error", Lines: []string{"x", ""}}}); err != nil {
			continue
		}
		if _, err := RenderPNG(s, nil); err != nil {
			t.Errorf("%q: svg ok but png failed: %v", s, err)
		}
	}
}

func TestParseErrorIsReturned(t *testing.T) {
	_, err := RenderPNG("[a]->[b]]", nil)
	if err == nil {
		t.Fatal("want a parse error")
	}
	if _, ok := err.(*ParseError); !ok {
		t.Errorf("error %T %v, want *ParseError", err, err)
	}
}

func FuzzRenderSVG(f *testing.F) {
	for _, s := range []string{"[a]->[b]", "[<frame> h|[a]-->[b]]", "#direction: right\n[a] x -> y [b]",
		"[<table> t| a | b || c | d]", "#.s: visual=database fill=#fff\n[<s> d]", "[a]o<-)[b]", "[🐳 docker]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 2000 {
			return
		}
		out, err := RenderSVG(src, map[string]NodeStatus{"a": {Status: "ok", Lines: []string{"1 ms"}}})
		if err == nil && !bytes.HasPrefix(out, []byte("<svg")) {
			t.Fatalf("not an svg: %q", out)
		}
	})
}

// FuzzRenderPNG draws any source as PNG: it must not panic, and what it writes
// must decode, with the size of the scene.
func FuzzRenderPNG(f *testing.F) {
	for _, s := range []string{"[a]->[b]", "[<frame> h|[a]-->[b]]", "#zoom: 10\n#fontSize: 200\n[W]",
		"#zoom: 0.1\n[a]", "[数据库]->[שלום]\n[مرحبا]", "[🐳 docker]", "#.u: title=underline\n[<u> x]", "#lineWidth: 0\n[a]-[b]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 500 {
			return
		}
		out, err := RenderPNG(src, map[string]NodeStatus{"a": {Status: "error", Lines: []string{"timeout"}}})
		if err != nil {
			return
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("png does not decode: %v", err)
		}
		if b := img.Bounds(); b.Dx() < 1 || b.Dy() < 1 || b.Dx()+b.Dy() > maxPNGSum {
			t.Fatalf("png of %v", b)
		}
	})
}

func TestSVGNodeGroups(t *testing.T) {
	svg, err := RenderSVG("[<frame> host|[api]->[db]]\n[plain]", map[string]NodeStatus{"db": {Status: "error"}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{`<g class="node" data-name="host">`, `<g class="node" data-name="api">`,
		`<g class="node" data-name="db" data-status="error">`, `<g class="node" data-name="plain">`} {
		if !strings.Contains(s, want) {
			t.Errorf("svg lacks %s", want)
		}
	}
	if strings.Count(s, "<g ") != strings.Count(s, "</g>") {
		t.Error("unbalanced groups")
	}
	// The host group holds its children.
	host := strings.Index(s, `data-name="host"`)
	api := strings.Index(s, `data-name="api"`)
	plain := strings.Index(s, `data-name="plain"`)
	if !(host < api && strings.Count(s[host:api], "</g>") == 0) || plain < 0 {
		t.Error("api is not inside host")
	}
}

// TestConcurrentRenders shares the font caches between goroutines, as the bot and
// the web page do.
func TestConcurrentRenders(t *testing.T) {
	src := "[📦 foldwrap] -> [数据库]\n[Сервер] -> [📦 foldwrap]"
	want, err := RenderSVG(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			var err error
			if i%2 == 0 {
				_, err = RenderPNG(src, map[string]NodeStatus{"foldwrap": {Status: "ok"}})
			} else {
				var got []byte
				got, err = RenderSVG(src, nil)
				if err == nil && !bytes.Equal(got, want) {
					err = errors.New("svg differs between runs")
				}
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestMissingSystemFonts: without the system fallbacks, Latin and Cyrillic still come
// from the embedded Go fonts, and each missing font is named in a warning.
func TestMissingSystemFonts(t *testing.T) {
	fs := loadFontSet(func(string) ([]byte, error) { return nil, os.ErrNotExist })
	var buf bytes.Buffer
	fs.log(slog.New(slog.NewTextHandler(&buf, nil)))
	out := buf.String()
	for _, want := range []string{"fonts-noto-cjk", "fonts-noto-color-emoji", "fonts-dejavu-core"} {
		if !strings.Contains(out, want) {
			t.Errorf("no warning naming %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "level=WARN"); n != 5 {
		t.Errorf("%d warnings, want 5", n)
	}
	glyphs, _ := fs.shape("Жa", styleRegular)
	for _, g := range glyphs {
		if g.outline == nil || g.gid == 0 {
			t.Errorf("latin/cyrillic glyph missing without system fonts")
		}
	}
	// A CJK character falls back to the visible missing-glyph box, not to nothing.
	glyphs, w := fs.shape("数", styleRegular)
	if len(glyphs) != 1 || w <= 0 {
		t.Errorf("missing glyph not drawn: %+v", glyphs)
	}
}
