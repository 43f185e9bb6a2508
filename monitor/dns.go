package monitor

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/statusmap/statusmap/config"
)

// resolvConf is where the system's resolver is configured; its first nameserver is the
// default server.
const resolvConf = "/etc/resolv.conf"

// probeDNS resolves query (record A, AAAA, CNAME, MX or TXT) against server and checks
// the rcode (default NOERROR with at least one answer) and that every expect.values
// entry is among the answers.
func probeDNS(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	name := strings.TrimSpace(c.Query)
	if name == "" {
		return checkFailed("dns: no query (name to resolve) configured")
	}
	rtype := strings.ToUpper(strings.TrimSpace(c.Record))
	if rtype == "" {
		rtype = "A"
	}
	qtype, ok := dns.StringToType[rtype]
	if !ok {
		return checkFailed("dns: unknown record type %q", c.Record)
	}
	wantRcode := dns.RcodeSuccess
	if r := strings.ToUpper(strings.TrimSpace(c.Expect.Rcode)); r != "" {
		code, ok := dns.StringToRcode[r]
		if !ok {
			return checkFailed("dns: unknown rcode %q", c.Expect.Rcode)
		}
		wantRcode = code
	}
	server, err := dnsServer(c.Server)
	if err != nil {
		return checkFailed("dns: %v", err)
	}

	msg := new(dns.Msg)
	msg.SetQuestion(dns.Fqdn(name), qtype)
	msg.RecursionDesired = true
	msg.SetEdns0(1232, false)
	client := &dns.Client{Net: "udp"}
	if dl, ok := ctx.Deadline(); ok {
		client.Timeout = time.Until(dl)
	}
	log.Printf("%s %s @%s", rtype, dns.Fqdn(name), server)
	resp, _, err := client.ExchangeContext(ctx, msg, server)
	if err == nil && resp.Truncated {
		log.Printf("answer truncated, retrying over TCP")
		client.Net = "tcp"
		resp, _, err = client.ExchangeContext(ctx, msg, server)
	}
	if err != nil {
		if r, ok := timedOut(ctx, err, start); ok {
			return checkFailed("dns: no answer from %s: %s", server, r)
		}
		return checkFailed("dns: query to %s failed: %v", server, err)
	}

	var answers []string
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype {
			answers = append(answers, dnsValue(rr))
		}
	}
	log.Printf("%s, %d answers: %s", dns.RcodeToString[resp.Rcode], len(answers), strings.Join(answers, ", "))

	out := Outcome{Status: StatusOK, Code: resp.Rcode, Extra: map[string]string{}, Metrics: map[string]float64{}}
	if len(answers) > 0 {
		out.Extra["answer"] = listOrNone(answers)
	}
	out.Metrics["dns_answers"] = float64(len(answers))
	if resp.Rcode != wantRcode {
		out.Status = StatusError
		out.Reason = fmt.Sprintf("%s %s: rcode %s, want %s", rtype, name, dns.RcodeToString[resp.Rcode], dns.RcodeToString[wantRcode])
		return out
	}
	if wantRcode == dns.RcodeSuccess && len(answers) == 0 {
		out.Status, out.Reason = StatusError, fmt.Sprintf("%s %s: no %s record", rtype, name, rtype)
		return out
	}
	var missing []string
	for _, want := range c.Expect.Values {
		if !dnsHasValue(answers, want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		out.Status = StatusError
		out.Reason = oneLine(fmt.Sprintf("%s %s: missing %s (got %s)", rtype, name,
			strings.Join(missing, ", "), listOrNone(answers)))
	}
	return out
}

// dnsServer returns host:port of the server to ask: the configured one (port 53 by
// default) or the first nameserver of /etc/resolv.conf.
func dnsServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		cfg, err := dns.ClientConfigFromFile(resolvConf)
		if err != nil {
			return "", fmt.Errorf("no server configured and %s unreadable: %w", resolvConf, err)
		}
		if len(cfg.Servers) == 0 {
			return "", fmt.Errorf("no server configured and no nameserver in %s", resolvConf)
		}
		return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s, nil
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "53"), nil
}

// dnsValue is an answer as people write it: an address, a name without the final dot,
// "10 mail.example.com" for MX, the joined strings of a TXT record.
func dnsValue(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.CNAME:
		return strings.TrimSuffix(v.Target, ".")
	case *dns.MX:
		return strconv.Itoa(int(v.Preference)) + " " + strings.TrimSuffix(v.Mx, ".")
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	case *dns.NS:
		return strings.TrimSuffix(v.Ns, ".")
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// dnsHasValue matches an expected value: names ignore case and the final dot, addresses
// compare parsed (so "::1" matches "0:0::1"), an MX matches with or without its preference.
func dnsHasValue(answers []string, want string) bool {
	want = strings.TrimSpace(want)
	wantAddr, addrErr := netip.ParseAddr(want)
	norm := func(s string) string { return strings.ToLower(strings.TrimSuffix(s, ".")) }
	for _, got := range answers {
		if got == want || norm(got) == norm(want) {
			return true
		}
		if addrErr == nil {
			if a, err := netip.ParseAddr(got); err == nil && a == wantAddr {
				return true
			}
		}
		if _, host, ok := strings.Cut(got, " "); ok && !strings.Contains(want, " ") && norm(host) == norm(want) {
			if _, err := strconv.Atoi(got[:strings.IndexByte(got, ' ')]); err == nil {
				return true
			}
		}
	}
	return false
}
