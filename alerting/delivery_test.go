package alerting

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
)

// sinkFunc forwards the engine's events to the alerter built after it.
type sinkFunc func(monitor.Event)

func (f sinkFunc) HandleEvent(ev monitor.Event) { f(ev) }

// tcpTarget is a listener that can go away and come back on the same address.
type tcpTarget struct {
	addr string
	mu   sync.Mutex
	ln   net.Listener
}

func newTCPTarget(t *testing.T) *tcpTarget {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tt := &tcpTarget{addr: ln.Addr().String()}
	tt.serve(ln)
	t.Cleanup(tt.down)
	return tt
}

func (tt *tcpTarget) serve(ln net.Listener) {
	tt.mu.Lock()
	tt.ln = ln
	tt.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

func (tt *tcpTarget) down() {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.ln != nil {
		tt.ln.Close()
		tt.ln = nil
	}
}

func (tt *tcpTarget) up(t *testing.T) {
	ln, err := net.Listen("tcp", tt.addr)
	if err != nil {
		t.Fatalf("re-listen on %s: %v", tt.addr, err)
	}
	tt.serve(ln)
}

// TestRootCauseOneMessage: a host and 20 checks on it go down together; the real engine
// judges them, and exactly one message says so. Its recovery tells which came back and
// which still fail on their own; those then alert normally.
func TestRootCauseOneMessage(t *testing.T) {
	host := newTCPTarget(t)
	var failing sync.Map // path -> true while that app answers 503
	apps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, bad := failing.Load(r.URL.Path); bad {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer apps.Close()

	var cfg strings.Builder
	cfg.WriteString("telegram: {allowed: [4242]}\nchecks:\n")
	cfg.WriteString("  - {name: fold, type: tcp, address: \"" + host.addr + "\", host: fold, failure_threshold: 2, timeout: 2s}\n")
	var names []string
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("app%02d", i)
		names = append(names, name)
		fmt.Fprintf(&cfg, "  - {name: %s, type: http, url: \"%s/%s\", host: fold, runtime: docker, dependencies: [fold], failure_threshold: 1, timeout: 2s}\n",
			name, apps.URL, name)
	}
	h := newHarness(t, cfg.String(), nil)
	var al atomic.Pointer[Alerter]
	eng, err := monitor.New(h.cfg, monitor.Options{Logger: h.log, Now: h.clk.Now,
		Events: []monitor.EventSink{sinkFunc(func(ev monitor.Event) { al.Load().HandleEvent(ev) })}})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	h.start()
	al.Store(h.al)
	ctx := context.Background()

	eng.RunAll(ctx) // everything ok
	host.down()
	for _, n := range names {
		failing.Store("/"+n, true)
	}
	// First round: the apps fail (threshold 1) before the host does (threshold 2).
	eng.RunAll(ctx)
	// Second round: the host is down, the apps behind it are skip.
	views := eng.RunAll(ctx)
	for _, v := range views {
		want := monitor.StatusSkip
		if v.Spec.Name == "fold" {
			want = monitor.StatusError
		}
		if v.State.Status != want {
			t.Fatalf("engine: %s is %s, want %s", v.Spec.Name, v.State.Status, want)
		}
	}
	settle()
	h.advance(11*time.Second, time.Second)
	got := h.waitTexts(chatA, 1)
	wantHead := "🔴 <b>fold</b> is down; 20 checks on it are unreachable: " + strings.Join(names, ", ") + "\non fold\n"
	if !strings.HasPrefix(got[0], wantHead) || !strings.HasSuffix(got[0], "\nsince 10:00:00 (10s)") {
		t.Fatalf("root-cause alert:\n got %q\nwant %q...", got[0], wantHead)
	}
	h.advance(2*time.Minute, 5*time.Second)
	h.quiet(chatA, 1) // exactly one message for 21 failures

	// The host comes back; two apps still fail on their own.
	host.up(t)
	for _, n := range names[:18] {
		failing.Delete("/" + n)
	}
	eng.RunAll(ctx)
	got = h.waitTexts(chatA, 2)
	want := "✅ <b>fold</b> is back after 2m 11s\non fold\ndown since 10:00:00\n18 checks on it are back: " +
		strings.Join(names[:18], ", ") + "\nstill failing on their own: app19, app20"
	if got[1] != want {
		t.Fatalf("recovery:\n got %q\nwant %q", got[1], want)
	}
	h.advance(11*time.Second, time.Second)
	got = h.waitTexts(chatA, 3)
	if !strings.HasPrefix(got[2], "🔴 2 checks are down\n• <b>app19</b> on fold (docker): HTTP 503") ||
		!strings.Contains(got[2], "\n• <b>app20</b> on fold (docker): HTTP 503") {
		t.Fatalf("alert for the apps failing on their own:\n%s", got[2])
	}
	h.advance(time.Minute, 5*time.Second)
	h.quiet(chatA, 3)
}

// TestOutageThenDelivery: the Bot API is away for 10 minutes while 50 alerts happen;
// afterwards all 50 arrive once, in order. Silence is logged loudly, once.
func TestOutageThenDelivery(t *testing.T) {
	h := newHarness(t, simpleConfig(50, "  dead_after: 5m\n"), nil)
	h.start()
	settle()
	h.fake.SetUnreachable(true)
	for i := range 50 {
		h.event(checkName(i), okS, errS, "refused")
		settle()
		h.advance(12*time.Second, time.Second)
	}
	if ok, since := h.al.Healthy(); ok || !since.Equal(t0) {
		t.Fatalf("Healthy() = %v, %v after a 10-minute outage; want false, %v", ok, since, t0)
	}
	if n := len(h.fake.Sent(chatA)); n != 0 {
		t.Fatalf("%d messages arrived through an unreachable API", n)
	}
	h.fake.SetUnreachable(false)
	if !h.advanceUntil(10*time.Minute, time.Second, func() bool { return len(h.fake.Sent(chatA)) >= 50 }) {
		t.Fatalf("only %d of 50 alerts arrived", len(h.fake.Sent(chatA)))
	}
	h.advance(5*time.Minute, 10*time.Second)
	got := h.texts(chatA)
	if len(got) != 50 {
		t.Fatalf("%d messages arrived, want exactly 50", len(got))
	}
	for i, s := range got {
		if !strings.HasPrefix(s, "🔴 <b>"+checkName(i)+"</b> is down") {
			t.Fatalf("message %d = %q, want %s's alert (in order)", i, s, checkName(i))
		}
	}
	if ok, _ := h.al.Healthy(); !ok {
		t.Fatal("Healthy() is false after delivery resumed")
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "ALERTS ARE NOT BEING DELIVERED"); n != 1 {
		t.Fatalf("the outage was logged loudly %d times, want once", n)
	}
	if !strings.Contains(logs, "Telegram is reachable again") {
		t.Fatal("the end of the outage is not logged")
	}
	if strings.Contains(logs, testToken) {
		t.Fatal("the bot token reached the log")
	}
	if p, err := h.db.Pending(context.Background(), 0); err != nil || len(p) != 0 {
		t.Fatalf("outbox still holds %d messages (%v)", len(p), err)
	}
}

// attempt is one Send as the Bot API saw it, on the simulated clock.
type attempt struct {
	at   time.Time
	text string
	err  error
}

// recordingSender passes every call to the real bot and notes when it happened.
type recordingSender struct {
	next Sender
	clk  Clock
	mu   sync.Mutex
	log  []attempt
}

func (r *recordingSender) Send(ctx context.Context, chat int64, text, check string) error {
	at := r.clk.Now()
	err := r.next.Send(ctx, chat, text, check)
	r.mu.Lock()
	r.log = append(r.log, attempt{at: at, text: text, err: err})
	r.mu.Unlock()
	return err
}

func (r *recordingSender) attempts() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attempt(nil), r.log...)
}

