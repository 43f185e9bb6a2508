package render

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Typed configuration of a diagram, read from its directives the way nomnoml 1.7.0
// reads them:
//
//	d, _ := Parse(src)
//	cfg := d.Config()              // every directive with nomnoml's defaults
//	st := cfg.Style(node.Type)     // built-in or `#.name:` style; unknown types are "class"
//	fill := cfg.FillFor(level, st) // node fill: style fill, else #fill for the nesting level
//
// Numeric directives follow `+value || default`: a value that is not a number, or
// is 0, gives the default. The last of repeated directives wins. Two deliberate
// differences from nomnoml: an infinite value (#padding: Infinity) and a #gravity
// that is no number also give the default, and #fill colours are trimmed.

// Config is every nomnoml directive, with nomnoml's defaults.
type Config struct {
	ArrowSize  float64  // #arrowSize, 1
	BendSize   float64  // #bendSize, 0.3
	Direction  string   // #direction: "TB" (down, default) or "LR" (right)
	Gutter     float64  // #gutter, 20
	EdgeMargin float64  // #edgeMargin, 0
	Gravity    int      // #gravity, 1 (rounded; 0 allowed)
	Edges      string   // #edges: "rounded" (default) or "hard"
	Fill       []string // #fill: one colour per nesting level, ';'-separated
	Background string   // #background, "transparent"
	FillArrows bool     // #fillArrows, only the exact value "true"
	Font       string   // #font, "Helvetica"
	FontSize   float64  // #fontSize, 12
	Leading    float64  // #leading, 1.35
	LineWidth  float64  // #lineWidth, 3
	Padding    float64  // #padding, 8
	Spacing    float64  // #spacing, 40
	Stroke     string   // #stroke, "#33322E"
	Title      string   // #title, ""
	Zoom       float64  // #zoom, 1
	Acyclicer  string   // #acyclicer: "" or "greedy"
	Ranker     string   // #ranker: "network-simplex" (default), "tight-tree" or "longest-path"
	// Styles maps a node type to its style: the built-in types, replaced or extended
	// by `#.name: ...` directives.
	Styles map[string]Style
}

// TextStyle is how the title (first compartment) or the body of a node is set.
type TextStyle struct {
	Bold, Underline, Italic, Center bool
}

// Style is the look of a node type.
type Style struct {
	Title, Body TextStyle
	Dashed      bool
	Fill        string // "" = the #fill colour of the nesting level
	Stroke      string // "" = the diagram's stroke; also the text colour
	// Visual is the shape: class, actor, database, ellipse, end, frame, hidden, input,
	// lollipop, none, note, package, pipe, receiver, rhomb, roundrect, sender, socket,
	// start, sync, table, transceiver. An unknown visual draws as class.
	Visual string
	// Direction is the layout direction inside the node: "TB", "LR", or "" to use
	// the diagram's direction (built-in types; a custom style always sets it).
	Direction string
}

// Default values of the directives.
const (
	DefaultFill   = "#eee8d5;#fdf6e3;#eee8d5;#fdf6e3"
	DefaultStroke = "#33322E"
	DefaultFont   = "Helvetica"
)

// DefaultConfig is the configuration of a diagram without directives.
func DefaultConfig() *Config { return NewConfig(nil) }

// Config reads the diagram's directives.
func (d *Diagram) Config() *Config {
	if d == nil {
		return DefaultConfig()
	}
	return NewConfig(d.Directives)
}

// NewConfig reads directives as nomnoml does; the last repeat of a key wins.
func NewConfig(directives []Directive) *Config {
	d := map[string]string{}
	var styleKeys []string
	for _, dir := range directives {
		if strings.HasPrefix(dir.Key, ".") {
			if _, seen := d[dir.Key]; !seen {
				styleKeys = append(styleKeys, dir.Key)
			}
		}
		d[dir.Key] = dir.Value
	}
	num := func(key string, def float64) float64 {
		v, ok := d[key]
		if !ok {
			return def
		}
		f := jsNumber(v)
		// Infinity is a number to nomnoml; it would make the drawing infinite.
		if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
			return def
		}
		return f
	}
	c := &Config{
		ArrowSize:  num("arrowSize", 1),
		BendSize:   num("bendSize", 0.3),
		Direction:  directionWord(d["direction"]),
		Gutter:     num("gutter", 20),
		EdgeMargin: num("edgeMargin", 0),
		Gravity:    1,
		Edges:      "rounded",
		Background: or(d["background"], "transparent"),
		FillArrows: d["fillArrows"] == "true",
		Font:       or(d["font"], DefaultFont),
		FontSize:   num("fontSize", 12),
		Leading:    num("leading", 1.35),
		LineWidth:  num("lineWidth", 3),
		Padding:    num("padding", 8),
		Spacing:    num("spacing", 40),
		Stroke:     or(d["stroke"], DefaultStroke),
		Title:      d["title"],
		Zoom:       num("zoom", 1),
		Ranker:     "network-simplex",
		Styles:     BuiltinStyles(),
	}
	if v, ok := d["gravity"]; ok {
		// Math.round(+v); a value that is no number keeps the default instead of NaN.
		if f := jsNumber(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			c.Gravity = int(math.Floor(f + 0.5))
		}
	}
	if d["edges"] == "hard" {
		c.Edges = "hard"
	}
	// Colours are split on ';' and trimmed: "#fff; #eee" is two colours.
	for _, f := range strings.Split(or(d["fill"], DefaultFill), ";") {
		c.Fill = append(c.Fill, strings.TrimSpace(f))
	}
	if d["acyclicer"] == "greedy" {
		c.Acyclicer = "greedy"
	}
	switch r := d["ranker"]; r {
	case "network-simplex", "tight-tree", "longest-path":
		c.Ranker = r
	}
	sort.Strings(styleKeys)
	for _, k := range styleKeys {
		c.Styles[k[1:]] = ParseStyle(d[k])
	}
	return c
}

