package monitor

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

func testHTTPServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"resource":"foldwrap","n":3,"ok":true,"items":[{"id":7}],"version":"1.4.2","nested":{"a":{"b":null}},"ratio":0.5}`)
	})
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"resource":"x"}`) })
	mux.HandleFunc("/status/503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello world") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(150 * time.Millisecond) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		json.NewEncoder(w).Encode(map[string]string{"method": r.Method, "token": r.Header.Get("X-Token"), "body": string(b), "host": r.Host})
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("a", maxBody+10)))
		io.WriteString(w, "END")
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func probeOnce(p Probe, c config.Check) Outcome {
	if c.Timeout == 0 {
		c.Timeout = config.Duration(5 * time.Second)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout.D())
	defer cancel()
	return p(ctx, &c, NewRunLog(time.Now()))
}

func TestHTTPProbe(t *testing.T) {
	srv := testHTTPServer(t)
	no := false
	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string // exact, or prefix when it ends with "*"
		code   int
		extra  map[string]string
	}{
		{name: "ok", check: config.Check{URL: "/ok"}, status: StatusOK, code: 200},
		{name: "503 default", check: config.Check{URL: "/status/503"}, status: StatusError, reason: "HTTP 503, want 2xx", code: 503},
		{name: "503 want 200", check: config.Check{URL: "/status/503", Expect: config.Expect{Status: []string{"200"}}}, status: StatusError, reason: "HTTP 503, want 200", code: 503},
		{name: "5xx accepted", check: config.Check{URL: "/status/503", Expect: config.Expect{Status: []string{"5xx"}}}, status: StatusOK, code: 503},
		{name: "range list", check: config.Check{URL: "/status/503", Expect: config.Expect{Status: []string{"200-299", "404"}}}, status: StatusError, reason: "HTTP 503, want 200-299, 404"},
		{name: "range hit", check: config.Check{URL: "/status/503", Expect: config.Expect{Status: []string{"500-503"}}}, status: StatusOK},
		{name: "comma list", check: config.Check{URL: "/ok", Expect: config.Expect{Status: []string{"201, 200"}}}, status: StatusOK},
		{name: "body contains", check: config.Check{URL: "/ok", Expect: config.Expect{BodyContains: "foldwrap"}}, status: StatusOK},
		{name: "body lacks", check: config.Check{URL: "/ok", Expect: config.Expect{BodyContains: "nope"}}, status: StatusError, reason: `body does not contain "nope"`},
		{name: "body regex", check: config.Check{URL: "/ok", Expect: config.Expect{BodyRegex: `"n":\d`}}, status: StatusOK},
		{name: "body regex miss", check: config.Check{URL: "/ok", Expect: config.Expect{BodyRegex: `^xyz`}}, status: StatusError, reason: "body does not match /^xyz/"},
		{name: "bad regex", check: config.Check{URL: "/ok", Expect: config.Expect{BodyRegex: `(`}}, status: StatusError, reason: "body_regex: error parsing regexp*"},
		{name: "json string equal", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.resource == "foldwrap"`}}}, status: StatusOK},
		{name: "json string differs", check: config.Check{URL: "/x", Expect: config.Expect{JSON: []string{`$.resource == "foldwrap"`}}}, status: StatusError, reason: `$.resource = "x", want "foldwrap"`},
		{name: "json numbers", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.n >= 3`, `$.n == 3.0`, `$.ratio < 1`, `$.items[0].id == 7`}}}, status: StatusOK},
		{name: "json number fails", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.n > 3`}}}, status: StatusError, reason: "$.n = 3, want > 3"},
		{name: "json bool", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.ok == true`}}}, status: StatusOK},
		{name: "json bool fails", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.ok == false`}}}, status: StatusError, reason: "$.ok = true, want false"},
		{name: "json not equal", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.resource != "foldwrap"`}}}, status: StatusError, reason: `$.resource = "foldwrap", want != "foldwrap"`},
		{name: "json missing", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.missing == 1`}}}, status: StatusError, reason: "$.missing missing, want 1"},
		{name: "json null and index", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.nested.a.b == null`, `$["items"][0]["id"] != 8`}}}, status: StatusOK},
		{name: "json index out of range", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.items[3].id == 7`}}}, status: StatusError, reason: "$.items[3].id missing, want 7"},
		{name: "json ordering on a string", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`$.resource > 1`}}}, status: StatusError, reason: `$.resource = "foldwrap", want > 1`},
		{name: "json fields", check: config.Check{URL: "/ok", Expect: config.Expect{JSONFields: []string{"$.version", "$.nested.a.b"}}}, status: StatusOK},
		{name: "json field missing", check: config.Check{URL: "/ok", Expect: config.Expect{JSONFields: []string{"$.version", "$.nope"}}}, status: StatusError, reason: "$.nope missing"},
		{name: "not json", check: config.Check{URL: "/text", Expect: config.Expect{JSON: []string{`$.a == 1`}}}, status: StatusError, reason: "body is not JSON: invalid character 'h' looking for beginning of value at byte 1"},
		{name: "bad rule", check: config.Check{URL: "/ok", Expect: config.Expect{JSON: []string{`resource == 1`}}}, status: StatusError, reason: `json rule "resource == 1": *`},
		{name: "extract", check: config.Check{URL: "/ok", Extract: map[string]string{"version": "$.version", "n": "$.n", "item": "$.items[0]", "gone": "$.gone"}},
			status: StatusOK, extra: map[string]string{"version": "1.4.2", "n": "3", "item": `{"id":7}`}},
		{name: "extract on text body", check: config.Check{URL: "/text", Extract: map[string]string{"v": "$.v"}}, status: StatusOK},
		{name: "slow is warn", check: config.Check{URL: "/slow", Expect: config.Expect{MaxResponseTime: config.Duration(50 * time.Millisecond)}}, status: StatusWarn, reason: "response took *"},
		{name: "redirect followed", check: config.Check{URL: "/redirect", Expect: config.Expect{JSON: []string{`$.n == 3`}}}, status: StatusOK, code: 200},
		{name: "redirect not followed", check: config.Check{URL: "/redirect", FollowRedirects: &no}, status: StatusOK, code: 302},
		{name: "redirect not followed want 200", check: config.Check{URL: "/redirect", FollowRedirects: &no, Expect: config.Expect{Status: []string{"200"}}}, status: StatusError, reason: "HTTP 302, want 200"},
		{name: "method headers body", check: config.Check{URL: "/echo", Method: "post", Body: "ping", Headers: map[string]string{"X-Token": "s3cret", "Host": "api.local"},
			Expect: config.Expect{JSON: []string{`$.method == "POST"`, `$.token == "s3cret"`, `$.body == "ping"`, `$.host == "api.local"`}}}, status: StatusOK},
		{name: "body bounded", check: config.Check{URL: "/big", Expect: config.Expect{BodyContains: "END"}}, status: StatusError, reason: `body does not contain "END"`},
		{name: "timeout", check: config.Check{URL: "/hang", Timeout: config.Duration(300 * time.Millisecond)}, status: StatusError, reason: "timeout after 300ms"},
		{name: "bad scheme", check: config.Check{URL: "ftp://127.0.0.1/"}, status: StatusError, reason: `url scheme "ftp": want http or https`},
		{name: "unparsable url keeps secrets out", check: config.Check{URL: "http://user:s3cret@[::1/"}, status: StatusError, reason: "invalid url"},
	}
	h := newHTTPProber()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.check
			if strings.HasPrefix(c.URL, "/") {
				c.URL = srv.URL + c.URL
			}
			out := probeOnce(h.probe, c)
			if out.Status != tt.status {
				t.Fatalf("status %s (%q), want %s", out.Status, out.Reason, tt.status)
			}
			if p, ok := strings.CutSuffix(tt.reason, "*"); ok {
				if !strings.HasPrefix(out.Reason, p) {
					t.Fatalf("reason %q, want prefix %q", out.Reason, p)
				}
			} else if out.Reason != tt.reason {
				t.Fatalf("reason %q, want %q", out.Reason, tt.reason)
			}
			if tt.code != 0 && out.Code != tt.code {
				t.Fatalf("code %d, want %d", out.Code, tt.code)
			}
			if tt.extra != nil && !maps.Equal(out.Extra, tt.extra) {
				t.Fatalf("extra %v, want %v", out.Extra, tt.extra)
			}
			if strings.Contains(out.Reason, "s3cret") {
				t.Fatal("secret in reason")
			}
		})
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	out := probeOnce(newHTTPProber().probe, config.Check{URL: "http://" + closedAddr(t) + "/?token=s3cret"})
	if out.Status != StatusError || !strings.Contains(out.Reason, "connection refused") || strings.Contains(out.Reason, "s3cret") {
		t.Fatalf("%+v", out)
	}
}

func TestHTTPLogHasNoSecrets(t *testing.T) {
	srv := testHTTPServer(t)
	c := config.Check{URL: strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/ok?key=s3cret", Timeout: config.Duration(5 * time.Second),
		Headers: map[string]string{"Authorization": "Bearer s3cret"}}
	log := NewRunLog(time.Now())
	out := newHTTPProber().probe(context.Background(), &c, log)
	if out.Status != StatusOK {
		t.Fatalf("%+v", out)
	}
	text := strings.Join(log.Lines(), "\n")
	if strings.Contains(text, "s3cret") || !strings.Contains(text, "GET http://") || !strings.Contains(text, "HTTP 200") {
		t.Fatalf("log:\n%s", text)
	}
}

func TestHTTPSVerify(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer srv.Close()
	no := false
	h := newHTTPProber()
	out := probeOnce(h.probe, config.Check{URL: srv.URL})
	if out.Status != StatusError || !strings.Contains(out.Reason, "certificate") {
		t.Fatalf("self-signed certificate accepted with tls_verify on: %+v", out)
	}
	out = probeOnce(h.probe, config.Check{URL: srv.URL, TLSVerify: &no, Expect: config.Expect{BodyContains: "secure"}})
	if out.Status != StatusOK || out.Code != 200 {
		t.Fatalf("tls_verify off: %+v", out)
	}
}

func TestStatusMatches(t *testing.T) {
	tests := []struct {
		code   int
		want   []string
		follow bool
		ok     bool
		text   string
	}{
		{200, nil, true, true, ""},
		{204, nil, true, true, ""},
		{301, nil, true, false, "2xx"},
		{301, nil, false, true, ""},
		{404, nil, false, false, "2xx or 3xx"},
		{404, []string{"404"}, true, true, ""},
		{418, []string{"4XX"}, true, true, ""},
		{500, []string{"200", "2xx"}, true, false, "200, 2xx"},
		{250, []string{"200-299"}, true, true, ""},
		{300, []string{"200-299"}, true, false, "200-299"},
		{200, []string{"abc"}, true, false, "abc"},
	}
	for _, tt := range tests {
		ok, text := statusMatches(tt.code, tt.want, tt.follow)
		if ok != tt.ok || text != tt.text {
			t.Errorf("statusMatches(%d, %q, %v) = %v, %q; want %v, %q", tt.code, tt.want, tt.follow, ok, text, tt.ok, tt.text)
		}
	}
}
