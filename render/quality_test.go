package render

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The quality table lays out every diagram of the corpus with our engine and
// with nomnoml 1.7.0 itself (conformance/layout.mjs), both with the same
// fixed-width text measurer, and compares the figures compartment by compartment.

// qtConfig is the part of nomnoml's configuration that decides node sizes and layout.
type qtConfig struct {
	direction, ranker, acyclicer        string
	spacing, padding, fontSize, leading float64
	gutter, edgeMargin, lineWidth       float64
	gravity                             int
	styleVisual, styleDirection         map[string]string
}

func qtDirectives(ds []Directive) qtConfig {
	c := qtConfig{direction: "TB", spacing: 40, padding: 8, fontSize: 12, leading: 1.35, gutter: 20, lineWidth: 3, gravity: 1,
		styleVisual: map[string]string{}, styleDirection: map[string]string{}}
	num := func(v string, def float64) float64 {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f == 0 || math.IsNaN(f) {
			return def
		}
		return f
	}
	for _, d := range ds {
		v := d.Value
		switch d.Key {
		case "direction":
			c.direction = "TB"
			if v == "right" {
				c.direction = "LR"
			}
		case "spacing":
			c.spacing = num(v, 40)
		case "padding":
			c.padding = num(v, 8)
		case "fontSize":
			c.fontSize = num(v, 12)
		case "leading":
			c.leading = num(v, 1.35)
		case "gutter":
			c.gutter = num(v, 20)
		case "edgeMargin":
			c.edgeMargin = num(v, 0)
		case "lineWidth":
			c.lineWidth = num(v, 3)
		case "gravity":
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				c.gravity = int(math.Floor(f + 0.5))
			}
		case "ranker":
			c.ranker = v
		case "acyclicer":
			c.acyclicer = v
		default:
			if strings.HasPrefix(d.Key, ".") {
				name := d.Key[1:]
				for _, f := range strings.Fields(v) {
					if s, ok := strings.CutPrefix(f, "visual="); ok {
						c.styleVisual[name] = s
					}
					if s, ok := strings.CutPrefix(f, "direction="); ok {
						c.styleDirection[name] = s
					}
				}
			}
		}
	}
	return c
}

var qtBuiltinVisual = map[string]string{
	"class": "class", "abstract": "class", "instance": "class", "reference": "class", "note": "note",
	"package": "package", "frame": "frame", "database": "database", "pipe": "pipe", "start": "start",
	"end": "end", "state": "roundrect", "choice": "rhomb", "sync": "sync", "input": "input", "sender": "sender",
	"receiver": "receiver", "transceiver": "transceiver", "actor": "actor", "usecase": "ellipse", "label": "none",
	"hidden": "hidden", "table": "table", "lollipop": "lollipop", "socket": "socket",
}

// qtCompartment is one laid out compartment of our side.
type qtCompartment struct {
	path string
	g    *LayoutGraph
	res  *LayoutResult
}

// qtLines measures text lines as a fixed font of 7 px per character.
func (c *qtConfig) lines(ls []string) (float64, float64) {
	if len(ls) == 0 {
		return 0, c.padding
	}
	w := 0.0
	for _, l := range ls {
		w = math.Max(w, 7*float64(len([]rune(l))))
	}
	return math.Round(w + 2*c.padding), math.Round(c.leading*c.fontSize*float64(len(ls)) + 2*c.padding)
}

// layoutPart lays out a compartment (recursively) and returns its size.
func (c *qtConfig) layoutPart(p *Part, dir, path string, out *[]qtCompartment) (float64, float64) {
	tw, th := c.lines(p.Lines)
	if len(p.Nodes) == 0 && len(p.Assocs) == 0 {
		return tw, th
	}
	g := &LayoutGraph{}
	idx := map[string]int{}
	for _, n := range p.Nodes {
		w, h := c.layoutNode(n, dir, path, out)
		idx[n.ID] = len(g.Nodes)
		g.Nodes = append(g.Nodes, LayoutNode{ID: n.ID, W: w + 2*c.edgeMargin, H: h + 2*c.edgeMargin})
	}
	for _, a := range p.Assocs {
		f, ok1 := idx[a.Start]
		t, ok2 := idx[a.End]
		if ok1 && ok2 {
			g.Edges = append(g.Edges, LayoutEdge{From: f, To: t})
		}
	}
	o := LayoutOptions{RankDir: dir, NodeSep: c.spacing, EdgeSep: c.spacing, RankSep: c.spacing,
		Ranker: c.ranker, Acyclicer: c.acyclicer, MinLen: c.gravity}
	res := Layout(g, o)
	if len(g.Nodes) > 0 {
		*out = append(*out, qtCompartment{path: path, g: g, res: res})
	}
	gw, gh := 0.0, 0.0
	if res.Width > 0 {
		gw = res.Width + 2*c.gutter
	}
	if res.Height > 0 {
		gh = res.Height + 2*c.gutter
	}
	return math.Max(tw, gw) + 2*c.padding, th + gh + c.padding
}

