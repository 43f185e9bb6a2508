package alerting

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

const (
	okS   = monitor.StatusOK
	errS  = monitor.StatusError
	warnS = monitor.StatusWarn
	skipS = monitor.StatusSkip
)

func TestDownAndRecovery(t *testing.T) {
	h := newHarness(t, `
telegram: {allowed: [4242]}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9", host: fold, runtime: docker}
  - {name: db, type: tcp, address: "127.0.0.1:9"}
  - {name: quiet, type: tcp, address: "127.0.0.1:9", important: false}
`, nil)
	h.start()
	settle()
	h.event("api", okS, errS, "connection refused")
	h.event("quiet", okS, errS, "connection refused")
	settle()
	h.advance(9*time.Second, time.Second)
	h.quiet(chatA, 0) // group_wait not over yet
	h.advance(time.Second, time.Second)
	got := h.waitTexts(chatA, 1)
	want := "🔴 <b>api</b> is down\non fold (docker)\nconnection refused\nsince 10:00:00 (10s)\nalso down: quiet"
	if got[0] != want {
		t.Fatalf("alert:\n got %q\nwant %q", got[0], want)
	}
	m := h.fake.Sent(chatA)[0]
	if len(m.Buttons) == 0 {
		t.Errorf("alert has no buttons")
	}

	h.advance(12*time.Minute+30*time.Second, 10*time.Second)
	h.event("api", errS, okS, "")
	h.event("quiet", errS, okS, "")
	got = h.waitTexts(chatA, 2)
	want = "✅ <b>api</b> is back after 12m 40s\non fold (docker)\ndown since 10:00:00"
	if got[1] != want {
		t.Fatalf("recovery:\n got %q\nwant %q", got[1], want)
	}
	h.advance(time.Minute, time.Second)
	h.quiet(chatA, 2) // the unimportant check never said a word

	// The incident is closed and was marked alerted.
	incs, err := h.db.Incidents(context.Background(), "api", time.Time{}, 10)
	if err != nil || len(incs) != 1 || !incs[0].Alerted || incs[0].End.IsZero() {
		t.Fatalf("incidents = %+v, %v; want one alerted, closed", incs, err)
	}
}

func TestWarnOnlyWhenAsked(t *testing.T) {
	h := newHarness(t, `
telegram: {allowed: [4242]}
alerting: {group_wait: 0}
checks:
  - {name: slow, type: tcp, address: "127.0.0.1:9", alert_on_warn: true}
  - {name: lazy, type: tcp, address: "127.0.0.1:9"}
`, nil)
	h.start()
	settle()
	h.event("lazy", okS, warnS, "slow: 3s")
	h.event("slow", okS, warnS, "slow: 2s")
	got := h.waitTexts(chatA, 1)
	if want := "🟡 <b>slow</b> is degraded\nslow: 2s\nsince 10:00:00 (0s)"; got[0] != want {
		t.Fatalf("warn:\n got %q\nwant %q", got[0], want)
	}
	h.advance(5*time.Minute, 10*time.Second)
	h.event("lazy", warnS, okS, "")
	h.event("slow", warnS, okS, "")
	got = h.waitTexts(chatA, 2)
	if want := "✅ <b>slow</b> is ok again after 5m\ndegraded since 10:00:00"; got[1] != want {
		t.Fatalf("warn recovery:\n got %q\nwant %q", got[1], want)
	}
	h.quiet(chatA, 2)

	// Down, then back but degraded: the recovery says so, with no separate warn alert;
	// back to ok says "ok again".
	h.event("slow", okS, errS, "refused")
	h.waitTexts(chatA, 3)
	h.advance(time.Minute, 10*time.Second)
	h.event("slow", errS, warnS, "slow: 2s")
	got = h.waitTexts(chatA, 4)
	if !strings.HasPrefix(got[3], "✅ <b>slow</b> is back after 1m") || !strings.Contains(got[3], "(degraded: slow: 2s)") {
		t.Fatalf("recovery into warn = %q", got[3])
	}
	h.quiet(chatA, 4)
	h.event("slow", warnS, okS, "")
	got = h.waitTexts(chatA, 5)
	if !strings.HasPrefix(got[4], "✅ <b>slow</b> is ok again") {
		t.Fatalf("warn ended = %q", got[4])
	}
}

func TestReminder(t *testing.T) {
	h := newHarness(t, `
telegram: {allowed: [4242]}
alerting: {group_wait: 0}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9", reminder: 30m}
`, nil)
	h.start()
	settle()
	h.event("api", okS, errS, "refused")
	h.waitTexts(chatA, 1)
	h.advance(29*time.Minute, 30*time.Second)
	h.quiet(chatA, 1)
	h.advance(65*time.Second, 5*time.Second)
	got := h.waitTexts(chatA, 2)
	if !strings.HasPrefix(got[1], "⏰ <b>api</b> is still down after 30m") {
		t.Fatalf("reminder = %q", got[1])
	}
	h.advance(30*time.Minute, 30*time.Second)
	got = h.waitTexts(chatA, 3)
	if !strings.HasPrefix(got[2], "⏰ <b>api</b> is still down after 1h") {
		t.Fatalf("second reminder = %q", got[2])
	}
	h.event("api", errS, okS, "")
	got = h.waitTexts(chatA, 4)
	if !strings.HasPrefix(got[3], "✅ <b>api</b> is back after 1h\n") {
		t.Fatalf("recovery = %q", got[3])
	}
	h.advance(time.Hour, time.Minute)
	h.quiet(chatA, 4)
}

