package monitor

import (
	"context"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// fakeClock is a settable clock for the heartbeat store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestHeartbeat(t *testing.T) {
	// The store is created at t0 (a Monday, 10:00 UTC).
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	hourly := config.Check{Name: "backup", Type: "heartbeat", Period: config.Duration(time.Hour), Grace: config.Duration(5 * time.Minute)}
	cronDaily := config.Check{Name: "backup", Type: "heartbeat", Schedule: "0 3 * * *", Grace: config.Duration(30 * time.Minute)}

	type push struct {
		at   time.Duration
		kind string
		code int
	}
	tests := []struct {
		name   string
		check  config.Check
		pushes []push
		now    time.Duration
		status Status
		reason string
	}{
		{"unknown before first period", hourly, nil, 30 * time.Minute, StatusUnknown, "no push yet; first expected by 2026-03-02 11:05"},
		{"unknown within grace of first period", hourly, nil, 63 * time.Minute, StatusUnknown, "no push yet"},
		{"no push ever", hourly, nil, 2 * time.Hour, StatusError, "no push since statusmap started 2h ago (due 2026-03-02 11:00, 55m late)"},
		{"recent success", hourly, []push{{10 * time.Minute, "success", 0}}, 50 * time.Minute, StatusOK, ""},
		{"success within grace", hourly, []push{{10 * time.Minute, "success", 0}}, 74 * time.Minute, StatusOK, ""},
		{"success overdue", hourly, []push{{10 * time.Minute, "success", 0}}, 76 * time.Minute, StatusError, "no success for 1h 6m (expected every 1h + 5m grace)"},
		{"fail is an error at once", hourly, []push{{10 * time.Minute, "success", 0}, {20 * time.Minute, "fail", 3}}, 21 * time.Minute, StatusError, "script reported failure, exit 3 (1m ago)"},
		{"fail without code", hourly, []push{{20 * time.Minute, "fail", 0}}, 21 * time.Minute, StatusError, "script reported failure (1m ago)"},
		{"success with exit code is a failure", hourly, []push{{20 * time.Minute, "success", 2}}, 21 * time.Minute, StatusError, "exit 2"},
		{"success after fail recovers", hourly, []push{{20 * time.Minute, "fail", 1}, {30 * time.Minute, "success", 0}}, 31 * time.Minute, StatusOK, ""},
		{"start in progress", hourly, []push{{10 * time.Minute, "success", 0}, {70 * time.Minute, "start", 0}}, 73 * time.Minute, StatusOK, ""},
		{"start then no finish", hourly, []push{{10 * time.Minute, "success", 0}, {70 * time.Minute, "start", 0}}, 190 * time.Minute, StatusError, "started 2h ago, no finish"},
		{"start then finish", hourly, []push{{70 * time.Minute, "start", 0}, {80 * time.Minute, "success", 0}}, 100 * time.Minute, StatusOK, ""},
		{"start after a fail is a new run", hourly, []push{{20 * time.Minute, "fail", 1}, {30 * time.Minute, "start", 0}}, 31 * time.Minute, StatusOK, ""},
		{"out of order push kept newest", hourly, []push{{50 * time.Minute, "success", 0}, {10 * time.Minute, "success", 0}}, 100 * time.Minute, StatusOK, ""},
		{"cron before first run", cronDaily, nil, 16 * time.Hour, StatusUnknown, "first expected by 2026-03-03 03:30"},
		{"cron first run missed", cronDaily, nil, 18 * time.Hour, StatusError, "due 2026-03-03 03:00"},
		{"cron run done", cronDaily, []push{{17*time.Hour + 10*time.Minute, "success", 0}}, 30 * time.Hour, StatusOK, ""},
		{"cron next run late", cronDaily, []push{{17*time.Hour + 10*time.Minute, "success", 0}}, 42 * time.Hour, StatusError, "the run due 2026-03-04 03:00 is 30m late"},
		{"no period nor schedule", config.Check{Name: "backup"}, nil, time.Hour, StatusError, "needs a period or a schedule"},
		{"bad schedule", config.Check{Name: "backup", Schedule: "every day"}, nil, time.Hour, StatusError, "bad schedule"},
		{"zero grace has a floor", config.Check{Name: "backup", Period: config.Duration(time.Hour)}, []push{{0, "success", 0}}, 65 * time.Minute, StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			h := NewHeartbeats(clock.Now)
			for _, p := range tt.pushes {
				h.Record(tt.check.Name, Push{Kind: p.kind, ExitCode: p.code, At: at(p.at)})
			}
			h.Record("other", Push{Kind: PushFail, ExitCode: 9, At: t0})
			clock.Set(at(tt.now))
			c := tt.check
			out := h.Probe(context.Background(), &c, NewRunLog(time.Time{}))
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("push without time uses the clock", func(t *testing.T) {
		clock := &fakeClock{t: t0}
		h := NewHeartbeats(clock.Now)
		clock.Set(at(3 * time.Hour))
		h.Record("backup", Push{Kind: PushSuccess})
		clock.Set(at(3*time.Hour + 30*time.Minute))
		c := hourly
		out := h.Probe(context.Background(), &c, nil)
		wantOutcome(t, out, StatusOK, "")
		if out.Extra["last_success"] != "30m ago" {
			t.Errorf("last_success %q", out.Extra["last_success"])
		}
	})

	t.Run("forget", func(t *testing.T) {
		clock := &fakeClock{t: t0}
		h := NewHeartbeats(clock.Now)
		h.Record("backup", Push{Kind: PushFail, ExitCode: 1})
		h.Forget("backup")
		c := hourly
		wantOutcome(t, h.Probe(context.Background(), &c, nil), StatusUnknown, "")
	})

	t.Run("nil store", func(t *testing.T) {
		var h *Heartbeats
		h.Record("x", Push{})
		c := hourly
		wantOutcome(t, h.Probe(context.Background(), &c, nil), StatusError, "no push store")
	})
}

func TestHeartbeatConcurrent(t *testing.T) {
	h := NewHeartbeats(nil)
	c := config.Check{Name: "job", Period: config.Duration(time.Hour)}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				h.Record("job", Push{Kind: PushSuccess})
				h.Probe(context.Background(), &c, nil)
			}
		}()
	}
	wg.Wait()
	if out := h.Probe(context.Background(), &c, nil); out.Status != StatusOK {
		t.Errorf("status %q: %s", out.Status, out.Reason)
	}
}

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok := NewToken()
		b, err := hex.DecodeString(tok)
		if err != nil || len(b) != 16 {
			t.Fatalf("token %q: not 128-bit hex", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func BenchmarkHeartbeatProbe(b *testing.B) {
	h := NewHeartbeats(nil)
	c := config.Check{Name: "job", Schedule: "*/5 * * * *", Grace: config.Duration(time.Minute)}
	h.Record("job", Push{Kind: PushSuccess})
	for b.Loop() {
		h.Probe(context.Background(), &c, nil)
	}
}
