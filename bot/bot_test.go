package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statusmap/statusmap/bot/tgfake"
	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

const testToken = "987654:SECRET-token_xyz"

// logBuffer collects log output for assertions; slog handlers may write concurrently.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

func startBot(t *testing.T, b *Bot) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []struct {
		cfg  config.Telegram
		want string
	}{
		{config.Telegram{}, "telegram: token is empty"},
		{config.Telegram{Token: testToken, APIURL: "ftp://x"}, `telegram: api_url "ftp://x" is not an http(s) URL`},
	} {
		_, err := New(c.cfg, Deps{Engine: fixedEngine(nil)}, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	b, err := New(config.Telegram{Token: testToken}, Deps{Engine: fixedEngine(nil)}, nil)
	if err != nil || b.apiURL != DefaultAPIURL {
		t.Fatalf("default api url: %v %v", b, err)
	}
}

// A wrong token must not turn into a request storm: calls back off exponentially, and
// neither logs nor errors show the token.
func TestWrongTokenBacksOff(t *testing.T) {
	fake := tgfake.New("111:right")
	defer fake.Close()
	log, logs := newLogger()
	b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{1}}, Deps{Engine: fixedEngine(nil)}, log)
	if err != nil {
		t.Fatal(err)
	}
	b.minBackoff, b.maxBackoff = 50*time.Millisecond, 400*time.Millisecond
	stop := startBot(t, b)
	time.Sleep(2 * time.Second)
	stop()
	// 50+100+200+400+400+... ms: about 7 calls in 2 s; a busy loop makes thousands.
	n := fake.Calls("getMe")
	if n < 3 || n > 10 {
		t.Fatalf("getMe called %d times in 2s", n)
	}
	out := logs.String()
	if !strings.Contains(out, "telegram rejected the bot token (401 Unauthorized)") {
		t.Fatalf("no 401 log line:\n%s", out)
	}
	if strings.Contains(out, "SECRET") {
		t.Fatalf("token in logs:\n%s", out)
	}
	if !b.LastOK().IsZero() {
		t.Fatal("LastOK set without a successful call")
	}
}

func TestErrorsNeverContainToken(t *testing.T) {
	// A port nobody listens on: the error from net/http carries the whole URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log, logs := newLogger()
	b, err := New(config.Telegram{Token: testToken, APIURL: "http://" + addr}, Deps{Engine: fixedEngine(nil)}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := []error{
		b.Send(ctx, 42, "hello", ""),
		b.Send(ctx, 42, "hello", "api"),
		b.call(ctx, "getMe", nil, nil),
	}
	b.sendImage(ctx, 42, []byte("not a png"), "x", "x.png")
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d succeeded against a closed port", i)
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), testToken) {
			t.Fatalf("call %d: token in error: %v", i, err)
		}
		if !strings.Contains(err.Error(), "<token>") && !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("call %d: unexpected error %v", i, err)
		}
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Fatalf("token in logs:\n%s", logs.String())
	}
	// telebot errors of every kind are scrubbed too.
	raw := errors.New(`telebot: Post "http://x/bot` + testToken + `/sendMessage": EOF`)
	if got := b.scrub(raw).Error(); got != `telebot: Post "http://x/bot<token>/sendMessage": EOF` {
		t.Fatalf("scrubbed: %s", got)
	}
}

