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
	out := map[string]any{}
	// Batches keep the command line short.
	for len(files) > 0 {
		batch := files[:min(len(files), 200)]
		files = files[len(batch):]
		cmd := exec.Command(node, append([]string{filepath.Join("conformance", "parse.mjs")}, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("node parse.mjs: %v\n%s", err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec struct {
				File   string `json:"file"`
				Result any    `json:"result"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("parse.mjs output: %v: %s", err, sc.Text())
			}
			out[rec.File] = rec.Result
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
}

func randomSource(rng *rand.Rand) string {
	var b strings.Builder
	n := 1 + rng.IntN(14)
	for range n {
		b.WriteString(randomTokens[rng.IntN(len(randomTokens))])
	}
	return b.String()
}
