package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden .txt files of testdata/invalid-*.yaml")

// testEnv is the environment the testdata files are parsed with.
func testEnv(name string) string {
	return map[string]string{
		"PG_PASSWORD": "",
		"REDIS_HOST":  "127.0.0.1",
		"REDIS_PORT":  "6379",
		"SECRET":      "s3cr3t-value",
	}[name]
}

func TestInvalidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data, filepath.Base(f), testEnv)
			if err == nil {
				t.Fatal("want an error, got a valid config")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *ValidationError", err)
			}
			got := err.Error() + "\n"
			if strings.Contains(got, "s3cr3t") {
				t.Errorf("error reveals a secret from the environment:\n%s", got)
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".txt"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ\n--- got\n%s--- want\n%s", got, want)
			}
			// Every line is file:line:col: [path: ]message.
			lineRE := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(f)) + `:\d+:\d+: .+`)
			for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if !lineRE.MatchString(l) {
					t.Errorf("line without position: %q", l)
				}
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	for _, token := range []string{"", "123456:ABC-def_ghi"} {
		t.Run("token="+token, func(t *testing.T) {
			t.Setenv("TELEGRAM_TOKEN", token)
			c, err := Load("../config.example.yaml")
			if err != nil {
				t.Fatalf("config.example.yaml does not load:\n%v", err)
			}
			if c.Telegram.Token != token {
				t.Errorf("telegram.token = %q, want %q", c.Telegram.Token, token)
			}
			if len(c.Checks) < 5 {
				t.Fatalf("example has %d live checks, want >= 5", len(c.Checks))
			}
			byName := map[string]*Check{}
			for i := range c.Checks {
				byName[c.Checks[i].Name] = &c.Checks[i]
			}
			for _, want := range []struct{ name, typ string }{
				{"localhost-ping", "ping"}, {"web-port", "tcp"}, {"healthz", "http"}, {"history-db", "sqlite"}, {"shell", "command"},
			} {
				ch := byName[want.name]
				if ch == nil || ch.Type != want.typ {
					t.Errorf("example lacks %s check %q", want.typ, want.name)
					continue
				}
				if ch.Host != "localhost" {
					t.Errorf("%s: host = %q, want localhost (the map's frame)", want.name, ch.Host)
				}
			}
			if h := byName["healthz"]; h != nil && (h.URL != "http://127.0.0.1:9004/healthz" || !h.Expect.StatusOK(200) || h.Expect.StatusOK(204)) {
				t.Errorf("healthz: url %q, status %v", h.URL, h.Expect.Status)
			}
			if w := byName["web-port"]; w != nil && w.Address != c.Web.Listen {
				t.Errorf("web-port checks %q, statusmap listens on %q", w.Address, c.Web.Listen)
			}
			if s := byName["history-db"]; s != nil && s.Path != c.Storage.Path {
				t.Errorf("history-db checks %q, the database is %q", s.Path, c.Storage.Path)
			}
			wantWarn := "telegram.token is empty: the bot is off, alerts go to the log"
			if token != "" {
				wantWarn = "telegram.allowed is empty: the bot answers no one and sends no alerts"
			}
			if w := c.Warnings(); len(w) != 1 || w[0] != wantWarn {
				t.Errorf("warnings = %q, want only %q", w, wantWarn)
			}
			if _, generated, err := c.MapSource(); err != nil || !generated {
				t.Errorf("MapSource: generated=%v err=%v, want a generated map", generated, err)
			}
		})
	}
}

// TestExampleDocumentsEveryKey keeps config.example.yaml complete: every YAML key of every
// config struct is written in it (as a key or in a commented-out example).
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || seen[rt] || rt == durationType {
			return
		}
		seen[rt] = true
		for _, f := range yamlFields(rt) {
			if !regexp.MustCompile(`(?m)^[ #-]*` + f.name + `:`).MatchString(text) {
				t.Errorf("config.example.yaml does not document %s.%s", rt.Name(), f.name)
			}
			walk(rt.Field(f.index).Type)
		}
	}
	walk(reflect.TypeOf(Config{}))
}

