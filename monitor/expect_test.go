package monitor

import (
	"encoding/json"
	"testing"
)

func TestJSONRules(t *testing.T) {
	doc := map[string]any{}
	if err := json.Unmarshal([]byte(`{"a":{"b":[1,{"c":"x"}]},"s":"foldwrap","n":2.5,"t":true,"z":null,"k y":1,"arr":[1,2]}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rule   string
		reason string // "" passes
		err    string // parse error
	}{
		{rule: `$.s == "foldwrap"`},
		{rule: `$.s=="foldwrap"`},
		{rule: `$.s == foldwrap`}, // a bare word is a string
		{rule: `$.s == "x"`, reason: `$.s = "foldwrap", want "x"`},
		{rule: `$.a.b[1].c == "x"`},
		{rule: `$.a.b[0] == 1`},
		{rule: `$.a.b[5] == 1`, reason: `$.a.b[5] missing, want 1`},
		{rule: `$["k y"] == 1`},
		{rule: `$.n > 2`},
		{rule: `$.n <= 2.5`},
		{rule: `$.n < 2`, reason: `$.n = 2.5, want < 2`},
		{rule: `$.s > 2`, reason: `$.s = "foldwrap", want > 2`},
		{rule: `$.t == true`},
		{rule: `$.t != true`, reason: `$.t = true, want != true`},
		{rule: `$.z == null`},
		{rule: `$.arr == [1,2]`},
		{rule: `$.a`},
		{rule: `$.nope`, reason: `$.nope missing`},
		{rule: `$`},
		{rule: `$.a.b.c == 1`, reason: `$.a.b.c missing, want 1`},
		{rule: `a == 1`, err: `json rule "a == 1": path must start with $`},
		{rule: `$.a ~ 1`, err: `json rule "$.a ~ 1": want an operator (== != > >= < <=) after $.a`},
		{rule: `$.a ==`, err: `json rule "$.a ==": missing value after ==`},
		{rule: `$.a > "x"`, err: `json rule "$.a > \"x\"": > needs a number`},
		{rule: `$.a[x] == 1`, err: `json rule "$.a[x] == 1": bad index [x]`},
		{rule: `$.a[0 == 1`, err: `json rule "$.a[0 == 1": unclosed [ at offset 3`},
		{rule: `$. == 1`, err: `json rule "$. == 1": empty key at offset 1`},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			r, err := parseJSONRule(tt.rule)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.check(doc); got != tt.reason {
				t.Fatalf("reason %q, want %q", got, tt.reason)
			}
		})
	}
}

func FuzzParseJSONRule(f *testing.F) {
	for _, s := range []string{`$.resource == "foldwrap"`, `$.a.b[0] >= 3`, `$["x"] != null`, `$`, `$.a[`, `$..`, `$.a == {"x":[1]}`, "$.\xff == 1"} {
		f.Add(s, `{"resource":"foldwrap","a":{"b":[3]}}`)
	}
	f.Fuzz(func(t *testing.T, rule, body string) {
		r, err := parseJSONRule(rule)
		if err != nil {
			return
		}
		var doc any
		if json.Unmarshal([]byte(body), &doc) != nil {
			return
		}
		_ = r.check(doc)
	})
}
