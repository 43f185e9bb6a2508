package alerting

import (
	"testing"
	"time"
)

// TestLimiter checks Telegram's limits on an injected clock: 1 message/s per chat,
// 20/min per group, 30/s overall.
func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

	t.Run("per chat", func(t *testing.T) {
		l := newLimiter(t0)
		if ok, _ := l.reserve(1, t0); !ok {
			t.Fatal("first message must go at once")
		}
		ok, wait := l.reserve(1, t0)
		if ok || wait != time.Second {
			t.Fatalf("second message in the same instant: ok=%v wait=%v, want false 1s", ok, wait)
		}
		if ok, _ := l.reserve(2, t0); !ok {
			t.Fatal("another chat has its own bucket")
		}
		if ok, wait := l.reserve(1, t0.Add(400*time.Millisecond)); ok || wait != 600*time.Millisecond {
			t.Fatalf("after 400ms: ok=%v wait=%v, want false 600ms", ok, wait)
		}
		if ok, _ := l.reserve(1, t0.Add(time.Second)); !ok {
			t.Fatal("after 1s the chat may send again")
		}
	})

	t.Run("group 20 per minute", func(t *testing.T) {
		l := newLimiter(t0)
		sent := 0
		for now := t0; now.Before(t0.Add(time.Minute)); now = now.Add(100 * time.Millisecond) {
			if ok, _ := l.reserve(-100, now); ok {
				sent++
			}
		}
		if sent != 20 {
			t.Fatalf("group got %d messages in a minute, want 20", sent)
		}
	})

	t.Run("global 30 per second", func(t *testing.T) {
		l := newLimiter(t0)
		sent := 0
		var wait time.Duration
		for chat := int64(1); chat <= 100; chat++ {
			ok, w := l.reserve(chat, t0)
			if ok {
				sent++
			} else if wait == 0 {
				wait = w
			}
		}
		if sent != 30 {
			t.Fatalf("%d messages in one instant, want 30", sent)
		}
		if want := time.Second / 30; wait < want-time.Microsecond || wait > want+time.Microsecond {
			t.Fatalf("wait for the 31st = %v, want %v", wait, want)
		}
		// Over 10 seconds at most 30/s + the burst go out.
		sent = 0
		for now := t0.Add(time.Millisecond); now.Before(t0.Add(10 * time.Second)); now = now.Add(time.Millisecond) {
			for chat := int64(1000); chat < 1005; chat++ {
				if ok, _ := l.reserve(chat+now.UnixMilli()*10, now); ok {
					sent++
				}
			}
		}
		if sent > 300 || sent < 295 {
			t.Fatalf("%d messages in 10s after the burst, want about 300", sent)
		}
	})
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 2 * time.Minute, 2 * time.Minute}
	for i, w := range want {
		if got := backoff(i); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i, got, w)
		}
	}
}