func TestSendButtonsFloodAndLastOK(t *testing.T) {
	fake := tgfake.New(testToken)
	defer fake.Close()
	b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL()}, Deps{Engine: fixedEngine(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !b.LastOK().IsZero() {
		t.Fatal("LastOK before any call")
	}
	before := time.Now()
	if err := b.Send(ctx, 42, "🔴 <b>my_api</b> is down: HTTP 503", "my_api"); err != nil {
		t.Fatal(err)
	}
	if b.LastOK().Before(before) {
		t.Fatalf("LastOK = %v", b.LastOK())
	}
	sent := fake.Sent(42)
	if len(sent) != 1 || sent[0].Plain != "🔴 my_api is down: HTTP 503" || sent[0].ParseMode != "HTML" {
		t.Fatalf("sent = %+v", sent)
	}
	want := [][]tgfake.Button{{{Text: "🔕 Mute 1h", Data: "mute:my_api"}, {Text: "🔄 Check now", Data: "run:my_api"}, {Text: "🗺 Map", Data: "map:my_api"}}}
	if !equalButtons(sent[0].Buttons, want) {
		t.Fatalf("buttons = %+v", sent[0].Buttons)
	}

	fake.Inject429(1, 7)
	err = b.Send(ctx, 42, "again", "my_api")
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() != 7*time.Second {
		t.Fatalf("429 err = %#v", err)
	}
	// Other API errors are not rate limits.
	err = b.Send(ctx, 42, "<b>broken", "")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != 400 || errors.As(err, &ra) {
		t.Fatalf("400 err = %#v", err)
	}
	if !strings.Contains(err.Error(), "can't parse entities") {
		t.Fatalf("400 err = %v", err)
	}

	// A long alert is split; the buttons go on the last part.
	long := strings.Repeat("line of an alert\n", 400)
	if err := b.Send(ctx, 43, long, "api"); err != nil {
		t.Fatal(err)
	}
	parts := fake.Sent(43)
	if len(parts) < 2 || parts[0].Buttons != nil || parts[len(parts)-1].Buttons == nil {
		t.Fatalf("%d parts", len(parts))
	}

	// A cancelled context stops waiting.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Send(cctx, 42, "x", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func equalButtons(a, b [][]tgfake.Button) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// The poller holds one getUpdates at a time (no busy loop), registers the commands, and
// stops at once when its context ends.
func TestPollingHoldsAndStops(t *testing.T) {
	fake := tgfake.New(testToken)
	defer fake.Close()
	b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{1}}, Deps{Engine: fixedEngine(nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := startBot(t, b)
	if err := fake.WaitCalls("getUpdates", 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := fake.Calls("getUpdates"); n != 1 {
		t.Fatalf("getUpdates called %d times in 1.5s with nothing to fetch", n)
	}
	cmds := fake.Commands()
	if len(cmds) != len(commandList) || cmds[0].Command != "status" {
		t.Fatalf("commands = %+v", cmds)
	}
	start := time.Now()
	stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("stop took %v", d)
	}
}

// An outage of the Bot API is survived: polling backs off and resumes, updates sent in
// the meantime are handled once.
func TestOutageRecovery(t *testing.T) {
	fake := tgfake.New(testToken)
	defer fake.Close()
	log, logs := newLogger()
	b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{5}}, Deps{Engine: fixedEngine(nil)}, log)
	if err != nil {
		t.Fatal(err)
	}
	b.minBackoff, b.maxBackoff = 50*time.Millisecond, 200*time.Millisecond
	stop := startBot(t, b)
	defer stop()
	if err := fake.WaitCalls("getUpdates", 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	fake.SetUnreachable(true)
	time.Sleep(600 * time.Millisecond)
	fake.SendUserMessage(5, 5, "/help")
	fake.SetUnreachable(false)
	m, err := fake.WaitFor(5, 5*time.Second, func(m tgfake.Message) bool { return strings.HasPrefix(m.Plain, "statusmap watches") })
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != helpText {
		t.Fatalf("help = %q", m.Text)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fake.Sent(5)); n != 1 {
		t.Fatalf("help answered %d times", n)
	}
	if !strings.Contains(logs.String(), "telegram unreachable") || !strings.Contains(logs.String(), "telegram reachable again") {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

// blockingEngine holds every /run until the bot stops, so the handler slots fill up.
type blockingEngine struct {
	fixedEngine
	started chan struct{}
}

func (e blockingEngine) RunNow(ctx context.Context, _ string) (monitor.Result, error) {
	e.started <- struct{}{}
	<-ctx.Done()
	// Slots free up only well after shutdown began.
	time.Sleep(200 * time.Millisecond)
	return monitor.Result{}, ctx.Err()
}

// An update still waiting for a handler slot at shutdown is not confirmed: Telegram hands
// it out again after a restart instead of losing the command.
func TestShutdownKeepsUnhandledUpdates(t *testing.T) {
	fake := tgfake.New(testToken)
	defer fake.Close()
	eng := blockingEngine{
		fixedEngine: fixedEngine{{Spec: config.Check{Name: "x", Type: "tcp"}}},
		started:     make(chan struct{}, maxHandlers+1),
	}
	for range maxHandlers + 1 {
		fake.SendUserMessage(1, 1, "/run x")
	}
	b, err := New(config.Telegram{Token: testToken, APIURL: fake.URL(), Allowed: []int64{1}}, Deps{Engine: eng}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := startBot(t, b)
	for i := range maxHandlers {
		select {
		case <-eng.started:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d handlers started", i)
		}
	}
	stop()
	if n := fake.PendingUpdates(); n != 1 {
		t.Fatalf("%d updates left unconfirmed after shutdown, want the 1 never handled", n)
	}
}
