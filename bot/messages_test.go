package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

var (
	tNow = time.Date(2026, 11, 25, 14, 14, 0, 0, time.UTC)
	utc  = time.UTC
)

func view(name, host string, st monitor.Status, reason string, since time.Time) CheckView {
	return CheckView{
		Spec:  config.Check{Name: name, Type: "http", Host: host, Source: "config"},
		State: monitor.State{Name: name, Status: st, Since: since, Last: monitor.Result{Reason: reason}},
	}
}

func TestStatusText(t *testing.T) {
	paused := view("backup", "", monitor.StatusPaused, "", time.Date(2026, 11, 24, 9, 0, 0, 0, utc))
	paused.State.Paused = true
	views := []CheckView{
		view("web", "fold", monitor.StatusOK, "", tNow.Add(-48*time.Hour)),
		view("api", "fold", monitor.StatusError, "HTTP 503, want 200", time.Date(2026, 11, 25, 14, 2, 0, 0, utc)),
		view("smb", "nas", monitor.StatusOK, "", time.Time{}),
		view("db", "fold", monitor.StatusWarn, "slow: 2.3s > 1s", time.Date(2026, 11, 25, 13, 10, 0, 0, utc)),
		view("google", "", monitor.StatusOK, "", time.Time{}),
		paused,
		view("new", "", monitor.StatusUnknown, "", time.Time{}),
		view("cron", "fold", monitor.StatusOK, "", time.Time{}),
		view("my_service", "fold", monitor.StatusSkip, "", time.Date(2026, 11, 25, 14, 3, 0, 0, utc)),
	}
	want := `<b>9 checks</b>: 🔴 1 error · 🟡 1 warn · ⚪ 1 skip · ❔ 1 unknown · ⏸ 1 paused · ✅ 4 ok

<b>fold</b>
🔴 <b>api</b> — HTTP 503, want 200 · since 14:02 (12m)
🟡 <b>db</b> — slow: 2.3s &gt; 1s · since 13:10 (1h 4m)
⚪ <b>my_service</b> — dependency down · since 14:03 (11m)

<b>other</b>
❔ <b>new</b> — not checked yet
⏸ <b>backup</b> — paused · since 24 Nov 09:00 (1d 5h)

✅ <b>ok</b>
<i>fold</i>: cron, web
<i>nas</i>: smb
<i>other</i>: google`
	if got := statusText(views, tNow, utc); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := statusText(nil, tNow, utc); got != "No checks yet. Add one to the config file or with /add (see /help)." {
		t.Fatalf("empty: %q", got)
	}
}

func TestStatusTextSplitsUnderLimit(t *testing.T) {
	var views []CheckView
	for i := 0; i < 400; i++ {
		views = append(views, view(fmt.Sprintf("service_%03d", i), fmt.Sprintf("host%d", i%7), monitor.StatusError,
			strings.Repeat("connection refused <x> ", 5), tNow.Add(-time.Hour)))
	}
	text := statusText(views, tNow, utc)
	parts := splitMessage(text, maxMessage)
	if len(parts) < 2 {
		t.Fatalf("%d runes in %d part(s)", utf8.RuneCountInString(text), len(parts))
	}
	if strings.Join(parts, "\n") != text {
		t.Fatal("parts do not join back to the text")
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > maxMessage {
			t.Fatalf("part %d has %d runes", i, n)
		}
		if _, err := checkHTML(p); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
}

func TestSplitMessagePre(t *testing.T) {
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, fmt.Sprintf("+%dms line %d of the run log", i, i))
	}
	text := "<b>head</b>\n<pre>" + strings.Join(lines, "\n") + "</pre>\ntail"
	parts := splitMessage(text, 1000)
	if len(parts) < 5 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > 1000 {
			t.Fatalf("part %d: %d runes", i, n)
		}
		if _, err := checkHTML(p); err != nil {
			t.Fatalf("part %d: %v\n%s", i, err, p)
		}
	}
	// A single line longer than the limit is cut, not lost.
	long := strings.Repeat("x", 2500)
	parts = splitMessage(long, 1000)
	if strings.Join(parts, "") != long {
		t.Fatalf("long line parts: %d", len(parts))
	}
}

