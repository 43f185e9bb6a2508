package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// nomnomlParse runs the real nomnoml 1.7.0 (render/conformance, after npm ci) on
// files and returns each file's parse result as a JSON value. It skips the test
// when nomnoml is not installed, and fails it when CI=true.
func nomnomlParse(t *testing.T, files []string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for f, rec := range nomnomlRun(t, files, false) {
		out[f] = rec.Result
	}
	return out
}

type nomnomlRecord struct {
	File   string `json:"file"`
	Result any    `json:"result"`
	Config any    `json:"config"`
}

// nomnomlRun runs parse.mjs on files, with nomnoml's config when withConfig.
func nomnomlRun(t *testing.T, files []string, withConfig bool) map[string]nomnomlRecord {
	t.Helper()
	if _, err := os.Stat(filepath.Join("conformance", "node_modules", "nomnoml")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nomnoml is not installed (run npm ci in render/conformance): %v", err)
		}
		t.Skip("nomnoml not installed; run `npm ci` in render/conformance")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node not found: %v", err)
		}
		t.Skip("node not found")
	}
	out := map[string]nomnomlRecord{}
	// Batches keep the command line short.
	for len(files) > 0 {
		batch := files[:min(len(files), 200)]
		files = files[len(batch):]
		args := []string{filepath.Join("conformance", "parse.mjs")}
		if withConfig {
			args = append(args, "--config")
		}
		cmd := exec.Command(node, append(args, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("node parse.mjs: %v\n%s", err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec nomnomlRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("parse.mjs output: %v: %s", err, sc.Text())
			}
			out[rec.File] = rec
		}
	}
	return out
}

// compareWithNomnoml checks ParseJSON against nomnoml for every file and returns
// a description of each mismatch.
func compareWithNomnoml(t *testing.T, files []string) []string {
	t.Helper()
	want := nomnomlParse(t, files)
	var diffs []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, err := ParseJSON(string(src))
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: ParseJSON: %v", f, err))
			continue
		}
		var got any
		if err := json.Unmarshal(gotJSON, &got); err != nil {
			t.Fatalf("%s: ParseJSON output is not JSON: %v", f, err)
		}
		w, ok := want[f]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s: no result from nomnoml", f))
			continue
		}
		if !reflect.DeepEqual(got, w) {
			wantJSON, _ := json.Marshal(w)
			diffs = append(diffs, fmt.Sprintf("%s:\n  source:   %q\n  nomnoml:  %s\n  statusmap: %s\n  first difference: %s",
				f, src, wantJSON, gotJSON, firstDiff("", w, got)))
		}
	}
	return diffs
}

// firstDiff names the first path where two JSON values differ.
func firstDiff(path string, a, b any) string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v vs %v", path, a, b)
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if !reflect.DeepEqual(av[k], bv[k]) {
				return firstDiff(path+"."+k, av[k], bv[k])
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return fmt.Sprintf("%s: %v vs %v", path, a, b)
		}
		for i := range av {
			if !reflect.DeepEqual(av[i], bv[i]) {
				return firstDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])
			}
		}
	}
	return fmt.Sprintf("%s: nomnoml %#v, statusmap %#v", path, a, b)
}

// TestConformanceCorpus compares the parse of every corpus diagram with nomnoml's.
func TestConformanceCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.nomnoml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("corpus has %d diagrams, want at least 60", len(files))
	}
	for _, d := range compareWithNomnoml(t, files) {
		t.Error(d)
	}
}

