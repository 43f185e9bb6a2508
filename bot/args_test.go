package bot

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/statusmap/statusmap/config"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		in    string
		isCmd bool
		want  command
		err   string
	}{
		{in: "/status", isCmd: true, want: command{Name: "status"}},
		{in: "  /Status@StatusMap_bot  api  ", isCmd: true, want: command{Name: "status", Bot: "StatusMap_bot", Args: []string{"api"}}},
		{in: "/mute api 2h", isCmd: true, want: command{Name: "mute", Args: []string{"api", "2h"}}},
		{in: "/add http \"my api\" https://x/ every 5m", isCmd: true, want: command{Name: "add", Args: []string{"http", "my api", "https://x/", "every", "5m"}}},
		{in: `/add http "a \"q\" b"`, isCmd: true, want: command{Name: "add", Args: []string{"http", `a "q" b`}}},
		{in: "/add http “curly name”", isCmd: true, want: command{Name: "add", Args: []string{"http", "curly name"}}},
		{in: "/status\napi", isCmd: true, want: command{Name: "status", Args: []string{"api"}}},
		{in: `/x ""`, isCmd: true, want: command{Name: "x", Args: []string{""}}},
		{in: "/add \"open", isCmd: true, want: command{Name: "add"}, err: "a quote is not closed"},
		{in: "hello", isCmd: false},
		{in: "/", isCmd: false},
		{in: "/ status", isCmd: false},
		{in: "/статус", isCmd: false},
		{in: "/a " + strings.Repeat("x ", 40), isCmd: true, want: command{Name: "a"}, err: "too many arguments (at most 32)"},
	}
	for _, c := range cases {
		got, isCmd, err := parseCommand(c.in)
		if isCmd != c.isCmd {
			t.Errorf("%q: isCmd = %v", c.in, isCmd)
			continue
		}
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: err = %v", c.in, err)
			continue
		}
		if c.isCmd && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"90": 90 * time.Second, "30s": 30 * time.Second, "15m": 15 * time.Minute, "2h": 2 * time.Hour,
		"7d": 7 * 24 * time.Hour, "1w": 7 * 24 * time.Hour, "1h30m": 90 * time.Minute, "2H": 2 * time.Hour,
		"3 ": 3 * time.Second, "10min": 10 * time.Minute,
	}
	for in, want := range good {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0s", "h", "5x", "-5m", "1.5h", "2y", "99999999999999999999s", "400d", "1h-"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want error", in, d)
		}
	}
}

func TestParseAdd(t *testing.T) {
	cases := []struct {
		in   string
		want config.Check
		err  string
	}{
		{in: "http api https://example.com/health every 5m expect 200",
			want: config.Check{Name: "api", Type: "http", Source: "chat", URL: "https://example.com/health",
				Interval: config.Duration(5 * time.Minute), Expect: config.Expect{Status: []string{"200"}}}},
		{in: "api web example.com", want: config.Check{Name: "web", Type: "http", Source: "chat", URL: "https://example.com"}},
		{in: "ping fold 10.0.0.5", want: config.Check{Name: "fold", Type: "ping", Source: "chat", Target: "10.0.0.5", Host: "10.0.0.5"}},
		{in: "tcp db 10.0.0.5:5432 host fold after fold timeout 3s",
			want: config.Check{Name: "db", Type: "tcp", Source: "chat", Address: "10.0.0.5:5432", Host: "fold",
				Dependencies: []string{"fold"}, Timeout: config.Duration(3 * time.Second)}},
		{in: "heartbeat backup every 1d grace 1h",
			want: config.Check{Name: "backup", Type: "heartbeat", Source: "chat", Period: config.Duration(24 * time.Hour), Grace: config.Duration(time.Hour)}},
		{in: "dns site example.com record aaaa server 127.0.0.1:53 expect ::1",
			want: config.Check{Name: "site", Type: "dns", Source: "chat", Query: "example.com", Record: "AAAA", Server: "127.0.0.1:53", Expect: config.Expect{Values: []string{"::1"}}}},
		{in: "http", err: addUsage},
		{in: "smtp mail x", err: `unknown type "smtp"; /add knows http, ping, tcp, tls, dns, redis and heartbeat`},
		{in: "http My_API x", err: `"My_API" is not a usable name: use lowercase letters, digits, - and _ (at most 64)`},
		{in: "http all x", err: `"all" is not a usable name: use lowercase letters, digits, - and _ (at most 64)`},
		{in: "tcp db", err: "usage: /add tcp NAME HOST:PORT"},
		{in: "http api x every", err: `option "every" needs a value`},
		{in: "http api x every soon", err: `"soon" is not a duration (like 30s, 15m, 2h, 7d)`},
		{in: "http api x color red", err: `unknown option "color"; options: every, timeout, expect, host, after`},
		{in: "ping p h expect 1", err: "ping checks take no expect"},
	}
	for _, c := range cases {
		args, _ := splitArgs(c.in)
		got, err := parseAdd(args)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

// FuzzParseCommand feeds arbitrary messages through the command parser and the /add and
// duration parsers: nothing panics, arguments survive quoting, durations stay positive.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/status", "/add http api https://x/ every 5m expect 200", `/add http "a \"b\"" c`,
		"/mute all 2h", "/history api 7d", "/x “y", "/a@b c\td\ne", "/pause api 1h30m", "/add dns s q record a",
		"/add heartbeat hb every 1d grace 2h", "/\x00", "/a \"\\", "/run 9999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, isCmd, err := parseCommand(text)
		if !isCmd || err != nil {
			return
		}
		if !utf8.ValidString(cmd.Name) || cmd.Name == "" || len(cmd.Args) > maxArgs {
			t.Fatalf("bad command %#v", cmd)
		}
		quoted := make([]string, len(cmd.Args))
		for i, a := range cmd.Args {
			quoted[i] = quoteArg(a)
		}
		again, err := splitArgs(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-splitting %q: %v", quoted, err)
		}
		if len(again) != len(cmd.Args) {
			t.Fatalf("round trip %q -> %q", cmd.Args, again)
		}
		for i := range again {
			if again[i] != strings.NewReplacer("“", `"`, "”", `"`).Replace(cmd.Args[i]) && again[i] != cmd.Args[i] {
				t.Fatalf("round trip %q -> %q", cmd.Args, again)
			}
		}
		for _, a := range cmd.Args {
			if d, err := parseDuration(a); err == nil && (d <= 0 || d > maxDuration) {
				t.Fatalf("parseDuration(%q) = %v", a, d)
			}
		}
		if c, err := parseAdd(cmd.Args); err == nil {
			if !validCheckName(c.Name) || c.Source != "chat" {
				t.Fatalf("parseAdd(%q) = %+v", cmd.Args, c)
			}
		}
	})
}
