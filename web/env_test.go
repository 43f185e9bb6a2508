package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
	"github.com/statusmap/statusmap/storage"
)

// target is an HTTP service a check watches; down makes it answer 500.
type target struct {
	srv  *httptest.Server
	down atomic.Bool
}

func newTarget(t testing.TB) *target {
	tg := &target{}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tg.down.Load() {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"resource":"foldwrap","version":"1.2"}`)
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

// relay lets the engine be built before the web server that receives its runs.
type relay struct{ s atomic.Pointer[Server] }

func (r *relay) RecordResult(res monitor.Result, st monitor.State) {
	if s := r.s.Load(); s != nil {
		s.RecordResult(res, st)
	}
}

func (r *relay) HandleEvent(ev monitor.Event) {
	if s := r.s.Load(); s != nil {
		s.HandleEvent(ev)
	}
}

type envOpts struct {
	checks   int        // extra generated http checks "svc-NNNN" besides the fixed ones
	fixed    bool       // the fixed checks api, app, db (db never run)
	interval string     // check interval; default 1h (tests run checks by hand)
	web      config.Web // listen etc.
	now      func() time.Time
	start    bool // schedule the checks
	health   func() (bool, time.Time)
	noStore  bool
	yaml     string // more checks, as YAML list items
}

type env struct {
	cfg     *config.Config
	eng     *monitor.Engine
	db      *storage.DB
	srv     *Server
	ts      *httptest.Server
	targets map[string]*target
}

// testNow is the fixed clock of deterministic tests: the original project's example time.
var testNow = time.Date(2023, 3, 3, 6, 37, 24, 0, time.UTC)

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	if o.interval == "" {
		o.interval = "1h"
	}
	e := &env{targets: map[string]*target{}}
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  interval: %s\n  timeout: 2s\n  failure_threshold: 1\nchecks:\n", o.interval)
	if o.fixed {
		for _, n := range []string{"api", "app"} {
			e.targets[n] = newTarget(t)
		}
		fmt.Fprintf(&b, `  - name: api
    type: api
    url: %s/
    host: fold
    runtime: docker
    extra: {port: "9000"}
  - name: app
    type: http
    url: %s/
    host: fold
    runtime: tmux
    dependencies: [api]
  - name: db
    type: tcp
    address: 127.0.0.1:1
    host: fold
`, e.targets["api"].srv.URL, e.targets["app"].srv.URL)
	}
	b.WriteString(o.yaml)
	var shared *target
	for i := range o.checks {
		if shared == nil {
			shared = newTarget(t)
		}
		fmt.Fprintf(&b, "  - name: svc-%04d\n    type: http\n    url: %s/%d\n    host: host-%d\n", i, shared.srv.URL, i, i%10)
	}
	cfg, err := config.Parse([]byte(b.String()), "test.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v\n%s", err, b.String())
	}
	e.cfg = cfg
	now := o.now
	ctx := context.Background()
	if !o.noStore {
		sopt := storage.Options{Logger: slog.New(slog.DiscardHandler), MaintainInterval: -1, FlushInterval: 10 * time.Millisecond}
		if now != nil {
			sopt.Now = now
		}
		db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "statusmap.db"), sopt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		e.db = db
	}
	rl := &relay{}
	mopt := monitor.Options{Now: now, Events: []monitor.EventSink{rl}, Results: []monitor.ResultSink{rl}}
	if e.db != nil {
		mopt.Results = append(mopt.Results, e.db)
	}
	eng, err := monitor.New(cfg, mopt)
	if err != nil {
		t.Fatal(err)
	}
	e.eng = eng
	deps := Deps{
		Engine: eng,
		Map:    engineMap(eng),
		Info:   Info{Version: "1.0.0-test", Client: "statusmap-test"},
		Now:    now,
		Health: o.health,
	}
	if e.db != nil {
		deps.History = e.db
	}
	web := o.web
	if web.Timezone == "" {
		web.Timezone = "UTC"
	}
	srv, err := New(web, deps, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rl.s.Store(srv)
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.hub.closeAll()
		e.ts.Close()
	})
	if o.start {
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = eng.Stop(sctx)
		})
	}
	return e
}

// engineMap is the map function main wires: the generated map of every check with the
// engine's live states.
func engineMap(eng *monitor.Engine) MapFunc {
	return func(ctx context.Context, host string) (string, map[string]render.NodeStatus, error) {
		return monitor.MapInput("", eng.Snapshot(), host)
	}
}

func (e *env) run(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := e.eng.RunNow(context.Background(), n); err != nil {
			t.Fatalf("run %s: %v", n, err)
		}
	}
}

func (e *env) get(t testing.TB, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(e.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