// TestConformanceRandom compares random sources built from nomnoml's tokens, which
// reach the corners (errors at the end of input, escapes, labels over lines).
func TestConformanceRandom(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 200
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(8, 1))
	files := make([]string, n)
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("r%04d.nomnoml", i))
		if err := os.WriteFile(files[i], []byte(randomSource(rng)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	diffs := compareWithNomnoml(t, files)
	for i, d := range diffs {
		if i == 20 {
			t.Errorf("... and %d more", len(diffs)-20)
			break
		}
		t.Error(d)
	}
}

var randomTokens = []string{
	"[", "]", "|", ";", "\n", " ", "  ", "\t", "\\", "\\n", "\\]", "<", ">", "a", "b", "x y", "é", "😀",
	"-", "--", "->", "<-", "-/-", "o", "(", ")", "+", ":", ":>", "<:", "o)", "(o", "`", "//", "#", "=",
	"[a]", "[b]", "[a]->[b]", "[<note>n]", "[<frame> f=1 id=q>x]", "<id=k>", "[a|b]", "\r", "#fill: red\n",
	"// c\n", "#.s: fill=#fff bold\n", " -> ", "label", "[<actor>a]", "[a|[b]->[c]]",
	"\u2028", "\u00a0", "\ufeff", "\u3000", "\\\\", "(o-", "o<-", "<:-", "+-", "(-", "-o)", "id=", "x=y>",
	"[<a b=c>", "[<a id=q>", " id=a", "é\\", "\\😀", "\r//x", "\r#d", "\n#k: v\n", "\n  // z\n", "0..*",
}

func randomSource(rng *rand.Rand) string {
	var b strings.Builder
	n := 1 + rng.IntN(14)
	for range n {
		b.WriteString(randomTokens[rng.IntN(len(randomTokens))])
	}
	return b.String()
}

// nomnomlConfigJSON is c in the shape of nomnoml's config object, as JSON.
func nomnomlConfigJSON(c *Config) any {
	text := func(t TextStyle) map[string]any {
		return map[string]any{"bold": t.Bold, "underline": t.Underline, "italic": t.Italic, "center": t.Center}
	}
	styles := map[string]any{}
	for name, s := range c.Styles {
		st := map[string]any{"title": text(s.Title), "body": text(s.Body), "dashed": s.Dashed, "visual": s.Visual}
		if s.Fill != "" {
			st["fill"] = s.Fill
		}
		if s.Stroke != "" {
			st["stroke"] = s.Stroke
		}
		if s.Direction != "" {
			st["direction"] = s.Direction
		}
		styles[name] = st
	}
	m := map[string]any{
		"arrowSize": c.ArrowSize, "bendSize": c.BendSize, "direction": c.Direction, "gutter": c.Gutter,
		"edgeMargin": c.EdgeMargin, "gravity": c.Gravity, "edges": c.Edges, "fill": c.Fill,
		"background": c.Background, "fillArrows": c.FillArrows, "font": c.Font, "fontSize": c.FontSize,
		"leading": c.Leading, "lineWidth": c.LineWidth, "padding": c.Padding, "spacing": c.Spacing,
		"stroke": c.Stroke, "title": c.Title, "zoom": c.Zoom, "ranker": c.Ranker, "styles": styles,
	}
	if c.Acyclicer != "" {
		m["acyclicer"] = c.Acyclicer
	}
	b, _ := json.Marshal(m)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// normalizeNomnomlConfig applies the documented differences: #fill colours are
// trimmed, a number that is not finite (null in JSON) keeps the default, and an
// empty fill= or stroke= in a style is the same as none.
func normalizeNomnomlConfig(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	defaults := DefaultConfig()
	def := map[string]float64{"arrowSize": defaults.ArrowSize, "bendSize": defaults.BendSize,
		"gutter": defaults.Gutter, "edgeMargin": defaults.EdgeMargin, "fontSize": defaults.FontSize,
		"leading": defaults.Leading, "lineWidth": defaults.LineWidth, "padding": defaults.Padding,
		"spacing": defaults.Spacing, "zoom": defaults.Zoom}
	for k, d := range def {
		if m[k] == nil {
			m[k] = d
		}
	}
	if styles, ok := m["styles"].(map[string]any); ok {
		for _, st := range styles {
			if st, ok := st.(map[string]any); ok {
				for _, k := range []string{"fill", "stroke"} {
					if st[k] == "" {
						delete(st, k)
					}
				}
			}
		}
	}
	if fills, ok := m["fill"].([]any); ok {
		for i, f := range fills {
			if s, ok := f.(string); ok {
				fills[i] = strings.TrimSpace(s)
			}
		}
	}
	if m["gravity"] == nil {
		m["gravity"] = float64(1)
	}
	return m
}

func compareConfigs(t *testing.T, files []string) {
	t.Helper()
	recs := nomnomlRun(t, files, true)
	for _, f := range files {
		rec := recs[f]
		if rec.Config == nil {
			continue // a parse error: nomnoml has no config
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(string(src))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		want := normalizeNomnomlConfig(rec.Config)
		if got := nomnomlConfigJSON(d.Config()); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: config differs from nomnoml\n  source: %q\n  first difference: %s", f, src, firstDiff("", want, got))
		}
	}
}

// TestConformanceConfig compares Config with nomnoml's config for the corpus and
// for random directive values.
func TestConformanceConfig(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.nomnoml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 7))
	keys := []string{"arrowSize", "bendSize", "direction", "gutter", "edgeMargin", "gravity", "edges", "fill",
		"background", "fillArrows", "font", "fontSize", "leading", "lineWidth", "padding", "spacing", "stroke",
		"title", "zoom", "acyclicer", "ranker", ".box", ".class", ".note", ".x_1"}
	values := []string{"", "0", "1", "-2", "2.5", "1e1", "0x10", ".5", "5.", "abc", "Infinity", " 7 ", "1_0",
		"right", "down", "hard", "true", "false", "greedy", "longest-path", "tight-tree", "#fff; #eee;#ddd",
		"fill=#8f8 dashed", "visual=ellipse title=bold", "title=left,italic body=center,bold,underline",
		"bold italic underline align=left", "stroke=#f00 direction=right visual=database", "fill= x=y dashed",
		"subtitle=bold", "visual=", "direction=down fill=red fill=blue"}
	for i := range 300 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString("#" + keys[rng.IntN(len(keys))] + ": " + values[rng.IntN(len(values))] + "\n")
		}
		b.WriteString("[a]\n")
		f := filepath.Join(dir, fmt.Sprintf("c%03d.nomnoml", i))
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	compareConfigs(t, files)
}

// TestCorpusRecorded compares ParseJSON with nomnoml's results recorded next to each
// corpus file (X.json beside X.nomnoml), so the parser is checked against nomnoml
// even where node is missing. `go test -run TestCorpusRecorded -update` records
// them again by running nomnoml.
func TestCorpusRecorded(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.nomnoml"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		for f, v := range nomnomlParse(t, files) {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(strings.TrimSuffix(f, ".nomnoml")+".json", append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range files {
		rec, err := os.ReadFile(strings.TrimSuffix(f, ".nomnoml") + ".json")
		if err != nil {
			t.Errorf("%v (record with -update)", err)
			continue
		}
		var want, got any
		if err := json.Unmarshal(rec, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := ParseJSON(string(src))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if err := json.Unmarshal(js, &got); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: differs from nomnoml's recorded parse: %s", f, firstDiff("", want, got))
		}
	}
}
