package alerting

import (
	"math"
	"time"
)

// Telegram's documented sending limits.
const (
	perChatRate   = 1.0        // messages per second to one chat
	perGroupRate  = 20.0 / 60  // messages per second to one group (negative chat id)
	globalRate    = 30.0       // messages per second overall
	perGroupBurst = 1.0        // a group gets its 20/min spread out, not in a burst
	globalBurst   = globalRate // up to a second's worth at once
)

// bucket is a token bucket on an injected clock: rate tokens per second, at most burst.
type bucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func newBucket(rate, burst float64, now time.Time) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// wait is how long until one token is available (0: now).
func (b *bucket) wait(now time.Time) time.Duration {
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	need := (1 - b.tokens) / b.rate
	return time.Duration(math.Ceil(need * float64(time.Second)))
}

func (b *bucket) take(now time.Time) {
	b.refill(now)
	b.tokens--
}

// limiter holds the per-chat buckets and the global one. It is used by one goroutine.
type limiter struct {
	global *bucket
	chats  map[int64]*bucket
}

func newLimiter(now time.Time) *limiter {
	return &limiter{global: newBucket(globalRate, globalBurst, now), chats: map[int64]*bucket{}}
}

func (l *limiter) chat(id int64, now time.Time) *bucket {
	b, ok := l.chats[id]
	if !ok {
		if id < 0 { // groups and channels
			b = newBucket(perGroupRate, perGroupBurst, now)
		} else {
			b = newBucket(perChatRate, 1, now)
		}
		l.chats[id] = b
	}
	return b
}

// reserve takes a token for chat id when both its bucket and the global one have one,
// and otherwise reports how long to wait.
func (l *limiter) reserve(id int64, now time.Time) (ok bool, wait time.Duration) {
	c := l.chat(id, now)
	w := max(c.wait(now), l.global.wait(now))
	if w > 0 {
		return false, w
	}
	c.take(now)
	l.global.take(now)
	return true, 0
}