// Test429Storm: every 429 is waited out exactly retry_after, and all messages arrive
// once, in order.
func Test429Storm(t *testing.T) {
	h := newHarness(t, simpleConfig(5, "alerting: {group_wait: 0}\n"), nil)
	rec := &recordingSender{next: h.bot, clk: h.clk}
	h.sender = rec
	h.fake.Inject429(6, 7)
	h.start()
	settle()
	for i := range 5 {
		h.event(checkName(i), okS, errS, "refused")
	}
	// The first attempt was answered 429: the outbox says exactly when to try again.
	var p []storage.OutboxItem
	var err error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if p, err = h.db.Pending(context.Background(), 0); err != nil || (len(p) == 5 && p[0].Attempts > 0) {
			break
		}
	}
	if err != nil || len(p) != 5 || p[0].Attempts != 1 || !p[0].NextAttempt.Equal(t0.Add(7*time.Second)) {
		t.Fatalf("outbox after a 429: %+v, %v; want 5 items, the first retried at %v", p, err, t0.Add(7*time.Second))
	}
	if !h.advanceUntil(3*time.Minute, 500*time.Millisecond, func() bool { return len(h.fake.Sent(chatA)) >= 5 }) {
		t.Fatalf("only %d of 5 arrived", len(h.fake.Sent(chatA)))
	}
	h.quiet(chatA, 5)
	for i, s := range h.texts(chatA) {
		if !strings.HasPrefix(s, "🔴 <b>"+checkName(i)+"</b> is down") {
			t.Fatalf("message %d = %q", i, s)
		}
	}
	as := rec.attempts()
	if len(as) != 11 {
		t.Fatalf("%d attempts, want 6 refused + 5 delivered", len(as))
	}
	for i := range 6 {
		var ra interface{ RetryAfter() time.Duration }
		if !errors.As(as[i].err, &ra) || ra.RetryAfter() != 7*time.Second {
			t.Fatalf("attempt %d: err %v, want a 429 with retry_after 7s", i, as[i].err)
		}
		// Never before retry_after; the upper bound only allows for the test's clock steps
		// outrunning a slow goroutine (the exact deadline is checked in the outbox above).
		if gap := as[i+1].at.Sub(as[i].at); gap < 7*time.Second || gap > 10*time.Second {
			t.Fatalf("attempt %d came %v after a 429 with retry_after 7s", i+1, gap)
		}
	}
	for i := 6; i < 10; i++ { // then one message per second to this chat
		if gap := as[i+1].at.Sub(as[i].at); gap < time.Second || gap > 3*time.Second {
			t.Fatalf("messages %d and %d to one chat %v apart, want 1s", i, i+1, gap)
		}
	}
}