func TestFlapping(t *testing.T) {
	h := newHarness(t, `
telegram: {allowed: [4242]}
alerting: {group_wait: 0, flap: {max_changes: 3, window: 10m}}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9"}
`, nil)
	h.start()
	settle()
	flip := func(from, to monitor.Status) {
		h.event("api", from, to, "refused")
		settle()
		h.advance(30*time.Second, 10*time.Second)
	}
	flip(okS, errS) // alert
	flip(errS, okS) // recovery
	flip(okS, errS) // alert
	flip(errS, okS) // 4 changes > 3: flapping, nothing else
	for range 5 {
		flip(okS, errS)
		flip(errS, okS)
	}
	got := h.waitTexts(chatA, 4)
	h.quiet(chatA, 4)
	for i, prefix := range []string{"🔴 <b>api</b> is down", "✅ <b>api</b> is back", "🔴 <b>api</b> is down",
		"🔁 <b>api</b> is flapping: 4 changes in 10m; quiet until it is stable for 10m"} {
		if !strings.HasPrefix(got[i], prefix) {
			t.Fatalf("message %d = %q, want prefix %q", i, got[i], prefix)
		}
	}
	// Stable (ok) for the window: one message, then normal alerts again.
	h.advance(9*time.Minute, 10*time.Second)
	h.quiet(chatA, 4)
	h.advance(2*time.Minute, 5*time.Second)
	got = h.waitTexts(chatA, 5)
	if want := "✅ <b>api</b> is stable again: ok for 10m"; got[4] != want {
		t.Fatalf("stable = %q, want %q", got[4], want)
	}
	h.event("api", okS, errS, "refused")
	got = h.waitTexts(chatA, 6)
	if !strings.HasPrefix(got[5], "🔴 <b>api</b> is down") {
		t.Fatalf("after flapping = %q", got[5])
	}
}

func TestMutes(t *testing.T) {
	for _, name := range []string{"api", "*"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, simpleConfig(0, "")+`
  - {name: api, type: tcp, address: "127.0.0.1:9"}
  - {name: db, type: tcp, address: "127.0.0.1:9"}
`, nil)
			ctx := context.Background()
			if err := h.db.SetMute(ctx, name, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			h.start()
			settle()
			h.event("api", okS, errS, "refused")
			h.advance(59*time.Minute, 30*time.Second)
			h.quiet(chatA, 0)
			if !strings.Contains(h.logs.String(), "failure held back") {
				t.Errorf("the held-back failure is not recorded in the log")
			}
			// The mute ends while api still fails: one alert.
			h.advance(2*time.Minute, 5*time.Second)
			got := h.waitTexts(chatA, 1)
			if !strings.HasPrefix(got[0], "🔴 <b>api</b> is down") || !strings.HasSuffix(got[0], "mute ended, still failing") {
				t.Fatalf("alert after mute = %q", got[0])
			}
			h.advance(10*time.Minute, time.Minute)
			h.quiet(chatA, 1)

			// A failure muted and recovered within the mute says nothing at all.
			second := name
			if name == "api" {
				second = "db"
			}
			if err := h.db.SetMute(ctx, second, h.clk.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			h.event("db", okS, errS, "refused")
			h.advance(5*time.Minute, 30*time.Second)
			h.event("db", errS, okS, "")
			h.advance(2*time.Hour, time.Minute)
			h.quiet(chatA, 1)
		})
	}
}

func TestMaintenance(t *testing.T) {
	h := newHarness(t, `
telegram: {allowed: [4242]}
maintenance:
  - {schedule: "0 10 * * *", duration: 30m, timezone: UTC, checks: [api]}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9"}
  - {name: db, type: tcp, address: "127.0.0.1:9"}
`, nil)
	h.start()
	settle()
	h.clk.Advance(5 * time.Minute) // 10:05, inside the window
	h.event("api", okS, errS, "refused")
	h.event("db", okS, errS, "refused")
	got := h.advanceUntil(time.Minute, time.Second, func() bool { return len(h.texts(chatA)) == 1 })
	if !got || !strings.HasPrefix(h.texts(chatA)[0], "🔴 <b>db</b> is down") {
		t.Fatalf("db (not in the window) should alert alone: %q", h.texts(chatA))
	}
	h.advance(20*time.Minute, 30*time.Second)
	h.quiet(chatA, 1)
	h.advance(6*time.Minute, 5*time.Second) // 10:32: the window is over
	texts := h.waitTexts(chatA, 2)
	if !strings.HasPrefix(texts[1], "🔴 <b>api</b> is down") || !strings.Contains(texts[1], "maintenance ended, still failing") {
		t.Fatalf("after maintenance = %q", texts[1])
	}
}

