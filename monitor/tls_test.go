package monitor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

const day = 24 * time.Hour

// testCert is a generated certificate with its key.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64

// issueCert creates a certificate signed by parent (self-signed when parent is nil).
func issueCert(t *testing.T, cn string, parent *testCert, isCA bool, notBefore, notAfter time.Time, dnsNames ...string) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Statusmap Test"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     dnsNames,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

func TestCertVerdict(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ca := issueCert(t, "Test Root", nil, true, now.Add(-365*day), now.Add(3650*day))
	leaf := func(left time.Duration) *x509.Certificate {
		return issueCert(t, "app.example.com", ca, false, now.Add(-30*day), now.Add(left), "app.example.com").cert
	}
	inter := issueCert(t, "Test Intermediate", ca, true, now.Add(-30*day), now.Add(5*day))

	tests := []struct {
		name             string
		chain            []*x509.Certificate
		warnDays, errDay int
		status           Status
		reason           string
		daysLeft         string
	}{
		{"far", []*x509.Certificate{leaf(90 * day)}, 0, 0, StatusOK, "", "90"},
		{"just outside warn", []*x509.Certificate{leaf(14*day + time.Hour)}, 0, 0, StatusOK, "", "14"},
		{"warn", []*x509.Certificate{leaf(10*day + 2*time.Hour)}, 0, 0, StatusWarn, "certificate expires in 10d 2h (2026-06-11)", "10"},
		{"error window", []*x509.Certificate{leaf(2 * day)}, 0, 0, StatusError, "certificate expires in 2d (2026-06-03)", "2"},
		{"expired", []*x509.Certificate{leaf(-3 * day)}, 0, 0, StatusError, "certificate expired 3d ago (2026-05-29)", "-3"},
		{"custom warn days", []*x509.Certificate{leaf(30 * day)}, 45, 7, StatusWarn, "expires in 30d", "30"},
		{"custom error days", []*x509.Certificate{leaf(6 * day)}, 45, 7, StatusError, "expires in 6d", "6"},
		{"intermediate expires first", []*x509.Certificate{leaf(90 * day), inter.cert}, 0, 0, StatusWarn, `intermediate certificate "Test Intermediate" expires in 5d`, "90"},
		{"not yet valid", []*x509.Certificate{issueCert(t, "future", ca, false, now.Add(day), now.Add(90*day)).cert}, 0, 0, StatusError, "not valid before 2026-06-02", "90"},
		{"empty chain", nil, 0, 0, StatusError, "no certificate presented", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, reason, extra := certVerdict(tt.chain, tt.warnDays, tt.errDay, now)
			wantOutcome(t, Outcome{Status: status, Reason: reason}, tt.status, tt.reason)
			if extra["days_left"] != tt.daysLeft {
				t.Errorf("days_left %q, want %q", extra["days_left"], tt.daysLeft)
			}
			if len(tt.chain) > 0 && extra["issuer"] != "Test Root" {
				t.Errorf("issuer %q", extra["issuer"])
			}
		})
	}
}

// tlsServer serves cert (with chain) on 127.0.0.1 and records the SNI it was asked for.
func tlsServer(t *testing.T, chain ...*testCert) (addr string, sni func() string) {
	t.Helper()
	var mu sync.Mutex
	var got string
	cert := tls.Certificate{PrivateKey: chain[0].key, Leaf: chain[0].cert}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.cert.Raw)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	// Certificates too: without SNI (an IP address) the server does not call GetCertificate.
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		got = h.ServerName
		mu.Unlock()
		return &cert, nil
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), func() string { mu.Lock(); defer mu.Unlock(); return got }
}

