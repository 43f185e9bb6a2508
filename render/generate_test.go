package render

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sampleItems is a small real-looking setup: two hosts with docker, tmux and
// systemd, a check without a host and dependencies inside and across hosts.
func sampleItems() []Item {
	return []Item{
		{Name: "nginx", Host: "web1", Runtime: "docker", Deps: []string{"api"}},
		{Name: "api", Host: "web1", Runtime: "docker", Deps: []string{"postgres", "redis"}},
		{Name: "redis", Host: "web1", Runtime: "docker"},
		{Name: "foldwrap", Host: "web1", Runtime: "tmux", Deps: []string{"api"}},
		{Name: "disk /", Host: "web1"},
		{Name: "postgres", Host: "db1", Runtime: "systemd"},
		{Name: "backup", Host: "db1", Runtime: "cron", Deps: []string{"postgres", "s3"}},
		{Name: "s3", Deps: []string{"dns"}},
		{Name: "dns"},
		{Name: "tls example.org", Deps: []string{"nginx", "nosuch"}},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestGenerateGolden(t *testing.T) {
	src := Generate(sampleItems())
	golden(t, "generate/sample.nomnoml", src)
	// The same map is in the conformance corpus, so nomnoml is known to parse it.
	golden(t, "corpus/generated_statusmap.nomnoml", src)
}

func TestGenerateDeterministic(t *testing.T) {
	items := sampleItems()
	want := Generate(items)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		if got := Generate(items); got != want {
			t.Fatalf("output depends on input order:\n%s\nvs\n%s", got, want)
		}
	}
}

// where finds the node with id in the tree: the ids of its containers and the
// part that holds it.
func where(p *Part, id string, outer []string) ([]string, *Part, bool) {
	for _, n := range p.Nodes {
		if n.ID == id && len(n.Parts) == 1 {
			return outer, p, true
		}
		for _, sub := range n.Parts[1:] {
			if o, part, ok := where(sub, id, append(slices.Clone(outer), n.ID)); ok {
				return o, part, true
			}
		}
	}
	return nil, nil, false
}

func TestGenerateStructure(t *testing.T) {
	d, err := Parse(Generate(sampleItems()))
	if err != nil {
		t.Fatal(err)
	}
	places := map[string][]string{
		"nginx": {"web1", "🐳 docker"}, "api": {"web1", "🐳 docker"}, "redis": {"web1", "🐳 docker"},
		"foldwrap": {"web1", "🐢 tmux"}, "disk /": {"web1"}, "postgres": {"db1", "⚙ systemd"},
		"backup": {"db1", "📦 cron"}, "s3": nil, "dns": nil, "tls example.org": nil,
	}
	for name, want := range places {
		got, _, ok := where(d.Root, name, nil)
		if !ok {
			t.Errorf("%q is not on the map", name)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q is in %v, want %v", name, got, want)
		}
	}
	types := map[string]string{}
	for _, h := range d.Root.Nodes {
		types[h.ID] = h.Type
		for _, g := range h.Parts[len(h.Parts)-1].Nodes {
			types[g.ID] = g.Type
		}
	}
	for id, typ := range map[string]string{"web1": "frame", "db1": "frame", "🐳 docker": "rt_docker",
		"🐢 tmux": "rt_tmux", "⚙ systemd": "rt_systemd", "📦 cron": "rt_other"} {
		if types[id] != typ {
			t.Errorf("%q has type %q, want %q", id, types[id], typ)
		}
	}
	c := d.Config()
	for _, typ := range []string{"rt_docker", "rt_tmux", "rt_systemd", "rt_other"} {
		if _, ok := c.Styles[typ]; !ok {
			t.Errorf("style %q is not defined", typ)
		}
	}
	if c.Style("rt_docker").Fill == c.Style("rt_tmux").Fill || c.Style("rt_docker").Visual == c.Style("rt_tmux").Visual {
		t.Error("docker and tmux groups look the same")
	}

	type edge struct{ start, end, sl, el string }
	edges := map[string][]edge{} // by the container holding them, "" = top level
	var walk func(p *Part, at string)
	walk = func(p *Part, at string) {
		for _, a := range p.Assocs {
			edges[at] = append(edges[at], edge{a.Start, a.End, a.StartLabel.Text, a.EndLabel.Text})
		}
		for _, n := range p.Nodes {
			for _, sub := range n.Parts {
				walk(sub, n.ID)
			}
		}
	}
	walk(d.Root, "")
	want := map[string][]edge{
		"🐳 docker": {{"api", "redis", "", ""}, {"nginx", "api", "", ""}},
		"web1":     {{"🐢 tmux", "🐳 docker", "foldwrap", "api"}},
		"db1":      {{"📦 cron", "⚙ systemd", "backup", "postgres"}},
		"":         {{"web1", "db1", "api", "postgres"}, {"db1", "s3", "backup", ""}, {"s3", "dns", "", ""}, {"tls example.org", "web1", "", "nginx"}},
	}
	for at, w := range want {
		if !slices.Equal(edges[at], w) {
			t.Errorf("edges in %q = %v, want %v", at, edges[at], w)
		}
	}
}

func TestGenerateSafeNames(t *testing.T) {
	names := []string{"a[1]", "b|c", "d;e", `back\slash`, "<x>", "multi\nline", "dash-o-name", "n\\n",
		"x\r//y", "q\r#z", "o", "-", "[web1]", "-> [evil]", "web1"}
	var items []Item
	for i, n := range names {
		it := Item{Name: n, Deps: []string{names[(i+1)%len(names)]}}
		if i%3 == 1 {
			it.Host, it.Runtime = "h[1]", "rt|x"
		}
		if i%3 == 2 && n != "web1" {
			it.Host = "web1"
		}
		items = append(items, it)
	}
	src := Generate(items)
	// In the corpus too, so the conformance test checks that nomnoml reads it the same.
	golden(t, "corpus/generated_tricky_names.nomnoml", src)
	d, err := Parse(src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	for _, n := range names {
		if _, _, ok := where(d.Root, n, nil); !ok {
			t.Errorf("%q is not a node of\n%s", n, src)
		}
	}
	// The host "web1" and the check "web1" are different nodes at the top level.
	count := 0
	for _, n := range d.Root.Nodes {
		if len(n.Parts) > 0 && len(n.Parts[0].Lines) > 0 && n.Parts[0].Lines[0] == "web1" {
			count++
		}
	}
	if count != 2 {
		t.Errorf("%d top-level nodes titled web1, want the host and the check\n%s", count, src)
	}
	if got := strings.Count(src, "-->") + strings.Count(src, "] -> ["); got != len(names) {
		t.Errorf("%d edges, want %d\n%s", got, len(names), src)
	}
}

func TestGenerateEmpty(t *testing.T) {
	d, err := Parse(Generate(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Root.Nodes) != 0 {
		t.Errorf("nodes in an empty map: %+v", d.Root.Nodes)
	}
}

// FuzzGenerate: whatever the names, the generated map parses and holds every check.
func FuzzGenerate(f *testing.F) {
	f.Add("api", "web1", "docker", "db", "db1", "", "x")
	f.Add("a-o->b", "h|1", "rt;x", "[c]", "", "tmux", "\\n")
	f.Add("x\r//y", "\u2028#h", "web1", "web1", "web1", "web1", "o")
	f.Fuzz(func(t *testing.T, n1, h1, r1, n2, h2, r2, n3 string) {
		items := []Item{
			{Name: n1, Host: h1, Runtime: r1, Deps: []string{n2, n3}},
			{Name: n2, Host: h2, Runtime: r2, Deps: []string{n1}},
			{Name: n3, Host: h1, Runtime: r2, Deps: []string{n2}},
		}
		src := Generate(items)
		d, err := Parse(src)
		if err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		for _, it := range items {
			id := jsTrim(it.Name)
			if strings.TrimSpace(it.Name) == "" || id != it.Name || !utf8.ValidString(it.Name) {
				continue // names are trimmed like every nomnoml text; config text is UTF-8
			}
			if _, _, ok := where(d.Root, id, nil); !ok {
				t.Fatalf("%q is missing from\n%s", id, src)
			}
		}
	})
}

// benchItems is a map of n checks on n/10 hosts, with dependencies.
func benchItems(n int) []Item {
	runtimes := []string{"docker", "tmux", "systemd", "", "cron"}
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{
			Name:    fmt.Sprintf("check-%03d", i),
			Host:    fmt.Sprintf("host-%02d", i%max(1, n/10)),
			Runtime: runtimes[i%len(runtimes)],
		}
		if i > 0 {
			items[i].Deps = []string{fmt.Sprintf("check-%03d", (i*7)%i)}
		}
	}
	return items
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{20, 100, 500} {
		items := benchItems(n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Generate(items)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{20, 100, 500} {
		src := Generate(benchItems(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := Parse(src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
