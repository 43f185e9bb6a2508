package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// A scheduled run longer than Stop's deadline is cancelled, not left running past the
// process's end, and its result is still recorded.
func TestEngineStopCancelsScheduledRunsAtDeadline(t *testing.T) {
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	}))
	defer srv.Close()
	c := httpCheck("slow", srv.URL)
	c.Interval, c.Timeout = config.Duration(time.Minute), config.Duration(50*time.Second)
	s := &sink{}
	e, err := New(&config.Config{Checks: []config.Check{c}}, Options{Results: []ResultSink{s}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(40 * time.Second):
		t.Fatal("the scheduled run never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = e.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("Stop past its deadline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Stop took %s: the scheduled run was not cancelled", d)
	}
	if rs := s.resultsFor("slow"); len(rs) != 1 || rs[0].Status != StatusError {
		t.Fatalf("cancelled run not recorded as a failure: %+v", rs)
	}
}

// Reloading an unchanged config changes nothing, also for checks with compiled rules.
func TestEngineReloadSameConfigIsNoChange(t *testing.T) {
	srv := okServer(t)
	cfg, err := config.Parse([]byte("checks:\n  - name: api\n    type: http\n    url: "+srv.URL+
		"\n    expect:\n      body_regex: \"^\\\\{\"\n      json: ['$.resource == \"foldwrap\"']\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := config.Parse([]byte("checks:\n  - name: api\n    type: http\n    url: "+srv.URL+
		"\n    expect:\n      body_regex: \"^\\\\{\"\n      json: ['$.resource == \"foldwrap\"']\n"), "c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newTestEngine(t, cfg, Options{})
	before, _ := e.Get("api")
	if !sameSpec(before.Spec, e.effective(again.Checks[0])) {
		t.Fatalf("the same check loaded twice compares as changed:\n%s\n%s", specKey(before.Spec), specKey(e.effective(again.Checks[0])))
	}
	changed := e.effective(again.Checks[0])
	changed.URL += "x"
	if sameSpec(before.Spec, changed) {
		t.Fatal("a changed url compares as the same")
	}
}
