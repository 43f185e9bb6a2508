package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/statusmap/statusmap/migrations"
	"github.com/statusmap/statusmap/monitor"
)

// fixtures insert data in the shape of each migration, as a file written by the
// version that ended with that migration would hold it. Every migration needs one.
var fixtures = map[string]string{
	"0001_base.sql": fmt.Sprintf(`
		INSERT INTO check_names(id, name) VALUES (1, 'api'), (2, 'db');
		INSERT INTO results(check_id, time, status, latency, code, reason) VALUES
			(1, %[1]d, 0, 1200, 200, NULL), (1, %[2]d, 2, 10000000, 0, 'timeout'), (2, %[1]d, 0, 300, 0, NULL);
		INSERT INTO check_state VALUES (1, 'error', %[2]d, %[2]d, 10, 4, 2, 0,
			'{"check":"api","time":%[2]d,"status":"error","reason":"timeout"}', '{"k":"v"}', 0, 0);
		INSERT INTO incidents(check_id, start, root_cause, alerted) VALUES (1, %[2]d, '', 1);`,
		t0.UnixMilli(), t0.Add(time.Minute).UnixMilli()),
	"0002_chat.sql": fmt.Sprintf(`
		INSERT INTO chat_checks VALUES ('chatty', '{"Name":"chatty","Type":"tcp","Address":"127.0.0.1:1"}', %[1]d, %[1]d);
		INSERT INTO mutes VALUES ('*', 0);
		INSERT INTO pauses VALUES ('db', 0);
		INSERT INTO chats VALUES (42, 'ops', %[1]d, %[1]d);
		INSERT INTO heartbeat_tokens VALUES ('backup', '00112233445566778899aabbccddeeff', %[1]d);
		INSERT INTO outbox(chat_id, kind, payload, next_attempt, created) VALUES (42, 'alert', x'6869', %[1]d, %[1]d);`,
		t0.UnixMilli()),
	"0003_rollups.sql": fmt.Sprintf(`
		INSERT INTO rollup_hourly VALUES (2, %[1]d, 60, 0, 300, 400);
		INSERT INTO meta VALUES ('hourly_wm', %[2]d), ('daily_wm', %[3]d);`,
		t0.Add(-time.Hour).Unix()/3600, t0.Unix()/3600, t0.Unix()/86400),
}

