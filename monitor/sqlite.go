package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/statusmap/statusmap/config"
)

// probeSQLite opens the database at path read-only (a missing file is never created),
// runs PRAGMA quick_check and the optional query, and reports the file size.
func probeSQLite(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	if strings.TrimSpace(c.Path) == "" {
		return checkFailed("sqlite: no path configured")
	}
	st, err := os.Stat(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return checkFailed("sqlite: %s does not exist", c.Path)
	case err != nil:
		return checkFailed("sqlite: %v", err)
	case st.IsDir():
		return checkFailed("sqlite: %s is a directory", c.Path)
	}
	log.Printf("opening %s read-only (%s)", c.Path, fmtBytes(st.Size()))

	// A busy writer holds the lock briefly: wait for it, but never past the deadline
	// (SQLite's busy wait does not watch ctx).
	busy := 2 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		busy = min(busy, max(time.Until(dl), 0))
	}
	db, err := sql.Open("sqlite3", sqliteURI(c.Path, busy))
	if err != nil {
		return checkFailed("sqlite: %v", err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return checkFailed("%s", sqliteReason(ctx, err, start))
	}
	defer conn.Close()

	out := Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	size := st.Size()
	if wal, err := os.Stat(c.Path + "-wal"); err == nil {
		size += wal.Size()
	}
	out.Extra["size"] = fmtBytes(size)
	out.Metrics["sqlite_size_bytes"] = float64(size)

	problems, err := sqliteQuickCheck(ctx, conn)
	if err != nil {
		out.Status, out.Reason = StatusError, sqliteReason(ctx, err, start)
		return out
	}
	if len(problems) > 0 {
		log.Printf("quick_check: %s", strings.Join(problems, "; "))
		out.Status, out.Reason = StatusError, oneLine(fmt.Sprintf("sqlite: quick_check failed: %s (%d problems listed)", problems[0], len(problems)))
		return out
	}
	log.Printf("quick_check: ok")

	if strings.TrimSpace(c.Query) == "" {
		return out
	}
	log.Printf("query: %s", c.Query)
	value, hasRow, err := sqlFirstValue(ctx, conn, c.Query)
	if err != nil {
		out.Status, out.Reason = StatusError, sqliteReason(ctx, err, start)
		return out
	}
	if r := compareValue(c.Expect.Value, value, hasRow, log); r != "" {
		out.Status, out.Reason = StatusError, r
	}
	return out
}

// sqliteURI builds a read-only URI; characters with a meaning in URIs are escaped so any
// file name works.
func sqliteURI(path string, busy time.Duration) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return fmt.Sprintf("file:%s?mode=ro&_busy_timeout=%d", r.Replace(path), busy.Milliseconds())
}

// sqliteQuickCheck returns the problems PRAGMA quick_check lists; none when it says "ok".
func sqliteQuickCheck(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "PRAGMA quick_check(10)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line == "ok" {
			continue
		}
		// One row may hold several lines under a "*** in database main ***" header.
		for _, l := range strings.Split(line, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "***") {
				problems = append(problems, l)
			}
		}
	}
	return problems, rows.Err()
}

func sqliteReason(ctx context.Context, err error, start time.Time) string {
	if r, ok := timedOut(ctx, err, start); ok {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			r += ": " + err.Error() // "database is locked" says why
		}
		return "sqlite: " + r
	}
	if errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "sqlite: interrupted: " + err.Error()
	}
	return "sqlite: " + err.Error()
}
