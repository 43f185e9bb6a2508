package render

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentPNGsMatchSoloRenders draws different diagrams from several
// goroutines at once, as the bot and the web server do, and wants each picture
// byte for byte as the same diagram drawn alone: the strips, deflaters, scratch
// arenas and glyph caches they share must not leak one picture into another.
func TestConcurrentPNGsMatchSoloRenders(t *testing.T) {
	big, bigLive := benchDiagram(60)
	cases := []struct {
		name string
		src  string
		live map[string]NodeStatus
	}{
		{"chain", "[a]->[b]\n[b]-->[c]", nil},
		{"mixed scripts", "[📦 foldwrap] -> [数据库]\n[Сервер] -> [שלום עולם]\n[مرحبا] -> [📦 foldwrap]", map[string]NodeStatus{"foldwrap": {Status: "ok"}}},
		{"frames", "#fontSize: 20\n[<frame> host|[api]->[db]]\n[<table> t| a | b || c | d]", map[string]NodeStatus{"db": {Status: "error", Lines: []string{"timeout"}}}},
		{"dashed underlined", "#.s: fill=#fff dashed title=underline,bold\n[<s> styled]o<-)[<database> db]\n[<actor> me]-:>[<note> note]", nil},
		{"zoomed", "#zoom: 3\n[<start> s]->[<choice> c]->[<end> e]", nil},
		{"many nodes", big, bigLive},
	}
	want := make([][]byte, len(cases))
	for i, c := range cases {
		out, err := RenderPNG(c.src, c.live)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want[i] = out
	}
	const rounds = 3
	var wg sync.WaitGroup
	errs := make(chan error, len(cases)*rounds)
	for r := 0; r < rounds; r++ {
		for i, c := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := RenderPNG(c.src, c.live)
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s: %v", c.name, err)
				case !bytes.Equal(got, want[i]):
					errs <- fmt.Errorf("%s: %d bytes drawn alongside others differ from the %d drawn alone", c.name, len(got), len(want[i]))
				}
				// a caller may keep or scribble on its picture: the next render must not care
				clear(got)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, c := range cases {
		if out, err := RenderPNG(c.src, c.live); err != nil || !bytes.Equal(out, want[i]) {
			t.Errorf("%s: drawn again after the others, differs (err %v)", c.name, err)
		}
	}
}