// checkHTML is a small balance check of the tags builders use.
func checkHTML(s string) (string, error) {
	var stack []string
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			return "", fmt.Errorf("unclosed < at %d", i)
		}
		tag := s[i+1 : i+j]
		if strings.HasPrefix(tag, "/") {
			if len(stack) == 0 || stack[len(stack)-1] != tag[1:] {
				return "", fmt.Errorf("unmatched %s at %d", tag, i)
			}
			stack = stack[:len(stack)-1]
		} else {
			name, _, _ := strings.Cut(tag, " ")
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("unclosed %v", stack)
	}
	return s, nil
}

func TestCheckText(t *testing.T) {
	v := CheckView{
		Spec: config.Check{Name: "my_api", Type: "http", Host: "fold", Runtime: "docker", Source: "chat",
			Interval: config.Duration(time.Minute), URL: "https://example.com/health?a=1&b=2",
			Dependencies: []string{"fold_ping"}},
		State: monitor.State{
			Name: "my_api", Status: monitor.StatusError, Since: time.Date(2026, 11, 25, 14, 2, 0, 0, utc),
			LastCheck: time.Date(2026, 11, 25, 14, 13, 30, 0, utc), SuccessCount: 1467, FailCount: 1973,
			Extra: map[string]string{"version": "1.2"},
			Last: monitor.Result{Status: monitor.StatusError, Latency: 123 * time.Millisecond, Reason: "HTTP 503, want 200",
				Log: []string{"+0ms GET https://example.com/health?a=1&b=2", "+123ms HTTP 503 <html>"}},
		},
	}
	info := checkInfo{
		Results: []monitor.Result{
			{Time: time.Date(2026, 11, 25, 14, 13, 30, 0, utc), Status: monitor.StatusError, Latency: 123 * time.Millisecond, Reason: "HTTP 503, want 200"},
			{Time: time.Date(2026, 11, 25, 14, 12, 30, 0, utc), Status: monitor.StatusOK, Latency: 1500 * time.Millisecond},
		},
		Uptime: map[string]float64{"24h": 0.99312, "7d": 0.9999999, "30d": 1},
		Muted:  time.Date(2026, 11, 25, 15, 0, 0, 0, utc),
	}
	want := `🔴 <b>my_api</b> — error
HTTP 503, want 200
since 14:02 (12m) · last check 14:13
🔕 muted until 15:00

type http · every 1m · host fold · runtime docker · added from chat
target <code>https://example.com/health?a=1&amp;b=2</code>
latency 123 ms
uptime 24h 99.31% · 7d 99.99% · 30d 100.00%
runs 1467 ok / 1973 failed (42.65%)
depends on fold_ping
version: 1.2

<b>Last results</b>
14:13 🔴 123 ms — HTTP 503, want 200
14:12 ✅ 1.50 s

<b>Last run</b>
<pre>+0ms GET https://example.com/health?a=1&amp;b=2
+123ms HTTP 503 &lt;html&gt;</pre>`
	if got := checkText(v, info, tNow, utc); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}

	hb := CheckView{Spec: config.Check{Name: "backup", Type: "heartbeat", Source: "config", Period: config.Duration(24 * time.Hour)},
		State: monitor.State{Name: "backup", Status: monitor.StatusUnknown}}
	want = `❔ <b>backup</b> — unknown
not checked yet

type heartbeat
push URL <code>http://127.0.0.1:9004/push/abc123</code>`
	if got := checkText(hb, checkInfo{PushURL: "http://127.0.0.1:9004/push/abc123"}, tNow, utc); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSmallBuilders(t *testing.T) {
	cases := []struct{ got, want string }{
		{resultLine("my_api", monitor.Result{Status: monitor.StatusOK, Latency: 42 * time.Millisecond}), "✅ <b>my_api</b> ok · 42 ms"},
		{resultLine("db", monitor.Result{Status: monitor.StatusError, Latency: 3 * time.Second, Reason: "dial tcp: connection refused"}),
			"🔴 <b>db</b> error · 3.00 s — dial tcp: connection refused"},
		{mapCaption([]CheckView{view("a", "", monitor.StatusOK, "", time.Time{}), view("b", "", monitor.StatusError, "x", time.Time{})}, ""),
			"<b>Status map</b> · 🔴 1 error · ✅ 1 ok"},
		{mapCaption([]CheckView{view("a", "fold", monitor.StatusOK, "", time.Time{})}, "fold<1>"), "<b>Map of fold&lt;1&gt;</b> · ✅ 1 ok"},
		{mutesText(map[string]time.Time{"api": tNow.Add(90 * time.Minute), "*": tNow.Add(26 * time.Hour)}, tNow, utc),
			"<b>Mutes</b>\n🔕 <b>all checks</b> until 26 Nov 16:14 (1d 2h left)\n🔕 <b>api</b> until 15:44 (1h 30m left)"},
		{mutesText(nil, tNow, utc), "No mutes. Mute a check with /mute NAME 2h."},
		{fmtDur(40 * time.Second), "40s"},
		{fmtDur(3 * time.Hour), "3h"},
		{fmtDur(50 * time.Hour), "2d 2h"},
		{fmtLatency(850 * time.Microsecond), "850 µs"},
		{fmtLatency(25 * time.Second), "25 s"},
		{fmtPercent(-1), "n/a"},
		{fmtTime(time.Date(2025, 3, 3, 6, 37, 0, 0, utc), tNow, utc), "3 Mar 2025 06:37"},
		{esc("a<b>&c"), "a&lt;b&gt;&amp;c"},
		{usage(commandList[0]), "Usage: /status [NAME]"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestCallbackDataFits(t *testing.T) {
	short := callbackData("mute", "api")
	if short != "mute:api" {
		t.Fatal(short)
	}
	long := strings.Repeat("x", 64)
	d := callbackData("mute", long)
	if len(d) > 64 || !strings.HasPrefix(d, "mute:#") {
		t.Fatalf("%q (%d bytes)", d, len(d))
	}
}

func BenchmarkStatusText1000(b *testing.B) {
	var views []CheckView
	for i := 0; i < 1000; i++ {
		st := monitor.StatusOK
		if i%10 == 0 {
			st = monitor.StatusError
		}
		views = append(views, view(fmt.Sprintf("svc_%04d", i), fmt.Sprintf("host%d", i%20), st, "connection refused", tNow.Add(-time.Hour)))
	}
	b.ReportAllocs()
	for b.Loop() {
		splitMessage(statusText(views, tNow, utc), maxMessage)
	}
}

func BenchmarkHistoryChart(b *testing.B) {
	since := tNow.Add(-24 * time.Hour)
	var pts []Point
	for i := 0; i < 96; i++ {
		pts = append(pts, Point{Time: since.Add(time.Duration(i) * 15 * time.Minute), Checks: 15, Failures: i % 7 / 6,
			AvgLatency: time.Duration(80+i%13) * time.Millisecond, P95Latency: time.Duration(150+i%17) * time.Millisecond})
	}
	for b.Loop() {
		if _, err := drawChart(pts, since, tNow, 15*time.Minute, "api · last 24h", utc); err != nil {
			b.Fatal(err)
		}
	}
}

// fixedEngine serves fixed views; it changes nothing.
type fixedEngine []CheckView

func (f fixedEngine) Snapshot() []CheckView { return f }
func (f fixedEngine) Get(name string) (CheckView, bool) {
	for _, v := range f {
		if v.Spec.Name == name {
			return v, true
		}
	}
	return CheckView{}, false
}
func (fixedEngine) Add(context.Context, config.Check) (monitor.Result, error) {
	return monitor.Result{}, errors.New("read-only")
}
func (fixedEngine) Remove(string) error           { return errors.New("read-only") }
func (fixedEngine) Pause(string, time.Time) error { return errors.New("read-only") }
func (fixedEngine) Resume(string) error           { return errors.New("read-only") }
func (fixedEngine) RunNow(context.Context, string) (monitor.Result, error) {
	return monitor.Result{}, errors.New("read-only")
}

// HeartbeatToken serves a heartbeat check's configured token.
func (f fixedEngine) HeartbeatToken(name string) (string, bool) {
	v, ok := f.Get(name)
	if !ok || v.Spec.Type != "heartbeat" || v.Spec.Token == "" {
		return "", false
	}
	return v.Spec.Token, true
}