func TestAllTypesValid(t *testing.T) {
	data, err := os.ReadFile("testdata/valid-all-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, "valid-all-types.yaml", func(string) string { return "pw" })
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	types := map[string]bool{}
	for _, ch := range c.Checks {
		types[ch.Type] = true
	}
	for _, typ := range Types() {
		if !types[typ] {
			t.Errorf("valid-all-types.yaml has no %s check", typ)
		}
	}
	if len(c.Warnings()) != 1 { // only: telegram.token is empty
		t.Errorf("warnings: %q", c.Warnings())
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte(`
docker: {socket: /run/docker.sock}
telegram: {allowed: [5, -100]}
checks:
  - {name: h, type: http, url: "https://127.0.0.1/"}
  - {name: n, type: http, url: "http://127.0.0.1/", follow_redirects: false, interval: 5s}
  - {name: p, type: ping, host: localhost}
  - {name: p1, type: ping, host: localhost, count: 1}
  - {name: p0, type: ping, host: localhost, max_loss: 0}
  - {name: d, type: docker, container: api}
  - {name: t, type: tls, address: "127.0.0.1:443"}
  - {name: pg, type: postgres, dsn: "postgres://127.0.0.1/x"}
  - {name: q, type: dns, query: example.com, server: "127.0.0.1", record: aaaa}
`), "d.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Defaults, (Defaults{Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second), FailureThreshold: 2, SuccessThreshold: 1, Concurrency: 64}); got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if c.Storage.Path != "./statusmap.db" || c.Storage.Retention != (Retention{Duration(7 * day), Duration(90 * day), Duration(5 * year)}) {
		t.Errorf("storage = %+v", c.Storage)
	}
	if c.Web.Listen != "127.0.0.1:9004" || c.Web.BaseURL != "http://127.0.0.1:9004" {
		t.Errorf("web = %+v", c.Web)
	}
	tg := c.Telegram
	if tg.APIURL != "https://api.telegram.org" || !reflect.DeepEqual(tg.AlertChats, []int64{5, -100}) || tg.DeadAfter != Duration(10*time.Minute) {
		t.Errorf("telegram = %+v", tg)
	}
	if a := c.Alerting; a.GroupWait != Duration(10*time.Second) || a.Flap != (Flap{6, Duration(30 * time.Minute)}) {
		t.Errorf("alerting = %+v", a)
	}
	ch := func(i int) *Check { return &c.Checks[i] }
	h := ch(0)
	if h.Method != "GET" || !*h.FollowRedirects || !*h.TLSVerify || h.WarnDays != 14 || h.ErrorDays != 3 ||
		h.Interval != Duration(time.Minute) || h.Timeout != Duration(10*time.Second) || h.FailureThreshold != 2 ||
		h.SuccessThreshold != 1 || !h.IsImportant() || h.Source != "config" || h.Pos != "d.yaml:5:5" {
		t.Errorf("http check = %+v", *h)
	}
	if !h.Expect.StatusOK(204) || h.Expect.StatusOK(301) {
		t.Errorf("default status %v", h.Expect.Status)
	}
	n := ch(1)
	if !n.Expect.StatusOK(301) || n.Timeout != Duration(5*time.Second) {
		t.Errorf("no-redirect check: status %v timeout %s (the default timeout is capped at the interval)", n.Expect.Status, n.Timeout)
	}
	if p := ch(2); p.Count != 3 || p.MaxLoss != 34 {
		t.Errorf("ping = count %d loss %v", p.Count, p.MaxLoss)
	}
	if p := ch(3); p.MaxLoss != 0 {
		t.Errorf("ping count 1: loss %v, want 0", p.MaxLoss)
	}
	if p := ch(4); p.MaxLoss != 0 || p.Count != 3 {
		t.Errorf("explicit max_loss 0 was overridden: %v", p.MaxLoss)
	}
	if d := ch(5); d.Socket != "/run/docker.sock" {
		t.Errorf("docker socket %q, want docker.socket", d.Socket)
	}
	if tl := ch(6); tl.WarnDays != 14 || tl.ErrorDays != 3 {
		t.Errorf("tls days %d/%d", tl.WarnDays, tl.ErrorDays)
	}
	if pg := ch(7); pg.Query != "SELECT 1" {
		t.Errorf("postgres query %q", pg.Query)
	}
	if q := ch(8); q.Server != "127.0.0.1:53" || q.Record != "AAAA" {
		t.Errorf("dns server %q record %q", q.Server, q.Record)
	}
}

func TestDefaultsBlockOverrides(t *testing.T) {
	c, err := Parse([]byte(`
defaults: {interval: 2m, timeout: 30s, failure_threshold: 3, success_threshold: 2, reminder: 1h}
checks:
  - {name: a, type: tcp, address: "127.0.0.1:1"}
  - {name: b, type: tcp, address: "127.0.0.1:1", interval: 90, timeout: 1s, failure_threshold: 1, reminder: 2h}
telegram: {allowed: [1], alert_chats: [2]}
`), "o.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Checks[0], c.Checks[1]
	if a.Interval != Duration(2*time.Minute) || a.Timeout != Duration(30*time.Second) || a.FailureThreshold != 3 || a.SuccessThreshold != 2 || a.Reminder != Duration(time.Hour) {
		t.Errorf("a = %+v", a)
	}
	if b.Interval != Duration(90*time.Second) || b.Timeout != Duration(time.Second) || b.FailureThreshold != 1 || b.SuccessThreshold != 2 || b.Reminder != Duration(2*time.Hour) {
		t.Errorf("b = %+v", b)
	}
	if !reflect.DeepEqual(c.Telegram.AlertChats, []int64{2}) {
		t.Errorf("alert_chats = %v", c.Telegram.AlertChats)
	}
}

func TestAnchorsAndMerge(t *testing.T) {
	c, err := Parse([]byte(`
x-tcp: &tcp
  type: tcp
  interval: 30s
  host: box
checks:
  - <<: *tcp
    name: a
    address: "127.0.0.1:1"
  - <<: *tcp
    name: b
    address: "127.0.0.1:2"
    interval: 45s
`), "a.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Checks[0].Interval != Duration(30*time.Second) || c.Checks[1].Interval != Duration(45*time.Second) || c.Checks[1].Host != "box" {
		t.Errorf("merged checks = %+v", c.Checks)
	}

	// Among merged mappings the first listed wins.
	c, err = Parse([]byte(`
x-a: &a {interval: 10s, host: a}
x-b: &b {interval: 20s, runtime: b}
checks:
  - {<<: [*a, *b], name: m, type: tcp, address: "h:1"}
`), "a.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Checks[0]; m.Interval != Duration(10*time.Second) || m.Host != "a" || m.Runtime != "b" {
		t.Errorf("merge precedence: %+v", m)
	}
}

func TestHostileYAML(t *testing.T) {
	// Merges doubling at every level: linear work thanks to memoization.
	var b strings.Builder
	b.WriteString("x-0: &a0 {type: tcp}\n")
	for i := 1; i < 60; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	b.WriteString("checks:\n  - {<<: *a59, name: x, address: \"h:1\"}\n")
	done := make(chan error, 1)
	go func() { _, err := Parse([]byte(b.String()), "b.yaml", nil); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("merge chain: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("merge chain does not finish")
	}

	_, err := Parse([]byte("x-a: &a {<<: *a}\nchecks:\n  - {<<: *a, name: x}\n"), "b.yaml", nil)
	if err == nil || !strings.Contains(err.Error(), "<< merges a mapping into itself") {
		t.Errorf("self merge: %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"TOKEN": "123:abc", "PORT": "6379", "EMPTY": "", "ID": "-1001"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${TOKEN}", want: "123:abc"},
		{in: "x${TOKEN}y${PORT}", want: "x123:abcy6379"},
		{in: "${MISSING:-fallback}", want: "fallback"},
		{in: "${EMPTY:-}", want: ""},
		{in: "${EMPTY:-d}", want: "d"},
		{in: "${TOKEN:-d}", want: "123:abc"},
		{in: "$$HOME", want: "$HOME"},
		{in: "price $5 ^ok$ $.a", want: "price $5 ^ok$ $.a"},
		{in: "${MISSING}", err: "environment variable MISSING is not set (write ${MISSING:-} to allow it empty)"},
		{in: "${EMPTY}", err: "environment variable EMPTY is not set (write ${EMPTY:-} to allow it empty)"},
		{in: "${A}${B}", err: "environment variables A, B are not set"},
		{in: "${TOKEN", err: "unterminated ${ (write $$ for a literal $)"},
		{in: "${9X}", err: `invalid environment variable name "9X" in ${...}`},
		{in: "${}", err: `invalid environment variable name "" in ${...}`},
	}
	for _, tt := range tests {
		got, _, err := expandEnv(tt.in, getenv)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("expandEnv(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	// Expanded values are typed by the field they land in.
	c, err := Parse([]byte(`
checks:
  - name: r
    type: redis
    address: "127.0.0.1:${PORT}"
    db: ${DBNUM:-3}
    password: '${TOKEN}'
telegram:
  token: ${TOKEN}
  allowed: ["${ID}"]
`), "e.yaml", getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Checks[0].Address != "127.0.0.1:6379" || c.Checks[0].Password != "123:abc" || c.Checks[0].DB != 3 || c.Telegram.Token != "123:abc" || c.Telegram.Allowed[0] != -1001 {
		t.Errorf("expanded config = %+v %+v", c.Checks[0], c.Telegram)
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"90", 90 * time.Second, "1m30s"},
		{"90s", 90 * time.Second, "1m30s"},
		{"15m", 15 * time.Minute, "15m"},
		{"2h", 2 * time.Hour, "2h"},
		{"7d", 7 * day, "7d"},
		{"1y", year, "1y"},
		{"1d12h", 36 * time.Hour, "36h"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"500ms", 500 * time.Millisecond, "500ms"},
		{"1.5", 1500 * time.Millisecond, "1.5s"},
		{"0", 0, "0s"},
		{" 10s ", 10 * time.Second, "10s"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.D(), err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.want, got.String(), tt.str)
		}
		back, err := ParseDuration(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
		}
	}
	for _, bad := range []string{"", "5x", "-3s", "s", "1d-2h", "1e3", "NaN", "d7", "9999999y"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d)
		}
	}
	var d Duration
	for in, want := range map[string]time.Duration{`"7d"`: 7 * day, `90`: 90 * time.Second, `"1m30s"`: 90 * time.Second} {
		if err := d.UnmarshalJSON([]byte(in)); err != nil || d.D() != want {
			t.Errorf("UnmarshalJSON(%s) = %v, %v", in, d.D(), err)
		}
	}
	if b, _ := Duration(7 * day).MarshalText(); string(b) != "7d" {
		t.Errorf("MarshalText = %s", b)
	}
}

func TestMapSource(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "map.nomnoml"), []byte("[a]->[b]"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		m         Map
		src       string
		generated bool
		err       bool
	}{
		{Map{}, "", true, false},
		{Map{Source: "[x]"}, "[x]", false, false},
		{Map{File: "map.nomnoml"}, "[a]->[b]", false, false},
		{Map{File: filepath.Join(dir, "map.nomnoml")}, "[a]->[b]", false, false},
		{Map{File: "missing.nomnoml"}, "", false, true},
		{Map{Source: "[x]", File: "map.nomnoml"}, "", false, true},
	}
	for _, tc := range cases {
		c := &Config{File: filepath.Join(dir, "config.yaml"), Map: tc.m}
		src, gen, err := c.MapSource()
		if src != tc.src || gen != tc.generated || (err != nil) != tc.err {
			t.Errorf("MapSource(%+v) = %q, %v, %v", tc.m, src, gen, err)
		}
	}
}

func TestWarnings(t *testing.T) {
	c, err := Parse([]byte(`
checks:
  - {name: a, type: http, url: "http://127.0.0.1/", tls_verify: false, warn_days: 30}
  - {name: b, type: tcp, address: "127.0.0.1:1", important: false, alert_on_warn: true}
telegram: {token: "1:abc", admins: [7]}
`), "w.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"w.yaml:3:5: checks[0] (a): tls_verify has no effect on an http:// URL",
		"w.yaml:3:5: checks[0] (a): warn_days has no effect on an http:// URL",
		"w.yaml:4:5: checks[1] (b): alert_on_warn has no effect with important: false (no alerts at all)",
		"telegram.allowed is empty: the bot answers no one and sends no alerts",
		"telegram.admins: 7 is not in telegram.allowed, so it cannot use the bot",
	}
	if got := c.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("Warnings() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMaintenanceActive(t *testing.T) {
	c, err := Parse([]byte(`
checks:
  - name: a
    type: tcp
    address: "127.0.0.1:1"
    maintenance: [{schedule: "0 3 * * *", duration: 30m, timezone: Europe/Berlin}]
  - {name: b, type: tcp, address: "127.0.0.1:1"}
maintenance:
  - {schedule: "0 12 * * 0", duration: 1h, timezone: UTC, checks: [b]}
`), "m.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	a, b := &c.Checks[0], &c.Checks[1]
	tests := []struct {
		ch   *Check
		t    string
		want bool
	}{
		{a, "2026-01-05T02:00:00Z", true},  // 03:00 Berlin (CET, UTC+1)
		{a, "2026-01-05T02:29:59Z", true},  // 03:29:59
		{a, "2026-01-05T02:30:00Z", false}, // window over
		{a, "2026-01-05T01:59:59Z", false}, // not yet
		{a, "2026-07-05T01:10:00Z", true},  // 03:10 CEST (UTC+2)
		{b, "2026-01-04T12:30:00Z", true},  // Sunday
		{b, "2026-01-05T12:30:00Z", false}, // Monday
		{a, "2026-01-04T12:30:00Z", false}, // global window lists only b
	}
	for _, tt := range tests {
		if got := c.InMaintenance(tt.ch, at(tt.t)); got != tt.want {
			t.Errorf("InMaintenance(%s, %s) = %v, want %v", tt.ch.Name, tt.t, got, tt.want)
		}
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	_, err := Parse([]byte("checks:\n  - name: [a\n"), "s.yaml", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "s.yaml:") || !strings.Contains(err.Error(), "YAML syntax") {
		t.Fatalf("err = %v", err)
	}
}

func TestEmptyConfig(t *testing.T) {
	for _, in := range []string{"", "# nothing\n", "checks: []\n"} {
		c, err := Parse([]byte(in), "e.yaml", nil)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if len(c.Checks) != 0 || c.Defaults.Interval != DefaultInterval {
			t.Errorf("Parse(%q) = %+v", in, c)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "read config") {
		t.Errorf("err = %v", err)
	}
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "config.example.yaml", nil); err != nil {
			b.Fatal(err)
		}
	}
}