func TestHeartbeatURL(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/ping/abc" {
			hits.Add(1)
		}
	}))
	defer srv.Close()
	h := newHarness(t, `
telegram: {allowed: [4242]}
alerting: {group_wait: 0, heartbeat_url: "`+srv.URL+`/ping/abc"}
checks:
  - {name: api, type: tcp, address: "127.0.0.1:9", interval: 1h}
`, nil)
	h.start()
	settle()
	h.advance(3*time.Minute, 10*time.Second)
	if n := hits.Load(); n != 3 {
		t.Fatalf("%d pings in 3 rounds, want 3", n)
	}
	// Telegram away and an alert waiting: the outbox is stuck, no round succeeds.
	h.fake.SetUnreachable(true)
	h.event("api", okS, errS, "refused")
	settle()
	h.advance(3*time.Minute, 10*time.Second)
	if n := hits.Load(); n != 3 {
		t.Fatalf("%d pings while alerts cannot be delivered, want still 3", n)
	}
	h.fake.SetUnreachable(false)
	if !h.advanceUntil(5*time.Minute, 5*time.Second, func() bool { return hits.Load() > 3 }) {
		t.Fatal("no ping after Telegram came back")
	}
	h.waitTexts(chatA, 1)
	// The engine stops running checks (none ran for two intervals): no ping either.
	h.advance(2*time.Hour, time.Minute)
	if !strings.Contains(h.logs.String(), `check \"api\" is overdue`) {
		t.Fatalf("no log line says why the heartbeat stopped")
	}
	before := hits.Load()
	h.advance(10*time.Minute, 30*time.Second)
	if hits.Load() != before {
		t.Fatalf("pinged %d times while every check is overdue", hits.Load()-before)
	}
	if strings.Contains(h.logs.String(), "/ping/abc") {
		t.Fatalf("the heartbeat URL (a secret) reached the log")
	}
}

// TestStoreDown: with the database unwritable, alerts still go out from memory.
func TestStoreDown(t *testing.T) {
	h := newHarness(t, simpleConfig(3, "alerting: {group_wait: 0}\n"), nil)
	h.start()
	settle()
	h.db.Close()
	for i := range 3 {
		h.event(checkName(i), okS, errS, "refused")
		settle()
		h.advance(2*time.Second, time.Second)
	}
	got := h.waitTexts(chatA, 3)
	for i, s := range got {
		if !strings.HasPrefix(s, "🔴 <b>"+checkName(i)+"</b> is down") {
			t.Fatalf("message %d = %q", i, s)
		}
	}
	if !strings.Contains(h.logs.String(), "sending from memory") {
		t.Fatalf("the outbox failure is not logged")
	}
}

// TestReload: new alerting settings apply without a restart (SIGHUP).
func TestReload(t *testing.T) {
	const chatB = int64(-777)
	h := newHarness(t, simpleConfig(2, "alerting: {group_wait: 0}\n"), nil)
	h.start()
	settle()
	h.event("c00", okS, errS, "refused")
	h.waitTexts(chatA, 1)
	h.al.Reload(parseConfig(t, simpleConfig(2, "  alert_chats: [-777]\nalerting: {group_wait: 1m}\n")))
	h.event("c01", okS, errS, "refused")
	h.advance(50*time.Second, 5*time.Second)
	h.quiet(chatB, 0) // group_wait is now a minute
	h.advance(15*time.Second, 5*time.Second)
	got := h.waitTexts(chatB, 1)
	if !strings.HasPrefix(got[0], "🔴 <b>c01</b> is down") {
		t.Fatalf("after reload = %q", got[0])
	}
	h.quiet(chatA, 1)
}

// TestHealthFromBotContact: with the bot's last contact known, a silent Bot API is noticed
// even when no alert is due.
func TestHealthFromBotContact(t *testing.T) {
	clk := newFakeClock(t0)
	var last atomic.Int64
	last.Store(t0.UnixNano())
	cfg := parseConfig(t, simpleConfig(0, "  dead_after: 10m\n"))
	a := New(cfg, Deps{Clock: clk, LastContact: func() time.Time { return time.Unix(0, last.Load()).UTC() }}, nil)
	for _, step := range []struct {
		advance time.Duration
		contact bool
		ok      bool
	}{
		{5 * time.Minute, true, true},
		{9 * time.Minute, false, true},
		{2 * time.Minute, false, false},
		{time.Minute, true, true},
	} {
		clk.Advance(step.advance)
		if step.contact {
			last.Store(clk.Now().UnixNano())
		}
		ok, since := a.Healthy()
		if ok != step.ok || !since.Equal(time.Unix(0, last.Load()).UTC()) {
			t.Fatalf("at %v: Healthy() = %v, %v; want %v, %v", clk.Now().Sub(t0), ok, since, step.ok, time.Unix(0, last.Load()).UTC())
		}
	}
}
