package monitor

import (
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		in      string
		secrets []string
		want    string
	}{
		{"failed to connect to postgres://app:hunter2@db:5432/x", nil, "failed to connect to postgres://app:***@db:5432/x"},
		{"cannot parse `host=db password=hunter2 user=app`", nil, "cannot parse `host=db password=*** user=app`"},
		{"password='a b c' dbname=x", nil, "password=*** dbname=x"},
		{"Password: hunter2", nil, "Password: ***"},
		{"app:hunter2@tcp(db:3306)/x refused", []string{"hunter2"}, "app:***@tcp(db:3306)/x refused"},
		{"no secret here", []string{""}, "no secret here"},
		{"redis://:pw@127.0.0.1:6379/0", nil, "redis://:***@127.0.0.1:6379/0"},
	}
	for _, tt := range tests {
		if got := redact(tt.in, tt.secrets...); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFmtBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KB"}, {8 << 20, "8.0 MB"},
		{1536 << 20, "1.5 GB"}, {300 << 30, "300 GB"}, {5 << 40, "5.0 TB"},
	}
	for _, tt := range tests {
		if got := fmtBytes(tt.n); got != tt.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFmtAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {250 * time.Millisecond, "250ms"}, {45 * time.Second, "45s"}, {90 * time.Second, "1m 30s"},
		{12 * time.Minute, "12m"}, {12*time.Minute + 5*time.Second, "12m"}, {2 * time.Hour, "2h"},
		{2*time.Hour + 5*time.Minute, "2h 5m"}, {3 * 24 * time.Hour, "3d"}, {76 * time.Hour, "3d 4h"},
		{-2 * time.Hour, "2h"},
	}
	for _, tt := range tests {
		if got := fmtAge(tt.d); got != tt.want {
			t.Errorf("fmtAge(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("  first\nsecond\r\nthird"); got != "first" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("é", 400)
	got := oneLine(long)
	if !strings.HasSuffix(got, "…") || len(got) > 310 || !strings.HasPrefix(got, "éé") {
		t.Errorf("long line cut badly: %d bytes", len(got))
	}
	for _, r := range strings.TrimSuffix(got, "…") {
		if r != 'é' {
			t.Fatalf("cut inside a rune: %q", got[len(got)-8:])
		}
	}
}

func TestValueMatches(t *testing.T) {
	tests := []struct {
		got, want string
		ok        bool
	}{
		{"42", "42", true}, {" 42\n", "42", true}, {"1.0", "1", true}, {"1.50", "1.5", true},
		{"ready", "ready", true}, {"Ready", "ready", false}, {"41", "42", false}, {"", "0", false},
	}
	for _, tt := range tests {
		if got := valueMatches(tt.got, tt.want); got != tt.ok {
			t.Errorf("valueMatches(%q, %q) = %v", tt.got, tt.want, got)
		}
	}
}
