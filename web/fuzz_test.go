package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzRequests sends arbitrary paths and queries (push actions, history windows, map
// hosts, ...) to the handler: nothing may panic or answer with a server error.
func FuzzRequests(f *testing.F) {
	e := newEnv(f, envOpts{fixed: true, now: fixedClock, yaml: "  - name: nightly\n    type: heartbeat\n    period: 1d\n    grace: 1h\n"})
	e.run(f, "api")
	h := e.srv.Handler()
	for _, s := range []string{
		"/api/all", "/api/probe/api", "/api/checks/api/history?since=7d&step=1h&limit=5",
		"/api/checks/api/history?since=-1h", "/api/checks/api/history?since=99999d&step=1m",
		"/push/abc/fail", "/push/abc/-1", "/push/abc/start?status=fail", "/map.svg?host=fold",
		"/api/probe/%00", "/events?x=1", "/static/../server.go", "/push//", "/api/uptime",
	} {
		f.Add("GET", s)
	}
	f.Add("POST", "/push/abc/0")
	f.Fuzz(func(t *testing.T, method, target string) {
		if method != "GET" && method != "POST" && method != "HEAD" {
			method = "GET"
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Path == "/events" || u.Path == "/map.png" {
			return // an event stream never ends; the PNG is the SVG's twin and slow to fuzz
		}
		req := httptest.NewRequest(method, "/", nil)
		req.URL = u
		req.RequestURI = target
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Errorf("%s %s = %d %s", method, target, w.Code, w.Body.String())
		}
		if w.Code == http.StatusOK && w.Header().Get("Content-Type") == "" {
			t.Errorf("%s %s: no content type", method, target)
		}
	})
}
