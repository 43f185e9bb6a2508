package render

import (
	"fmt"
	"math"
)

// RenderPNG draws a nomnoml source as a PNG, two pixels per diagram unit (smaller
// when needed to keep width+height within Telegram's 10000). Nodes whose name is a
// key of live are coloured by status and get the status lines in an added compartment.
func RenderPNG(src string, live map[string]NodeStatus) ([]byte, error) {
	sc, _, err := buildScene(src, live)
	if err != nil {
		return nil, err
	}
	return sc.png()
}

// RenderSVG draws a nomnoml source as SVG. Text stays text (no embedded font), so
// the file is small and selectable; the viewer's fonts draw it.
func RenderSVG(src string, live map[string]NodeStatus) ([]byte, error) {
	sc, opts, err := buildScene(src, live)
	if err != nil {
		return nil, err
	}
	return sc.svg(opts.title), nil
}

// maxNodes bounds the work one source may cause; beyond it the layout and drawing
// would take minutes and the picture would be unreadable anyway.
const maxNodes = 5000

func buildScene(src string, live map[string]NodeStatus) (*scene, *drawOpts, error) {
	fs := sharedFonts()
	if fs.err != nil {
		return nil, nil, fmt.Errorf("render: %w", fs.err)
	}
	d, err := Parse(src)
	if err != nil {
		return nil, nil, err
	}
	if d == nil || d.Root == nil {
		return nil, nil, fmt.Errorf("render: empty diagram")
	}
	if n := countNodes(d.Root, 0); n > maxNodes {
		return nil, nil, fmt.Errorf("render: %d nodes, at most %d can be drawn", n, maxNodes)
	}
	opts := optionsFromConfig(d.Config())
	lay := &layouter{opts: opts, fonts: fs, live: live}
	root := lay.compartment(d.Root, 0, opts.styles["class"], opts.direction, 0)
	sc := &scene{fonts: fs, fontFamily: opts.font}
	sc.background = parseColor(opts.background)
	z := opts.zoom
	sc.w, sc.h = math.Max(1, root.w*z), math.Max(1, root.h*z)
	dr := &drawer{opts: opts, sc: sc, z: z}
	dr.compartment(root, 0, 0, paint{}, opts.styles["class"].title, 0)
	return sc, opts, nil
}

func countNodes(p *Part, depth int) int {
	if p == nil || depth > 100 {
		return 0
	}
	n := 0
	for _, nd := range p.Nodes {
		if nd == nil {
			continue
		}
		n++
		for _, c := range nd.Parts {
			n += countNodes(c, depth+1)
		}
	}
	return n
}

// textStyle is how one compartment's lines are written.
type textStyle struct {
	bold, underline, italic, center bool
}

// nodeStyle is a type's look: nomnoml's built-in or a `#.name:` custom style.
type nodeStyle struct {
	title, body textStyle
	dashed      bool
	fill        string
	stroke      string
	visual      string
	direction   string // "" inherits the diagram's direction
}

// drawOpts are the directives with nomnoml 1.7.0's defaults.
type drawOpts struct {
	arrowSize, bendSize float64
	direction           string
	gutter, edgeMargin  float64
	gravity             int
	edges               string
	fill                []string
	background          string
	fillArrows          bool
	font                string
	fontSize, leading   float64
	lineWidth           float64
	padding, spacing    float64
	stroke              string
	title               string
	zoom                float64
	acyclicer, ranker   string
	styles              map[string]*nodeStyle
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func fromTextStyle(t TextStyle) textStyle {
	return textStyle{bold: t.Bold, underline: t.Underline, italic: t.Italic, center: t.Center}
}

func fromStyle(s Style) *nodeStyle {
	return &nodeStyle{title: fromTextStyle(s.Title), body: fromTextStyle(s.Body), dashed: s.Dashed,
		fill: s.Fill, stroke: s.Stroke, visual: s.Visual, direction: s.Direction}
}

// optionsFromConfig takes the directives as nomnoml reads them and bounds the values
// that would otherwise turn a hostile source into a huge or invisible picture.
func optionsFromConfig(c *Config) *drawOpts {
	o := &drawOpts{
		arrowSize:  clamp(finite(c.ArrowSize, 1), 0.1, 10),
		bendSize:   clamp(finite(c.BendSize, 0.3), 0, 10),
		direction:  c.Direction,
		gutter:     clamp(finite(c.Gutter, 20), 0, 500),
		edgeMargin: clamp(finite(c.EdgeMargin, 0), 0, 500),
		gravity:    int(clamp(float64(c.Gravity), 0, 16)),
		edges:      c.Edges,
		fill:       c.Fill,
		background: c.Background,
		fillArrows: c.FillArrows,
		font:       c.Font,
		fontSize:   clamp(finite(c.FontSize, 12), 4, 200),
		leading:    clamp(finite(c.Leading, 1.35), 0.5, 10),
		lineWidth:  clamp(finite(c.LineWidth, 3), 0.1, 50),
		padding:    clamp(finite(c.Padding, 8), 0, 500),
		spacing:    clamp(finite(c.Spacing, 40), 1, 1000),
		stroke:     c.Stroke,
		title:      c.Title,
		zoom:       clamp(finite(c.Zoom, 1), 0.1, 10),
		acyclicer:  c.Acyclicer,
		ranker:     c.Ranker,
		styles:     map[string]*nodeStyle{},
	}
	if len(o.fill) == 0 {
		o.fill = []string{"#eee8d5"}
	}
	if o.direction != "LR" {
		o.direction = "TB"
	}
	for k, st := range c.Styles {
		o.styles[k] = fromStyle(st)
	}
	if _, ok := o.styles["class"]; !ok {
		o.styles["class"] = fromStyle(c.Style("class"))
	}
	return o
}

func finite(v, def float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return def
	}
	return v
}
