package monitor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

func TestMySQL(t *testing.T) {
	srv := startMariaDB(t)
	dsn := fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/app", srv.User, srv.Password, srv.Port)
	badPw := fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/app", srv.User, "wrong-Pa55word", srv.Port)
	closed, _ := freePort()

	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string
	}{
		{"default query", config.Check{DSN: dsn}, StatusOK, ""},
		{"expected count", config.Check{DSN: dsn, Query: "SELECT COUNT(*) FROM items", Expect: config.Expect{Value: "2"}}, StatusOK, ""},
		{"expected text", config.Check{DSN: dsn, Query: "SELECT name FROM items WHERE id = 2", Expect: config.Expect{Value: "two"}}, StatusOK, ""},
		{"expected decimal", config.Check{DSN: dsn, Query: "SELECT 1.50", Expect: config.Expect{Value: "1.5"}}, StatusOK, ""},
		{"wrong value", config.Check{DSN: dsn, Query: "SELECT COUNT(*) FROM items", Expect: config.Expect{Value: "3"}}, StatusError, `query returned "2", want "3"`},
		{"no rows", config.Check{DSN: dsn, Query: "SELECT id FROM items WHERE id = 9", Expect: config.Expect{Value: "9"}}, StatusError, "no rows"},
		{"missing table", config.Check{DSN: dsn, Query: "SELECT * FROM nosuch"}, StatusError, "doesn't exist"},
		{"wrong password", config.Check{DSN: badPw}, StatusError, "Access denied"},
		{"no access to schema", config.Check{DSN: strings.Replace(dsn, "/app", "/mysql", 1)}, StatusError, "Access denied"},
		{"closed port", config.Check{DSN: fmt.Sprintf("u:%s@tcp(127.0.0.1:%d)/app", srv.Password, closed)}, StatusError, "connection refused"},
		{"bad dsn", config.Check{DSN: "u:" + srv.Password + "@tcp(127.0.0.1:1/app"}, StatusError, "bad dsn"},
		{"no dsn", config.Check{}, StatusError, "no dsn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := runProbe(t, probeMySQL, tt.check, 10*time.Second, srv.Password, "wrong-Pa55word")
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("extra", func(t *testing.T) {
		out, _ := runProbe(t, probeMySQL, config.Check{DSN: dsn}, 10*time.Second)
		if !strings.Contains(out.Extra["version"], "MariaDB") {
			t.Errorf("version %q", out.Extra["version"])
		}
		if out.Extra["size"] == "" || out.Metrics["mysql_schema_size_bytes"] <= 0 {
			t.Errorf("size missing: %v %v", out.Extra, out.Metrics)
		}
		if out.Metrics["mysql_connections"] < 1 {
			t.Errorf("connections %v", out.Metrics)
		}
	})

	t.Run("timeout bounds a slow query", func(t *testing.T) {
		start := time.Now()
		out, _ := runProbe(t, probeMySQL, config.Check{DSN: dsn, Query: "SELECT SLEEP(30)"}, 500*time.Millisecond)
		wantOutcome(t, out, StatusError, "timed out")
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %s", time.Since(start))
		}
	})
}
