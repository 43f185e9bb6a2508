package main

import (
	"context"
	"log/slog"
	"net"
	"time"

	"bytes"
	"encoding/json"
	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	body = strings.ReplaceAll(body, "DIR", dir)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIUsageAndVersion(t *testing.T) {
	if code, _, errs := runCLI(); code != 2 || !strings.Contains(errs, "usage: statusmap") {
		t.Errorf("no args: code %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI("frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, errs)
	}
	if code, out, _ := runCLI("version"); code != 0 || !strings.HasPrefix(out, "statusmap ") {
		t.Errorf("version: code %d, out %q", code, out)
	}
}

func TestValidateReportsAllErrorsAndExits2(t *testing.T) {
	p := writeConfig(t, `checks:
  - name: Bad Name
    type: http
    url: http://127.0.0.1:1/
  - name: api
    type: tcp
    address: 127.0.0.1:1
    interval: 0.1s
    dependencies: [nowhere]
`)
	code, _, errs := runCLI("validate", "-config", p)
	if code != 2 {
		t.Fatalf("code %d, want 2; stderr:\n%s", code, errs)
	}
	for _, want := range []string{"config.yaml:2:", "checks[0].name", "checks[1].interval", "checks[1].dependencies"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestValidateExampleConfig(t *testing.T) {
	code, out, errs := runCLI("validate", "-config", "config.example.yaml")
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errs)
	}
}

func TestOnceExitCodeFollowsChecks(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	ok := writeConfig(t, "storage:\n  path: DIR/s.db\nchecks:\n  - name: up\n    type: http\n    url: "+up.URL+"\n")
	code, out, errs := runCLI("once", "-config", ok)
	if code != 0 || !strings.Contains(out, "up ") || !strings.Contains(out, " ok ") {
		t.Fatalf("all up: code %d\n%s\n%s", code, out, errs)
	}
	bad := writeConfig(t, "storage:\n  path: DIR/s.db\nchecks:\n  - name: up\n    type: http\n    url: "+up.URL+
		"\n  - name: down\n    type: http\n    url: "+down.URL+"\n")
	code, out, errs = runCLI("once", "-config", bad)
	if code != 1 || !strings.Contains(out, "HTTP 503, want 200") {
		t.Fatalf("one down: code %d\n%s\n%s", code, out, errs)
	}
	// Counters persist between runs of `once`.
	_, out, _ = runCLI("once", "-config", bad)
	if !strings.Contains(out, "2/0") || !strings.Contains(out, "0/2") {
		t.Errorf("second run should show persisted counters 2/0 and 0/2:\n%s", out)
	}
}

func TestMapCommand(t *testing.T) {
	p := writeConfig(t, `storage:
  path: DIR/s.db
checks:
  - name: web
    type: tcp
    address: 127.0.0.1:1
    host: fold
    runtime: docker
    dependencies: [db]
  - name: db
    type: tcp
    address: 127.0.0.1:1
    host: fold
    runtime: docker
`)
	code, out, errs := runCLI("map", "-config", p, "-source")
	if code != 0 || !strings.Contains(out, "[<frame> fold|") || !strings.Contains(out, "[web] -> [db]") {
		t.Fatalf("map -source: code %d\n%s\n%s", code, out, errs)
	}
	img := filepath.Join(t.TempDir(), "map.png")
	if code, _, errs := runCLI("map", "-config", p, "-o", img); code != 0 {
		t.Fatalf("map -o: code %d: %s", code, errs)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 100 || cfg.Height < 100 {
		t.Fatalf("map.png: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
	if code, _, errs := runCLI("map", "-config", p, "-o", "map.gif"); code != 2 || !strings.Contains(errs, "want a .png or .svg") {
		t.Errorf("bad extension: code %d, %s", code, errs)
	}
}

func TestMapParsePrintsNomnomlJSON(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "d.nomnoml")
	os.WriteFile(src, []byte("[a]->[b]\n"), 0o644)
	code, out, errs := runCLI("map", "-parse", src)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	var v struct {
		Root struct {
			Nodes  []struct{ ID string }   `json:"nodes"`
			Assocs []struct{ Type string } `json:"assocs"`
		} `json:"root"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(v.Root.Nodes) != 2 || v.Root.Nodes[1].ID != "b" || len(v.Root.Assocs) != 1 || v.Root.Assocs[0].Type != "->" {
		t.Errorf("unexpected parse: %s", out)
	}
}

func TestValidateWarnsAboutHandWrittenMap(t *testing.T) {
	p := writeConfig(t, `checks:
  - name: api
    type: tcp
    address: 127.0.0.1:1
  - name: db
    type: tcp
    address: 127.0.0.1:1
map:
  source: |
    [<frame> fold | [apii] -> [db]]
`)
	code, _, errs := runCLI("validate", "-config", p)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"node [apii] looks like a check", `check "api" appears on no map node`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "[fold]") {
		t.Errorf("a frame is not a check:\n%s", errs)
	}
}

func TestRunServesWebAndStopsOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer target.Close()
	p := writeConfig(t, "storage:\n  path: DIR/s.db\nweb:\n  listen: "+addr+"\nchecks:\n  - name: api\n    type: http\n    url: "+target.URL+"\n    interval: 1s\n")
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, p, cfg, slog.New(slog.DiscardHandler)) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/all")
		if err == nil {
			var all struct {
				Probes []struct {
					Name, Status string
				} `json:"probes"`
			}
			json.NewDecoder(resp.Body).Decode(&all)
			resp.Body.Close()
			if len(all.Probes) == 1 && all.Probes[0].Status == "ok" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("api never reported the check ok (last err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("web still answers after stop")
	}
}

func TestChatChecksJoinTheConfigAndLoseClashes(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "s.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []config.Check{
		{Name: "from-chat", Type: "tcp", Address: "127.0.0.1:1", Interval: config.Duration(5 * time.Second)},
		{Name: "api", Type: "tcp", Address: "127.0.0.1:2"},
	} {
		if err := db.SaveCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{Checks: []config.Check{{Name: "api", Type: "tcp", Address: "127.0.0.1:3"}}}
	withChatChecks(ctx, cfg, db, slog.New(slog.DiscardHandler))
	if len(cfg.Checks) != 2 {
		t.Fatalf("checks %+v, want api from the config and from-chat", cfg.Checks)
	}
	if cfg.Checks[0].Address != "127.0.0.1:3" {
		t.Errorf("the config's api was replaced: %+v", cfg.Checks[0])
	}
	if c := cfg.Checks[1]; c.Name != "from-chat" || c.Source != "chat" {
		t.Errorf("chat check %+v", c)
	}
	// Stored checks get the defaults again: a 5s check must not wait 10s for its timeout.
	if c := cfg.Checks[1]; c.Timeout.D() != 5*time.Second || c.FailureThreshold != 2 {
		t.Errorf("chat check not defaulted like when it was added: timeout %s, failure_threshold %d", c.Timeout.D(), c.FailureThreshold)
	}
}

func TestPausesFromChatSurviveRestart(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "s.db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	if err := db.SetPause(ctx, "api", until); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Checks: []config.Check{
		{Name: "api", Type: "tcp", Address: "127.0.0.1:1"},
		{Name: "db", Type: "tcp", Address: "127.0.0.1:1"},
	}}
	eng, err := monitor.New(cfg, monitor.Options{})
	if err != nil {
		t.Fatal(err)
	}
	restorePauses(ctx, db, eng, slog.New(slog.DiscardHandler))
	if v, _ := eng.Get("api"); v.State.Status != monitor.StatusPaused {
		t.Errorf("api after restore: %s, want paused", v.State.Status)
	}
	if v, _ := eng.Get("db"); v.State.Status == monitor.StatusPaused {
		t.Error("db was not paused")
	}
}
