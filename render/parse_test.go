package render

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"stray close", "[a]]", 1, 3, `expected "end of file" but got "]"`},
		{"missing target", "[a]->", 1, 6, `expected "]" but got end of file`},
		{"missing line at end", "[a] \\", 1, 7, `expected "--" or "-/-" or "-" but got end of file`},
		{"chain without assoc", "[a]->[b][c]", 1, 8, `expected "label" but got "["`},
		{"underscore edge", "[a]_[b]", 1, 4, `expected "label" but got "["`},
		{"carriage return", "[a]\r\n[b]", 1, 5, `expected "label" but got "["`},
		{"bare bracket in label", "[a] x[ -> [b]", 1, 5, `expected "label" but got "["`},
		{"bad type char", "[<a😀>]", 1, 4, `expected " " or ">" but got "\ud83d"`},
		{"attr without value", "[<a k=>x]", 1, 6, `expected [^> ] but got ">"`},
		{"attr without =", "[<a k>x]", 1, 6, `expected "=" but got ">"`},
		{"empty type", "[<>x]", 1, 2, `expected [a-zA-Z0-9_] but got ">"`},
		{"unclosed on line 2", "[a]\n[b", 2, 2, `expected "]" but got end of file`},
		{"top-level bar", "x|y", 1, 1, `expected "end of file" but got "|"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.src, d)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.col {
				t.Errorf("position = %d:%d, want %d:%d", pe.Line, pe.Column, tt.line, tt.col)
			}
			if !strings.HasSuffix(pe.Message, tt.msg) || !strings.HasPrefix(pe.Message, "Parse error at line ") {
				t.Errorf("message = %q, want suffix %q", pe.Message, tt.msg)
			}
		})
	}
}

func TestParseErrorCaret(t *testing.T) {
	_, err := Parse("#direction: right\n// comment\n[a] -> [b\n")
	if err == nil {
		t.Fatal("want an error")
	}
	want := "Parse error at line 4 column 0, expected \"]\" but got end of file\n" +
		"    4 | \n" +
		"      | ^"
	if err.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", err.Error(), want)
	}
	_, err = Parse("[a]\n\t[b] x ] [c]")
	want = "Parse error at line 2 column 7, expected \"label\" but got \"]\"\n" +
		"    2 | \t[b] x ] [c]\n" +
		"      | \t      ^"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
	_, err = Parse("[a] x\r -> [b]]")
	want = "Parse error at line 1 column 13, expected \"end of file\" but got \"]\"\n" +
		"    1 | [a] x␍ -> [b]]\n" +
		"      |              ^"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n%v\nwant\n%s", err, want)
	}
}

func TestParseTree(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", "  \n", `{"root":{"nodes":[],"assocs":[],"lines":[]},"directives":[]}`},
		{"node without id", "[]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":[]}],"attr":{},"type":"class"}],"assocs":[],"lines":[]},"directives":[]}`},
		{"attrs and id", "[<usecase id=u k=v>Login|x]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":["Login"]},{"nodes":[],"assocs":[],"lines":["x"]}],"attr":{"id":"u","k":"v"},"id":"u","type":"usecase"}],"assocs":[],"lines":[]},"directives":[]}`},
		{"labels", "[a] 1` x -> * [b]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":["a"]}],"attr":{},"id":"a","type":"class"},{"parts":[{"nodes":[],"assocs":[],"lines":["b"]}],"attr":{},"id":"b","type":"class"}],"assocs":[{"type":"->","start":"a","end":"b","startLabel":{"text":"1` + "`" + ` x"},"endLabel":{"text":"*"}}],"lines":[]},"directives":[]}`},
		{"label swallows o", "[a]xo-[b]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":["a"]}],"attr":{},"id":"a","type":"class"},{"parts":[{"nodes":[],"assocs":[],"lines":["b"]}],"attr":{},"id":"b","type":"class"}],"assocs":[{"type":"o-","start":"a","end":"b","startLabel":{"text":"x"},"endLabel":{"text":""}}],"lines":[]},"directives":[]}`},
		{"directives and comments", "#fill: a;b\n#x\n  // c\n#.box: fill=#fff: bold\ntext\\nmore \\] ",
			`{"root":{"nodes":[],"assocs":[],"lines":["text\nmore ]"]},"directives":[{"key":"fill","value":"a;b"},{"key":"x","value":""},{"key":".box","value":"fill=#fff: bold"}]}`},
		{"duplicate with more parts wins", "[<actor>a]\n[a|x]\n[a]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":["a"]},{"nodes":[],"assocs":[],"lines":["x"]}],"attr":{},"id":"a","type":"class"}],"assocs":[],"lines":[]},"directives":[]}`},
		{"html chars kept", "[a<b>&c]",
			`{"root":{"nodes":[{"parts":[{"nodes":[],"assocs":[],"lines":["a<b>&c"]}],"attr":{},"id":"a<b>&c","type":"class"}],"assocs":[],"lines":[]},"directives":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSON(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("ParseJSON(%q) =\n%s\nwant\n%s", tt.src, got, tt.want)
			}
		})
	}
}

func TestParseAllAssociationTypes(t *testing.T) {
	n := 0
	for _, s := range assocStart {
		for _, l := range assocLine {
			for _, e := range assocEnd {
				typ := s + l + e
				d, err := Parse("[a] " + typ + " [b]")
				if err != nil {
					t.Errorf("%q: %v", typ, err)
					continue
				}
				if got := d.Root.Assocs[0].Type; got != typ {
					t.Errorf("%q parsed as %q", typ, got)
				}
				n++
			}
		}
	}
	if n != 192 {
		t.Errorf("%d association types, want 192", n)
	}
}

func TestParseJSONError(t *testing.T) {
	got, err := ParseJSON("[a]]")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Error struct {
			Line, Column int
			Message      string
		} `json:"error"`
	}
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatal(err)
	}
	if v.Error.Line != 1 || v.Error.Column != 3 || !strings.Contains(v.Error.Message, `expected "end of file"`) {
		t.Errorf("ParseJSON error = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "[a]", "[a]->[b]", "[a|[b]->[c]]", "#direction: right\n[a]-:>[b]", "[<frame id=x k=v>f|[a]]",
		"[a] l` m -> r [b]", "[a]\\", "[a] \\", "[a]->", "[<a", "[<a ", "[<a k", "[<a k=", "[<a k=v",
		"x\\n\\]", "[a]\r\n[b]", "[a]_[b]", "// c\n[a]", "#.s: fill=red bold\n[<s>x]", "[😀] -> [é]",
		"[a]\n->\n[b]", "[a] x\n-> [b]\n[c]]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T: %v", err, err)
			}
			if pe.Line < 1 || pe.Column < 0 || !strings.HasPrefix(pe.Message, "Parse error at line ") {
				t.Fatalf("bad error %+v", pe)
			}
			_ = pe.Error()
		} else if d.Root == nil || d.Directives == nil {
			t.Fatalf("incomplete diagram %+v", d)
		}
		js, err := ParseJSON(src)
		if err != nil || !json.Valid(js) {
			t.Fatalf("ParseJSON: %v %s", err, js)
		}
		if d != nil {
			if c := d.Config(); c.Padding == 0 || c.Spacing == 0 || len(c.Fill) == 0 {
				t.Fatalf("config without defaults: %+v", c)
			}
		}
	})
}