// layoutNode sizes a node by nomnoml's shape rules after laying out its parts.
func (c *qtConfig) layoutNode(n *Node, dir, path string, out *[]qtCompartment) (float64, float64) {
	visual, ok := c.styleVisual[n.Type]
	if !ok {
		visual = qtBuiltinVisual[n.Type]
	}
	if visual == "" {
		visual = "class"
	}
	childDir := c.direction
	if d, ok := c.styleDirection[n.Type]; ok && d == "right" {
		childDir = "LR"
	} else if ok && d == "down" {
		childDir = "TB"
	}
	if visual == "table" {
		return c.layoutTable(n, childDir, path, out)
	}
	W, H := 0.0, 0.0
	for i, p := range n.Parts {
		w, h := c.layoutPart(p, childDir, fmt.Sprintf("%s/%s#%d", path, n.ID, i), out)
		if i == 0 && visual == "frame" {
			w += h / 2 // the frame's name tag
		}
		W = math.Max(W, w)
		H += h
	}
	fs := c.fontSize
	switch visual {
	case "database":
		H += 2 * c.padding
	case "ellipse":
		W, H = 1.25*W, 1.25*H
	case "rhomb":
		W, H = 1.5*W, 1.5*H
	case "actor":
		W, H = math.Max(2*c.padding, W), 3*c.padding+H
	case "start", "end":
		W, H = 2.5*fs, 2.5*fs
	case "sync":
		W, H = 5*fs, 3*c.lineWidth
	case "hidden":
		W, H = 1, 1
	case "lollipop", "socket":
		W, H = 1.5*fs, 1.5*fs
	}
	return W, H
}

// layoutTable sizes a table: part 0 is the header, the other parts are cells,
// an empty part starts a new row; all columns are as wide as the widest cell,
// the first row sets their number, each row is as tall as its tallest cell.
func (c *qtConfig) layoutTable(n *Node, dir, path string, out *[]qtCompartment) (float64, float64) {
	if len(n.Parts) == 0 {
		return 0, 0
	}
	hw, hh := c.layoutPart(n.Parts[0], dir, path+"/"+n.ID+"#0", out)
	cols, firstRow := 0, true
	cellW, rowH, H := 0.0, 0.0, hh
	for i, p := range n.Parts[1:] {
		if len(p.Lines) == 0 && len(p.Nodes) == 0 {
			H += rowH
			rowH, firstRow = 0, false
			continue
		}
		w, h := c.layoutPart(p, dir, fmt.Sprintf("%s/%s#%d", path, n.ID, i+1), out)
		cellW, rowH = math.Max(cellW, w), math.Max(rowH, h)
		if firstRow {
			cols++
		}
	}
	H += rowH
	return math.Max(hw, float64(cols)*cellW), H
}

// qtOurs lays out a diagram with our engine, compartments in pre-order.
func qtOurs(d *Diagram) []qtCompartment {
	c := qtDirectives(d.Directives)
	var out []qtCompartment
	c.layoutPart(d.Root, c.direction, "root", &out)
	return out
}

// qtNomnomlCompartment is one compartment as layout.mjs prints it.
type qtNomnomlCompartment struct {
	Path  string `json:"path"`
	Nodes []struct {
		ID     string  `json:"id"`
		X      float64 `json:"x"`
		Y      float64 `json:"y"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	} `json:"nodes"`
	Edges []struct {
		Start string        `json:"start"`
		End   string        `json:"end"`
		Path  []LayoutPoint `json:"path"`
	} `json:"edges"`
}

// graph turns nomnoml's layout into a graph and result our Quality can read.
// A drawn edge is nomnoml's path without its first and last point (the node centres).
func (nc *qtNomnomlCompartment) graph() (*LayoutGraph, *LayoutResult) {
	g := &LayoutGraph{}
	res := &LayoutResult{}
	idx := map[string]int{}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, n := range nc.Nodes {
		idx[n.ID] = i
		g.Nodes = append(g.Nodes, LayoutNode{ID: n.ID, W: n.Width, H: n.Height})
		res.Nodes = append(res.Nodes, LayoutNodePos{X: n.X, Y: n.Y, W: n.Width, H: n.Height})
		minX, maxX = math.Min(minX, n.X-n.Width/2), math.Max(maxX, n.X+n.Width/2)
		minY, maxY = math.Min(minY, n.Y-n.Height/2), math.Max(maxY, n.Y+n.Height/2)
	}
	for _, e := range nc.Edges {
		f, ok1 := idx[e.Start]
		t, ok2 := idx[e.End]
		if !ok1 || !ok2 {
			continue
		}
		g.Edges = append(g.Edges, LayoutEdge{From: f, To: t})
		var pts []LayoutPoint
		if len(e.Path) > 2 {
			pts = e.Path[1 : len(e.Path)-1]
		}
		for _, p := range pts {
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
		}
		res.Edges = append(res.Edges, LayoutEdgePath{Points: pts})
	}
	if len(nc.Nodes) > 0 {
		res.Width, res.Height = maxX-minX, maxY-minY
	}
	return g, res
}

// qtNomnoml runs layout.mjs on the files; nil when nomnoml is not installed
// (an error under CI=true).
func qtNomnoml(t *testing.T, files []string) map[string][]qtNomnomlCompartment {
	t.Helper()
	_, errMod := os.Stat(filepath.Join("conformance", "node_modules", "nomnoml"))
	node, errNode := exec.LookPath("node")
	if errMod != nil || errNode != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nomnoml's layout is needed for the comparison (npm ci in render/conformance): %v %v", errMod, errNode)
		}
		t.Logf("nomnoml not installed (npm ci in render/conformance): its column stays empty")
		return nil
	}
	out := map[string][]qtNomnomlCompartment{}
	for len(files) > 0 {
		batch := files[:min(len(files), 200)]
		files = files[len(batch):]
		cmd := exec.Command(node, append([]string{filepath.Join("conformance", "layout.mjs")}, batch...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			t.Fatalf("node layout.mjs: %v\n%s", err, stderr.String())
		}
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var rec struct {
				File         string                 `json:"file"`
				Compartments []qtNomnomlCompartment `json:"compartments"`
				Error        string                 `json:"error"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("layout.mjs output: %v", err)
			}
			if rec.Error == "" {
				out[rec.File] = rec.Compartments
			}
		}
	}
	return out
}

