package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/statusmap/statusmap/config"
)

func TestMetrics(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(nil)
	defer tlsSrv.Close()
	yaml := "  - name: cert\n    type: tls\n    address: " + tlsSrv.Listener.Addr().String() + "\n\n" +
		"  - name: load\n    type: command\n    command: [\"/bin/sh\", \"-c\", \"echo 'LOAD OK | load1=0.50;4;8 used=2KB;;'\"]\n"
	e := newEnv(t, envOpts{fixed: true, noStore: true, yaml: yaml})
	e.targets["app"].down.Store(true)
	e.run(t, "api", "app", "cert", "load")
	resp, body := e.get(t, "/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d", resp.StatusCode)
	}
	want := []string{
		`statusmap_check_up{check="api",host="fold",type="api"} 1`,
		`statusmap_check_up{check="app",host="fold",type="http"} 0`,
		`statusmap_check_up{check="db",host="fold",type="tcp"} 0`,
		`statusmap_check_status{check="app",status="error"} 1`,
		`statusmap_check_status{check="app",status="ok"} 0`,
		`statusmap_check_status{check="db",status="unknown"} 1`,
		`statusmap_check_success_total{check="api"} 1`,
		`statusmap_check_failure_total{check="app"} 1`,
		`statusmap_check_failure_total{check="api"} 0`,
		`statusmap_check_latency_seconds_count{check="api"} 1`,
		`statusmap_check_latency_seconds_bucket{check="app",le="+Inf"} 1`,
		`statusmap_check_value{check="load",name="load1"} 0.5`,
		`statusmap_check_value{check="load",name="used_bytes"} 2048`,
		`statusmap_checks{status="ok"} 2`,
		`statusmap_checks{status="error"} 2`,
		`statusmap_checks{status="unknown"} 1`,
		`statusmap_sse_clients 0`,
		`statusmap_telegram_up 1`,
		`statusmap_build_info{version="1.0.0-test"} 1`,
		`# TYPE statusmap_check_success_total counter`,
		`# TYPE statusmap_check_latency_seconds histogram`,
		`go_goroutines `,
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("metrics lack %q", w)
		}
	}
	if !strings.Contains(body, `statusmap_tls_days_left{check="cert"} `) {
		t.Errorf("no TLS days left:\n%s", grep(body, "cert"))
	}
	if t.Failed() {
		t.Logf("statusmap metrics:\n%s", grep(body, "statusmap_"))
	}

	// A check removed from chat leaves no series behind.
	if _, err := e.eng.Add(context.Background(), config.Check{Name: "temp", Type: "http", URL: e.targets["api"].srv.URL}); err != nil {
		t.Fatal(err)
	}
	_, body = e.get(t, "/metrics")
	if !strings.Contains(body, `statusmap_check_latency_seconds_count{check="temp"} 1`) {
		t.Errorf("no latency of the added check:\n%s", grep(body, "temp"))
	}
	if err := e.eng.Remove("temp"); err != nil {
		t.Fatal(err)
	}
	e.get(t, "/metrics") // the scrape that notices the removal
	if _, body = e.get(t, "/metrics"); strings.Contains(body, `check="temp"`) {
		t.Errorf("removed check still exported:\n%s", grep(body, "temp"))
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