func TestTLS(t *testing.T) {
	now := time.Now()
	ca := issueCert(t, "Test Root", nil, true, now.Add(-365*day), now.Add(3650*day))
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	inter := issueCert(t, "Test Intermediate", ca, true, now.Add(-30*day), now.Add(1000*day))

	good, goodSNI := tlsServer(t, issueCert(t, "localhost", inter, false, now.Add(-day), now.Add(60*day+time.Hour), "localhost"), inter)
	soon, _ := tlsServer(t, issueCert(t, "localhost", ca, false, now.Add(-day), now.Add(7*day), "localhost"))
	expired, _ := tlsServer(t, issueCert(t, "localhost", ca, false, now.Add(-90*day), now.Add(-2*day), "localhost"))
	otherName, _ := tlsServer(t, issueCert(t, "other.example", ca, false, now.Add(-day), now.Add(60*day), "other.example"))
	noInter, _ := tlsServer(t, issueCert(t, "localhost", inter, false, now.Add(-day), now.Add(60*day), "localhost"))
	selfSigned, _ := tlsServer(t, issueCert(t, "localhost", nil, false, now.Add(-day), now.Add(60*day), "localhost"))

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed, _ := freePort()
	local := func(addr string) string {
		_, port, _ := net.SplitHostPort(addr)
		return "localhost:" + port
	}
	noVerify := false

	tests := []struct {
		name    string
		check   config.Check
		roots   *x509.CertPool
		timeout time.Duration
		status  Status
		reason  string
	}{
		{"valid chain", config.Check{Address: local(good)}, roots, 0, StatusOK, ""},
		{"valid by IP", config.Check{Address: good}, roots, 0, StatusOK, ""},
		{"expiring soon", config.Check{Address: local(soon)}, roots, 0, StatusWarn, "certificate expires in "},
		{"expired", config.Check{Address: local(expired)}, roots, 0, StatusError, "certificate expired 2d ago"},
		{"wrong host name", config.Check{Address: local(otherName)}, roots, 0, StatusError, "certificate invalid: certificate is valid for other.example, not localhost"},
		{"missing intermediate", config.Check{Address: local(noInter)}, roots, 0, StatusError, "certificate invalid"},
		{"self-signed", config.Check{Address: local(selfSigned)}, roots, 0, StatusError, "unknown authority"},
		{"self-signed, verify off", config.Check{Address: local(selfSigned), TLSVerify: &noVerify}, roots, 0, StatusOK, ""},
		{"system roots do not know the test CA", config.Check{Address: local(good)}, nil, 0, StatusError, "unknown authority"},
		{"not TLS", config.Check{Address: plain.Listener.Addr().String()}, roots, 0, StatusError, "handshake"},
		{"closed port", config.Check{Address: "127.0.0.1:" + strconv.Itoa(closed)}, roots, 0, StatusError, "connection refused"},
		{"silent server", config.Check{Address: silent.Addr().String()}, roots, 300 * time.Millisecond, StatusError, "timed out"},
		{"no address", config.Check{}, roots, 0, StatusError, "no address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			p := func(ctx context.Context, c *config.Check, log *RunLog) Outcome {
				return probeTLSWith(ctx, c, log, tt.roots, time.Now())
			}
			out, _ := runProbe(t, p, tt.check, timeout)
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("sni and extra", func(t *testing.T) {
		p := func(ctx context.Context, c *config.Check, log *RunLog) Outcome {
			return probeTLSWith(ctx, c, log, roots, time.Now())
		}
		out, _ := runProbe(t, p, config.Check{Address: local(good)}, 5*time.Second)
		if goodSNI() != "localhost" {
			t.Errorf("SNI %q, want localhost", goodSNI())
		}
		if out.Extra["days_left"] != "60" || out.Extra["issuer"] != "Test Intermediate" {
			t.Errorf("extra %v", out.Extra)
		}
		if d := out.Metrics["tls_days_left"]; d < 60 || d > 61 {
			t.Errorf("tls_days_left %v", d)
		}
	})

	t.Run("default probe uses system roots", func(t *testing.T) {
		out, _ := runProbe(t, probeTLS, config.Check{Address: local(good)}, 5*time.Second)
		wantOutcome(t, out, StatusError, "unknown authority")
	})
}