// qtSum adds the figures of all compartments; area and aspect are the root's.
func qtSum(figs []QualityFigures) QualityFigures {
	var s QualityFigures
	for i, f := range figs {
		s.Crossings += f.Crossings
		s.Overlaps += f.Overlaps
		s.EdgesThroughNodes += f.EdgesThroughNodes
		if i == 0 {
			s.Area, s.Aspect = f.Area, f.Aspect
		}
	}
	return s
}

func qtCorpus(t *testing.T) []string {
	var files []string
	for _, dir := range []string{"corpus", "layout"} {
		m, err := filepath.Glob(filepath.Join("testdata", dir, "*.nomnoml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files
}

// TestLayoutQualityTable prints crossings (X), overlaps (O), edges through
// nodes (T), area and aspect of our layout and nomnoml's for every diagram,
// and fails when ours overlaps, runs an edge through a node, or crosses more.
func TestLayoutQualityTable(t *testing.T) {
	files := qtCorpus(t)
	if len(files) == 0 {
		t.Skip("no diagrams in testdata/corpus or testdata/layout")
	}
	theirs := qtNomnoml(t, files)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-34s | %5s %3s %3s %10s %6s | %5s %3s %3s %10s %6s\n", "diagram", "X", "O", "T", "area", "aspect", "nX", "nO", "nT", "n-area", "n-asp")
	var totOurs, totTheirs QualityFigures
	rows := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(string(src))
		if err != nil {
			continue // syntax error cases of the corpus have no layout
		}
		ours := qtOurs(d)
		sort.SliceStable(ours, func(i, j int) bool { return ours[i].path == "root" && ours[j].path != "root" })
		var figs []QualityFigures
		for _, c := range ours {
			figs = append(figs, Quality(c.res, c.g))
		}
		o := qtSum(figs)
		totOurs.Crossings += o.Crossings
		totOurs.Overlaps += o.Overlaps
		totOurs.EdgesThroughNodes += o.EdgesThroughNodes
		name := strings.TrimSuffix(filepath.Base(f), ".nomnoml")
		line := fmt.Sprintf("%-34.34s | %5d %3d %3d %10.0f %6.2f |", name, o.Crossings, o.Overlaps, o.EdgesThroughNodes, o.Area, o.Aspect)
		rows++
		if o.Overlaps > 0 || o.EdgesThroughNodes > 0 {
			t.Errorf("%s: our layout has %d overlaps and %d edges through nodes", f, o.Overlaps, o.EdgesThroughNodes)
		}
		if nc, ok := theirs[f]; ok {
			var nf []QualityFigures
			for i := range nc {
				g, res := nc[i].graph()
				nf = append(nf, Quality(res, g))
			}
			n := qtSum(nf)
			totTheirs.Crossings += n.Crossings
			totTheirs.Overlaps += n.Overlaps
			totTheirs.EdgesThroughNodes += n.EdgesThroughNodes
			line += fmt.Sprintf(" %5d %3d %3d %10.0f %6.2f", n.Crossings, n.Overlaps, n.EdgesThroughNodes, n.Area, n.Aspect)
			if o.Crossings > n.Crossings {
				t.Errorf("%s: %d crossings, nomnoml has %d", f, o.Crossings, n.Crossings)
			}
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "%-34s | %5d %3d %3d %10s %6s |", fmt.Sprintf("TOTAL (%d diagrams)", rows), totOurs.Crossings, totOurs.Overlaps, totOurs.EdgesThroughNodes, "", "")
	if theirs != nil {
		fmt.Fprintf(&b, " %5d %3d %3d", totTheirs.Crossings, totTheirs.Overlaps, totTheirs.EdgesThroughNodes)
	}
	t.Log(b.String())
}