// subFS holds the first k migration files only.
func subFS(t *testing.T, k int) fs.FS {
	t.Helper()
	names, err := migrationNames(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, n := range names[:k] {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		m[n] = &fstest.MapFile{Data: b}
	}
	return m
}

func rawOpen(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, time.Second, false))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestUpgradeFromEveryVersion builds a file at each older schema version, fills it as
// that version would, then opens it with the current code and checks nothing was lost.
func TestUpgradeFromEveryVersion(t *testing.T) {
	names, err := migrationNames(migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 2 {
		t.Fatalf("want at least two migrations, have %v", names)
	}
	for _, n := range names {
		if fixtures[n] == "" {
			t.Fatalf("migration %s has no fixture in migrate_test.go", n)
		}
	}
	ctx := context.Background()
	for k := 1; k <= len(names); k++ {
		t.Run(fmt.Sprintf("from_%s", strings.TrimSuffix(names[k-1], ".sql")), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			old := rawOpen(t, path)
			if err := migrate(ctx, old, subFS(t, k), func() time.Time { return t0 }); err != nil {
				t.Fatal(err)
			}
			for _, n := range names[:k] {
				if _, err := old.Exec(fixtures[n]); err != nil {
					t.Fatalf("fixture %s: %v", n, err)
				}
			}
			old.Close()

			db := openTest(t, path, newClock(t0.Add(2*time.Minute)), nil)
			var applied int
			if err := db.r.QueryRow(`SELECT count(*) FROM migrations`).Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != len(names) {
				t.Errorf("applied migrations: %d, want %d", applied, len(names))
			}
			// 0001 data survived.
			rs, err := db.Results(ctx, "api", time.Time{}, 0)
			if err != nil || len(rs) != 2 || rs[0].Reason != "timeout" || rs[0].Latency != 10*time.Second || rs[1].Code != 200 {
				t.Errorf("results: %+v %v", rs, err)
			}
			states, err := db.LoadStates(ctx)
			if err != nil || states["api"].FailCount != 4 || states["api"].ConsecFail != 2 || states["api"].Last.Reason != "timeout" ||
				states["api"].Extra["k"] != "v" {
				t.Errorf("states: %+v %v", states, err)
			}
			inc, err := db.OpenIncidents(ctx)
			if err != nil || len(inc) != 1 || !inc[0].Alerted || inc[0].Check != "api" {
				t.Errorf("incidents: %+v %v", inc, err)
			}
			// New writes work on the upgraded file, including to the old check ids.
			db.RecordResult(result("api", t0.Add(2*time.Minute), monitor.StatusOK, time.Millisecond), monitor.State{Name: "api", Status: monitor.StatusOK})
			db.RecordResult(result("new", t0.Add(2*time.Minute), monitor.StatusOK, time.Millisecond), monitor.State{Name: "new", Status: monitor.StatusOK})
			flush(t, db)
			if rs, _ := db.Results(ctx, "api", time.Time{}, 0); len(rs) != 3 {
				t.Errorf("results after new write: %d, want 3", len(rs))
			}
			if k >= 2 {
				checks, err := db.Checks(ctx)
				if err != nil || len(checks) != 1 || checks[0].Address != "127.0.0.1:1" {
					t.Errorf("checks: %+v %v", checks, err)
				}
				mutes, _ := db.Mutes(ctx)
				pauses, _ := db.Pauses(ctx)
				if _, ok := mutes["*"]; !ok {
					t.Errorf("mutes: %v", mutes)
				}
				if _, ok := pauses["db"]; !ok {
					t.Errorf("pauses: %v", pauses)
				}
				if tok, err := db.HeartbeatToken(ctx, "backup"); err != nil || tok != "00112233445566778899aabbccddeeff" {
					t.Errorf("token: %q %v", tok, err)
				}
				p, err := db.Pending(ctx, 0)
				if err != nil || len(p) != 1 || string(p[0].Payload) != "hi" {
					t.Errorf("outbox: %+v %v", p, err)
				}
			}
			if k >= 3 {
				pts, err := db.Series(ctx, "db", t0.Add(-2*time.Hour), t0, time.Hour)
				if err != nil || len(pts) != 1 || pts[0].Checks != 60 || pts[0].P95Latency != 400*time.Microsecond {
					t.Errorf("series: %+v %v", pts, err)
				}
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db := openTest(t, path, newClock(t0), nil)
	db.Close()
	raw := rawOpen(t, path)
	if _, err := raw.Exec(`INSERT INTO migrations(name, applied) VALUES ('0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err := Open(context.Background(), path, Options{MaintainInterval: -1})
	var ne *NewerSchemaError
	if !errors.As(err, &ne) || len(ne.Unknown) != 1 || ne.Unknown[0] != "0999_future.sql" {
		t.Fatalf("Open of a newer file: %v, want NewerSchemaError", err)
	}
	if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), "0999_future.sql") {
		t.Errorf("error text: %v", err)
	}
}

func TestBrokenMigrationLeavesFileAtPreviousVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	raw := rawOpen(t, path)
	fsys := fstest.MapFS{
		"0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);`)},
	}
	err := migrate(context.Background(), raw, fsys, time.Now)
	if err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate: %v, want an error naming 0002_b.sql", err)
	}
	var n int
	raw.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).Scan(&n)
	if n != 0 {
		t.Error("table b exists: the failed migration was not rolled back")
	}
	raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&n)
	if n != 1 {
		t.Errorf("recorded migrations: %d, want 1", n)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	for range 3 {
		db := openTest(t, path, newClock(t0), nil)
		var limit int64
		if err := db.w.QueryRow(`PRAGMA journal_size_limit`).Scan(&limit); err != nil || limit != walLimit {
			t.Errorf("journal_size_limit %d %v, want %d", limit, err, walLimit)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	raw := rawOpen(t, path)
	var fk, n int
	var mode string
	raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	raw.QueryRow(`PRAGMA foreign_keys`).Scan(&fk)
	raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&n)
	if mode != "wal" || fk != 1 {
		t.Errorf("journal_mode %q foreign_keys %d", mode, fk)
	}
	names, _ := migrationNames(migrations.FS)
	if n != len(names) {
		t.Errorf("migrations recorded: %d, want %d", n, len(names))
	}
}
