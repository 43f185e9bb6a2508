package monitor

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// unprivilegedPingAllowed reads whether this process's group may open ICMP datagram sockets.
func unprivilegedPingAllowed(t *testing.T) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		t.Skip("no /proc/sys/net/ipv4/ping_group_range")
	}
	var lo, hi int
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Skip("unexpected ping_group_range")
	}
	lo, hi = atoiOr(f[0]), atoiOr(f[1])
	gid := os.Getgid()
	return lo <= gid && gid <= hi
}

func atoiOr(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return -1
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func TestPingLoopback(t *testing.T) {
	yes, no := true, false
	root := os.Geteuid() == 0
	unpriv := unprivilegedPingAllowed(t)
	tests := []struct {
		name  string
		check config.Check
		ok    bool // expected to reach 127.0.0.1
		skip  bool
	}{
		{"auto", config.Check{Host: "127.0.0.1", Count: 2}, root || unpriv, false},
		{"privileged", config.Check{Target: "127.0.0.1", Host: "ignored.invalid", Count: 1, Privileged: &yes}, root, !root},
		{"unprivileged", config.Check{Host: "127.0.0.1", Count: 1, Privileged: &no}, unpriv, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.skip {
				t.Skip("needs root")
			}
			tt.check.Timeout = config.Duration(5 * time.Second)
			out := probeOnce(probePing, tt.check)
			if tt.ok {
				if out.Status != StatusOK || out.Latency <= 0 || out.Metrics["ping_loss_percent"] != 0 {
					t.Fatalf("%+v", out)
				}
				return
			}
			if out.Status != StatusError || !strings.Contains(out.Reason, "net.ipv4.ping_group_range") {
				t.Fatalf("want the sysctl named in the reason, got %+v", out)
			}
		})
	}
}

func TestPingThresholds(t *testing.T) {
	if os.Geteuid() != 0 && !unprivilegedPingAllowed(t) {
		t.Skip("no ICMP socket allowed here")
	}
	out := probeOnce(probePing, config.Check{Host: "127.0.0.1", Count: 1, MaxRTT: config.Duration(time.Nanosecond), Timeout: config.Duration(5 * time.Second)})
	if out.Status != StatusWarn || !strings.HasPrefix(out.Reason, "rtt ") || !strings.HasSuffix(out.Reason, "want <= 0.0 ms") {
		t.Fatalf("max_rtt: %+v", out)
	}
	out = probeOnce(probePing, config.Check{Host: "127.0.0.1", Count: 0, Timeout: config.Duration(5 * time.Second)})
	if out.Status != StatusOK {
		t.Fatalf("count default: %+v", out)
	}
	out = probeOnce(probePing, config.Check{Host: "no-such-host.invalid", Timeout: config.Duration(2 * time.Second)})
	if out.Status != StatusError || !strings.Contains(out.Reason, "no-such-host.invalid") {
		t.Fatalf("unresolvable: %+v", out)
	}
	out = probeOnce(probePing, config.Check{Timeout: config.Duration(time.Second)})
	if out.Status != StatusError || out.Reason != "no target or host to ping" {
		t.Fatalf("no host: %+v", out)
	}
}

func TestPingVerdict(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		sent, recv int
		loss       float64
		avg        time.Duration
		maxLoss    float64
		maxRTT     time.Duration
		status     Status
		reason     string
	}{
		{3, 3, 0, 2 * ms, 34, 0, StatusOK, ""},
		{3, 2, 33.3, 2 * ms, 34, 0, StatusOK, ""},
		{3, 1, 66.7, 2 * ms, 34, 0, StatusError, "2/3 packets lost (67% loss), want <= 34%"},
		{3, 0, 100, 0, 100, 0, StatusError, "3/3 packets lost (100% loss), want <= 100%"},
		{1, 0, 100, 0, 0, 0, StatusError, "1/1 packets lost (100% loss), want <= 0%"},
		{3, 3, 0, 120 * ms, 34, 100 * ms, StatusWarn, "rtt 120 ms, want <= 100 ms"},
		{3, 3, 0, 80 * ms, 34, 100 * ms, StatusOK, ""},
		{0, 0, 0, 0, 34, 0, StatusError, "timeout after 5s: no packet sent"},
	}
	for _, tt := range tests {
		out := pingVerdict(tt.sent, tt.recv, tt.loss, tt.avg, tt.maxLoss, tt.maxRTT, 5*time.Second)
		if out.Status != tt.status || out.Reason != tt.reason {
			t.Errorf("pingVerdict(%d/%d, %.1f%%, %s) = %s %q, want %s %q", tt.recv, tt.sent, tt.loss, tt.avg, out.Status, out.Reason, tt.status, tt.reason)
		}
		if tt.recv == 0 && out.Latency != 0 {
			t.Errorf("latency %s with no reply", out.Latency)
		}
	}
}
