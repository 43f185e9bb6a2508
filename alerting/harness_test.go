package alerting

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statusmap/statusmap/bot"
	"github.com/statusmap/statusmap/bot/tgfake"
	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	clk  *fakeClock
	c    chan time.Time
	at   time.Time
	done bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) TimerAt(at time.Time) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, c: make(chan time.Time, 1), at: at}
	if !at.After(c.now) {
		t.done = true
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := !t.done
	t.done = true
	t.clk.timers = slices.DeleteFunc(t.clk.timers, func(x *fakeTimer) bool { return x == t })
	return was
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.done && !t.at.After(c.now) {
			t.done = true
			t.c <- c.now
			continue
		}
		keep = append(keep, t)
	}
	c.timers = keep
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	testToken = "123456:TEST-token_abc"
	chatA     = int64(4242)
)

var t0 = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

// harness runs an Alerter with the real parts: SQLite storage, the engine, the bot and the
// Bot API fake. Only the clock is simulated.
type harness struct {
	t      testing.TB
	clk    *fakeClock
	cfg    *config.Config
	eng    *monitor.Engine
	db     *storage.DB
	dbPath string
	fake   *tgfake.Server
	bot    *bot.Bot
	al     *Alerter
	logs   *syncBuffer
	log    *slog.Logger
	sender Sender
	cancel context.CancelFunc
	done   chan struct{}
}

func parseConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "test.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// newHarness builds everything for the config; restore gives the engine's starting states.
func newHarness(t testing.TB, cfgSrc string, restore map[string]monitor.State) *harness {
	t.Helper()
	h := &harness{t: t, clk: newFakeClock(t0), logs: &syncBuffer{}, done: make(chan struct{})}
	h.log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.cfg = parseConfig(t, cfgSrc)
	h.fake = tgfake.New(testToken)
	t.Cleanup(h.fake.Close)
	h.dbPath = filepath.Join(t.TempDir(), "statusmap.db")
	h.openDB()
	h.newEngine(restore)
	b, err := bot.New(config.Telegram{Token: testToken, APIURL: h.fake.URL(), Allowed: []int64{chatA}},
		bot.Deps{Engine: h.eng}, h.log)
	if err != nil {
		t.Fatal(err)
	}
	h.bot = b
	h.sender = b
	t.Cleanup(func() {
		h.stop()
		h.db.Close()
		if t.Failed() {
			t.Logf("logs:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) openDB() {
	db, err := storage.Open(context.Background(), h.dbPath, storage.Options{Logger: h.log, Now: h.clk.Now,
		MaintainInterval: -1, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
}

func (h *harness) newEngine(restore map[string]monitor.State) {
	eng, err := monitor.New(h.cfg, monitor.Options{Logger: h.log, Now: h.clk.Now, Restore: restore})
	if err != nil {
		h.t.Fatal(err)
	}
	h.eng = eng
}

// start creates the Alerter and runs it.
func (h *harness) start() {
	h.al = New(h.cfg, Deps{Sender: h.sender, Store: h.db, Engine: h.eng, Clock: h.clk, Location: time.UTC}, h.log)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		if err := h.al.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}()
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not return after cancel")
	}
}

// settle gives the alerter's goroutines a moment of real time.
func settle() { time.Sleep(3 * time.Millisecond) }

// advance moves the simulated clock by total in steps, letting the goroutines run.
func (h *harness) advance(total, step time.Duration) {
	for d := time.Duration(0); d < total; d += step {
		h.clk.Advance(step)
		settle()
	}
}

// advanceUntil moves the clock in steps until cond holds or limit of simulated time passed.
func (h *harness) advanceUntil(limit, step time.Duration, cond func() bool) bool {
	for d := time.Duration(0); d <= limit; d += step {
		if cond() {
			return true
		}
		h.clk.Advance(step)
		settle()
	}
	return cond()
}

// event hands the alerter a transition as the engine emits it.
func (h *harness) event(name string, from, to monitor.Status, reason string) {
	now := h.clk.Now()
	ev := monitor.Event{Check: name, From: from, To: to, At: now,
		Result: monitor.Result{Check: name, Time: now, Status: to, Reason: reason}}
	if to == monitor.StatusError || to == monitor.StatusSkip || to == monitor.StatusWarn {
		ev.IncidentStart = now
	}
	h.al.HandleEvent(ev)
}

// texts are the messages the fake received in chat, as sent.
func (h *harness) texts(chat int64) []string {
	var out []string
	for _, m := range h.fake.Sent(chat) {
		out = append(out, m.Text)
	}
	return out
}

// waitTexts waits for n messages in chat, moving the clock in small steps (at most 10s
// of simulated time) so that rate limits can pass.
func (h *harness) waitTexts(chat int64, n int) []string {
	h.t.Helper()
	for range 100 {
		if len(h.fake.Sent(chat)) >= n {
			break
		}
		if _, err := h.fake.WaitSent(chat, n, 20*time.Millisecond); err == nil {
			break
		}
		h.clk.Advance(100 * time.Millisecond)
	}
	if _, err := h.fake.WaitSent(chat, n, time.Second); err != nil {
		h.t.Fatal(err)
	}
	return h.texts(chat)
}

// quiet asserts that chat still has exactly n messages after a moment.
func (h *harness) quiet(chat int64, n int) {
	h.t.Helper()
	time.Sleep(50 * time.Millisecond)
	if got := h.texts(chat); len(got) != n {
		h.t.Fatalf("want %d messages in chat %d, have %d:\n%s", n, chat, len(got), strings.Join(got, "\n---\n"))
	}
}

// simpleConfig has n tcp checks c00.. (never run: events are given by the test).
func simpleConfig(n int, extra string) string {
	var b strings.Builder
	b.WriteString("telegram:\n  allowed: [4242]\n")
	b.WriteString(extra)
	b.WriteString("checks:\n")
	for i := range n {
		b.WriteString("  - {name: " + checkName(i) + ", type: tcp, address: \"127.0.0.1:9\"}\n")
	}
	return b.String()
}

func checkName(i int) string {
	return "c" + string(rune('0'+i/10)) + string(rune('0'+i%10))
}
