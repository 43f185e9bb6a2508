package storage

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// NewerSchemaError is returned by Open when the file was written by a newer statusmap:
// it records a migration this binary does not know. The file is left untouched.
type NewerSchemaError struct {
	Unknown []string // migration names recorded in the file but not embedded here
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("database schema is newer than this statusmap (unknown migrations %s); "+
		"run a newer statusmap or point storage.path at another file", strings.Join(e.Unknown, ", "))
}

// migrationNames lists the .sql files of fsys in apply order.
func migrationNames(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// migrate applies every migration of fsys not yet recorded, in name order, each in
// its own transaction together with its row in the migrations table, so a crash
// leaves the file at a whole version.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, now func() time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name    TEXT PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := migrationNames(fsys)
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	applied := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	var unknown []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return fmt.Errorf("read migrations: %w", err)
		}
		applied[n] = true
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	if len(unknown) > 0 {
		return &NewerSchemaError{Unknown: unknown}
	}
	for _, n := range names {
		if applied[n] {
			continue
		}
		src, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("migration %s: %w", n, err)
		}
		if err := applyMigration(ctx, db, n, string(src), now()); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, name, src string, at time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, src); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations(name, applied) VALUES (?, ?)`, name, at.UnixMilli()); err != nil {
		return fmt.Errorf("migration %s: record: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", name, err)
	}
	return nil
}
