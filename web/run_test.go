package web

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestServeAndShutdown serves on a real listener, tells an open page that Telegram is
// unreachable, and stops promptly with a stream still open.
func TestServeAndShutdown(t *testing.T) {
	var down atomic.Bool
	e := newEnv(t, envOpts{fixed: true, noStore: true, health: func() (bool, time.Time) { return !down.Load(), testNow }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()

	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	s := openSSE(t, streamCtx, base, "")
	if ev := s.next(t, 2*time.Second); ev.kind != "hello" {
		t.Fatalf("%+v", ev)
	}
	down.Store(true)
	e.srv.checkHealth() // what the health watcher does every few seconds
	ev := s.next(t, 2*time.Second)
	if ev.kind != "health" || !strings.Contains(ev.data, `"telegram_ok":false`) || !strings.Contains(ev.data, "cannot reach Telegram") {
		t.Errorf("health note: %+v", ev)
	}
	e.srv.checkHealth() // no change, no note
	down.Store(false)
	e.srv.checkHealth()
	if ev := s.next(t, 2*time.Second); ev.kind != "health" || !strings.Contains(ev.data, `"telegram_ok":true`) {
		t.Errorf("recovery note: %+v", ev)
	}

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown waits for the open stream")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %s", d)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}
