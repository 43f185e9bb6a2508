package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

type sseEvent struct{ id, kind, data string }

// sseStream reads Server-Sent Events from one connection.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
}

func openSSE(t testing.TB, ctx context.Context, url, lastID string) *sseStream {
	t.Helper()
	return openSSEWith(t, ctx, http.DefaultTransport, url, lastID)
}

func (s *sseStream) next(t testing.TB, d time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream closed")
		}
		return ev
	case <-time.After(d):
		t.Fatal("no event within", d)
	}
	return sseEvent{}
}

func TestEventsStatusChange(t *testing.T) {
	e := newEnv(t, envOpts{fixed: true, noStore: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := openSSE(t, ctx, e.ts.URL, "")
	if ev := s.next(t, 2*time.Second); ev.kind != "hello" {
		t.Fatalf("first event %+v", ev)
	}
	waitFor(t, "one client", time.Second, func() bool { return e.srv.hub.count() == 1 })

	e.run(t, "api") // unknown -> ok
	e.targets["api"].down.Store(true)
	e.run(t, "api") // ok -> error
	var got []statusNote
	var lastID string
	for len(got) < 2 {
		ev := s.next(t, 2*time.Second)
		if ev.kind != "status" {
			continue // "results" notes may come between
		}
		var n statusNote
		if err := json.Unmarshal([]byte(ev.data), &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
		lastID = ev.id
	}
	if got[0].Check != "api" || got[0].To != "ok" || got[1].From != "ok" || got[1].To != "error" || !strings.Contains(got[1].Reason, "500") {
		t.Errorf("notes: %+v", got)
	}

	// A reconnecting page gets what it missed since its last id.
	e.targets["api"].down.Store(false)
	e.run(t, "api")
	s2 := openSSE(t, ctx, e.ts.URL, lastID)
	if ev := s2.next(t, 2*time.Second); ev.kind != "hello" {
		t.Fatalf("first event %+v", ev)
	}
	for {
		ev := s2.next(t, 2*time.Second)
		if ev.kind == "status" {
			if !strings.Contains(ev.data, `"from":"error","to":"ok"`) {
				t.Errorf("replayed %+v", ev)
			}
			break
		}
	}
	// An id older than the ring asks the page to reload everything.
	for range ringSize + 5 {
		e.srv.hub.publish("results", resultsNote{})
	}
	s3 := openSSE(t, ctx, e.ts.URL, "1")
	s3.next(t, 2*time.Second) // hello
	if ev := s3.next(t, 2*time.Second); ev.kind != "resync" {
		t.Errorf("want resync, got %+v", ev)
	}
	cancel()
	waitFor(t, "clients gone", 2*time.Second, func() bool { return e.srv.hub.count() == 0 })
}

// TestEventsManyClients holds 500 streams open and checks that every one receives a
// status change.
func TestEventsManyClients(t *testing.T) {
	if testing.Short() {
		t.Skip("500 connections")
	}
	const n = 500
	e := newEnv(t, envOpts{fixed: true, noStore: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	streams := make([]*sseStream, n)
	for i := range streams {
		streams[i] = openSSEWith(t, ctx, tr, e.ts.URL, "")
		if ev := streams[i].next(t, 5*time.Second); ev.kind != "hello" {
			t.Fatalf("client %d: %+v", i, ev)
		}
	}
	if c := e.srv.hub.count(); c != n {
		t.Fatalf("%d clients, want %d", c, n)
	}
	e.targets["api"].down.Store(true)
	e.run(t, "api")
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.After(10 * time.Second)
			for {
				select {
				case ev, ok := <-s.events:
					if !ok {
						errs <- fmt.Sprintf("client %d: closed", i)
						return
					}
					if ev.kind == "status" && strings.Contains(ev.data, `"check":"api"`) {
						return
					}
				case <-deadline:
					errs <- fmt.Sprintf("client %d: no status note", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	_, body := e.get(t, "/metrics")
	if !strings.Contains(body, fmt.Sprintf("statusmap_sse_clients %d", n)) {
		t.Errorf("metrics: %s", grep(body, "sse"))
	}
}

func openSSEWith(t testing.TB, ctx context.Context, rt http.RoundTripper, url, lastID string) *sseStream {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{resp: resp, events: make(chan sseEvent, 16)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.kind != "" {
					select {
					case s.events <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return s
}
