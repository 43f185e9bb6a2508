package monitor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/statusmap/statusmap/config"
)

// defaultQuery is what the database checks run when the check sets no query.
const defaultQuery = "SELECT 1"

// probePostgres connects with dsn, runs query and compares its first value with
// expect.value; it then reads size, connections, version and replication lag.
func probePostgres(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	if strings.TrimSpace(c.DSN) == "" {
		return checkFailed("postgres: no dsn configured")
	}
	cfg, err := pgx.ParseConfig(c.DSN)
	if err != nil {
		// The parse error can quote the DSN, password included.
		return checkFailed("postgres: bad dsn: %s", redact(err.Error(), c.DSN))
	}
	secrets := []string{c.DSN, cfg.Password}
	// The simple protocol returns every value as text (what expect.value compares with)
	// and works behind poolers that refuse prepared statements.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	log.Printf("connecting to %s:%d database %q as %q", cfg.Host, cfg.Port, cfg.Database, cfg.User)

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return checkFailed("%s", pgReason(ctx, err, start, secrets))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	log.Printf("connected")

	out, ok := queryOutcome(ctx, c, log,
		func(ctx context.Context, q string) (string, bool, error) { return pgFirstValue(ctx, conn, q) },
		func(err error) string { return pgReason(ctx, err, start, secrets) })
	if ok {
		pgFacts(ctx, conn, &out, log, secrets)
	}
	return out
}

// queryOutcome runs the check's query (default SELECT 1) through first and judges its first
// value against expect.value; ok is false when the query itself failed (reason from fail).
func queryOutcome(ctx context.Context, c *config.Check, log *RunLog,
	first func(ctx context.Context, query string) (value string, hasRow bool, err error),
	fail func(error) string) (out Outcome, ok bool) {
	query := c.Query
	if strings.TrimSpace(query) == "" {
		query = defaultQuery
	}
	log.Printf("query: %s", query)
	value, hasRow, err := first(ctx, query)
	if err != nil {
		return checkFailed("%s", fail(err)), false
	}
	out = Outcome{Status: StatusOK, Extra: map[string]string{}, Metrics: map[string]float64{}}
	if r := compareValue(c.Expect.Value, value, hasRow, log); r != "" {
		out.Status, out.Reason = StatusError, r
	}
	return out, true
}

// compareValue judges a query's first value against expect.value; "" means it passes.
func compareValue(want, got string, hasRow bool, log *RunLog) string {
	if !hasRow {
		log.Printf("no rows")
		if want != "" {
			return fmt.Sprintf("query returned no rows, want %q", want)
		}
		return ""
	}
	log.Printf("first value: %q", oneLine(got))
	if want != "" && !valueMatches(got, want) {
		return fmt.Sprintf("query returned %q, want %q", oneLine(got), want)
	}
	return ""
}

// pgFirstValue runs query and returns the first column of the first row as text.
func pgFirstValue(ctx context.Context, conn *pgx.Conn, query string) (string, bool, error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	var value string
	hasRow := false
	if rows.Next() {
		hasRow = true
		raw := rows.RawValues()
		switch {
		case len(raw) == 0:
		case raw[0] == nil:
			value = "NULL"
		default:
			value = string(raw[0])
		}
	}
	rows.Close()
	return value, hasRow, rows.Err()
}

// pgFacts fills extra and metrics. A fact the role may not read is skipped, not a failure.
func pgFacts(ctx context.Context, conn *pgx.Conn, out *Outcome, log *RunLog, secrets []string) {
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err == nil {
		// "16.4 (Debian 16.4-1.pgdg120+2)" -> "16.4"
		if f := strings.Fields(version); len(f) > 0 {
			out.Extra["version"] = f[0]
		}
	} else {
		log.Printf("version: %s", redact(err.Error(), secrets...))
	}

	var size int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&size); err == nil {
		out.Extra["size"] = fmtBytes(size)
		out.Metrics["postgres_database_size_bytes"] = float64(size)
	} else {
		log.Printf("size: %s", redact(err.Error(), secrets...))
	}

	var conns int64
	var maxConns string
	err := conn.QueryRow(ctx, "SELECT count(*), current_setting('max_connections') FROM pg_stat_activity WHERE backend_type = 'client backend'").Scan(&conns, &maxConns)
	if err == nil {
		out.Extra["connections"] = fmt.Sprintf("%d/%s", conns, maxConns)
		out.Metrics["postgres_connections"] = float64(conns)
		if m, err := strconv.ParseFloat(maxConns, 64); err == nil {
			out.Metrics["postgres_max_connections"] = m
		}
	} else {
		log.Printf("connections: %s", redact(err.Error(), secrets...))
	}

	var replica bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&replica); err != nil {
		log.Printf("recovery: %s", redact(err.Error(), secrets...))
		return
	}
	if !replica {
		out.Extra["role"] = "primary"
		return
	}
	out.Extra["role"] = "replica"
	// Caught up (all received WAL replayed) is no lag, even when the primary is idle and the
	// last replayed transaction is old. NULL until the replica has replayed a transaction.
	var lag *float64
	const lagQuery = `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
		ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END::float8`
	if err := conn.QueryRow(ctx, lagQuery).Scan(&lag); err != nil {
		log.Printf("replication lag: %s", redact(err.Error(), secrets...))
		return
	}
	if lag != nil {
		out.Extra["replication_lag"] = fmtAge(time.Duration(*lag * float64(time.Second)).Round(time.Second))
		out.Metrics["postgres_replication_lag_seconds"] = *lag
	}
}

// pgReason turns a pgx error into one line without the password.
func pgReason(ctx context.Context, err error, start time.Time, secrets []string) string {
	return driverReason(ctx, "postgres", err, start, secrets, func(err error) (string, bool) {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code), true
		}
		return "", false
	})
}
