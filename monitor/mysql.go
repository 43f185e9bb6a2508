package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/statusmap/statusmap/config"
)

// probeMySQL connects with dsn (the go-sql-driver form user:pass@tcp(host:port)/db),
// runs query and compares its first value with expect.value; it then reads the schema
// size, connections and server version. MariaDB answers the same way.
func probeMySQL(ctx context.Context, c *config.Check, log *RunLog) Outcome {
	start := time.Now()
	if strings.TrimSpace(c.DSN) == "" {
		return checkFailed("mysql: no dsn configured")
	}
	cfg, err := mysql.ParseDSN(c.DSN)
	if err != nil {
		return checkFailed("mysql: bad dsn: %s", redact(err.Error(), c.DSN))
	}
	secrets := []string{c.DSN, cfg.Passwd}
	// The driver would print I/O errors to stderr; the reason line already carries them.
	cfg.Logger = &mysql.NopLogger{}
	// The driver's own timeouts back up ctx: a half-open connection must not outlive the run.
	if dl, ok := ctx.Deadline(); ok {
		// A little past ctx's deadline, so the driver's ctx watcher reports the timeout.
		d := time.Until(dl) + 500*time.Millisecond
		if cfg.Timeout == 0 || cfg.Timeout > d {
			cfg.Timeout = d
		}
		if cfg.ReadTimeout == 0 || cfg.ReadTimeout > d {
			cfg.ReadTimeout = d
		}
		if cfg.WriteTimeout == 0 || cfg.WriteTimeout > d {
			cfg.WriteTimeout = d
		}
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return checkFailed("mysql: bad dsn: %s", redact(err.Error(), secrets...))
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	log.Printf("connecting to %s %s database %q as %q", cfg.Net, cfg.Addr, cfg.DBName, cfg.User)
	conn, err := db.Conn(ctx)
	if err != nil {
		return checkFailed("%s", mysqlReason(ctx, err, start, secrets))
	}
	defer conn.Close()
	log.Printf("connected")

	out, ok := queryOutcome(ctx, c, log,
		func(ctx context.Context, q string) (string, bool, error) { return sqlFirstValue(ctx, conn, q) },
		func(err error) string { return mysqlReason(ctx, err, start, secrets) })
	if ok {
		mysqlFacts(ctx, conn, &out, log, secrets)
	}
	return out
}

// sqlFirstValue runs query and returns the first column of the first row as text.
func sqlFirstValue(ctx context.Context, conn *sql.Conn, query string) (string, bool, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", false, err
	}
	if !rows.Next() {
		return "", false, rows.Err()
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", true, err
	}
	value := ""
	if len(vals) > 0 {
		if vals[0] == nil {
			value = "NULL"
		} else {
			value = string(vals[0])
		}
	}
	return value, true, rows.Close()
}

func mysqlFacts(ctx context.Context, conn *sql.Conn, out *Outcome, log *RunLog, secrets []string) {
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err == nil {
		// "10.11.6-MariaDB-0+deb12u1" -> "10.11.6-MariaDB"
		if i := strings.Index(version, "-MariaDB"); i >= 0 {
			version = version[:i+len("-MariaDB")]
		} else if i := strings.IndexAny(version, "- "); i > 0 {
			version = version[:i]
		}
		out.Extra["version"] = version
	} else {
		log.Printf("version: %s", redact(err.Error(), secrets...))
	}

	var size sql.NullInt64
	err := conn.QueryRowContext(ctx, `SELECT SUM(data_length + index_length) FROM information_schema.tables
		WHERE table_schema = DATABASE()`).Scan(&size)
	switch {
	case err != nil:
		log.Printf("schema size: %s", redact(err.Error(), secrets...))
	case size.Valid:
		out.Extra["size"] = fmtBytes(size.Int64)
		out.Metrics["mysql_schema_size_bytes"] = float64(size.Int64)
	}

	var name, value string
	if err := conn.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Threads_connected'").Scan(&name, &value); err == nil {
		out.Extra["connections"] = value
		if n, err := strconv.ParseFloat(value, 64); err == nil {
			out.Metrics["mysql_connections"] = n
		}
	} else {
		log.Printf("connections: %s", redact(err.Error(), secrets...))
	}
}

// mysqlReason turns a driver error into one line without the password.
func mysqlReason(ctx context.Context, err error, start time.Time, secrets []string) string {
	return driverReason(ctx, "mysql", err, start, secrets, func(err error) (string, bool) {
		var myErr *mysql.MySQLError
		if errors.As(err, &myErr) {
			return fmt.Sprintf("%s (error %d)", myErr.Message, myErr.Number), true
		}
		return "", false
	})
}
