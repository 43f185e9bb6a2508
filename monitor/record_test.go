package monitor

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

func TestRecordJSON(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	last := time.Date(2023, 3, 3, 3, 37, 24, 0, time.UTC)
	tests := []struct {
		name string
		view CheckView
		tz   *time.Location
		want string
	}{
		{
			name: "the original's shape",
			view: CheckView{
				Spec: config.Check{Name: "foldwrap_api", Type: "api", Interval: config.Duration(900 * time.Second)},
				State: State{Status: StatusError, LastCheck: last, Since: last.Add(-time.Hour), SuccessCount: 1467, FailCount: 1973,
					Last: Result{Status: StatusError, Reason: "HTTP 503, want 200", Latency: 12345 * time.Microsecond}},
			},
			tz: msk,
			want: `{"name":"foldwrap_api","type":"api","interval":900,"lastcheck":"03.03.2023 06:37:24","status":"error",` +
				`"success_count":1467,"fail_count":1973,"success_ratio":0.4265,"dependencies":null,"extra":{},` +
				`"host":"","runtime":"","reason":"HTTP 503, want 200","latency_ms":12.3,"since":"03.03.2023 05:37:24"}`,
		},
		{
			name: "never checked, with dependencies and extra",
			view: CheckView{
				Spec:  config.Check{Name: "db", Type: "postgres", Interval: config.Duration(time.Minute), Dependencies: []string{"server"}, Host: "fold", Runtime: "docker"},
				State: State{Extra: map[string]string{"size": "1.2 GB"}},
			},
			tz: nil,
			want: `{"name":"db","type":"postgres","interval":60,"lastcheck":"","status":"unknown",` +
				`"success_count":0,"fail_count":0,"success_ratio":0,"dependencies":["server"],"extra":{"size":"1.2 GB"},` +
				`"host":"fold","runtime":"docker","reason":"","latency_ms":0,"since":""}`,
		},
		{
			name: "ok run has no reason",
			view: CheckView{
				Spec:  config.Check{Name: "w", Type: "http", Interval: config.Duration(30 * time.Second)},
				State: State{Status: StatusOK, LastCheck: last, Since: last, SuccessCount: 3, Last: Result{Status: StatusOK, Latency: 800 * time.Microsecond}},
			},
			tz: time.UTC,
			want: `{"name":"w","type":"http","interval":30,"lastcheck":"03.03.2023 03:37:24","status":"ok",` +
				`"success_count":3,"fail_count":0,"success_ratio":1,"dependencies":null,"extra":{},` +
				`"host":"","runtime":"","reason":"","latency_ms":0.8,"since":"03.03.2023 03:37:24"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.view.Record(tt.tz))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}

func TestMapLines(t *testing.T) {
	last := time.Date(2026, 3, 3, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state State
		want  []string
	}{
		{"never run", State{Status: StatusUnknown}, nil},
		{"ok with extra sorted", State{Status: StatusOK, LastCheck: last, Last: Result{Status: StatusOK, Latency: 12 * time.Millisecond},
			Extra: map[string]string{"version": "1.4", "db size": "1.2 GB"}}, []string{"12 ms", "db size: 1.2 GB", "version: 1.4"}},
		{"failing shows the reason", State{Status: StatusError, LastCheck: last, Last: Result{Status: StatusError, Reason: "HTTP 503, want 200", Latency: 1500 * time.Millisecond}},
			[]string{"1.50 s", "HTTP 503, want 200"}},
		{"warn shows the reason", State{Status: StatusWarn, LastCheck: last, Last: Result{Status: StatusWarn, Reason: "rtt 120 ms, want <= 100 ms", Latency: 120 * time.Millisecond}},
			[]string{"120 ms", "rtt 120 ms, want <= 100 ms"}},
		{"long reason is clipped", State{Status: StatusError, LastCheck: last, Last: Result{Status: StatusError, Reason: "dial tcp: lookup very-long-host-name.example.internal: no such host"}},
			[]string{"dial tcp: lookup very-long-host-name.example.in…"}},
		{"paused", State{Status: StatusPaused, Paused: true, LastCheck: last, Last: Result{Status: StatusOK, Latency: time.Millisecond}}, []string{"paused"}},
		{"paused until", State{Status: StatusPaused, Paused: true, PausedUntil: last}, []string{"paused until 03.03 06:00"}},
		{"sub-millisecond", State{Status: StatusOK, LastCheck: last, Last: Result{Status: StatusOK, Latency: 420 * time.Microsecond}}, []string{"0.4 ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckView{State: tt.state}.MapLines()
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		420 * time.Microsecond:  "0.4 ms",
		3500 * time.Microsecond: "3.5 ms",
		12 * time.Millisecond:   "12 ms",
		999 * time.Millisecond:  "999 ms",
		1250 * time.Millisecond: "1.25 s",
		42 * time.Second:        "42 s",
	} {
		if got := FormatLatency(d); got != want {
			t.Errorf("FormatLatency(%s) = %q, want %q", d, got, want)
		}
	}
}
