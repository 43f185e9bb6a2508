package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValidateCheck(t *testing.T) {
	known := func(n string) bool { return n == "db" || n == "host1" }
	d := Defaults{Interval: Duration(2 * time.Minute), Timeout: Duration(5 * time.Second), FailureThreshold: 3, SuccessThreshold: 1}
	tests := []struct {
		name  string
		check Check
		err   string
	}{
		{"ok http", Check{Name: "api", Type: "http", URL: "https://127.0.0.1/", Dependencies: []string{"db"}}, ""},
		{"ok ping", Check{Name: "p", Type: "ping", Host: "127.0.0.1"}, ""},
		{"ok tcp", Check{Name: "t", Type: "tcp", Address: "127.0.0.1:22", Interval: Duration(5 * time.Minute)}, ""},
		{"bad everything", Check{Name: "Bad!", Type: "tcp", URL: "http://x/", Interval: Duration(time.Millisecond), Dependencies: []string{"nope", "Bad!"}},
			strings.Join([]string{
				`name: "Bad!" must use only a-z, 0-9, _ and -`,
				`url: not used by type tcp`,
				`interval: must be >= 1s`,
				`address: required for type tcp (host:port)`,
				`dependencies[0]: no check named "nope"`,
				`dependencies[1]: a check cannot depend on itself`,
			}, "\n")},
		{"unknown type", Check{Name: "x", Type: "gopher"}, `type: unknown type "gopher" (one of api, command, dns, docker, heartbeat, http, mysql, ping, postgres, redis, sqlite, tcp, tls, tmux)`},
		{"timeout over interval", Check{Name: "x", Type: "tcp", Address: "127.0.0.1:1", Interval: Duration(time.Second), Timeout: Duration(2 * time.Second)}, "timeout: must not exceed interval (1s)"},
		{"expect for other type", Check{Name: "x", Type: "ping", Host: "h", Expect: Expect{Status: []string{"200"}}}, "expect.status: not used by type ping"},
		{"bad json rule", Check{Name: "x", Type: "http", URL: "http://h/", Expect: Expect{JSON: []string{"$.a = 1"}}}, "expect.json[0]: want `$.path OP value` with OP one of == != < <= > >="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			err := ValidateCheck(&c, d, known)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Fatalf("ValidateCheck error =\n%s\nwant\n%s", got, tt.err)
			}
		})
	}

	c := Check{Name: "api", Type: "api", URL: "https://127.0.0.1/", Expect: Expect{BodyRegex: "^o", JSON: []string{`$.ok == true`}}}
	if err := ValidateCheck(&c, d, known); err != nil {
		t.Fatal(err)
	}
	if c.Interval != d.Interval || c.Timeout != d.Timeout || c.FailureThreshold != 3 || c.SuccessThreshold != 1 ||
		c.Method != "GET" || !*c.FollowRedirects || !*c.TLSVerify || c.Source != "chat" || c.WarnDays != 14 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.Expect.bodyRe == nil || len(c.Expect.jsonRules) != 1 {
		t.Error("rules not compiled at validation")
	}

	// A chat check survives a JSON round trip through storage and validates again.
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Interval":"2m"`) {
		t.Errorf("durations are not stored readably: %s", b)
	}
	var back Check
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := ValidateCheck(&back, d, known); err != nil || back.Interval != c.Interval || back.URL != c.URL {
		t.Errorf("round trip: %v %+v", err, back)
	}

	// Zero Defaults fall back to the built-in ones.
	z := Check{Name: "z", Type: "tcp", Address: "127.0.0.1:1"}
	if err := ValidateCheck(&z, Defaults{}, nil); err != nil || z.Interval != DefaultInterval || z.FailureThreshold != DefaultFailureThreshold {
		t.Errorf("zero defaults: %v %+v", err, z)
	}
	if err := ValidateCheck(nil, d, known); err == nil {
		t.Error("nil check accepted")
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name string
		deps map[string][]string
		want []string
	}{
		{"none", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, nil},
		{"diamond", map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": nil}, nil},
		{"two", map[string][]string{"a": {"b"}, "b": {"a"}}, []string{"checks[0].dependencies: dependency cycle: a -> b -> a"}},
		{"three", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}}, []string{"checks[0].dependencies: dependency cycle: a -> b -> c -> a"}},
		{"entered midway", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}, []string{"checks[1].dependencies: dependency cycle: b -> c -> d -> b"}},
		{"two separate", map[string][]string{"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, []string{
			"checks[0].dependencies: dependency cycle: a -> b -> a",
			"checks[2].dependencies: dependency cycle: c -> d -> c",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("checks:\n")
			for _, n := range []string{"a", "b", "c", "d"} {
				deps, ok := tt.deps[n]
				if !ok {
					continue
				}
				fmt.Fprintf(&b, "  - name: %s\n    type: tcp\n    address: 127.0.0.1:1\n", n)
				if len(deps) > 0 {
					fmt.Fprintf(&b, "    dependencies: [%s]\n", strings.Join(deps, ", "))
				}
			}
			_, err := Parse([]byte(b.String()), "c.yaml", nil)
			var got []string
			if err != nil {
				for _, fe := range err.(*ValidationError).Errors {
					got = append(got, fe.Path+": "+fe.Msg)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
