package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestJSONPath(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"a": {"b": [10, {"c": "x"}]}, "odd key": true, "n": null, "dot.key": 1}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		segs  []PathSegment
		want  any
		found bool
	}{
		{"$", nil, doc, true},
		{"$.a.b[0]", []PathSegment{{Key: "a"}, {Key: "b"}, {Index: 0, IsIndex: true}}, 10.0, true},
		{"$.a.b[1].c", []PathSegment{{Key: "a"}, {Key: "b"}, {Index: 1, IsIndex: true}, {Key: "c"}}, "x", true},
		{`$["odd key"]`, []PathSegment{{Key: "odd key"}}, true, true},
		{`$['dot.key']`, []PathSegment{{Key: "dot.key"}}, 1.0, true},
		{"$.n", []PathSegment{{Key: "n"}}, nil, true},
		{"$.a.b[2]", nil, nil, false},
		{"$.a.b.c", nil, nil, false},
		{"$.missing", nil, nil, false},
		{"$[0]", nil, nil, false},
	}
	for _, tt := range tests {
		p, err := ParseJSONPath(tt.path)
		if err != nil {
			t.Errorf("ParseJSONPath(%q): %v", tt.path, err)
			continue
		}
		if tt.segs != nil && !reflect.DeepEqual(p.Segments, tt.segs) {
			t.Errorf("ParseJSONPath(%q) = %+v, want %+v", tt.path, p.Segments, tt.segs)
		}
		got, found := p.Lookup(doc)
		if found != tt.found || (found && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tt.path, got, found, tt.want, tt.found)
		}
	}
	for _, bad := range []string{"", "a.b", "$.", "$..a", "$[", "$[-1]", `$["x`, "$.a b", "$[x]"} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("ParseJSONPath(%q) = ok, want an error", bad)
		}
	}
}

func TestJSONRules(t *testing.T) {
	const body = `{"resource": "foldwrap", "n": 3, "ok": true, "err": null, "items": [{"id": 7}], "s": "3"}`
	var doc, docNum any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&docNum); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		ok   bool
		got  string
	}{
		{`$.resource == "foldwrap"`, true, `"foldwrap"`},
		{`$.resource == "other"`, false, `"foldwrap"`},
		{`$.resource != "other"`, true, `"foldwrap"`},
		{`$.n == 3`, true, `3`},
		{`$.n == 3.0`, true, `3`},
		{`$.n >= 3`, true, `3`},
		{`$.n > 3`, false, `3`},
		{`$.n < 10`, true, `3`},
		{`$.n <= 2.5`, false, `3`},
		{`$.n != 4`, true, `3`},
		{`$.s == 3`, false, `"3"`}, // a string is not a number
		{`$.s < 4`, false, `"3"`},
		{`$.ok == true`, true, `true`},
		{`$.ok == false`, false, `true`},
		{`$.ok==true`, true, `true`},
		{`$.err == null`, true, `null`},
		{`$.err != null`, false, `null`},
		{`$.gone == null`, true, `missing`},
		{`$.gone != null`, false, `missing`},
		{`$.gone == 1`, false, `missing`},
		{`$.items[0].id == 7`, true, `7`},
		{`$.items == "x"`, false, `[{"id":7}]`},
		{`$["resource"] == "foldwrap"`, true, `"foldwrap"`},
	}
	for _, tt := range tests {
		r, err := ParseJSONRule(tt.expr)
		if err != nil {
			t.Errorf("ParseJSONRule(%q): %v", tt.expr, err)
			continue
		}
		for name, d := range map[string]any{"float64": doc, "json.Number": docNum} {
			ok, got := r.Match(d)
			if ok != tt.ok || got != tt.got {
				t.Errorf("%s on %s: Match = %v, %s; want %v, %s", tt.expr, name, ok, got, tt.ok, tt.got)
			}
		}
	}

	bad := []struct{ expr, err string }{
		{`$.a == foldwrap`, `value foldwrap is not a JSON literal (strings need double quotes: "foldwrap")`},
		{`$.a == 'x'`, `value 'x' is not a JSON literal (a string in double quotes, a number, true, false or null)`},
		{`$.a`, "want `$.path OP value` with OP one of == != < <= > >="},
		{`$.a ==`, "missing value after =="},
		{`a == 1`, "JSON path must start with $ (e.g. $.status)"},
		{`$.a > "x"`, "operator > needs a number"},
		{`$.a == [1]`, "value must be a string, number, true, false or null, not an object or array"},
		{`$.a =~ "x"`, "want `$.path OP value` with OP one of == != < <= > >="},
	}
	for _, tt := range bad {
		if _, err := ParseJSONRule(tt.expr); err == nil || err.Error() != tt.err {
			t.Errorf("ParseJSONRule(%q) error = %v, want %q", tt.expr, err, tt.err)
		}
	}

	r, _ := ParseJSONRule(`$.n   >=   3`)
	if r.String() != "$.n >= 3" || r.Want() != ">= 3" || r.Op != ">=" || r.Value != 3.0 {
		t.Errorf("rule = %+v, String %q, Want %q", r, r.String(), r.Want())
	}
	r, _ = ParseJSONRule(`$.resource == "foldwrap"`)
	if r.Want() != `"foldwrap"` {
		t.Errorf("Want = %q", r.Want())
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in   string
		want StatusRange
		err  bool
	}{
		{"200", StatusRange{200, 200}, false},
		{"2xx", StatusRange{200, 299}, false},
		{"5XX", StatusRange{500, 599}, false},
		{"200-299", StatusRange{200, 299}, false},
		{" 301 - 302 ", StatusRange{301, 302}, false},
		{"6xx", StatusRange{}, true},
		{"99", StatusRange{}, true},
		{"600", StatusRange{}, true},
		{"300-200", StatusRange{}, true},
		{"ok", StatusRange{}, true},
		{"", StatusRange{}, true},
	}
	for _, tt := range tests {
		got, err := ParseStatus(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseStatus(%q) = %v, %v", tt.in, got, err)
		}
	}
	e := Expect{Status: []string{"200", "301-302"}}
	for code, want := range map[int]bool{200: true, 201: false, 301: true, 302: true, 303: false} {
		if e.StatusOK(code) != want {
			t.Errorf("StatusOK(%d) = %v", code, !want)
		}
	}
}

func TestCompiledAccessors(t *testing.T) {
	// Checks built in code or decoded from JSON are compiled on demand.
	c := Check{Expect: Expect{BodyRegex: "^ok", JSON: []string{`$.a == 1`, "bad"}, JSONFields: []string{"$.v"}},
		Extract: map[string]string{"v": "$.version"}}
	if re := c.Expect.BodyRegexp(); re == nil || !re.MatchString("ok!") {
		t.Errorf("BodyRegexp = %v", re)
	}
	if rs := c.Expect.JSONRules(); len(rs) != 1 || rs[0].Op != "==" {
		t.Errorf("JSONRules = %+v", rs)
	}
	if fs := c.Expect.RequiredFields(); len(fs) != 1 || fs[0].Raw != "$.v" {
		t.Errorf("RequiredFields = %+v", fs)
	}
	if ps := c.ExtractPaths(); ps["v"].Raw != "$.version" {
		t.Errorf("ExtractPaths = %+v", ps)
	}
	var empty Expect
	if empty.BodyRegexp() != nil || empty.JSONRules() != nil || !empty.StatusOK(204) || empty.StatusOK(500) {
		t.Error("empty Expect has rules")
	}
}
