package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func fixedClock() time.Time { return testNow }

// latencies differ from run to run; the golden files keep the shape, not the figure.
var volatile = regexp.MustCompile(`"latency_ms": [0-9.]+`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
	}
	pretty := bytes.TrimSpace(buf.Bytes())
	pretty = volatile.ReplaceAll(pretty, []byte(`"latency_ms": "<varies>"`))
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended):\n%s", name, pretty)
	}
}

func TestAPIAllGolden(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true, now: fixedClock, web: config0("Europe/Moscow")})
	e.targets["app"].down.Store(true)
	e.run(t, "api", "app", "api")
	resp, body := e.get(t, "/api/all")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	golden(t, "api_all.json", []byte(body))

	// The original frontend reads exactly these keys, in this order of the top level.
	if !strings.HasPrefix(body, `{"client":"statusmap-test","time_client":"03.03.2023 09:37:24","probes":[`) {
		t.Errorf("top level: %.120s", body)
	}
	var all struct {
		Probes []map[string]json.RawMessage `json:"probes"`
	}
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		t.Fatal(err)
	}
	for _, p := range all.Probes {
		for _, k := range []string{"name", "type", "interval", "lastcheck", "status", "success_count", "fail_count", "success_ratio", "dependencies", "extra"} {
			if _, ok := p[k]; !ok {
				t.Errorf("probe %s lacks %q", p["name"], k)
			}
		}
	}
}

func config0(tz string) config.Web { return config.Web{Timezone: tz} }

func TestAPIProbeAndErrors(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true, now: fixedClock})
	e.run(t, "api")
	tests := []struct {
		path     string
		code     int
		contains string
	}{
		{"/api/probe/api", 200, `"lastcheck":"03.03.2023 06:37:24","status":"ok","success_count":1`},
		{"/api/probe/db", 200, `"lastcheck":"","status":"unknown"`},
		{"/api/probe/nope", 404, `"error":"no check named \"nope\""`},
		{"/api/checks/nope/history", 404, `no check named`},
		{"/api/checks/api/history?since=banana", 400, `since: want a duration`},
		{"/api/checks/api/history?limit=0", 400, `limit: want 1..1000`},
		{"/api/checks/api/history?step=1s", 400, `step: want a duration of at least 1m`},
		{"/healthz", 200, "ok"},
		{"/nowhere", 404, "not found"},
		{"/map.svg?host=nohost", 404, `no checks on host`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := e.get(t, tc.path)
			if resp.StatusCode != tc.code || !strings.Contains(body, tc.contains) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, resp.StatusCode, body, tc.code, tc.contains)
			}
		})
	}
}

func TestAPIInfo(t *testing.T) {
	down := time.Date(2023, 3, 3, 5, 0, 0, 0, time.UTC)
	e := newEnv(t, envOpts{fixed: true, now: fixedClock, health: func() (bool, time.Time) { return false, down }})
	e.run(t, "api")
	_, body := e.get(t, "/api/info")
	golden(t, "api_info.json", []byte(body))
}

