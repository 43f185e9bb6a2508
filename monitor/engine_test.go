package monitor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// sink records everything the engine hands out.
type sink struct {
	mu      sync.Mutex
	results []Result
	states  []State
	events  []Event
}

func (s *sink) RecordResult(r Result, st State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results = append(s.results, r)
	s.states = append(s.states, st)
}

func (s *sink) HandleEvent(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
}

func (s *sink) resultsFor(name string) []Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Result
	for _, r := range s.results {
		if r.Check == name {
			out = append(out, r)
		}
	}
	return out
}

func (s *sink) eventsFor(name string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if e.Check == name {
			out = append(out, e)
		}
	}
	return out
}

func newTestEngine(t *testing.T, cfg *config.Config, opt Options) (*Engine, *sink) {
	t.Helper()
	s := &sink{}
	opt.Results = append(opt.Results, s)
	opt.Events = append(opt.Events, s)
	e, err := New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return e, s
}

func httpCheck(name, url string) config.Check {
	return config.Check{Name: name, Type: "http", URL: url, Timeout: config.Duration(5 * time.Second)}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func okServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resource":"foldwrap"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEngineRunNow(t *testing.T) {
	srv := okServer(t)
	cfg := &config.Config{Checks: []config.Check{httpCheck("api", srv.URL)}}
	e, s := newTestEngine(t, cfg, Options{})
	res, err := e.RunNow(context.Background(), "api")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusOK || res.Code != 200 || res.Latency <= 0 || len(res.Log) == 0 {
		t.Fatalf("result %+v", res)
	}
	v, ok := e.Get("api")
	if !ok || v.State.Status != StatusOK || v.State.SuccessCount != 1 {
		t.Fatalf("view %+v", v.State)
	}
	// Defaults are applied to the spec the engine shows.
	if v.Spec.Interval.D() != DefaultInterval || v.Spec.FailureThreshold != 2 || v.Spec.SuccessThreshold != 1 || v.Spec.Source != SourceConfig {
		t.Fatalf("effective spec %+v", v.Spec)
	}
	if evs := s.eventsFor("api"); len(evs) != 1 || evs[0].From != StatusUnknown || evs[0].To != StatusOK {
		t.Fatalf("events %+v", evs)
	}
	if len(s.resultsFor("api")) != 1 {
		t.Fatal("result not handed to the sink")
	}
	if _, err := e.RunNow(context.Background(), "nope"); err == nil || err.Error() != `unknown check "nope"` {
		t.Fatalf("unknown check: %v", err)
	}
}

func TestEngineDefaultsBlock(t *testing.T) {
	cfg := &config.Config{
		Defaults: config.Defaults{Interval: config.Duration(90 * time.Second), FailureThreshold: 3},
		Checks:   []config.Check{{Name: "a", Type: "tcp", Address: "127.0.0.1:1"}, {Name: "b", Type: "tcp", Address: "127.0.0.1:1", Interval: config.Duration(time.Second)}},
	}
	e, _ := newTestEngine(t, cfg, Options{})
	a, _ := e.Get("a")
	b, _ := e.Get("b")
	if a.Spec.Interval.D() != 90*time.Second || a.Spec.FailureThreshold != 3 || a.Spec.Timeout.D() != DefaultTimeout {
		t.Fatalf("a: %+v", a.Spec)
	}
	if b.Spec.Interval.D() != time.Second {
		t.Fatalf("b: the check's own interval wins, got %s", b.Spec.Interval.D())
	}
}

