//go:build unix

package render

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system time: on a shared machine the wall clock of
// a benchmark mostly measures the neighbours, the CPU time measures the renderer.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDiagram builds a status map of n checks: hosts as frames (about 20 checks
// each) with a docker and a tmux group, chains of dependencies inside a group and a
// few across groups, and a live status for every check. The same sources are timed
// through nomnoml by render/conformance/bench.mjs (`node bench.mjs`).
func benchDiagram(n int) (string, map[string]NodeStatus) {
	var b strings.Builder
	live := map[string]NodeStatus{}
	statuses := []string{"ok", "ok", "ok", "warn", "error", "ok", "skip", "paused"}
	perHost := 20
	for h := 0; h*perHost < n; h++ {
		fmt.Fprintf(&b, "[<frame> host%d|\n", h)
		for g, group := range []string{"docker", "tmux"} {
			fmt.Fprintf(&b, "  [%s %d|\n", group, h)
			first := h*perHost + g*perHost/2
			for i := first; i < first+perHost/2 && i < n; i++ {
				name := fmt.Sprintf("check%d", i)
				fmt.Fprintf(&b, "    [%s]\n", name)
				if i > first && i%3 != 0 {
					fmt.Fprintf(&b, "    [check%d] -> [%s]\n", i-1, name)
				}
				if i > first+2 && i%4 == 0 {
					fmt.Fprintf(&b, "    [check%d] --> [%s]\n", i-3, name)
				}
				live[name] = NodeStatus{Status: statuses[i%len(statuses)], Lines: []string{fmt.Sprintf("%d ms", 3+i%40), "up 99.9%"}}
			}
			b.WriteString("  ]\n")
		}
		b.WriteString("]\n")
	}
	return b.String(), live
}

// TestBenchSources keeps testdata/bench/ (the sources bench.mjs times through
// nomnoml) equal to what the benchmarks render; -update rewrites them.
func TestBenchSources(t *testing.T) {
	for _, n := range []int{20, 100, 500} {
		src, _ := benchDiagram(n)
		path := fmt.Sprintf("testdata/bench/nodes-%d.nomnoml", n)
		if goldenUpdating() {
			if err := os.MkdirAll("testdata/bench", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != src {
			t.Errorf("%s is stale (err %v): run with -update", path, err)
		}
	}
}

func TestBenchDiagramSize(t *testing.T) {
	for _, n := range []int{20, 100, 500} {
		src, live := benchDiagram(n)
		d, err := Parse(src)
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		// checks plus host frames and groups
		if got := countNodes(d.Root, 0); got < n || len(live) != n {
			t.Errorf("%d: %d nodes, %d live", n, got, len(live))
		}
	}
}

// go test ./render -run '^$' -bench 'BenchmarkRender' -benchtime 5x
func BenchmarkRenderPNG(b *testing.B) { benchRender(b, RenderPNG) }

func BenchmarkRenderSVG(b *testing.B) { benchRender(b, RenderSVG) }

// benchRender times one output format on the 20, 100 and 500 node maps, live overlay included.
func benchRender(b *testing.B, draw func(string, map[string]NodeStatus) ([]byte, error)) {
	sharedFonts()
	for _, n := range []int{20, 100, 500} {
		src, live := benchDiagram(n)
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := draw(src, live); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
