package monitor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/statusmap/statusmap/config"
)

// runProbe runs p with a timeout the way the engine does and checks that no secret leaked
// into the reason or the run log.
func runProbe(t *testing.T, p Probe, c config.Check, timeout time.Duration, secrets ...string) (Outcome, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	log := NewRunLog(time.Now())
	start := time.Now()
	out := p(ctx, &c, log)
	if el := time.Since(start); el > timeout+2*time.Second {
		t.Errorf("probe took %s, timeout %s", el, timeout)
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(out.Reason, s) {
			t.Errorf("secret %q in reason %q", s, out.Reason)
		}
		for _, l := range log.Lines() {
			if strings.Contains(l, s) {
				t.Errorf("secret %q in log line %q", s, l)
			}
		}
	}
	return out, log.Lines()
}

func wantOutcome(t *testing.T, out Outcome, status Status, reasonHas string) {
	t.Helper()
	if out.Status != status {
		t.Fatalf("status %q (reason %q), want %q", out.Status, out.Reason, status)
	}
	if reasonHas == "" && status == StatusOK && out.Reason != "" {
		t.Errorf("ok with reason %q", out.Reason)
	}
	if !strings.Contains(out.Reason, reasonHas) {
		t.Errorf("reason %q does not contain %q", out.Reason, reasonHas)
	}
}

func TestPostgres(t *testing.T) {
	srv := startPostgres(t)
	dsn := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", srv.User, srv.Password, srv.Port)
	kv := fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres sslmode=disable", srv.Port, srv.User, srv.Password)
	badPw := strings.Replace(dsn, srv.Password, "wrong-Pa55word", 1)
	closed, _ := freePort()

	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string
	}{
		{"default query", config.Check{DSN: dsn}, StatusOK, ""},
		{"key-value dsn", config.Check{DSN: kv}, StatusOK, ""},
		{"expected value", config.Check{DSN: dsn, Query: "SELECT 40 + 2", Expect: config.Expect{Value: "42"}}, StatusOK, ""},
		{"expected numeric as text", config.Check{DSN: dsn, Query: "SELECT 1.0::numeric", Expect: config.Expect{Value: "1"}}, StatusOK, ""},
		{"expected text", config.Check{DSN: dsn, Query: "SELECT 'ready'", Expect: config.Expect{Value: "ready"}}, StatusOK, ""},
		{"wrong value", config.Check{DSN: dsn, Query: "SELECT 41", Expect: config.Expect{Value: "42"}}, StatusError, `query returned "41", want "42"`},
		{"no rows", config.Check{DSN: dsn, Query: "SELECT 1 WHERE false", Expect: config.Expect{Value: "1"}}, StatusError, "no rows"},
		{"null", config.Check{DSN: dsn, Query: "SELECT NULL", Expect: config.Expect{Value: "x"}}, StatusError, `"NULL"`},
		{"bad query", config.Check{DSN: dsn, Query: "SELEC 1"}, StatusError, "syntax error"},
		{"wrong password", config.Check{DSN: badPw}, StatusError, "password authentication failed"},
		{"unknown database", config.Check{DSN: strings.Replace(dsn, "/postgres?", "/nosuchdb?", 1)}, StatusError, `"nosuchdb" does not exist`},
		{"closed port", config.Check{DSN: fmt.Sprintf("postgres://u:%s@127.0.0.1:%d/x?sslmode=disable", srv.Password, closed)}, StatusError, "connection refused"},
		{"bad dsn", config.Check{DSN: "postgres://u:" + srv.Password + "@127.0.0.1:notaport/x"}, StatusError, "bad dsn"},
		{"no dsn", config.Check{}, StatusError, "no dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := runProbe(t, probePostgres, tt.check, 10*time.Second, srv.Password, "wrong-Pa55word")
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("extra", func(t *testing.T) {
		out, _ := runProbe(t, probePostgres, config.Check{DSN: dsn}, 10*time.Second)
		for _, k := range []string{"version", "size", "connections", "role"} {
			if out.Extra[k] == "" {
				t.Errorf("extra %q missing: %v", k, out.Extra)
			}
		}
		if out.Extra["role"] != "primary" {
			t.Errorf("role %q, want primary", out.Extra["role"])
		}
		if !strings.HasSuffix(out.Extra["size"], "MB") {
			t.Errorf("size %q, want MB", out.Extra["size"])
		}
		if out.Metrics["postgres_database_size_bytes"] < 1<<20 || out.Metrics["postgres_connections"] < 1 {
			t.Errorf("metrics %v", out.Metrics)
		}
	})

	t.Run("timeout bounds a slow query", func(t *testing.T) {
		start := time.Now()
		out, _ := runProbe(t, probePostgres, config.Check{DSN: dsn, Query: "SELECT pg_sleep(30)"}, 500*time.Millisecond)
		wantOutcome(t, out, StatusError, "timed out")
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %s", time.Since(start))
		}
	})
}

func TestPostgresReplica(t *testing.T) {
	primary := startPostgres(t)
	replica := startPostgresReplica(t)
	pdsn := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", primary.User, primary.Password, primary.Port)
	rdsn := fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/postgres?sslmode=disable", replica.User, replica.Password, replica.Port)

	// A committed transaction on the primary, replayed by the replica, gives a lag to report.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pdsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS marks (n int); INSERT INTO marks VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	var out Outcome
	for {
		out, _ = runProbe(t, probePostgres, config.Check{DSN: rdsn, Query: "SELECT count(*) FROM marks WHERE n = 7", Expect: config.Expect{Value: "1"}}, 5*time.Second)
		if out.Status == StatusOK && out.Extra["replication_lag"] != "" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("replica never caught up: %+v", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out.Extra["role"] != "replica" {
		t.Errorf("role %q, want replica", out.Extra["role"])
	}
	if lag, ok := out.Metrics["postgres_replication_lag_seconds"]; !ok || lag < 0 || lag > 60 {
		t.Errorf("lag metric %v (present %v)", lag, ok)
	}
}
