// Package storage keeps statusmap's history in one SQLite file: every result, the state
// of each check for a restart without amnesia, incidents, rollups, chat-added checks,
// mutes, pauses, chats, heartbeat tokens and the alert outbox.
//
// One connection writes (results are batched by a goroutine), a small pool reads; the
// file is in WAL mode so readers never wait for the writer. Growth is bounded by
// retention: raw results, hourly rollups and daily rollups each have their own age
// limit, enforced by Maintain (run every minute by Open unless disabled).
//
// Durability: a result is committed at most FlushInterval (200 ms) after RecordResult;
// everything committed survives a killed process (WAL). A live backup is safe with
// `sqlite3 statusmap.db ".backup copy.db"` or `VACUUM INTO 'copy.db'`; copying the file
// alone while statusmap runs is not (the -wal file holds recent commits).
package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/migrations"
)

// Default retention when the config leaves a key unset.
const (
	DefaultRaw    = 7 * 24 * time.Hour
	DefaultHourly = 90 * 24 * time.Hour
	DefaultDaily  = 5 * 365 * 24 * time.Hour
)

// Options configure Open. Zero values take the documented defaults.
type Options struct {
	Logger    *slog.Logger
	Now       func() time.Time // the clock for retention, expiry and timestamps; default time.Now
	Retention config.Retention // raw 7d, hourly 90d, daily 5y when zero

	BusyTimeout   time.Duration // how long a write waits for a lock; default 5s
	QueueSize     int           // results buffered before RecordResult drops; default 16384
	BatchSize     int           // results per transaction; default 10000
	FlushInterval time.Duration // longest a result waits in the batch; default 200ms
	// MaintainInterval is how often the background job rolls up closed hours and days
	// and prunes expired rows. Default 1m; negative disables the job (call Maintain).
	MaintainInterval time.Duration
}

// DB is the history store. Its methods are safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // single writer connection
	r    *sql.DB // read pool
	log  *slog.Logger
	now  func() time.Time
	ret  config.Retention
	opt  Options

	queue     chan item
	writerOut chan struct{} // closed when the writer goroutine has exited
	stop      chan struct{} // closed by Close
	bg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	idMu sync.Mutex
	ids  map[string]int64 // check name -> check_names.id

	maintMu   sync.Mutex // one Maintain at a time
	lastPrune time.Time  // guarded by maintMu

	dropped      atomic.Int64
	written      atomic.Int64
	writeErrs    atomic.Int64
	lastDropLog  atomic.Int64 // unix ms of the last "dropped" log line
	lastErrLog   atomic.Int64 // unix ms of the last write-failure log line
	writeFailing atomic.Bool
}

// Open opens (creating if needed) the database at path, applies pending migrations and
// starts the result writer and, unless disabled, the maintenance job.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("storage: empty path")
	}
	opt = withDefaults(opt)
	db := &DB{
		path:      path,
		log:       opt.Logger,
		now:       opt.Now,
		ret:       opt.Retention,
		opt:       opt,
		queue:     make(chan item, opt.QueueSize),
		writerOut: make(chan struct{}),
		stop:      make(chan struct{}),
		ids:       map[string]int64{},
	}
	db.w = sql.OpenDB(connector{dsn(path, opt.BusyTimeout, false)})
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.w.PingContext(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("storage %s: open: %w", path, err)
	}
	if err := migrate(ctx, db.w, migrations.FS, db.now); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("storage %s: %w", path, err)
	}
	db.r = sql.OpenDB(connector{dsn(path, opt.BusyTimeout, true)})
	db.r.SetMaxOpenConns(4)
	db.r.SetMaxIdleConns(4)

	go db.writer()
	if opt.MaintainInterval > 0 {
		db.bg.Add(1)
		go db.maintainLoop(opt.MaintainInterval)
	}
	return db, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Retention.Raw <= 0 {
		o.Retention.Raw = config.Duration(DefaultRaw)
	}
	if o.Retention.Hourly <= 0 {
		o.Retention.Hourly = config.Duration(DefaultHourly)
	}
	if o.Retention.Daily <= 0 {
		o.Retention.Daily = config.Duration(DefaultDaily)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 16384
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 200 * time.Millisecond
	}
	if o.MaintainInterval == 0 {
		o.MaintainInterval = time.Minute
	}
	return o
}

// dsn builds a go-sqlite3 URI. WAL lets readers run beside the writer; synchronous=NORMAL
// in WAL loses nothing on a process crash (only, at worst, the last commits on power loss).
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "NORMAL")
	q.Set("_cache_size", "-32768") // KiB: the writer touches one leaf per check per batch
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
		// half-way on a lock upgrade.
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// walLimit caps the -wal file kept after a checkpoint: a big transaction (a day's
// rollup, a pruning batch) would otherwise leave the file at its largest size forever.
const walLimit = 32 << 20

// connector opens go-sqlite3 connections with the settings the DSN cannot carry.
type connector struct{ dsn string }

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.Driver().Open(c.dsn) }

func (c connector) Driver() driver.Driver {
	return &sqlite3.SQLiteDriver{ConnectHook: func(conn *sqlite3.SQLiteConn) error {
		_, err := conn.Exec(fmt.Sprintf("PRAGMA journal_size_limit = %d", walLimit), nil)
		return err
	}}
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close flushes pending results, stops the background job and closes the file.
// It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		db.bg.Wait()
		<-db.writerOut
		var errs []error
		if db.r != nil {
			errs = append(errs, db.r.Close())
		}
		// A checkpoint on close keeps the -wal file small between runs; failure is harmless.
		_, _ = db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, db.w.Close())
		db.closeErr = errors.Join(errs...)
	})
	return db.closeErr
}

// Stats are counters of the result writer, for metrics and tests.
type Stats struct {
	Written      int64 // results committed
	Dropped      int64 // results dropped because the queue was full
	WriteErrors  int64 // failed write transactions
	WriteFailing bool  // the last write attempt failed
	Queued       int   // results waiting in the queue
}

// Stats returns the writer's counters.
func (db *DB) Stats() Stats {
	return Stats{
		Written:      db.written.Load(),
		Dropped:      db.dropped.Load(),
		WriteErrors:  db.writeErrs.Load(),
		WriteFailing: db.writeFailing.Load(),
		Queued:       len(db.queue),
	}
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// checkID returns the id of name, creating it inside tx when missing.
func (db *DB) checkID(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	db.idMu.Lock()
	id, ok := db.ids[name]
	db.idMu.Unlock()
	if ok {
		return id, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO check_names(name) VALUES (?) ON CONFLICT(name) DO NOTHING`, name); err != nil {
		return 0, fmt.Errorf("check %q: id: %w", name, err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT id FROM check_names WHERE name = ?`, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("check %q: id: %w", name, err)
	}
	// Cached only after commit by the caller would be stricter; ids are never deleted
	// and a rolled-back insert simply re-inserts the same name next time, so the cache
	// is filled by rememberIDs after a successful commit.
	return id, nil
}

func (db *DB) rememberIDs(m map[string]int64) {
	db.idMu.Lock()
	for k, v := range m {
		db.ids[k] = v
	}
	db.idMu.Unlock()
}

// lookupID finds an existing check id without creating one (read side).
func (db *DB) lookupID(ctx context.Context, name string) (int64, bool, error) {
	db.idMu.Lock()
	id, ok := db.ids[name]
	db.idMu.Unlock()
	if ok {
		return id, true, nil
	}
	err := db.r.QueryRowContext(ctx, `SELECT id FROM check_names WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("check %q: %w", name, err)
	}
	db.rememberIDs(map[string]int64{name: id})
	return id, true, nil
}
