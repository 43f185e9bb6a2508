package alerting

import (
	"fmt"
	"testing"
	"time"
)

func TestFmtDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{40 * time.Second, "40s"},
		{12*time.Minute + 40*time.Second, "12m 40s"},
		{12 * time.Minute, "12m"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h 5m"},
		{3 * time.Hour, "3h"},
		{3*24*time.Hour + 4*time.Hour + 10*time.Minute, "3d 4h"},
		{48 * time.Hour, "2d"},
	} {
		if got := fmtDuration(tc.d); got != tc.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestMessageBuilders(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 3, 3, 12, 13, 45, 0, loc)
	since := now.Add(-12*time.Minute - 40*time.Second)
	api := checkInfo{Name: "api", Type: "http", Host: "fold", Runtime: "docker", Reason: "HTTP 503, want 200", Since: since}
	evil := checkInfo{Name: "a<b>&c", Type: "http", Reason: `body has "<script>"`, Since: since}
	fold := checkInfo{Name: "fold", Type: "ping", Host: "fold", Reason: "100% packet loss", Since: since}
	deps := make([]string, 22)
	for i := range deps {
		deps[i] = fmt.Sprintf("svc%02d", i)
	}
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"down", downText(downMsg{Check: api}, nil, now, loc),
			"🔴 <b>api</b> is down\non fold (docker)\nHTTP 503, want 200\nsince 12:01:05 (12m 40s)"},
		{"down escaped", downText(downMsg{Check: evil}, nil, now, loc),
			"🔴 <b>a&lt;b&gt;&amp;c</b> is down\nbody has &#34;&lt;script&gt;&#34;\nsince 12:01:05 (12m 40s)"},
		{"down with others", downText(downMsg{Check: api}, []string{"db", "cache"}, now, loc),
			"🔴 <b>api</b> is down\non fold (docker)\nHTTP 503, want 200\nsince 12:01:05 (12m 40s)\nalso down: db, cache"},
		{"down with many others", downText(downMsg{Check: api}, deps[:6], now, loc),
			"🔴 <b>api</b> is down\non fold (docker)\nHTTP 503, want 200\nsince 12:01:05 (12m 40s)\nalso down: 6 other checks"},
		{"down yesterday", downText(downMsg{Check: checkInfo{Name: "x", Since: now.Add(-25 * time.Hour)}}, nil, now, loc),
			"🔴 <b>x</b> is down\nsince 02.03.2026 11:13 (1d 1h)"},
		{"root cause", downText(downMsg{Check: fold, Dependents: []string{"api", "db", "my_bot"}}, nil, now, loc),
			"🔴 server <b>fold</b> is down; 3 checks on it are unreachable: api, db, my_bot\non fold\n100% packet loss\nsince 12:01:05 (12m 40s)"},
		{"root cause one", downText(downMsg{Check: fold, Dependents: []string{"api"}}, nil, now, loc),
			"🔴 server <b>fold</b> is down; 1 check on it is unreachable: api\non fold\n100% packet loss\nsince 12:01:05 (12m 40s)"},
		{"root cause many", downText(downMsg{Check: fold, Dependents: deps}, nil, now, loc),
			"🔴 server <b>fold</b> is down; 22 checks on it are unreachable: svc00, svc01, svc02, svc03, svc04, svc05, svc06, svc07, svc08, svc09, svc10, svc11, svc12, svc13, svc14, svc15, svc16, svc17, svc18, svc19 and 2 more\non fold\n100% packet loss\nsince 12:01:05 (12m 40s)"},
		{"warn", downText(downMsg{Check: checkInfo{Name: "web", Reason: "slow: 2.1s > 1s", Since: now}, Warn: true}, nil, now, loc),
			"🟡 <b>web</b> is degraded\nslow: 2.1s &gt; 1s\nsince 12:13:45 (0s)"},
		{"note", downText(downMsg{Check: api, Note: "mute ended, still failing"}, nil, now, loc),
			"🔴 <b>api</b> is down\non fold (docker)\nHTTP 503, want 200\nsince 12:01:05 (12m 40s)\nmute ended, still failing"},
		{"group", groupText([]downMsg{{Check: fold, Dependents: []string{"api", "db"}}, {Check: checkInfo{Name: "mail", Reason: "connection refused"}}}, []string{"old"}, now, loc),
			"🔴 2 checks are down; 2 checks on them are unreachable\n• server <b>fold</b> on fold: 100% packet loss; 2 checks on it: api, db\n• <b>mail</b>: connection refused\nalso down: old"},
		{"group mixed", groupText([]downMsg{{Check: checkInfo{Name: "a", Reason: "x"}}, {Check: checkInfo{Name: "b"}, Warn: true}}, nil, now, loc),
			"🔴 2 checks are down or degraded\n• <b>a</b>: x\n• <b>b</b>"},
		{"recovery", recoveryText(recoveryMsg{Check: api, End: now}, now, loc),
			"✅ <b>api</b> is back after 12m 40s\non fold (docker)\ndown since 12:01:05"},
		{"recovery degraded", recoveryText(recoveryMsg{Check: api, End: now, NowWarn: "slow"}, now, loc),
			"✅ <b>api</b> is back after 12m 40s (degraded: slow)\non fold (docker)\ndown since 12:01:05"},
		{"recovery of warn", recoveryText(recoveryMsg{Check: checkInfo{Name: "web", Since: since}, End: now, WasWarn: true}, now, loc),
			"✅ <b>web</b> is ok again after 12m 40s\ndegraded since 12:01:05"},
		{"recovery root", recoveryText(recoveryMsg{Check: fold, End: now, Back: []string{"api", "db"}, StillFailing: []string{"mail"}, Unreachable: []string{"x"}}, now, loc),
			"✅ server <b>fold</b> is back after 12m 40s\non fold\ndown since 12:01:05\n2 checks on it are back: api, db\nstill failing on their own: mail\nstill unreachable: x"},
		{"reminder", reminderText(api, now, loc),
			"⏰ <b>api</b> is still down after 12m 40s\non fold (docker)\nHTTP 503, want 200\nsince 12:01:05"},
		{"flapping", flappingText(api, 7, 30*time.Minute),
			"🔁 <b>api</b> is flapping: 7 changes in 30m; quiet until it is stable for 30m\non fold (docker)\nlast failure: HTTP 503, want 200"},
		{"stable", stableText(checkInfo{Name: "api"}, "ok", 30*time.Minute),
			"✅ <b>api</b> is stable again: ok for 30m"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}
