package render

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The golden files are regenerated with `go test ./render -run 'TestGolden|TestDocsMap' -update`.
// Other test files of the package may define the same flag; register it once.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func goldenUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// goldenLive is the status overlay used by the golden diagrams.
var goldenLive = map[string]map[string]NodeStatus{
	"statusmap": {
		"foldwrap":   {Status: "ok", Lines: []string{"12 ms", "up 99.9%"}},
		"postgres":   {Status: "ok", Lines: []string{"db 1.2 GB", "3 ms"}},
		"redis":      {Status: "warn", Lines: []string{"mem 91%"}},
		"deploytool": {Status: "error", Lines: []string{"HTTP 503, want 200", "since 10:29"}},
		"notifier":   {Status: "paused", Lines: []string{"paused 2h"}},
		"validators": {Status: "ok", Lines: []string{"120 / 0"}},
		"grani":      {Status: "error", Lines: []string{"100% loss"}},
		"backup":     {Status: "skip", Lines: []string{"grani is down"}},
	},
	"statuses": {
		"api":    {Status: "ok", Lines: []string{"42 ms"}},
		"db":     {Status: "error", Lines: []string{"connection refused"}},
		"cache":  {Status: "warn", Lines: []string{"slow: 900 ms"}},
		"worker": {Status: "skip", Lines: []string{"db is down"}},
		"queue":  {Status: "unknown"},
		"cron":   {Status: "paused", Lines: []string{"paused"}},
	},
	"generated": {
		"foldwrap":   {Status: "ok", Lines: []string{"12 ms"}},
		"postgres":   {Status: "ok", Lines: []string{"db 1.2 GB"}},
		"grani":      {Status: "error", Lines: []string{"down"}},
		"validators": {Status: "skip", Lines: []string{"grani is down"}},
		"google":     {Status: "ok", Lines: []string{"HTTP 200 · 80 ms"}},
	},
	"unicode": {
		"foldwrap": {Status: "ok", Lines: []string{"матч 12 мс"}},
	},
}

func goldenNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/golden/*.nomnoml")
	if err != nil || len(files) < 12 {
		t.Fatalf("want at least 12 golden sources, got %d (%v)", len(files), err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".nomnoml"))
	}
	return names
}

func TestGolden(t *testing.T) {
	for _, name := range goldenNames(t) {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata/golden", name+".nomnoml"))
			if err != nil {
				t.Fatal(err)
			}
			live := goldenLive[name]
			svg, err := RenderSVG(string(src), live)
			if err != nil {
				t.Fatalf("RenderSVG: %v", err)
			}
			pngData, err := RenderPNG(string(src), live)
			if err != nil {
				t.Fatalf("RenderPNG: %v", err)
			}
			svgPath := filepath.Join("testdata/golden", name+".svg")
			pngPath := filepath.Join("testdata/golden", name+".png")
			if goldenUpdating() {
				if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(pngPath, pngData, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantSVG, err := os.ReadFile(svgPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(svg, wantSVG) {
				t.Errorf("SVG differs from %s:\n%s", svgPath, goldenLineDiff(string(wantSVG), string(svg)))
			}
			wantPNG, err := os.ReadFile(pngPath)
			if err != nil {
				t.Fatal(err)
			}
			goldenComparePNG(t, wantPNG, pngData)
		})
	}
}

func goldenLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + goldenItoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

func goldenItoa(i int) string { return strconv.Itoa(i) }

// goldenComparePNG decodes both images and allows a small difference per channel on a few
// pixels, so a rasterizer rounding change does not fail the test but a moved box does.
func goldenComparePNG(t *testing.T, want, got []byte) {
	t.Helper()
	wi, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("decode golden png: %v", err)
	}
	gi, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("decode png: %v", err)
	}
	if wi.Bounds() != gi.Bounds() {
		t.Fatalf("png size %v, golden %v", gi.Bounds(), wi.Bounds())
	}
	bad, total := 0, 0
	b := wi.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			total++
			r1, g1, b1, a1 := wi.At(x, y).RGBA()
			r2, g2, b2, a2 := gi.At(x, y).RGBA()
			if goldenAbsDiff(r1, r2) > 8<<8 || goldenAbsDiff(g1, g2) > 8<<8 || goldenAbsDiff(b1, b2) > 8<<8 || goldenAbsDiff(a1, a2) > 8<<8 {
				bad++
			}
		}
	}
	if bad > total/1000 {
		t.Errorf("png differs from golden on %d of %d pixels", bad, total)
	}
}

func goldenAbsDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// docsMapSource is the realistic status map shown in the README (docs/map.png).
const docsMapSource = `#title: statusmap
#.docker: fill=#e6f0fa bold
#.tmux: fill=#efe8f8 bold
#.systemd: fill=#f6efe0 bold
[<frame> 📦 fold|hetzner vds · debian 12|
  [<docker> 🐳 docker|
    [foldwrap] -> [postgres]
    [foldwrap] -> [redis]
    [smalltalk] -> [postgres]
  ]
  [<tmux> 🐢 tmux|
    [deploytool]
    [notifier] -> [telegram api]
  ]
]
[<frame> 🪐 basscadet|home server · ubuntu|
  [<systemd> ⚙ systemd|
    [validators] -> [grani]
    [backup] -> [nas]
  ]
]
[<frame> ☁ edge|
  [gateway] -> [tls cert]
]
`

var docsMapLive = map[string]NodeStatus{
	"foldwrap":     {Status: "ok", Lines: []string{"HTTP 200 · 42 ms", "up 99.9%"}},
	"postgres":     {Status: "ok", Lines: []string{"db 1.2 GB", "12 ms"}},
	"redis":        {Status: "warn", Lines: []string{"mem 91%", "3 ms"}},
	"smalltalk":    {Status: "ok", Lines: []string{"healthy", "up 14d"}},
	"deploytool":   {Status: "error", Lines: []string{"connection refused", "since 10:29"}},
	"notifier":     {Status: "ok", Lines: []string{"tmux · 3 windows"}},
	"telegram api": {Status: "ok", Lines: []string{"180 ms"}},
	"validators":   {Status: "ok", Lines: []string{"120 / 0", "up 100%"}},
	"grani":        {Status: "paused", Lines: []string{"paused 2h"}},
	"backup":       {Status: "skip", Lines: []string{"nas is down"}},
	"nas":          {Status: "error", Lines: []string{"ping: 100% loss", "since 09:12"}},
	"gateway":      {Status: "ok", Lines: []string{"8 ms"}},
	"tls cert":     {Status: "warn", Lines: []string{"expires in 9 days"}},
}

// TestDocsMap renders the README picture; with -update it rewrites docs/map.png.
func TestDocsMap(t *testing.T) {
	data, err := RenderPNG(docsMapSource, docsMapLive)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w+h > maxPNGSum || w < 600 {
		t.Fatalf("map is %dx%d", w, h)
	}
	path := filepath.Join("..", "docs", "map.png")
	if goldenUpdating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	goldenComparePNG(t, want, data)
}

func goldenDecodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}
