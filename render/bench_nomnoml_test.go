package render

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

var nomnomlMsRe = regexp.MustCompile(`nomnoml renderSvg: ([0-9.]+) ms/op`)

// BenchmarkPNGvsNomnoml draws each benchmark map to PNG, then has nomnoml 1.7.0 render the
// same source to SVG in node as often, and reports both times and our speedup side by side:
//
//	go test ./render -run '^$' -bench PNGvsNomnoml -benchtime 5x
//
// It needs node and `npm ci` in render/conformance.
func BenchmarkPNGvsNomnoml(b *testing.B) {
	script := filepath.Join("conformance", "bench.mjs")
	if _, err := os.Stat(filepath.Join("conformance", "node_modules", "nomnoml")); err != nil {
		b.Skip("nomnoml is not installed: run npm ci in render/conformance")
	}
	sharedFonts()
	for _, n := range []int{20, 100, 500} {
		src, _ := benchDiagram(n)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := RenderPNG(src, nil); err != nil {
					b.Fatal(err)
				}
			}
			ours := float64(time.Since(start).Microseconds()) / 1000 / float64(b.N)
			b.StopTimer()
			out, err := exec.Command("node", script, strconv.Itoa(b.N), strconv.Itoa(n)).CombinedOutput()
			if err != nil {
				b.Fatalf("node: %v\n%s", err, out)
			}
			m := nomnomlMsRe.FindSubmatch(out)
			if m == nil {
				b.Fatalf("no timing in node's output:\n%s", out)
			}
			theirs, _ := strconv.ParseFloat(string(m[1]), 64)
			b.ReportMetric(ours, "png-ms/op")
			b.ReportMetric(theirs, "nomnoml-svg-ms/op")
			b.ReportMetric(theirs/ours, "speedup")
		})
	}
}