func TestEngineNewRejectsBadChecks(t *testing.T) {
	cfg := &config.Config{Checks: []config.Check{
		{Name: "a", Type: "gopher"},
		{Name: "B!", Type: "tcp"},
		{Name: "c", Type: "tcp"},
		{Name: "c", Type: "tcp"},
	}}
	_, err := New(cfg, Options{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`checks[0]: check "a": unknown type "gopher"`, `checks[1]: check name "B!"`, `checks[3]: duplicate check name "c"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestEngineScheduledNoOverlap(t *testing.T) {
	var cur, maxSeen, hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		hits.Add(1)
		time.Sleep(1300 * time.Millisecond) // longer than the interval
	}))
	defer srv.Close()
	c := httpCheck("slow", srv.URL)
	c.Interval = config.Duration(time.Second)
	e, s := newTestEngine(t, &config.Config{Checks: []config.Check{c}}, Options{})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 8*time.Second, "two scheduled runs", func() bool { return len(s.resultsFor("slow")) >= 2 })
	if m := maxSeen.Load(); m != 1 {
		t.Fatalf("%d runs of one check overlapped", m)
	}
	if err := e.Start(context.Background()); err == nil {
		t.Fatal("second Start accepted")
	}
}

func TestEngineConcurrencyBound(t *testing.T) {
	var cur, maxSeen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			m := maxSeen.Load()
			if n <= m || maxSeen.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(150 * time.Millisecond)
	}))
	defer srv.Close()
	var checks []config.Check
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		checks = append(checks, httpCheck(n, srv.URL))
	}
	e, _ := newTestEngine(t, &config.Config{Checks: checks}, Options{Concurrency: 2})
	views := e.RunAll(context.Background())
	if len(views) != 6 {
		t.Fatalf("%d views", len(views))
	}
	for _, v := range views {
		if v.State.Status != StatusOK {
			t.Fatalf("%s: %s %s", v.Spec.Name, v.State.Status, v.State.Last.Reason)
		}
	}
	if m := maxSeen.Load(); m != 2 {
		t.Fatalf("max concurrent runs %d, want 2", m)
	}
}

func TestEngineHungTargetDoesNotDelayOthers(t *testing.T) {
	// A listener that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	srv := okServer(t)
	hung := httpCheck("hung", "http://"+ln.Addr().String()+"/")
	hung.Timeout = config.Duration(time.Second)
	e, _ := newTestEngine(t, &config.Config{Checks: []config.Check{hung, httpCheck("fast", srv.URL)}}, Options{Concurrency: 4})

	hungDone := make(chan Result, 1)
	go func() {
		r, _ := e.RunNow(context.Background(), "hung")
		hungDone <- r
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	r, err := e.RunNow(context.Background(), "fast")
	if err != nil || r.Status != StatusOK {
		t.Fatalf("fast: %v %+v", err, r)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("fast check took %s while another hung", d)
	}
	hr := <-hungDone
	if hr.Status != StatusError || hr.Reason != "timeout after 1s" {
		t.Fatalf("hung: %s %q", hr.Status, hr.Reason)
	}
	if hr.Latency < 900*time.Millisecond || hr.Latency > 3*time.Second {
		t.Fatalf("hung latency %s", hr.Latency)
	}
}

func TestEngineStopLetsRunsFinish(t *testing.T) {
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		time.Sleep(400 * time.Millisecond)
	}))
	defer srv.Close()
	s := &sink{}
	e, err := New(&config.Config{Checks: []config.Check{httpCheck("api", srv.URL)}}, Options{Results: []ResultSink{s}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.RunNow(context.Background(), "api")
		done <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// Stop returned: the in-flight run has finished and was recorded.
	if rs := s.resultsFor("api"); len(rs) == 0 || rs[len(rs)-1].Status != StatusOK {
		t.Fatalf("in-flight run not finished before Stop returned: %+v", rs)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := e.RunNow(context.Background(), "api"); err == nil {
		t.Fatal("run after Stop accepted")
	}
}

func TestEngineReload(t *testing.T) {
	srv := okServer(t)
	cfg := &config.Config{Checks: []config.Check{httpCheck("a", srv.URL), httpCheck("b", srv.URL), httpCheck("c", srv.URL)}}
	e, _ := newTestEngine(t, cfg, Options{})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.RunAll(context.Background())
	if _, err := e.Add(context.Background(), httpCheck("chat1", srv.URL)); err != nil {
		t.Fatal(err)
	}

	b := httpCheck("b", srv.URL)
	b.Interval = config.Duration(5 * time.Minute)
	b.Extra = map[string]string{"owner": "ops"}
	next := &config.Config{Checks: []config.Check{httpCheck("a", srv.URL), b, httpCheck("d", srv.URL)}}
	if err := e.Reload(next); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range e.Snapshot() {
		names = append(names, v.Spec.Name)
	}
	if !slices.Equal(names, []string{"a", "b", "chat1", "d"}) {
		t.Fatalf("checks after reload %v", names)
	}
	a, _ := e.Get("a")
	if a.State.SuccessCount != 1 || a.State.Status != StatusOK {
		t.Fatalf("unchanged check lost its state: %+v", a.State)
	}
	bv, _ := e.Get("b")
	if bv.Spec.Interval.D() != 5*time.Minute || bv.State.SuccessCount != 1 || bv.State.Extra["owner"] != "ops" {
		t.Fatalf("changed check: spec %+v state %+v", bv.Spec.Interval, bv.State)
	}
	d, _ := e.Get("d")
	if d.State.Status != StatusUnknown {
		t.Fatalf("new check %+v", d.State)
	}
	// A bad config changes nothing.
	bad := &config.Config{Checks: []config.Check{{Name: "x", Type: "gopher"}}}
	if err := e.Reload(bad); err == nil {
		t.Fatal("bad config accepted")
	}
	if len(e.Snapshot()) != 4 {
		t.Fatal("a failed reload changed the checks")
	}
	// The new check is scheduled: it runs within its jitter (<= 30s capped by interval 60s).
	if _, err := e.RunNow(context.Background(), "d"); err != nil {
		t.Fatal(err)
	}
}

func TestEnginePauseResume(t *testing.T) {
	srv := okServer(t)
	e, s := newTestEngine(t, &config.Config{Checks: []config.Check{httpCheck("api", srv.URL)}}, Options{})
	if _, err := e.RunNow(context.Background(), "api"); err != nil {
		t.Fatal(err)
	}
	if err := e.Pause("api", time.Time{}); err != nil {
		t.Fatal(err)
	}
	v, _ := e.Get("api")
	if v.State.Status != StatusPaused || !v.State.Paused {
		t.Fatalf("after pause %+v", v.State)
	}
	if err := e.Resume("api"); err != nil {
		t.Fatal(err)
	}
	v, _ = e.Get("api")
	if v.State.Status != StatusOK || v.State.Paused {
		t.Fatalf("resume returns to the previous status, got %s", v.State.Status)
	}
	evs := s.eventsFor("api")
	got := make([]string, len(evs))
	for i, ev := range evs {
		got[i] = string(ev.From) + ">" + string(ev.To)
	}
	if !slices.Equal(got, []string{"unknown>ok", "ok>paused", "paused>ok"}) {
		t.Fatalf("events %v", got)
	}
	if err := e.Pause("api", time.Now().Add(-time.Minute)); err == nil {
		t.Fatal("pause into the past accepted")
	}
	if err := e.Pause("api", time.Now().Add(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 3*time.Second, "timed pause to end", func() bool {
		v, _ := e.Get("api")
		return !v.State.Paused && v.State.Status == StatusOK
	})
	if err := e.Pause("nope", time.Time{}); err == nil {
		t.Fatal("pause of an unknown check")
	}
}

func TestEnginePausedInConfig(t *testing.T) {
	srv := okServer(t)
	c := httpCheck("api", srv.URL)
	c.Paused = true
	c.Interval = config.Duration(time.Second)
	e, s := newTestEngine(t, &config.Config{Checks: []config.Check{c}}, Options{})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(s.resultsFor("api")); n != 0 {
		t.Fatalf("paused check ran %d times", n)
	}
	if v, _ := e.Get("api"); v.State.Status != StatusPaused {
		t.Fatalf("status %s", v.State.Status)
	}
}

func TestEngineAddRemove(t *testing.T) {
	srv := okServer(t)
	e, _ := newTestEngine(t, &config.Config{Checks: []config.Check{httpCheck("api", srv.URL)}}, Options{})
	res, err := e.Add(context.Background(), httpCheck("site", srv.URL))
	if err != nil || res.Status != StatusOK || res.Check != "site" {
		t.Fatalf("add: %v %+v", err, res)
	}
	v, ok := e.Get("site")
	if !ok || v.Spec.Source != SourceChat || v.State.SuccessCount != 1 {
		t.Fatalf("added check %+v", v)
	}
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"clash", func() error { _, err := e.Add(context.Background(), httpCheck("api", srv.URL)); return err }, `check "api" already exists`},
		{"bad name", func() error { _, err := e.Add(context.Background(), httpCheck("Bad Name", srv.URL)); return err }, `check "Bad Name": name: "Bad Name" must use only a-z, 0-9, _ and -`},
		{"bad type", func() error {
			_, err := e.Add(context.Background(), config.Check{Name: "x", Type: "gopher"})
			return err
		}, `check "x": type: unknown type "gopher" (one of api, command, dns, docker, heartbeat, http, mysql, ping, postgres, redis, sqlite, tcp, tls, tmux)`},
		{"bad dependency", func() error {
			c := httpCheck("y", srv.URL)
			c.Dependencies = []string{"ghost"}
			_, err := e.Add(context.Background(), c)
			return err
		}, `check "y": dependencies[0]: no check named "ghost"`},
		{"field of another type", func() error {
			c := httpCheck("z", srv.URL)
			c.Address = "127.0.0.1:1"
			_, err := e.Add(context.Background(), c)
			return err
		}, `check "z": address: not used by type http`},
		{"remove config check", func() error { return e.Remove("api") }, `check "api" is defined in the config file`},
		{"remove unknown", func() error { return e.Remove("ghost") }, `unknown check "ghost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	if err := e.Remove("site"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.Get("site"); ok {
		t.Fatal("removed check still there")
	}
}

type memTokens map[string]string

func (m memTokens) HeartbeatToken(_ context.Context, check string) (string, error) {
	if t, ok := m[check]; ok {
		return t, nil
	}
	return "", errors.New("no token")
}

func TestEnginePush(t *testing.T) {
	cfg := &config.Config{Checks: []config.Check{
		{Name: "backup", Type: "heartbeat", Token: "fixed-token", Period: config.Duration(time.Hour)},
		{Name: "cron", Type: "heartbeat", Period: config.Duration(time.Hour)},
		{Name: "other", Type: "heartbeat", Period: config.Duration(time.Hour)},
	}}
	e, _ := newTestEngine(t, cfg, Options{Tokens: memTokens{"cron": "stored-token"}})
	tests := []struct {
		token, want, err string
	}{
		{"fixed-token", "backup", ""},
		{"stored-token", "cron", ""},
		{"wrong", "", "unknown heartbeat token"},
		{"", "", "unknown heartbeat token"},
	}
	for _, tt := range tests {
		got, err := e.Push(tt.token, Push{Kind: "success"})
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("Push(%q) = %q, %v; want %q, %q", tt.token, got, err, tt.want, tt.err)
		}
	}
	// Without a stored token a random 128-bit one is made.
	tok, ok := e.HeartbeatToken("other")
	if !ok || len(tok) != 32 {
		t.Fatalf("random token %q", tok)
	}
	if name, err := e.Push(tok, Push{}); err != nil || name != "other" {
		t.Fatalf("push with random token: %q %v", name, err)
	}
}

