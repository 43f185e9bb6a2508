package monitor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/statusmap/statusmap/config"
)

// Defaults of warn_days and error_days.
const (
	defaultWarnDays  = 14
	defaultErrorDays = 3
)

// probeTLS handshakes with address (SNI from its host) and judges the certificate: its
// expiry through certVerdict, then its chain and host name against the system roots
// unless tls_verify is false.
func probeTLS(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	return probeTLSWith(ctx, c, log, nil, time.Now())
}

// probeTLSWith is probeTLS with the trusted roots (nil: the system's) and the clock.
func probeTLSWith(ctx context.Context, c *config.Check, log *RunLog, roots *x509.CertPool, now time.Time) Outcome {
	start := time.Now()
	addr := strings.TrimSpace(c.Address)
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "tls://")
	addr = strings.TrimSuffix(addr, "/")
	if addr == "" {
		return checkFailed("tls: no address configured")
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.Trim(addr, "[]")
		addr = net.JoinHostPort(host, "443")
	}
	d := tls.Dialer{Config: &tls.Config{
		ServerName: host,
		// Verification happens below, so an expired or untrusted certificate can still be
		// read and described instead of failing the handshake with a bare error.
		InsecureSkipVerify: true, //nolint:gosec
	}}
	log.Printf("TLS handshake with %s (SNI %s)", addr, host)
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if r, ok := timedOut(ctx, err, start); ok {
			return checkFailed("tls: %s: %s", addr, r)
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return checkFailed("tls: cannot reach %s: %v", addr, opErr.Err)
		}
		return checkFailed("tls: handshake with %s failed: %v", addr, err)
	}
	state := conn.(*tls.Conn).ConnectionState()
	_ = conn.Close()
	log.Printf("%s, %d certificates", tls.VersionName(state.Version), len(state.PeerCertificates))

	warnDays, errorDays := c.WarnDays, c.ErrorDays
	status, reason, extra := certVerdict(state.PeerCertificates, warnDays, errorDays, now)
	out := Outcome{Status: status, Reason: reason, Extra: extra, Metrics: map[string]float64{}}
	if out.Extra == nil {
		out.Extra = map[string]string{}
	}
	if len(state.PeerCertificates) > 0 {
		leaf := state.PeerCertificates[0]
		out.Metrics["tls_days_left"] = leaf.NotAfter.Sub(now).Hours() / 24
		out.Metrics["tls_expiry_timestamp_seconds"] = float64(leaf.NotAfter.Unix())
	}
	if status == StatusError || (c.TLSVerify != nil && !*c.TLSVerify) {
		return out
	}
	if err := verifyChain(state.PeerCertificates, host, roots, now); err != nil {
		log.Printf("verify: %v", err)
		out.Status, out.Reason = StatusError, oneLine("certificate invalid: "+strings.TrimPrefix(err.Error(), "x509: "))
	}
	return out
}

// verifyChain checks the peer chain against roots (nil: the system's) for host.
func verifyChain(chain []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) error {
	if len(chain) == 0 {
		return errors.New("no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{DNSName: host, Intermediates: inter, Roots: roots, CurrentTime: now})
	return err
}

// certVerdict judges a peer certificate chain by expiry; the http check uses it on https too.
// It returns ok/warn/error, a reason when not ok, and extra facts (days left, issuer).
// The certificate of the chain that expires first decides: an intermediate can expire
// before the leaf. warnDays and errorDays of 0 mean 14 and 3.
func certVerdict(chain []*x509.Certificate, warnDays, errorDays int, now time.Time) (Status, string, map[string]string) {
	if len(chain) == 0 || chain[0] == nil {
		return StatusError, "no certificate presented", map[string]string{}
	}
	if warnDays <= 0 {
		warnDays = defaultWarnDays
	}
	if errorDays <= 0 {
		errorDays = defaultErrorDays
	}
	leaf := chain[0]
	left := leaf.NotAfter.Sub(now)
	extra := map[string]string{
		"days_left": strconv.Itoa(int(math.Floor(left.Hours() / 24))),
		"expires":   leaf.NotAfter.UTC().Format("2006-01-02"),
	}
	if is := certName(leaf.Issuer.CommonName, leaf.Issuer.Organization); is != "" {
		extra["issuer"] = is
	}

	first, which := leaf, "certificate"
	for _, c := range chain[1:] {
		if c != nil && c.NotAfter.Before(first.NotAfter) {
			first = c
			which = fmt.Sprintf("intermediate certificate %q", certName(c.Subject.CommonName, c.Subject.Organization))
		}
	}
	if now.Before(leaf.NotBefore) {
		return StatusError, fmt.Sprintf("certificate not valid before %s", leaf.NotBefore.UTC().Format("2006-01-02 15:04 MST")), extra
	}
	until := first.NotAfter.Sub(now)
	date := first.NotAfter.UTC().Format("2006-01-02")
	switch {
	case until <= 0:
		return StatusError, fmt.Sprintf("%s expired %s ago (%s)", which, fmtAge(-until), date), extra
	case until < time.Duration(errorDays)*24*time.Hour:
		return StatusError, fmt.Sprintf("%s expires in %s (%s)", which, fmtAge(until), date), extra
	case until < time.Duration(warnDays)*24*time.Hour:
		return StatusWarn, fmt.Sprintf("%s expires in %s (%s)", which, fmtAge(until), date), extra
	}
	return StatusOK, "", extra
}

func certName(cn string, org []string) string {
	if cn != "" {
		return cn
	}
	if len(org) > 0 {
		return org[0]
	}
	return ""
}
