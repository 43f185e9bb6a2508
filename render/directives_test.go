package render

import (
	"math"
	"reflect"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	want := Config{
		ArrowSize: 1, BendSize: 0.3, Direction: "TB", Gutter: 20, EdgeMargin: 0, Gravity: 1, Edges: "rounded",
		Fill: []string{"#eee8d5", "#fdf6e3", "#eee8d5", "#fdf6e3"}, Background: "transparent", FillArrows: false,
		Font: "Helvetica", FontSize: 12, Leading: 1.35, LineWidth: 3, Padding: 8, Spacing: 40, Stroke: "#33322E",
		Title: "", Zoom: 1, Acyclicer: "", Ranker: "network-simplex",
	}
	got := *c
	got.Styles = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultConfig() =\n%+v\nwant\n%+v", got, want)
	}
	if len(c.Styles) != 25 {
		t.Errorf("%d built-in styles, want 25", len(c.Styles))
	}
}

func TestConfigDirectives(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(c *Config) bool
	}{
		{"right", "#direction: right", func(c *Config) bool { return c.Direction == "LR" }},
		{"down", "#direction: down", func(c *Config) bool { return c.Direction == "TB" }},
		{"other direction", "#direction: left", func(c *Config) bool { return c.Direction == "TB" }},
		{"last wins", "#spacing: 10\n#spacing: 50", func(c *Config) bool { return c.Spacing == 50 }},
		{"zero is default", "#padding: 0", func(c *Config) bool { return c.Padding == 8 }},
		{"junk is default", "#fontSize: big", func(c *Config) bool { return c.FontSize == 12 }},
		{"hex number", "#spacing: 0x10", func(c *Config) bool { return c.Spacing == 16 }},
		{"negative", "#edgeMargin: -2", func(c *Config) bool { return c.EdgeMargin == -2 }},
		{"infinite is default", "#lineWidth: Infinity", func(c *Config) bool { return c.LineWidth == 3 }},
		{"gravity zero", "#gravity: 0", func(c *Config) bool { return c.Gravity == 0 }},
		{"gravity rounds", "#gravity: 2.5", func(c *Config) bool { return c.Gravity == 3 }},
		{"gravity empty", "#gravity:", func(c *Config) bool { return c.Gravity == 0 }},
		{"hard edges", "#edges: hard", func(c *Config) bool { return c.Edges == "hard" }},
		{"fill levels", "#fill: #fff; #eee", func(c *Config) bool { return reflect.DeepEqual(c.Fill, []string{"#fff", "#eee"}) }},
		{"fillArrows exact", "#fillArrows: True", func(c *Config) bool { return !c.FillArrows }},
		{"fillArrows", "#fillArrows: true", func(c *Config) bool { return c.FillArrows }},
		{"ranker", "#ranker: longest-path", func(c *Config) bool { return c.Ranker == "longest-path" }},
		{"bad ranker", "#ranker: fast", func(c *Config) bool { return c.Ranker == "network-simplex" }},
		{"acyclicer", "#acyclicer: greedy", func(c *Config) bool { return c.Acyclicer == "greedy" }},
		{"strings", "#font: Noto Sans\n#stroke: #000\n#background: #fff\n#title: t", func(c *Config) bool {
			return c.Font == "Noto Sans" && c.Stroke == "#000" && c.Background == "#fff" && c.Title == "t"
		}},
		{"key untrimmed", "#spacing : 10", func(c *Config) bool { return c.Spacing == 40 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.src + "\n[a]")
			if err != nil {
				t.Fatal(err)
			}
			if c := d.Config(); !tt.check(c) {
				t.Errorf("config of %q: %+v", tt.src, *c)
			}
		})
	}
}

func TestStyles(t *testing.T) {
	d, err := Parse("#.box: fill=#8f8 dashed\n#.blob: visual=ellipse title=bold\n" +
		"#.fancy: stroke=#f00 title=left,italic body=center,underline direction=right bold\n" +
		"#.note: fill=#ff0\n[<box>a]")
	if err != nil {
		t.Fatal(err)
	}
	c := d.Config()
	tests := []struct {
		typ  string
		want Style
	}{
		{"box", Style{Title: TextStyle{Center: true}, Dashed: true, Fill: "#8f8", Visual: "class", Direction: "TB"}},
		{"blob", Style{Title: TextStyle{Center: true, Bold: true}, Visual: "ellipse", Direction: "TB"}},
		{"fancy", Style{Title: TextStyle{Italic: true, Bold: true}, Body: TextStyle{Center: true, Underline: true},
			Stroke: "#f00", Visual: "class", Direction: "LR"}},
		{"note", Style{Title: TextStyle{Center: true}, Fill: "#ff0", Visual: "class", Direction: "TB"}},
		{"database", Style{Title: TextStyle{Center: true, Bold: true}, Body: TextStyle{Center: true}, Visual: "database"}},
		{"reference", Style{Title: TextStyle{Center: true}, Dashed: true, Visual: "class"}},
		{"usecase", Style{Title: TextStyle{Center: true}, Body: TextStyle{Center: true}, Visual: "ellipse"}},
		{"Database", Style{Title: TextStyle{Center: true, Bold: true}, Visual: "class"}},
		{"nosuch", Style{Title: TextStyle{Center: true, Bold: true}, Visual: "class"}},
	}
	for _, tt := range tests {
		if got := c.Style(tt.typ); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Style(%q) =\n%+v\nwant\n%+v", tt.typ, got, tt.want)
		}
	}
	if got := c.FillFor(0, c.Style("class")); got != "#eee8d5" {
		t.Errorf("FillFor(0) = %q", got)
	}
	if got := c.FillFor(1, c.Style("class")); got != "#fdf6e3" {
		t.Errorf("FillFor(1) = %q", got)
	}
	if got := c.FillFor(9, c.Style("class")); got != "#fdf6e3" {
		t.Errorf("FillFor(9) = %q", got)
	}
	if got := c.FillFor(0, c.Style("box")); got != "#8f8" {
		t.Errorf("FillFor(box) = %q", got)
	}
}

func TestJSNumber(t *testing.T) {
	tests := map[string]float64{
		"": 0, " 7 ": 7, "1e1": 10, ".5": 0.5, "5.": 5, "+3": 3, "-2.5": -2.5, "0x1F": 31, "0b101": 5, "0o17": 15,
	}
	for in, want := range tests {
		if got := jsNumber(in); got != want {
			t.Errorf("jsNumber(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"abc", "1_0", "0x", "-0x10", "1e", "1.2.3", "inf", "NaN", "++1"} {
		if got := jsNumber(in); !math.IsNaN(got) {
			t.Errorf("jsNumber(%q) = %v, want NaN", in, got)
		}
	}
}
