// Package migrations holds statusmap's SQLite schema as numbered SQL files.
//
// Files are applied in name order, each in its own transaction, and recorded in the
// migrations table. A released file is never edited: a schema change is a new file.
package migrations

import "embed"

// FS holds the migration files (NNNN_name.sql).
//
//go:embed *.sql
var FS embed.FS