func TestAPIHistory(t *testing.T) {
	var clock atomic.Int64
	clock.Store(testNow.Add(-3 * time.Hour).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	e := newEnv(t, envOpts{fixed: true, now: now})
	for i := range 3 {
		e.targets["api"].down.Store(i == 2)
		e.run(t, "api")
		clock.Add(int64(time.Hour))
	}
	var h historyJSON
	waitFor(t, "three stored runs", 5*time.Second, func() bool {
		_, body := e.get(t, "/api/checks/api/history?since=24h")
		h = historyJSON{}
		return json.Unmarshal([]byte(body), &h) == nil && len(h.Results) == 3
	})
	if h.Step != "5m" || h.Since != "2023-03-02T06:37:24Z" || h.Until != "2023-03-03T06:37:24Z" || len(h.Series) != 3 {
		t.Errorf("window: step %s since %s until %s, %d points", h.Step, h.Since, h.Until, len(h.Series))
	}
	if h.Results[0].Status != "error" || !strings.Contains(h.Results[0].Reason, "500") {
		t.Errorf("newest result: %+v", h.Results[0])
	}
	if h.Series[0].Checks != 1 || h.Series[2].Failures != 1 || h.Series[0].Time != "2023-03-03T03:35:00Z" {
		t.Errorf("series: %+v", h.Series)
	}
	if h.Uptime["24h"] == nil || *h.Uptime["24h"] < 0.66 || *h.Uptime["24h"] > 0.67 {
		t.Errorf("uptime 24h: %v", *h.Uptime["24h"])
	}
	if len(h.Log) == 0 {
		t.Error("no run log")
	}
	_, body := e.get(t, "/api/uptime")
	if !strings.Contains(body, `"api":0.66667`) || !strings.Contains(body, `"db":null`) {
		t.Errorf("uptime: %s", body)
	}
}

func TestAPIAllGzipAndCache(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true})
	e.run(t, "api")
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/all", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Contains(plain, []byte(`"name":"api"`)) {
		t.Errorf("gzip body: %s", plain)
	}
	// A status change is visible at once, not after the cache's age.
	_, before := e.get(t, "/api/probe/api")
	if !strings.Contains(before, `"status":"ok"`) {
		t.Fatal(before)
	}
	e.targets["api"].down.Store(true)
	e.run(t, "api")
	_, body := e.get(t, "/api/all")
	if !strings.Contains(body, `"name":"api","type":"api","interval":3600,`) || !strings.Contains(body, `"status":"error"`) {
		t.Errorf("after the change: %s", body)
	}
}

func TestMapEndpoints(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true})
	e.targets["app"].down.Store(true)
	e.run(t, "api", "app")
	resp, svg := e.get(t, "/map.svg")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg, "<svg") {
		t.Fatalf("map.svg: %d %s %.80s", resp.StatusCode, resp.Header.Get("Content-Type"), svg)
	}
	if !strings.Contains(svg, "#ff9988") || !strings.Contains(svg, "#ccffbb") || !strings.Contains(svg, ">app<") {
		t.Errorf("map lacks the status colours or the names")
	}
	resp, pngBody := e.get(t, "/map.png?host=fold")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("map.png: %d %s", resp.StatusCode, pngBody)
	}
	img, err := png.Decode(strings.NewReader(pngBody))
	if err != nil || img.Bounds().Dx() < 50 {
		t.Fatalf("png: %v %v", err, img)
	}
	// The page carries the map inline and the script.
	resp, page := e.get(t, "/")
	if resp.StatusCode != 200 || !strings.Contains(page, "<svg") || !strings.Contains(page, `src="static/app.js"`) ||
		!strings.Contains(page, `name="viewport"`) {
		t.Errorf("page: %d %.300s", resp.StatusCode, page)
	}
	for _, p := range []string{"/static/app.js", "/static/style.css"} {
		if resp, body := e.get(t, p); resp.StatusCode != 200 || len(body) < 500 {
			t.Errorf("%s: %d, %d bytes", p, resp.StatusCode, len(body))
		}
	}
}

func TestBannerWhenTelegramUnreachable(t *testing.T) {
	var down atomic.Bool
	e := newEnv(t, envOpts{fixed: true, health: func() (bool, time.Time) { return !down.Load(), testNow }})
	_, page := e.get(t, "/")
	if !strings.Contains(page, `id="banner" class="banner" role="alert" hidden>`) {
		t.Errorf("banner shown while Telegram is reachable")
	}
	down.Store(true)
	_, page = e.get(t, "/")
	if !strings.Contains(page, "statusmap cannot reach Telegram: alerts are not being delivered since 03.03.2023 06:37:24") {
		t.Errorf("no banner: %.2000s", page)
	}
}
