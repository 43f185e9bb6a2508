package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/statusmap/statusmap/bot"
)

// memItem is a message the store could not take; it is sent from memory after the
// stored ones of its chat.
type memItem struct {
	seq      int64
	chat     int64
	kind     string
	payload  []byte
	attempts int
	next     time.Time
}

// outItem is one message the sender may try: from the store (id > 0) or memory.
type outItem struct {
	id       int64
	mem      int64
	chat     int64
	payload  []byte
	attempts int
	next     time.Time
}

// retryAfter is how a 429 answer shows itself (bot.FloodError).
type retryAfter interface{ RetryAfter() time.Duration }

// sendState is the sender's memory between rounds.
type sendState struct {
	lim        *limiter
	chatBlock  map[int64]time.Time // backoff after network errors, per chat
	floodUntil time.Time           // Telegram's retry_after: nothing is sent before it
}

// deliver is the outbox sender: in id order per chat, one head message per chat at a time,
// within Telegram's rate limits.
func (a *Alerter) deliver(ctx context.Context) {
	ss := &sendState{lim: newLimiter(a.clock.Now()), chatBlock: map[int64]time.Time{}}
	for {
		next, progressed := a.round(ctx, ss)
		if ctx.Err() != nil {
			return
		}
		if progressed {
			continue
		}
		t := a.clock.TimerAt(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.outWake:
		case <-t.C():
		}
		t.Stop()
	}
}

func (a *Alerter) pending(ctx context.Context) []outItem {
	var out []outItem
	items, err := a.deps.Store.Pending(ctx, pendingBatch)
	if err != nil && ctx.Err() == nil {
		a.log.Error("alerting: reading outbox", "err", err)
	}
	for _, it := range items {
		out = append(out, outItem{id: it.ID, chat: it.ChatID, payload: it.Payload, attempts: it.Attempts, next: it.NextAttempt})
	}
	a.mu.Lock()
	for _, m := range a.mem {
		out = append(out, outItem{mem: m.seq, chat: m.chat, payload: m.payload, attempts: m.attempts, next: m.next})
	}
	a.mu.Unlock()
	return out
}

// round tries the head message of every chat once. It returns when the next attempt may
// be due and whether anything was sent (then the caller goes again at once).
func (a *Alerter) round(ctx context.Context, ss *sendState) (next time.Time, progressed bool) {
	now := a.clock.Now()
	next = now.Add(time.Hour)
	seen := map[int64]bool{}
	for _, it := range a.pending(ctx) {
		if seen[it.chat] {
			continue // only the oldest message of a chat may go: order per chat
		}
		seen[it.chat] = true
		now = a.clock.Now()
		notBefore := it.next
		if ss.floodUntil.After(notBefore) {
			notBefore = ss.floodUntil
		}
		if b := ss.chatBlock[it.chat]; b.After(notBefore) {
			notBefore = b
		}
		if notBefore.After(now) {
			next = minTime(next, notBefore)
			continue
		}
		if ok, wait := ss.lim.reserve(it.chat, now); !ok {
			next = minTime(next, now.Add(wait))
			continue
		}
		var p payload
		if err := json.Unmarshal(it.payload, &p); err != nil || p.Text == "" {
			a.log.Error("alerting: unreadable outbox message dropped", "id", it.id, "chat", it.chat)
			a.done(ctx, it)
			progressed = true
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err := a.deps.Sender.Send(sctx, it.chat, p.Text, p.Check)
		cancel()
		if err == nil && ctx.Err() != nil {
			// Delivered as shutdown began: record it, or the next start sends it again.
			mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
			a.done(mctx, it)
			mcancel()
			return next, false
		}
		if ctx.Err() != nil {
			return next, false // shutting down: the message stays in the outbox
		}
		now = a.clock.Now()
		if err == nil {
			a.done(ctx, it)
			a.hmu.Lock()
			a.lastSendOK, a.failingSince = now, time.Time{}
			a.hmu.Unlock()
			clear(ss.chatBlock) // the API is back: other chats need not wait out their backoff
			progressed = true
			continue
		}
		var ra retryAfter
		var apiErr *bot.APIError
		switch {
		case errors.As(err, &ra):
			// Telegram says exactly how long to wait; the limit is the bot's, so every chat waits.
			ss.floodUntil = now.Add(ra.RetryAfter())
			a.retry(ctx, it, ss.floodUntil, err)
			a.log.Warn("alerting: Telegram asks to wait", "retry_after", ra.RetryAfter(), "chat", it.chat)
			next = minTime(next, ss.floodUntil)
		case errors.As(err, &apiErr) && (apiErr.Code == 400 || apiErr.Code == 403) && it.attempts+1 >= maxPermanent:
			a.log.Error("alerting: Telegram refuses the message; dropped", "chat", it.chat, "id", it.id, "err", err)
			a.retry(ctx, it, now, err)
			a.done(ctx, it)
			progressed = true
		default:
			wait := backoff(it.attempts)
			ss.chatBlock[it.chat] = now.Add(wait)
			a.retry(ctx, it, now.Add(wait), err)
			// Anything but a refusal of this one message (400, 403) means alerts are not
			// getting through: network down, wrong token, Telegram failing.
			if apiErr == nil || (apiErr.Code != 400 && apiErr.Code != 403) {
				a.hmu.Lock()
				if a.failingSince.IsZero() {
					a.failingSince = now
				}
				a.hmu.Unlock()
			}
			a.log.Warn("alerting: send failed, will retry", "chat", it.chat, "in", wait, "err", err)
			next = minTime(next, now.Add(wait))
		}
	}
	return next, progressed
}

func backoff(attempts int) time.Duration {
	d := minBackoff
	for range attempts {
		d *= 2
		if d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// done takes a message out of the outbox.
func (a *Alerter) done(ctx context.Context, it outItem) {
	if it.id == 0 {
		a.mu.Lock()
		for i, m := range a.mem {
			if m.seq == it.mem {
				a.mem = append(a.mem[:i], a.mem[i+1:]...)
				break
			}
		}
		a.mu.Unlock()
		return
	}
	if err := a.deps.Store.MarkSent(ctx, it.id); err != nil {
		// Delivered but not recorded: it would go again after a restart. Say so.
		a.log.Error("alerting: recording a sent message failed", "id", it.id, "err", err)
	}
}

func (a *Alerter) retry(ctx context.Context, it outItem, next time.Time, cause error) {
	if it.id == 0 {
		a.mu.Lock()
		for i := range a.mem {
			if a.mem[i].seq == it.mem {
				a.mem[i].attempts++
				a.mem[i].next = next
			}
		}
		a.mu.Unlock()
		return
	}
	if err := a.deps.Store.Retry(ctx, it.id, next, cause.Error()); err != nil {
		a.log.Error("alerting: recording a retry failed", "id", it.id, "err", err)
	}
}

// logHealth logs once, loudly, when Telegram has been out of reach longer than
// telegram.dead_after, and once when it is back.
func (a *Alerter) logHealth(now time.Time) {
	ok, since := a.health(now)
	a.hmu.Lock()
	defer a.hmu.Unlock()
	switch {
	case !ok && !a.deadLogged:
		a.deadLogged = true
		a.log.Error("ALERTS ARE NOT BEING DELIVERED: the Telegram Bot API has been unreachable",
			"for", fmtDuration(now.Sub(since)), "last_contact", since)
	case ok && a.deadLogged:
		a.deadLogged = false
		a.log.Info("alerting: Telegram is reachable again; queued alerts are going out")
	}
}