// TestRestartWithFullOutbox: undelivered alerts survive a restart and go out once; alerted
// incidents are not alerted again, and their recoveries are still announced.
func TestRestartWithFullOutbox(t *testing.T) {
	h := newHarness(t, simpleConfig(10, ""), nil)
	h.start()
	settle()
	h.fake.SetUnreachable(true)
	starts := map[string]time.Time{}
	for i := range 10 {
		starts[checkName(i)] = h.clk.Now()
		h.event(checkName(i), okS, errS, "refused")
		settle()
		h.advance(12*time.Second, time.Second)
	}
	h.stop()
	if err := h.db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.fake.Sent(chatA)); n != 0 {
		t.Fatalf("%d messages delivered during the outage", n)
	}

	// Restart: the engine comes back with the stored states; c09 recovered meanwhile.
	h.openDB()
	restore := map[string]monitor.State{}
	for i := range 9 {
		n := checkName(i)
		restore[n] = monitor.State{Name: n, Status: monitor.StatusError, Since: starts[n], ConsecFail: 3}
	}
	restore["c09"] = monitor.State{Name: "c09", Status: monitor.StatusOK, Since: h.clk.Now()}
	h.newEngine(restore)
	h.fake.SetUnreachable(false)
	h.start()
	settle()
	if !h.advanceUntil(time.Minute, time.Second, func() bool { return len(h.fake.Sent(chatA)) >= 11 }) {
		t.Fatalf("only %d of 11 arrived after the restart", len(h.fake.Sent(chatA)))
	}
	h.advance(time.Minute, 5*time.Second)
	got := h.texts(chatA)
	if len(got) != 11 {
		t.Fatalf("%d messages after the restart, want 10 alerts + 1 recovery:\n%s", len(got), strings.Join(got, "\n---\n"))
	}
	for i := range 10 {
		if !strings.HasPrefix(got[i], "🔴 <b>"+checkName(i)+"</b> is down") {
			t.Fatalf("message %d = %q", i, got[i])
		}
	}
	if !strings.HasPrefix(got[10], "✅ <b>c09</b> is back after ") {
		t.Fatalf("recovery while away = %q", got[10])
	}
	// A check alerted before the restart recovers now: announced with its real downtime.
	h.event("c00", errS, okS, "")
	got = h.waitTexts(chatA, 12)
	wantPrefix := "✅ <b>c00</b> is back after " + fmtDuration(h.clk.Now().Sub(starts["c00"]))
	if !strings.HasPrefix(got[11], wantPrefix) {
		t.Fatalf("recovery after restart = %q, want prefix %q", got[11], wantPrefix)
	}
}

// TestRefusedMessageDropped: a message Telegram refuses for good (400) is tried a few
// times, then dropped, and does not hold up the chat's later messages.
func TestRefusedMessageDropped(t *testing.T) {
	h := newHarness(t, simpleConfig(2, "alerting: {group_wait: 0}\n"), nil)
	for range maxPermanent {
		h.fake.InjectError(400, "Bad Request: can't parse entities", 0)
	}
	h.start()
	settle()
	h.event("c00", okS, errS, "refused")
	settle()
	h.event("c01", okS, errS, "refused")
	if !h.advanceUntil(time.Minute, 500*time.Millisecond, func() bool { return len(h.fake.Sent(chatA)) >= 1 }) {
		t.Fatal("the second message never arrived")
	}
	h.quiet(chatA, 1)
	if got := h.texts(chatA)[0]; !strings.HasPrefix(got, "🔴 <b>c01</b> is down") {
		t.Fatalf("delivered %q, want c01's alert", got)
	}
	if !strings.Contains(h.logs.String(), "Telegram refuses the message; dropped") {
		t.Fatal("the dropped message is not logged")
	}
	if ok, _ := h.al.Healthy(); !ok {
		t.Fatal("one refused message made alerting unhealthy")
	}
}
