package web

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/statusmap/statusmap/config"
)

func TestNewRefusesOpenListen(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true, noStore: true})
	deps := Deps{Engine: e.eng, Map: engineMap(e.eng)}
	tests := []struct {
		name string
		web  config.Web
		err  string
	}{
		{"default listen", config.Web{}, ""},
		{"loopback v4", config.Web{Listen: "127.0.0.1:9004"}, ""},
		{"loopback v6", config.Web{Listen: "[::1]:9004"}, ""},
		{"localhost", config.Web{Listen: "localhost:9004"}, ""},
		{"all interfaces", config.Web{Listen: ":9004"}, `web.listen ":9004" is not a loopback address: set web.auth.bearer or web.auth.username and web.auth.password, or web.public: true`},
		{"lan address", config.Web{Listen: "192.168.1.5:80"}, `web.listen "192.168.1.5:80" is not a loopback address`},
		{"public", config.Web{Listen: "0.0.0.0:9004", Public: true}, ""},
		{"bearer", config.Web{Listen: "0.0.0.0:9004", Auth: config.WebAuth{Bearer: "s3cret"}}, ""},
		{"basic", config.Web{Listen: "0.0.0.0:9004", Auth: config.WebAuth{Username: "me", Password: "pw"}}, ""},
		{"half basic", config.Web{Listen: "0.0.0.0:9004", Auth: config.WebAuth{Username: "me"}}, "web.auth: username and password must be set together"},
		{"bad timezone", config.Web{Timezone: "Mars/Olympus"}, `web.timezone "Mars/Olympus"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.web, deps, slog.New(slog.DiscardHandler))
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
	if _, err := New(config.Web{}, Deps{Map: deps.Map}, nil); err == nil {
		t.Error("no engine accepted")
	}
}

func TestAuth(t *testing.T) {
	type req struct {
		path   string
		bearer string
		user   string
		pass   string
		want   int
	}
	tests := []struct {
		name string
		auth config.WebAuth
		reqs []req
	}{
		{"no auth on loopback", config.WebAuth{}, []req{
			{path: "/api/all", want: 200},
			{path: "/metrics", want: 200},
			{path: "/", want: 200},
		}},
		{"bearer", config.WebAuth{Bearer: "tok-123"}, []req{
			{path: "/api/all", want: 401},
			{path: "/api/all", bearer: "tok-123", want: 200},
			{path: "/api/all", bearer: "tok-1234", want: 401},
			{path: "/api/all", bearer: "tok-12", want: 401},
			{path: "/api/all", user: "x", pass: "tok-123", want: 401},
			{path: "/map.svg", want: 401},
			{path: "/events", want: 401},
			{path: "/metrics", bearer: "tok-123", want: 200},
			{path: "/static/app.js", want: 401},
			{path: "/healthz", want: 200},
			{path: "/push/unknown-token", want: 404},
		}},
		{"basic", config.WebAuth{Username: "admin", Password: "pa55"}, []req{
			{path: "/", want: 401},
			{path: "/", user: "admin", pass: "pa55", want: 200},
			{path: "/", user: "admin", pass: "pa56", want: 401},
			{path: "/", user: "root", pass: "pa55", want: 401},
			{path: "/api/probe/api", user: "admin", pass: "pa55", want: 200},
			{path: "/api/probe/api", bearer: "pa55", want: 401},
			{path: "/healthz", want: 200},
		}},
		{"both", config.WebAuth{Bearer: "tok", Username: "admin", Password: "pa55"}, []req{
			{path: "/api/info", bearer: "tok", want: 200},
			{path: "/api/info", user: "admin", pass: "pa55", want: 200},
			{path: "/api/info", want: 401},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{fixed: true, noStore: true, web: config.Web{Listen: "0.0.0.0:9004", Auth: tc.auth, Public: tc.auth == config.WebAuth{}}})
			for _, r := range tc.reqs {
				hr, _ := http.NewRequest("GET", e.ts.URL+r.path, nil)
				if r.bearer != "" {
					hr.Header.Set("Authorization", "Bearer "+r.bearer)
				}
				if r.user != "" {
					hr.SetBasicAuth(r.user, r.pass)
				}
				resp, err := http.DefaultClient.Do(hr)
				if err != nil {
					t.Fatal(err)
				}
				if r.path == "/events" && resp.StatusCode == 200 {
					resp.Body.Close()
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if resp.StatusCode != r.want {
					t.Errorf("GET %s (bearer %q, basic %q:%q) = %d, want %d", r.path, r.bearer, r.user, r.pass, resp.StatusCode, r.want)
				}
				if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
		})
	}
}
