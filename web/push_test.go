package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/statusmap/statusmap/monitor"
)

func TestPush(t *testing.T) {
	e := newEnv(t, envOpts{noStore: true, yaml: "  - name: nightly\n    type: heartbeat\n    period: 1d\n    grace: 1h\n"})
	tok, ok := e.eng.HeartbeatToken("nightly")
	if !ok {
		t.Fatal("no token")
	}
	tests := []struct {
		method, path string
		code         int
		body         string
		status       monitor.Status // after a run; "" = not run
	}{
		{"GET", "/push/" + tok, 200, "OK", monitor.StatusOK},
		{"POST", "/push/" + tok + "/fail", 200, "OK", monitor.StatusError},
		{"POST", "/push/" + tok + "/0", 200, "OK", monitor.StatusOK},
		{"GET", "/push/" + tok + "/2", 200, "OK", monitor.StatusError},
		{"GET", "/push/" + tok + "/start", 200, "OK", ""},
		{"GET", "/push/" + tok + "?status=success", 200, "OK", monitor.StatusOK},
		{"GET", "/push/" + tok + "?status=fail", 200, "OK", monitor.StatusError},
		{"GET", "/push/" + tok + "?status=maybe", 400, "status must be success, start or fail", ""},
		{"GET", "/push/" + tok + "/banana", 400, "bad push", ""},
		{"GET", "/push/" + tok + "/256", 400, "bad push", ""},
		{"DELETE", "/push/" + tok, 405, "method not allowed", ""},
		{"HEAD", "/push/" + tok, 405, "", ""},
		{"GET", "/push/0123456789abcdef0123456789abcdef", 404, "unknown token", ""},
		{"POST", "/push/0123456789abcdef0123456789abcdef/fail", 404, "unknown token", ""},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, strings.NewReader("log output"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 200)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		body := string(buf[:n])
		if resp.StatusCode != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.code, tc.body)
		}
		if strings.Contains(body, tok) {
			t.Errorf("the answer echoes the token: %q", body)
		}
		if tc.status != "" {
			e.run(t, "nightly")
			if v, _ := e.eng.Get("nightly"); v.State.Status != tc.status {
				t.Errorf("after %s %s: status %s (%s), want %s", tc.method, tc.path, v.State.Status, v.State.Last.Reason, tc.status)
			}
		}
	}
}
