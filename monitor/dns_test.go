package monitor

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/statusmap/statusmap/config"
)

// testZone answers like an authoritative server for example.com.
func testZone(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	q := r.Question[0]
	rr := func(s string) dns.RR {
		x, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return x
	}
	name := strings.ToLower(q.Name)
	switch {
	case name == "app.example.com." && q.Qtype == dns.TypeA:
		m.Answer = []dns.RR{rr("app.example.com. 60 IN A 192.0.2.10"), rr("app.example.com. 60 IN A 192.0.2.11")}
	case name == "app.example.com." && q.Qtype == dns.TypeAAAA:
		m.Answer = []dns.RR{rr("app.example.com. 60 IN AAAA 2001:db8:0:0::10")}
	case name == "www.example.com.":
		m.Answer = []dns.RR{rr("www.example.com. 60 IN CNAME app.example.com.")}
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, rr("app.example.com. 60 IN A 192.0.2.10"))
		}
	case name == "example.com." && q.Qtype == dns.TypeMX:
		m.Answer = []dns.RR{rr("example.com. 60 IN MX 10 mail.example.com."), rr("example.com. 60 IN MX 20 backup.example.com.")}
	case name == "example.com." && q.Qtype == dns.TypeTXT:
		m.Answer = []dns.RR{rr(`example.com. 60 IN TXT "v=spf1 -all"`), rr(`example.com. 60 IN TXT "google-site-" "verification=abc"`)}
	case name == "empty.example.com.":
	case name == "big.example.com." && q.Qtype == dns.TypeA:
		for i := 1; i <= 120; i++ {
			m.Answer = append(m.Answer, rr(fmt.Sprintf("big.example.com. 60 IN A 198.51.100.%d", i)))
		}
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			m.Answer, m.Truncated = nil, true
		}
	case name == "broken.example.com.":
		m.Rcode = dns.RcodeServerFailure
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// startDNS serves testZone over UDP and TCP on one loopback port.
func startDNS(t *testing.T) string {
	t.Helper()
	var pc net.PacketConn
	var l net.Listener
	for i := 0; i < 20 && pc == nil; i++ {
		var err error
		l, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err = net.ListenPacket("udp", l.Addr().String())
		if err != nil {
			l.Close()
			pc = nil
		}
	}
	if pc == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: dns.HandlerFunc(testZone)}, {Listener: l, Handler: dns.HandlerFunc(testZone)}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return l.Addr().String()
}

func TestDNS(t *testing.T) {
	server := startDNS(t)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	check := func(query, record string, values []string, rcode string) config.Check {
		return config.Check{Query: query, Record: record, Server: server, Expect: config.Expect{Values: values, Rcode: rcode}}
	}
	tests := []struct {
		name    string
		check   config.Check
		timeout time.Duration
		status  Status
		reason  string
		answer  string
	}{
		{"A", check("app.example.com", "A", nil, ""), 0, StatusOK, "", "192.0.2.10, 192.0.2.11"},
		{"A default record", check("app.example.com", "", []string{"192.0.2.11"}, ""), 0, StatusOK, "", ""},
		{"A values present", check("app.example.com.", "a", []string{"192.0.2.10", "192.0.2.11"}, ""), 0, StatusOK, "", ""},
		{"A value missing", check("app.example.com", "A", []string{"192.0.2.10", "192.0.2.99"}, ""), 0, StatusError, "A app.example.com: missing 192.0.2.99 (got 192.0.2.10, 192.0.2.11)", ""},
		{"AAAA compared as addresses", check("app.example.com", "AAAA", []string{"2001:db8::10"}, ""), 0, StatusOK, "", "2001:db8::10"},
		{"CNAME", check("www.example.com", "CNAME", []string{"APP.example.com."}, ""), 0, StatusOK, "", "app.example.com"},
		{"A through CNAME", check("www.example.com", "A", []string{"192.0.2.10"}, ""), 0, StatusOK, "", "192.0.2.10"},
		{"MX by host", check("example.com", "MX", []string{"mail.example.com"}, ""), 0, StatusOK, "", "10 mail.example.com, 20 backup.example.com"},
		{"MX with preference", check("example.com", "MX", []string{"20 backup.example.com"}, ""), 0, StatusOK, "", ""},
		{"MX missing", check("example.com", "MX", []string{"mx3.example.com"}, ""), 0, StatusError, "missing mx3.example.com", ""},
		{"TXT joined strings", check("example.com", "TXT", []string{"google-site-verification=abc", "v=spf1 -all"}, ""), 0, StatusOK, "", ""},
		{"NXDOMAIN", check("nope.example.com", "A", nil, ""), 0, StatusError, "A nope.example.com: rcode NXDOMAIN, want NOERROR", ""},
		{"NXDOMAIN expected", check("nope.example.com", "A", nil, "nxdomain"), 0, StatusOK, "", ""},
		{"NOERROR but no answer", check("empty.example.com", "A", nil, ""), 0, StatusError, "no A record", ""},
		{"SERVFAIL", check("broken.example.com", "A", nil, ""), 0, StatusError, "rcode SERVFAIL", ""},
		{"truncated retried over TCP", check("big.example.com", "A", []string{"198.51.100.120"}, ""), 0, StatusOK, "", ""},
		{"silent server", config.Check{Query: "app.example.com", Server: silent.LocalAddr().String()}, 300 * time.Millisecond, StatusError, "timed out", ""},
		{"unknown record type", check("app.example.com", "SPAM", nil, ""), 0, StatusError, `unknown record type "SPAM"`, ""},
		{"unknown rcode", check("app.example.com", "A", nil, "MAYBE"), 0, StatusError, `unknown rcode "MAYBE"`, ""},
		{"no query", check("", "A", nil, ""), 0, StatusError, "no query", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			out, _ := runProbe(t, probeDNS, tt.check, timeout)
			wantOutcome(t, out, tt.status, tt.reason)
			if tt.answer != "" && out.Extra["answer"] != tt.answer {
				t.Errorf("answer %q, want %q", out.Extra["answer"], tt.answer)
			}
		})
	}
}

func TestDNSServerDefault(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"127.0.0.1", "127.0.0.1:53"},
		{"::1", "[::1]:53"},
		{"[::1]:53", "[::1]:53"},
		{"ns1.example.com", "ns1.example.com:53"},
	}
	for _, tt := range tests {
		got, err := dnsServer(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("dnsServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// The default comes from resolv.conf.
	if b, err := os.ReadFile(resolvConf); err == nil && strings.Contains(string(b), "nameserver") {
		got, err := dnsServer("")
		if err != nil || !strings.HasSuffix(got, ":53") {
			t.Errorf("default server %q, %v", got, err)
		}
	}
}
