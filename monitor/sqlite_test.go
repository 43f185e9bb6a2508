package monitor

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
)

// makeSQLite writes a real database with a table of n rows.
func makeSQLite(t *testing.T, path string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		"CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, payload TEXT)",
		"CREATE INDEX jobs_state ON jobs(state)",
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := db.Begin()
	for i := 0; i < n; i++ {
		state := "done"
		if i%10 == 0 {
			state = "failed"
		}
		if _, err := tx.Exec("INSERT INTO jobs (state, payload) VALUES (?, ?)", state, strings.Repeat("x", 200)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestSQLite(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "app.db")
	makeSQLite(t, good, 100)
	odd := filepath.Join(dir, "odd name?#%.db")
	makeSQLite(t, odd, 3)
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.db")
	makeSQLite(t, corrupt, 2000)
	b, _ := os.ReadFile(corrupt)
	// Overwrite the middle of the table's b-tree pages: the header stays valid, pages do not.
	for i := len(b) / 3; i < len(b)/3+8192 && i < len(b); i++ {
		b[i] = 0xA5
	}
	if err := os.WriteFile(corrupt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.db")

	tests := []struct {
		name   string
		check  config.Check
		status Status
		reason string
	}{
		{"quick check", config.Check{Path: good}, StatusOK, ""},
		{"expected count", config.Check{Path: good, Query: "SELECT count(*) FROM jobs WHERE state = 'failed'", Expect: config.Expect{Value: "10"}}, StatusOK, ""},
		{"count differs", config.Check{Path: good, Query: "SELECT count(*) FROM jobs WHERE state = 'failed'", Expect: config.Expect{Value: "0"}}, StatusError, `query returned "10", want "0"`},
		{"query only", config.Check{Path: good, Query: "SELECT max(id) FROM jobs"}, StatusOK, ""},
		{"writes refused", config.Check{Path: good, Query: "DELETE FROM jobs"}, StatusError, "readonly"},
		{"missing table", config.Check{Path: good, Query: "SELECT * FROM nosuch"}, StatusError, "no such table"},
		{"odd file name", config.Check{Path: odd, Query: "SELECT count(*) FROM jobs", Expect: config.Expect{Value: "3"}}, StatusOK, ""},
		{"missing file", config.Check{Path: missing}, StatusError, "does not exist"},
		{"directory", config.Check{Path: dir}, StatusError, "is a directory"},
		{"not a database", config.Check{Path: garbage}, StatusError, "not a database"},
		{"corrupt pages", config.Check{Path: corrupt}, StatusError, "quick_check failed: Tree"},
		{"no path", config.Check{}, StatusError, "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := runProbe(t, probeSQLite, tt.check, 5*time.Second)
			wantOutcome(t, out, tt.status, tt.reason)
		})
	}

	t.Run("missing file is not created", func(t *testing.T) {
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("probe created %s: %v", missing, err)
		}
	})
	t.Run("size", func(t *testing.T) {
		st, _ := os.Stat(good)
		out, _ := runProbe(t, probeSQLite, config.Check{Path: good}, 5*time.Second)
		if out.Metrics["sqlite_size_bytes"] != float64(st.Size()) || out.Extra["size"] != fmtBytes(st.Size()) {
			t.Errorf("size %v %v, file %d", out.Extra, out.Metrics, st.Size())
		}
	})
	t.Run("file unchanged", func(t *testing.T) {
		before, _ := os.ReadFile(good)
		runProbe(t, probeSQLite, config.Check{Path: good, Query: "SELECT 1"}, 5*time.Second)
		after, _ := os.ReadFile(good)
		if string(before) != string(after) {
			t.Error("read-only probe changed the file")
		}
	})
	t.Run("timeout interrupts a long query", func(t *testing.T) {
		start := time.Now()
		q := "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
		out, _ := runProbe(t, probeSQLite, config.Check{Path: good, Query: q}, 300*time.Millisecond)
		wantOutcome(t, out, StatusError, "sqlite: ")
		if time.Since(start) > 2*time.Second {
			t.Errorf("took %s", time.Since(start))
		}
	})
}

// TestSQLiteLockedByWriter holds an exclusive lock: the probe waits at most until its
// deadline and says the database is locked.
func TestSQLiteLockedByWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	makeSQLite(t, path, 10)
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE; DELETE FROM jobs WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")
	start := time.Now()
	out, _ := runProbe(t, probeSQLite, config.Check{Path: path}, 400*time.Millisecond)
	wantOutcome(t, out, StatusError, "locked")
	if el := time.Since(start); el > 1500*time.Millisecond {
		t.Errorf("took %s with a 400ms timeout", el)
	}
}