// Style is the style of a node type; unknown types (and other letter case, such as
// "Database") are drawn as class, like nomnoml.
func (c *Config) Style(typ string) Style {
	if s, ok := c.Styles[typ]; ok {
		return s
	}
	if s, ok := c.Styles["class"]; ok {
		return s
	}
	return builtinStyles["class"]
}

// FillFor is the fill of a node at nesting level (0 = top level) with style st:
// the style's fill, else the #fill colour of the level (the list repeats no colour:
// levels past its end use the last one).
func (c *Config) FillFor(level int, st Style) string {
	if st.Fill != "" {
		return st.Fill
	}
	if len(c.Fill) == 0 {
		return ""
	}
	return c.Fill[min(max(level, 0), len(c.Fill)-1)]
}

var (
	styleTitle     = regexp.MustCompile(`title=([^ ]*)`)
	styleBody      = regexp.MustCompile(`body=([^ ]*)`)
	styleFill      = regexp.MustCompile(`fill=([^ ]*)`)
	styleStroke    = regexp.MustCompile(`stroke=([^ ]*)`)
	styleVisual    = regexp.MustCompile(`visual=([^ ]*)`)
	styleDirection = regexp.MustCompile(`direction=([^ ]*)`)
	styleKeyValue  = regexp.MustCompile(`[a-z]*=[^ ]+`)
)

// ParseStyle reads the value of a `#.name: ...` directive, e.g.
// "fill=#ccffbb stroke=#333 visual=database title=left,bold body=center dashed bold".
// As in nomnoml, keys and words are found by substring: bare bold, italic and
// underline apply to the title; the title is centred unless title= has "left" or
// align=left is given; the body is centred only when body= has "center".
func ParseStyle(def string) Style {
	first := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(def); m != nil {
			return m[1]
		}
		return ""
	}
	floating := styleKeyValue.ReplaceAllString(def, "")
	title, body := first(styleTitle), first(styleBody)
	return Style{
		Title: TextStyle{
			Bold:      strings.Contains(title, "bold") || strings.Contains(floating, "bold"),
			Underline: strings.Contains(title, "underline") || strings.Contains(floating, "underline"),
			Italic:    strings.Contains(title, "italic") || strings.Contains(floating, "italic"),
			Center:    !(strings.Contains(title, "left") || strings.Contains(def, "align=left")),
		},
		Body: TextStyle{
			Bold:      strings.Contains(body, "bold"),
			Underline: strings.Contains(body, "underline"),
			Italic:    strings.Contains(body, "italic"),
			Center:    strings.Contains(body, "center"),
		},
		Dashed:    strings.Contains(def, "dashed"),
		Fill:      first(styleFill),
		Stroke:    first(styleStroke),
		Visual:    or(first(styleVisual), "class"),
		Direction: directionWord(first(styleDirection)),
	}
}

var builtinStyles = func() map[string]Style {
	c := TextStyle{Center: true}
	cb := TextStyle{Center: true, Bold: true}
	none := TextStyle{}
	s := func(visual string, title, body TextStyle) Style {
		return Style{Visual: visual, Title: title, Body: body}
	}
	ref := s("class", c, none)
	ref.Dashed = true
	return map[string]Style{
		"abstract":    s("class", TextStyle{Center: true, Italic: true}, none),
		"actor":       s("actor", c, c),
		"choice":      s("rhomb", c, c),
		"class":       s("class", cb, none),
		"database":    s("database", cb, c),
		"end":         s("end", none, none),
		"frame":       s("frame", none, none),
		"hidden":      s("hidden", none, none),
		"input":       s("input", c, none),
		"instance":    s("class", TextStyle{Center: true, Underline: true}, none),
		"label":       s("none", c, none),
		"lollipop":    s("lollipop", c, none),
		"note":        s("note", none, none),
		"pipe":        s("pipe", cb, none),
		"package":     s("package", none, none),
		"receiver":    s("receiver", none, none),
		"reference":   ref,
		"sender":      s("sender", none, none),
		"socket":      s("socket", none, none),
		"start":       s("start", none, none),
		"state":       s("roundrect", c, none),
		"sync":        s("sync", c, none),
		"table":       s("table", cb, none),
		"transceiver": s("transceiver", none, none),
		"usecase":     s("ellipse", c, c),
	}
}()

// BuiltinStyles is a fresh copy of nomnoml's built-in node types.
func BuiltinStyles() map[string]Style {
	out := make(map[string]Style, len(builtinStyles))
	for k, v := range builtinStyles {
		out[k] = v
	}
	return out
}

func directionWord(w string) string {
	if w == "right" {
		return "LR"
	}
	return "TB"
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

var jsDecimal = regexp.MustCompile(`^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// jsNumber is JavaScript's Number(string): surrounding white space is ignored, ""
// is 0, 0x/0o/0b prefixes and Infinity are accepted, anything else is NaN.
func jsNumber(s string) float64 {
	s = jsTrim(s)
	if s == "" {
		return 0
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			digits := s[2:]
			if strings.Contains(digits, "_") {
				return math.NaN()
			}
			n, err := strconv.ParseUint(digits, base, 64)
			if err != nil {
				// Too long for 64 bits is still a number in JavaScript.
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return math.Inf(1)
				}
				return math.NaN()
			}
			return float64(n)
		}
	}
	if !jsDecimal.MatchString(s) {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f // ±Inf or 0, as JavaScript
		}
		return math.NaN()
	}
	return f
}