func TestEngineRestore(t *testing.T) {
	srv := okServer(t)
	since := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	restore := map[string]State{"api": {
		Status: StatusError, Since: since, SuccessCount: 10, FailCount: 5, ConsecFail: 5, FailSince: since,
		Last: Result{Status: StatusError, Reason: "HTTP 503, want 2xx"},
	}}
	c := httpCheck("api", srv.URL)
	c.Extra = map[string]string{"team": "ops"}
	e, s := newTestEngine(t, &config.Config{Checks: []config.Check{c}}, Options{Restore: restore})
	v, _ := e.Get("api")
	if v.State.Status != StatusError || v.State.SuccessCount != 10 || v.State.Extra["team"] != "ops" {
		t.Fatalf("restored %+v", v.State)
	}
	if _, err := e.RunNow(context.Background(), "api"); err != nil {
		t.Fatal(err)
	}
	evs := s.eventsFor("api")
	if len(evs) != 1 || evs[0].From != StatusError || evs[0].To != StatusOK || !evs[0].IncidentStart.Equal(since) {
		t.Fatalf("recovery after restart: %+v", evs)
	}
	v, _ = e.Get("api")
	if v.State.SuccessCount != 11 || v.State.FailCount != 5 {
		t.Fatalf("counters %d/%d", v.State.SuccessCount, v.State.FailCount)
	}
}

