package bot

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/bot/tgfake"
	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
	"github.com/statusmap/statusmap/storage"
)

const (
	admin    = int64(111)
	member   = int64(222)
	group    = int64(-500)
	inGroup  = int64(333) // not listed, but speaks in an allowed group
	stranger = int64(999)
)

type harness struct {
	t    *testing.T
	fake *tgfake.Server
	bot  *Bot
	eng  *monitor.Engine
	db   *storage.DB
	logs *logBuffer
}

// mapFor is the map of the engine's checks, as statusmap draws it when the config has
// no hand-written map.
func mapFor(eng *monitor.Engine) MapFunc {
	return func(ctx context.Context, host string) (string, map[string]render.NodeStatus, error) {
		return monitor.MapInput("", eng.Snapshot(), host)
	}
}

// newHarness starts a real engine, store and renderer behind the bot and the Bot API fake;
// prep runs on the store before the bot starts.
func newHarness(t *testing.T, prep ...func(*storage.DB)) *harness {
	t.Helper()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fine") }))
	t.Cleanup(ok.Close)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
	t.Cleanup(bad.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	yaml := fmt.Sprintf(`
defaults:
  interval: 1h
  failure_threshold: 1
checks:
  - name: api
    type: http
    url: %s/health
    host: fold
  - name: db
    type: tcp
    address: %s
    host: fold
  - name: broken
    type: http
    url: %s/
`, ok.URL, ln.Addr(), bad.URL)
	cfg, err := config.Parse([]byte(yaml), "e2e.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log, logs := newLogger()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "statusmap.db"), storage.Options{Logger: log, MaintainInterval: -1, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	eng, err := monitor.New(cfg, monitor.Options{Logger: log, Results: []monitor.ResultSink{db}, Tokens: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Stop(context.Background()) })
	eng.RunAll(ctx)

	for _, p := range prep {
		p(db)
	}
	fake := tgfake.New(testToken)
	t.Cleanup(fake.Close)
	tcfg := config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{admin, member, group}, Admins: []int64{admin}}
	b, err := New(tcfg, Deps{Engine: eng, Store: db, Map: mapFor(eng), Defaults: cfg.Defaults,
		PushBase: "http://127.0.0.1:9004", Location: time.UTC}, log)
	if err != nil {
		t.Fatal(err)
	}
	b.muteTick = 50 * time.Millisecond
	stop := startBot(t, b)
	t.Cleanup(stop)
	if err := fake.WaitCalls("getUpdates", 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, fake: fake, bot: b, eng: eng, db: db, logs: logs}
}

// say sends text as user in chat and returns the bot's next message there.
func (h *harness) say(user, chat int64, text string) tgfake.Message {
	h.t.Helper()
	before := len(h.fake.Sent(chat))
	h.fake.SendUserMessage(user, chat, text)
	sent, err := h.fake.WaitSent(chat, before+1, 20*time.Second)
	if err != nil {
		h.t.Fatalf("%s: %v", text, err)
	}
	return sent[before]
}

// press presses a button and returns the bot's next message in chat.
func (h *harness) press(user, chat int64, msgID int, data string) tgfake.Message {
	h.t.Helper()
	before := len(h.fake.Sent(chat))
	if _, err := h.fake.PressButton(user, chat, msgID, data); err != nil {
		h.t.Fatal(err)
	}
	sent, err := h.fake.WaitSent(chat, before+1, 20*time.Second)
	if err != nil {
		h.t.Fatalf("pressing %s: %v", data, err)
	}
	return sent[before]
}

func wantPlain(t *testing.T, m tgfake.Message, want string) {
	t.Helper()
	if m.Plain != want {
		t.Fatalf("reply:\n%q\nwant:\n%q", m.Plain, want)
	}
}

func wantPrefix(t *testing.T, m tgfake.Message, prefix string) {
	t.Helper()
	if !strings.HasPrefix(m.Plain, prefix) {
		t.Fatalf("reply:\n%q\nwant prefix:\n%q", m.Plain, prefix)
	}
}

func wantPNG(t *testing.T, data []byte, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("PNG is %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
}

func TestEndToEnd(t *testing.T) {
	h := newHarness(t)

	t.Run("stranger", func(t *testing.T) {
		wantPlain(t, h.say(stranger, stranger, "/start"),
			"Sorry, this is a private bot. Your user id is 999; its owner can add it to telegram.allowed.")
		h.fake.SendUserMessage(stranger, stranger, "/status")
		h.fake.SendUserMessage(stranger, stranger, "/map")
		h.say(admin, admin, "/help")
		time.Sleep(300 * time.Millisecond)
		if n := len(h.fake.Sent(stranger)); n != 1 {
			t.Fatalf("stranger got %d messages", n)
		}
		if !strings.Contains(h.logs.String(), "refused a stranger") || !strings.Contains(h.logs.String(), "user=999") {
			t.Fatal("refusal not logged with the user id")
		}
		// Three messages, one refusal sent: one log line, so a stranger cannot flood the log.
		if n := strings.Count(h.logs.String(), "refused a stranger"); n != 1 {
			t.Fatalf("refusal logged %d times:\n%s", n, h.logs.String())
		}
	})

	t.Run("help and unknown", func(t *testing.T) {
		m := h.say(admin, admin, "/help")
		if m.Text != helpText {
			t.Fatalf("help = %q", m.Text)
		}
		wantPlain(t, h.say(admin, admin, "/frobnicate"), "Unknown command /frobnicate. Try /help.")
		wantPlain(t, h.say(admin, admin, "/mute api"), "Usage: /mute NAME|all DURATION")
		wantPlain(t, h.say(admin, admin, "/check"), "Usage: /check NAME")
		wantPlain(t, h.say(admin, admin, "hello"), "I understand commands only. Try /help.")
		wantPlain(t, h.say(admin, admin, "/check nope"), "No check named nope. /status lists them.")
	})

	t.Run("status", func(t *testing.T) {
		m := h.say(admin, admin, "/status")
		wantPrefix(t, m, "3 checks: 🔴 1 error · ✅ 2 ok\n\nother\n🔴 broken — ")
		if !strings.HasSuffix(m.Plain, "✅ ok\nfold: api, db") {
			t.Fatalf("status:\n%s", m.Plain)
		}
		// The same in an allowed group, from a member who is not listed himself.
		wantPrefix(t, h.say(inGroup, group, "/status@statusmap_test_bot"), "3 checks: ")
	})

	t.Run("check", func(t *testing.T) {
		m := h.say(member, member, "/check api")
		for _, want := range []string{"✅ api — ok\n", "type http · every 1h · host fold\n", "target " + strings.TrimSuffix(h.eng.Snapshot()[0].Spec.URL, ""),
			"uptime 24h 100.00% · 7d 100.00% · 30d 100.00%", "\nLast results\n", "\nLast run\n"} {
			if !strings.Contains(m.Plain, want) {
				t.Fatalf("/check api lacks %q:\n%s", want, m.Plain)
			}
		}
		m = h.say(member, member, "/status broken")
		wantPrefix(t, m, "🔴 broken — error\n")
		wantPrefix(t, h.say(member, member, "/check API"), "✅ api — ok\n")
		wantPlain(t, h.say(member, member, "/status fold"), "2 checks: ✅ 2 ok\n\n✅ ok\nfold: api, db")
	})

	t.Run("run", func(t *testing.T) {
		wantPrefix(t, h.say(member, member, "/run api"), "✅ api ok · ")
		wantPrefix(t, h.say(member, member, "/run broken"), "🔴 broken error · ")
	})

	t.Run("admins only", func(t *testing.T) {
		for _, c := range []string{"add", "remove", "pause", "resume", "mute", "unmute"} {
			wantPlain(t, h.say(member, member, "/"+c+" api 1h"), "Only admins can use /"+c+".")
		}
	})

	var web2URL string
	t.Run("add and remove", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		t.Cleanup(srv.Close)
		web2URL = srv.URL
		m := h.say(admin, admin, "/add http web2 "+srv.URL+" every 1m expect 200 host nas")
		wantPrefix(t, m, "Added web2 (http, every 1m).\nFirst result: ✅ web2 ok · ")
		if v, ok := h.eng.Get("web2"); !ok || v.Spec.Source != "chat" || v.Spec.Host != "nas" {
			t.Fatalf("engine: %+v %v", v.Spec, ok)
		}
		stored, err := h.db.Checks(context.Background())
		if err != nil || len(stored) != 1 || stored[0].Name != "web2" || stored[0].URL != srv.URL {
			t.Fatalf("stored: %+v %v", stored, err)
		}
		wantPlain(t, h.say(admin, admin, "/add http web2 "+srv.URL), "A check named web2 already exists.")
		wantPrefix(t, h.say(admin, admin, "/add tcp x 127.0.0.1:1 after nothing"), "Not added: ")
		wantPlain(t, h.say(admin, admin, "/add smtp x y"), `unknown type "smtp"; /add knows http, ping, tcp, tls, dns, redis and heartbeat`)

		wantPlain(t, h.say(admin, admin, "/remove api"), "api is defined in the config file; remove it there.")
		m = h.say(admin, admin, "/remove web2")
		wantPlain(t, m, "Remove web2? Its history is kept.")
		if len(m.Buttons) != 1 || m.Buttons[0][0].Data != "rm:web2" || m.Buttons[0][1].Data != "keep:web2" {
			t.Fatalf("buttons: %+v", m.Buttons)
		}
		if _, err := h.fake.PressButton(admin, admin, m.ID, "rm:web2"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.fake.WaitFor(admin, 10*time.Second, func(x tgfake.Message) bool { return x.ID == m.ID && x.Plain == "🗑 Removed web2." }); err != nil {
			t.Fatal(err)
		}
		if _, ok := h.eng.Get("web2"); ok {
			t.Fatal("web2 still in the engine")
		}
		if stored, _ := h.db.Checks(context.Background()); len(stored) != 0 {
			t.Fatalf("still stored: %+v", stored)
		}
	})
	_ = web2URL

	t.Run("pause and resume", func(t *testing.T) {
		wantPrefix(t, h.say(admin, admin, "/pause db 2h"), "⏸ db paused until ")
		if v, _ := h.eng.Get("db"); v.State.Status != monitor.StatusPaused {
			t.Fatalf("db status %s", v.State.Status)
		}
		if p, _ := h.db.Pauses(context.Background()); p["db"].IsZero() {
			t.Fatalf("pause not stored: %v", p)
		}
		wantPlain(t, h.say(admin, admin, "/resume db"), "▶️ db resumed.")
		if p, _ := h.db.Pauses(context.Background()); len(p) != 0 {
			t.Fatalf("pause still stored: %v", p)
		}
		wantPlain(t, h.say(admin, admin, "/pause db"), "⏸ db paused until /resume db.")
		wantPlain(t, h.say(admin, admin, "/resume db"), "▶️ db resumed.")
	})

	t.Run("mutes", func(t *testing.T) {
		wantPrefix(t, h.say(admin, admin, "/mute api 2h"), "🔕 api muted until ")
		wantPrefix(t, h.say(admin, admin, "/mute all 30m"), "🔕 all checks muted until ")
		m := h.say(admin, admin, "/mutes")
		wantPrefix(t, m, "Mutes\n🔕 all checks until ")
		if !strings.Contains(m.Plain, "\n🔕 api until ") {
			t.Fatalf("mutes:\n%s", m.Plain)
		}
		wantPlain(t, h.say(admin, admin, "/unmute api"), "🔔 api unmuted.")
		wantPlain(t, h.say(admin, admin, "/unmute all"), "🔔 all checks unmuted.")
		wantPlain(t, h.say(admin, admin, "/unmute api"), "api is not muted.")
		wantPlain(t, h.say(admin, admin, "/mutes"), "No mutes. Mute a check with /mute NAME 2h.")
		wantPlain(t, h.say(admin, admin, "/mute nope 1h"), "No check named nope. /status lists them.")
		wantPlain(t, h.say(admin, admin, "/mute api soon"), `"soon" is not a duration (like 30s, 15m, 2h, 7d)`)

		wantPrefix(t, h.say(admin, admin, "/mute db 1s"), "🔕 db muted until ")
		if _, err := h.fake.WaitFor(admin, 10*time.Second, func(m tgfake.Message) bool { return m.Plain == "🔔 mute of db expired" }); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("map", func(t *testing.T) {
		src, live, _ := mapFor(h.eng)(context.Background(), "")
		ref, err := render.RenderPNG(src, live)
		if err != nil {
			t.Fatal(err)
		}
		cfgRef, _ := png.DecodeConfig(bytes.NewReader(ref))
		m := h.say(member, member, "/map")
		if m.Method != "sendPhoto" {
			t.Fatalf("map sent with %s: %q", m.Method, m.Plain)
		}
		if m.Caption != "<b>Status map</b> · 🔴 1 error · ✅ 2 ok" {
			t.Fatalf("caption %q", m.Caption)
		}
		wantPNG(t, m.Photo, cfgRef.Width, cfgRef.Height)

		m = h.say(member, member, "/map fold")
		if m.Method != "sendPhoto" || m.Caption != "<b>Map of fold</b> · ✅ 2 ok" {
			t.Fatalf("host map: %s %q", m.Method, m.Caption)
		}
		if _, err := png.Decode(bytes.NewReader(m.Photo)); err != nil {
			t.Fatal(err)
		}
		wantPlain(t, h.say(member, member, "/map mars"), "No host named mars. Hosts: fold.")

		// A map beyond Telegram's photo limits (here a ratio over 20) goes as a document.
		wide := pngBytes(t, 2100, 100)
		h.bot.render = func(string, map[string]render.NodeStatus) ([]byte, error) { return wide, nil }
		defer func() { h.bot.render = render.RenderPNG }()
		m = h.say(member, member, "/map")
		if m.Method != "sendDocument" || m.DocumentName != "statusmap.png" || !bytes.Equal(m.Document, wide) {
			t.Fatalf("wide map: %s %q (%d bytes)", m.Method, m.DocumentName, len(m.Document))
		}
		if m.Caption != "<b>Status map</b> · 🔴 1 error · ✅ 2 ok" {
			t.Fatalf("caption %q", m.Caption)
		}
	})

	t.Run("history", func(t *testing.T) {
		m := h.say(member, member, "/history api")
		if m.Method != "sendPhoto" {
			t.Fatalf("history sent with %s: %q", m.Method, m.Plain)
		}
		if !strings.HasPrefix(m.Caption, "<b>api</b> · last 24h · ") || !strings.HasSuffix(m.Caption, "failed (100.00% up)") {
			t.Fatalf("caption %q", m.Caption)
		}
		wantPNG(t, m.Photo, chartPixels[0], chartPixels[1])
		wantPlain(t, h.say(member, member, "/history api 1y"), "Usage: /history NAME [24h|7d|30d]")
	})

	t.Run("alert buttons", func(t *testing.T) {
		if err := h.bot.Send(context.Background(), admin, "🔴 <b>broken</b> is down: HTTP 500", "broken"); err != nil {
			t.Fatal(err)
		}
		sent := h.fake.Sent(admin)
		alert := sent[len(sent)-1]
		wantPlain(t, alert, "🔴 broken is down: HTTP 500")

		wantPrefix(t, h.press(admin, admin, alert.ID, "run:broken"), "🔴 broken error · ")
		m := h.press(admin, admin, alert.ID, "map:broken")
		if m.Method != "sendPhoto" || len(m.Photo) == 0 {
			t.Fatalf("map button: %s", m.Method)
		}
		wantPrefix(t, h.press(admin, admin, alert.ID, "mute:broken"), "🔕 broken muted until ")
		mutes, _ := h.db.Mutes(context.Background())
		if until := mutes["broken"]; until.Before(time.Now().Add(59*time.Minute)) || until.After(time.Now().Add(61*time.Minute)) {
			t.Fatalf("mute until %v", until)
		}
		answers := h.fake.Answers()
		var texts []string
		for _, a := range answers {
			texts = append(texts, a.Text)
		}
		got := strings.Join(texts, "|")
		for _, want := range []string{"Checking broken…", "Drawing the map…", "Muted broken for 1h", "Done"} {
			if !strings.Contains(got, want) {
				t.Fatalf("callback answers %q lack %q", got, want)
			}
		}
		// A member who is not an admin cannot mute from a button.
		if err := h.bot.Send(context.Background(), member, "alert", "api"); err != nil {
			t.Fatal(err)
		}
		ms := h.fake.Sent(member)
		if _, err := h.fake.PressButton(member, member, ms[len(ms)-1].ID, "mute:api"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if a := h.fake.Answers(); a[len(a)-1].Text == "Only admins can mute." {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if a := h.fake.Answers(); a[len(a)-1].Text != "Only admins can mute." {
			t.Fatalf("last answer %q", a[len(a)-1].Text)
		}
	})

	if strings.Contains(h.logs.String(), "SECRET") {
		t.Fatal("token in logs")
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHeartbeatPushURL(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	wantPrefix(t, h.say(admin, admin, "/add heartbeat backup every 1d grace 1h"), "Added backup (heartbeat, every 1d).\nFirst result: ")
	tok, err := h.db.HeartbeatToken(ctx, "backup")
	if err != nil || tok == "" {
		t.Fatalf("token %q %v", tok, err)
	}
	m := h.say(admin, admin, "/check backup")
	if !strings.Contains(m.Plain, "push URL http://127.0.0.1:9004/push/"+tok) {
		t.Fatalf("/check backup:\n%s", m.Plain)
	}
}

// A mute set before a restart is still announced when it ends, in the alert chats.
func TestRestoredMuteExpiryAnnounced(t *testing.T) {
	h := newHarness(t, func(db *storage.DB) {
		if err := db.SetMute(context.Background(), "api", time.Now().Add(300*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	})
	for _, chat := range []int64{admin, member, group} {
		if _, err := h.fake.WaitFor(chat, 10*time.Second, func(m tgfake.Message) bool { return m.Plain == "🔔 mute of api expired" }); err != nil {
			t.Fatal(err)
		}
	}
}

// The push URL is the one the engine answers to: with no store at hand, and when the
// engine's token is not the stored one (it fell back to a temporary token).
func TestHeartbeatPushURLFromEngine(t *testing.T) {
	cfg, err := config.Parse([]byte(`
checks:
  - name: backup
    type: heartbeat
    period: 1d
    grace: 1h
`), "hb.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log, _ := newLogger()
	// No token source: the engine keeps a temporary token of its own.
	eng, err := monitor.New(cfg, monitor.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	engTok, ok := eng.HeartbeatToken("backup")
	if !ok || engTok == "" {
		t.Fatalf("engine token %q %v", engTok, ok)
	}
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "statusmap.db"), storage.Options{Logger: log, MaintainInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dbTok, err := db.HeartbeatToken(ctx, "backup")
	if err != nil || dbTok == "" || dbTok == engTok {
		t.Fatalf("stored token %q (engine %q) %v", dbTok, engTok, err)
	}
	for _, tc := range []struct {
		name  string
		store Store
	}{{"no store", nil}, {"store with another token", db}} {
		t.Run(tc.name, func(t *testing.T) {
			fake := tgfake.New(testToken)
			t.Cleanup(fake.Close)
			deps := Deps{Engine: eng, PushBase: "http://127.0.0.1:9004/", Location: time.UTC}
			if tc.store != nil {
				deps.Store = tc.store
			}
			b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{admin}}, deps, log)
			if err != nil {
				t.Fatal(err)
			}
			stop := startBot(t, b)
			t.Cleanup(stop)
			fake.SendUserMessage(admin, admin, "/check backup")
			m, err := fake.WaitFor(admin, 5*time.Second, func(tgfake.Message) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Plain, "push URL http://127.0.0.1:9004/push/"+engTok) {
				t.Fatalf("/check backup:\n%s", m.Plain)
			}
		})
	}
}
