package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/statusmap/statusmap/config"
)

// Push kinds a script sends to /push/TOKEN.
const (
	PushSuccess = "success"
	PushStart   = "start"
	PushFail    = "fail"
)

// Push is one heartbeat received on /push/TOKEN.
type Push struct {
	Kind     string // "success", "start" or "fail"
	ExitCode int
	At       time.Time
}

// Heartbeats remembers the pushes of heartbeat checks. The engine keeps one per run of
// statusmap; it is safe for concurrent use.
type Heartbeats struct {
	now     func() time.Time
	created time.Time // pushes are only awaited from here on

	mu     sync.Mutex
	checks map[string]*beat
}

// beat is what a check's pushes have told so far.
type beat struct {
	success  time.Time // last success
	start    time.Time // last start
	fail     time.Time // last failure
	failCode int
	pushes   int64
}

// NewHeartbeats returns an empty store; now is the clock (nil: time.Now). A check waits
// one period from the store's creation before an absent push counts as a failure.
func NewHeartbeats(now func() time.Time) *Heartbeats {
	if now == nil {
		now = time.Now
	}
	return &Heartbeats{now: now, created: now(), checks: map[string]*beat{}}
}

// NewToken returns a random 128-bit push token in hex.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail on supported systems
	return hex.EncodeToString(b[:])
}

// Record stores a push for a check. A success with a non-zero exit code is a failure:
// wrappers report their command's exit code that way. Unknown kinds are ignored.
func (h *Heartbeats) Record(check string, p Push) {
	if h == nil {
		return
	}
	if p.At.IsZero() {
		p.At = h.now()
	}
	kind := strings.ToLower(strings.TrimSpace(p.Kind))
	if kind == "" {
		kind = PushSuccess
	}
	if kind == PushSuccess && p.ExitCode != 0 {
		kind = PushFail
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.checks[check]
	if b == nil {
		b = &beat{}
		h.checks[check] = b
	}
	switch kind {
	case PushSuccess:
		b.success = hbLater(b.success, p.At)
	case PushStart:
		b.start = hbLater(b.start, p.At)
	case PushFail:
		if !p.At.Before(b.fail) {
			b.fail, b.failCode = p.At, p.ExitCode
		}
	default:
		return
	}
	b.pushes++
}

// Forget drops a removed check's pushes.
func (h *Heartbeats) Forget(check string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.checks, check)
}

func hbLater(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Probe judges a heartbeat check from the pushes received: a failure push is an error at
// once; a run started and not finished within grace is an error; otherwise a success
// must arrive within period + grace (or by the schedule's due time + grace). Before the
// first push is due, the status is unknown.
func (h *Heartbeats) Probe(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	if h == nil {
		return checkFailed("heartbeat: no push store")
	}
	now := h.now()
	period := c.Period.D()
	var sched cron.Schedule
	if s := strings.TrimSpace(c.Schedule); s != "" {
		var err error
		if sched, err = config.ParseCron(s); err != nil {
			return checkFailed("heartbeat: bad schedule %q: %v", s, err)
		}
		first := sched.Next(now)
		period = sched.Next(first).Sub(first)
	} else if period <= 0 {
		return checkFailed("heartbeat: needs a period or a schedule")
	}
	grace := c.Grace.D()
	if grace <= 0 {
		// Runs take a while; without a grace every push would be late by the run's length.
		grace = max(period/10, time.Minute)
	}

	h.mu.Lock()
	var b beat
	if p := h.checks[c.Name]; p != nil {
		b = *p
	}
	created := h.created
	h.mu.Unlock()

	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	if !b.success.IsZero() {
		age := now.Sub(b.success)
		out.Extra["last_success"] = fmtAge(age) + " ago"
		out.Metrics["heartbeat_last_success_age_seconds"] = age.Seconds()
	}
	log.Printf("pushes %d; last success %s, start %s, fail %s; grace %s",
		b.pushes, hbStamp(b.success), hbStamp(b.start), hbStamp(b.fail), fmtAge(grace))

	// The latest event decides between failure, a run in progress and waiting.
	if !b.fail.IsZero() && b.fail.After(b.success) && !b.start.After(b.fail) {
		out.Status, out.Code = StatusError, b.failCode
		out.Reason = "script reported failure"
		if b.failCode != 0 {
			out.Reason = fmt.Sprintf("script reported failure, exit %d", b.failCode)
		}
		out.Reason += fmt.Sprintf(" (%s ago)", fmtAge(now.Sub(b.fail)))
		return out
	}
	if !b.start.IsZero() && b.start.After(b.success) && b.start.After(b.fail) {
		running := now.Sub(b.start)
		out.Extra["running"] = fmtAge(running)
		if running > grace {
			out.Status = StatusError
			out.Reason = fmt.Sprintf("started %s ago, no finish", fmtAge(running))
		}
		return out
	}

	ref, seen := b.success, true
	if ref.IsZero() {
		ref, seen = created, false
	}
	var due time.Time
	if sched != nil {
		due = sched.Next(ref)
	} else {
		due = ref.Add(period)
	}
	deadline := due.Add(grace)
	out.Extra["next_due"] = due.Format("2006-01-02 15:04")
	if now.Before(deadline) {
		if !seen {
			out.Status = StatusUnknown
			out.Reason = "no push yet; first expected by " + deadline.Format("2006-01-02 15:04")
		}
		return out
	}
	out.Status = StatusError
	late := fmtAge(now.Sub(deadline))
	switch {
	case !seen:
		out.Reason = fmt.Sprintf("no push since statusmap started %s ago (due %s, %s late)",
			fmtAge(now.Sub(created)), due.Format("2006-01-02 15:04"), late)
	case sched != nil:
		out.Reason = fmt.Sprintf("no success since %s ago: the run due %s is %s late",
			fmtAge(now.Sub(b.success)), due.Format("2006-01-02 15:04"), late)
	default:
		out.Reason = fmt.Sprintf("no success for %s (expected every %s + %s grace)",
			fmtAge(now.Sub(b.success)), fmtAge(period), fmtAge(grace))
	}
	return out
}

func hbStamp(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format("2006-01-02 15:04:05")
}
