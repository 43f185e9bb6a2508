package monitor

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string // substring
	}{
		{"open port", config.Check{Address: ln.Addr().String()}, StatusOK, ""},
		{"closed port", config.Check{Address: closedAddr(t)}, StatusError, "connection refused"},
		{"no port", config.Check{Address: "127.0.0.1"}, StatusError, `address "127.0.0.1": want host:port`},
		{"slow connect is warn", config.Check{Address: ln.Addr().String(), Expect: config.Expect{MaxResponseTime: config.Duration(time.Nanosecond)}}, StatusWarn, "connect took "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := probeOnce(probeTCP, tt.check)
			if out.Status != tt.status || !strings.Contains(out.Reason, tt.reason) {
				t.Fatalf("got %s %q, want %s %q", out.Status, out.Reason, tt.status, tt.reason)
			}
			if out.Status == StatusOK && out.Latency <= 0 {
				t.Fatal("no latency")
			}
		})
	}
}
