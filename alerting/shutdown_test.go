package alerting

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

const twoChecks = `
telegram: {allowed: [4242]}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9"}
  - {name: db, type: tcp, address: "127.0.0.1:9"}
`

// waitFor polls cond in real time: the alerter's store writes run on its own goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// An event the engine reports as shutdown begins (its last runs during Stop) is still
// handled: the recovery is written to the outbox and the incident is closed.
func TestShutdownDrainsEvents(t *testing.T) {
	h := newHarness(t, twoChecks, nil)
	h.start()
	settle()
	h.event("api", okS, errS, "connection refused")
	h.advance(10*time.Second, time.Second)
	h.waitTexts(chatA, 1)
	waitFor(t, "the alert marked sent", func() bool {
		items, err := h.db.Pending(context.Background(), 10)
		return err == nil && len(items) == 0
	})

	// Queued without waking the processor: it sees only the shutdown.
	now := h.clk.Now()
	h.al.mu.Lock()
	h.al.queue = append(h.al.queue, monitor.Event{Check: "api", From: errS, To: okS, At: now,
		Result: monitor.Result{Check: "api", Time: now, Status: okS}})
	h.al.mu.Unlock()
	h.stop()

	ctx := context.Background()
	incs, err := h.db.Incidents(ctx, "api", time.Time{}, 10)
	if err != nil || len(incs) != 1 || incs[0].End.IsZero() {
		t.Fatalf("incidents = %+v, %v; want one, closed", incs, err)
	}
	items, err := h.db.Pending(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || !strings.Contains(string(items[0].Payload), "is back") {
		t.Fatalf("outbox = %+v; want the recovery waiting for the next start", items)
	}
}

// cancelOnSend delivers through the bot and then begins the shutdown, as when SIGTERM
// arrives while a message is on its way.
type cancelOnSend struct {
	Sender
	cancel func()
	sent   atomic.Int32
}

func (s *cancelOnSend) Send(ctx context.Context, chat int64, text, check string) error {
	err := s.Sender.Send(ctx, chat, text, check)
	if err == nil {
		s.sent.Add(1)
		s.cancel()
	}
	return err
}

// A message delivered as shutdown begins is recorded as sent, so the next start does
// not send it again.
func TestShutdownRecordsDelivered(t *testing.T) {
	h := newHarness(t, twoChecks, nil)
	cs := &cancelOnSend{Sender: h.sender}
	h.sender = cs
	h.start()
	cs.cancel = h.cancel
	settle()
	h.event("api", okS, errS, "connection refused")
	h.advance(10*time.Second, time.Second)
	h.waitTexts(chatA, 1)
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	h.cancel = nil
	if n := cs.sent.Load(); n != 1 {
		t.Fatalf("sent %d messages, want 1", n)
	}
	items, err := h.db.Pending(context.Background(), 10)
	if err != nil || len(items) != 0 {
		t.Fatalf("outbox = %+v, %v; want the delivered alert marked sent", items, err)
	}
}

// A check removed while down (removal sends no event) is not listed as "also down" in
// later alerts, and its incident is closed so a restart does not bring it back.
func TestRemovedCheckForgotten(t *testing.T) {
	h := newHarness(t, twoChecks, nil)
	h.start()
	settle()
	h.event("db", okS, errS, "connection refused")
	h.advance(10*time.Second, time.Second)
	if got := h.waitTexts(chatA, 1); !strings.Contains(got[0], "<b>db</b> is down") {
		t.Fatalf("alert: %q", got[0])
	}
	if err := h.eng.Reload(parseConfig(t, `
telegram: {allowed: [4242]}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9"}
`)); err != nil {
		t.Fatal(err)
	}
	h.event("api", okS, errS, "connection refused")
	h.advance(10*time.Second, time.Second)
	got := h.waitTexts(chatA, 2)
	if !strings.Contains(got[1], "<b>api</b> is down") || strings.Contains(got[1], "db") {
		t.Fatalf("second alert names the removed check:\n%s", got[1])
	}
	waitFor(t, "the removed check's incident to close", func() bool {
		incs, err := h.db.Incidents(context.Background(), "db", time.Time{}, 10)
		return err == nil && len(incs) == 1 && !incs[0].End.IsZero()
	})
	open, err := h.db.OpenIncidents(context.Background())
	if err != nil || len(open) != 1 || open[0].Check != "api" {
		t.Fatalf("open incidents = %+v, %v; want only api's", open, err)
	}
}