func TestEngineDependencySkip(t *testing.T) {
	dead := closedAddr(t)
	cfg := &config.Config{
		Defaults: config.Defaults{FailureThreshold: 1},
		Checks: []config.Check{
			{Name: "server", Type: "tcp", Address: dead, Timeout: config.Duration(2 * time.Second)},
			{Name: "db", Type: "tcp", Address: dead, Dependencies: []string{"server"}},
			{Name: "app", Type: "http", URL: "http://" + dead + "/", Dependencies: []string{"db"}},
		},
	}
	e, s := newTestEngine(t, cfg, Options{})
	views := e.RunAll(context.Background())
	got := map[string]Status{}
	for _, v := range views {
		got[v.Spec.Name] = v.State.Status
	}
	want := map[string]Status{"server": StatusError, "db": StatusSkip, "app": StatusSkip}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
	if evs := s.eventsFor("app"); len(evs) != 1 || evs[0].To != StatusSkip {
		t.Fatalf("app events %+v", evs)
	}
	if r := s.resultsFor("server"); len(r) != 1 || !strings.Contains(r[0].Reason, "connection refused") {
		t.Fatalf("server reason %+v", r)
	}
}

func TestEngineProbePanicIsAnError(t *testing.T) {
	e, _ := newTestEngine(t, &config.Config{Checks: []config.Check{{Name: "x", Type: "tcp"}}}, Options{})
	e.probes["tcp"] = func(context.Context, *config.Check, *RunLog) Outcome { panic("boom") }
	r, err := e.RunNow(context.Background(), "x")
	if err != nil || r.Status != StatusError || r.Reason != "internal error in tcp check: boom" {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestJitter(t *testing.T) {
	for _, tt := range []struct {
		interval, max, step time.Duration
	}{
		{time.Second, time.Second, 100 * time.Millisecond},
		{5 * time.Second, 5 * time.Second, 500 * time.Millisecond},
		{time.Minute, 30 * time.Second, time.Second},
		{time.Hour, 30 * time.Second, time.Second},
	} {
		seen := map[time.Duration]bool{}
		for i := range 300 {
			n := fmt.Sprintf("check-%d", i)
			j := jitter(n, tt.interval)
			if j < 0 || j >= tt.max || j%tt.step != 0 {
				t.Fatalf("jitter(%s, %s) = %s, want a multiple of %s in [0, %s)", n, tt.interval, j, tt.step, tt.max)
			}
			if j != jitter(n, tt.interval) {
				t.Fatal("jitter is not stable")
			}
			seen[j] = true
		}
		// 300 names fill (nearly) every slot of the grid.
		if slots := int(tt.max / tt.step); len(seen) < slots*9/10 {
			t.Fatalf("interval %s: %d of %d slots used", tt.interval, len(seen), slots)
		}
	}
}

func TestFirstRunOnGrid(t *testing.T) {
	now := time.Date(2026, 3, 3, 6, 37, 24, 123456789, time.UTC)
	for _, name := range []string{"a", "api", "db", "web"} {
		for _, iv := range []time.Duration{time.Second, 15 * time.Minute} {
			got := firstRun(now, name, iv)
			step := gridStep(min(iv, maxJitter))
			if got.Sub(now) < 20*time.Millisecond || got.Sub(now) > 2*step+min(iv, maxJitter) || got.Truncate(step) != got {
				t.Fatalf("firstRun(%s, %s) = %s: not on the %s grid after now", name, iv, got.Format(time.RFC3339Nano), step)
			}
		}
	}
	// A grid point about to pass is skipped, so gocron never sees a start in the past.
	if got := firstRun(now.Truncate(time.Second).Add(time.Second-time.Millisecond), "a", time.Minute); got.Sub(now) < time.Second {
		t.Fatalf("first run %s too close", got.Sub(now))
	}
	// Two checks with the same offset scheduled at different moments share grid points.
	a := firstRun(now, "api", time.Minute)
	b := firstRun(now.Add(7*time.Second+300*time.Millisecond), "api", time.Minute)
	if d := b.Sub(a); d%time.Second != 0 {
		t.Fatalf("runs %s apart: off the grid", d)
	}
}

func TestTypesMatchConfig(t *testing.T) {
	if got, want := Types(), config.Types(); !slices.Equal(got, want) {
		t.Fatalf("monitor types %v, config types %v", got, want)
	}
}

func TestEngineReloadChangedTarget(t *testing.T) {
	srv := testHTTPServer(t)
	c := httpCheck("api", srv.URL+"/status/503")
	c.FailureThreshold = 1
	e, s := newTestEngine(t, &config.Config{Checks: []config.Check{c}}, Options{})
	if r, _ := e.RunNow(context.Background(), "api"); r.Reason != "HTTP 503, want 2xx" {
		t.Fatalf("first run %+v", r)
	}
	c.URL = srv.URL + "/ok"
	if err := e.Reload(&config.Config{Checks: []config.Check{c}}); err != nil {
		t.Fatal(err)
	}
	// The prepared request is rebuilt from the new spec.
	if r, _ := e.RunNow(context.Background(), "api"); r.Status != StatusOK {
		t.Fatalf("after reload %+v", r)
	}
	v, _ := e.Get("api")
	if v.State.Status != StatusOK || v.State.FailCount != 1 || v.Spec.URL != srv.URL+"/ok" {
		t.Fatalf("state %+v spec %s", v.State, v.Spec.URL)
	}
	if evs := s.eventsFor("api"); len(evs) != 2 || evs[1].From != StatusError || evs[1].To != StatusOK {
		t.Fatalf("events %+v", evs)
	}
}

func TestEngineRestoreChatCheck(t *testing.T) {
	srv := okServer(t)
	restore := map[string]State{"site": {Status: StatusOK, SuccessCount: 41, FailCount: 2}}
	e, _ := newTestEngine(t, &config.Config{}, Options{Restore: restore})
	if _, err := e.Add(context.Background(), httpCheck("site", srv.URL)); err != nil {
		t.Fatal(err)
	}
	v, _ := e.Get("site")
	if v.State.SuccessCount != 42 || v.State.FailCount != 2 {
		t.Fatalf("a chat check re-added after a restart lost its counters: %+v", v.State)
	}
}

func TestEngineOverrunGivesSlotBack(t *testing.T) {
	srv := okServer(t)
	stuck := httpCheck("stuck", srv.URL)
	stuck.Type = "tcp"
	stuck.Timeout = config.Duration(200 * time.Millisecond)
	e, _ := newTestEngine(t, &config.Config{Checks: []config.Check{stuck, httpCheck("fast", srv.URL)}}, Options{Concurrency: 1})
	release := make(chan struct{})
	e.probes["tcp"] = func(context.Context, *config.Check, *RunLog) Outcome {
		<-release // ignores its deadline
		return Outcome{Status: StatusOK}
	}
	stuckDone := make(chan Result, 1)
	go func() {
		r, _ := e.RunNow(context.Background(), "stuck")
		stuckDone <- r
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	r, err := e.RunNow(context.Background(), "fast")
	if err != nil || r.Status != StatusOK {
		t.Fatalf("fast: %v %+v", err, r)
	}
	// The only slot comes back after the stuck probe's timeout and the grace, not before.
	if d := time.Since(start); d < overrunGrace || d > overrunGrace+3*time.Second {
		t.Fatalf("fast ran after %s, want about %s", d, overrunGrace+150*time.Millisecond)
	}
	close(release)
	if sr := <-stuckDone; sr.Status != StatusError || sr.Reason != "timeout after 200ms" {
		t.Fatalf("stuck: %s %q", sr.Status, sr.Reason)
	}
}
