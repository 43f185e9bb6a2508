package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const (
	// closeGrace is how long after an hour ends its rollup waits for late results (a run
	// that started at 10:59:58 is written when it finishes).
	closeGrace = 2 * time.Minute
	// pruneBatch bounds the rows one pruning transaction deletes, so a result batch
	// waits tens of milliseconds at most behind it.
	pruneBatch = 5000
	// outboxKeep is how long delivered alerts stay in the outbox.
	outboxKeep = 30 * 24 * time.Hour
	// pruneEvery spaces pruning passes: each one visits every check's key range.
	pruneEvery = 10 * time.Minute
)

type marks struct{ hourly, daily int64 } // unix ms: first hour / day not rolled up

func (db *DB) watermarks(ctx context.Context) (marks, error) {
	var m marks
	rows, err := db.r.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('hourly_wm', 'daily_wm')`)
	if err != nil {
		return m, fmt.Errorf("read watermarks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return m, fmt.Errorf("read watermarks: %w", err)
		}
		switch k {
		case "hourly_wm":
			m.hourly = v * hourMS
		case "daily_wm":
			m.daily = v * dayMS
		}
	}
	return m, rows.Err()
}

func (db *DB) maintainLoop(every time.Duration) {
	defer db.bg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-db.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	var last int64
	for {
		if err := db.Maintain(ctx); err != nil && ctx.Err() == nil {
			if now := db.now().UnixMilli(); now-last >= logEvery.Milliseconds() || now < last {
				last = now
				db.log.Error("storage: maintenance failed; will retry", "err", err)
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// Maintain rolls up every closed hour and day not rolled up yet and deletes rows past
// their retention, in small transactions. Open runs it every MaintainInterval; it is
// exported for callers that disable that job and schedule it themselves, and for tests.
func (db *DB) Maintain(ctx context.Context) error {
	db.maintMu.Lock()
	defer db.maintMu.Unlock()
	now := db.now()
	ids, err := db.checkIDs(ctx)
	if err != nil {
		return err
	}
	if err := db.rollupHours(ctx, now, ids); err != nil {
		return fmt.Errorf("hourly rollup: %w", err)
	}
	if err := db.rollupDays(ctx, now, ids); err != nil {
		return fmt.Errorf("daily rollup: %w", err)
	}
	if !db.lastPrune.IsZero() && now.Sub(db.lastPrune) < pruneEvery && !now.Before(db.lastPrune) {
		return nil
	}
	if err := db.prune(ctx, now, ids); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	db.lastPrune = now
	return nil
}

func (db *DB) checkIDs(ctx context.Context) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM check_names ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list checks: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (db *DB) readMeta(ctx context.Context, key string) (int64, bool, error) {
	var v int64
	err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s: %w", key, err)
	}
	return v, true, nil
}

// initMarks sets both watermarks the first time: at the oldest stored result, or at
// the current hour in an empty file.
func (db *DB) initMarks(ctx context.Context, now time.Time, ids []int64) (hour int64, err error) {
	oldest := now.UnixMilli()
	for _, id := range ids {
		var t sql.NullInt64
		if err := db.r.QueryRowContext(ctx, `SELECT min(time) FROM results WHERE check_id = ?`, id).Scan(&t); err != nil {
			return 0, fmt.Errorf("oldest result: %w", err)
		}
		if t.Valid && t.Int64 < oldest {
			oldest = t.Int64
		}
	}
	hour = floorDiv(oldest, hourMS)
	_, err = db.w.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('hourly_wm', ?), ('daily_wm', ?)
		ON CONFLICT(key) DO NOTHING`, hour, floorDiv(oldest, dayMS))
	if err != nil {
		return 0, fmt.Errorf("init watermarks: %w", err)
	}
	return hour, nil
}

type rollupRow struct {
	id                         int64
	checks, failures, avg, p95 int64
}

// statsOf reads the raw runs of id in [from, to) and summarises them.
func (db *DB) statsOf(ctx context.Context, id, from, to int64, lats []int64) (rollupRow, []int64, error) {
	r := rollupRow{id: id}
	rows, err := db.r.QueryContext(ctx, `SELECT status, latency FROM results WHERE check_id = ? AND time >= ? AND time < ?`, id, from, to)
	if err != nil {
		return r, lats, err
	}
	defer rows.Close()
	lats = lats[:0]
	var sum int64
	for rows.Next() {
		var st, lat int64
		if err := rows.Scan(&st, &lat); err != nil {
			return r, lats, err
		}
		r.checks++
		if st == codeError {
			r.failures++
		}
		sum += lat
		lats = append(lats, lat)
	}
	if err := rows.Err(); err != nil {
		return r, lats, err
	}
	if r.checks > 0 {
		r.avg = (sum + r.checks/2) / r.checks
		r.p95 = percentile95(lats)
	}
	return r, lats, nil
}

func (db *DB) rollupHours(ctx context.Context, now time.Time, ids []int64) error {
	wm, ok, err := db.readMeta(ctx, "hourly_wm")
	if err != nil {
		return err
	}
	if !ok {
		if wm, err = db.initMarks(ctx, now, ids); err != nil {
			return err
		}
	}
	end := floorDiv(now.Add(-closeGrace).UnixMilli(), hourMS) // hours < end are closed
	var lats []int64
	for h := wm; h < end; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var out []rollupRow
		for _, id := range ids {
			var r rollupRow
			r, lats, err = db.statsOf(ctx, id, h*hourMS, (h+1)*hourMS, lats)
			if err != nil {
				return fmt.Errorf("hour %d: %w", h, err)
			}
			if r.checks > 0 {
				out = append(out, r)
			}
		}
		if err := db.writeRollups(ctx, "rollup_hourly", "hour", "hourly_wm", h, out); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) rollupDays(ctx context.Context, now time.Time, ids []int64) error {
	wm, ok, err := db.readMeta(ctx, "daily_wm")
	if err != nil || !ok {
		return err // initialised with the hourly mark
	}
	hwm, _, err := db.readMeta(ctx, "hourly_wm")
	if err != nil {
		return err
	}
	// A day is closed when its grace passed and all its hours are rolled up.
	end := min(floorDiv(now.Add(-closeGrace).UnixMilli(), dayMS), floorDiv(hwm, 24))
	rawFloor := now.Add(-db.ret.Raw.D()).UnixMilli()
	var lats []int64
	for d := wm; d < end; d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var out []rollupRow
		for _, id := range ids {
			var r rollupRow
			if d*dayMS >= rawFloor {
				// Raw results still hold the whole day: an exact p95.
				r, lats, err = db.statsOf(ctx, id, d*dayMS, (d+1)*dayMS, lats)
			} else {
				r, err = db.dayFromHours(ctx, id, d)
			}
			if err != nil {
				return fmt.Errorf("day %d: %w", d, err)
			}
			if r.checks > 0 {
				out = append(out, r)
			}
		}
		if err := db.writeRollups(ctx, "rollup_daily", "day", "daily_wm", d, out); err != nil {
			return err
		}
	}
	return nil
}

// dayFromHours sums the hourly rollups of a day whose raw results are gone; the p95 is
// then the largest hourly p95.
func (db *DB) dayFromHours(ctx context.Context, id, day int64) (rollupRow, error) {
	r := rollupRow{id: id}
	var sum float64
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(sum(checks), 0), coalesce(sum(failures), 0),
			coalesce(sum(lat_avg * checks), 0), coalesce(max(lat_p95), 0)
		FROM rollup_hourly WHERE check_id = ? AND hour >= ? AND hour < ?`, id, day*24, (day+1)*24).
		Scan(&r.checks, &r.failures, &sum, &r.p95)
	if err != nil {
		return r, err
	}
	if r.checks > 0 {
		r.avg = int64(sum/float64(r.checks) + 0.5)
	}
	return r, nil
}

// writeRollups stores one period's rows and advances the watermark in one transaction.
func (db *DB) writeRollups(ctx context.Context, table, col, mark string, period int64, rows []rollupRow) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s %d: begin: %w", table, period, err)
	}
	defer tx.Rollback()
	if len(rows) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO `+table+`(check_id, `+col+`, checks, failures, lat_avg, lat_p95)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("%s %d: %w", table, period, err)
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.id, period, r.checks, r.failures, r.avg, r.p95); err != nil {
				return fmt.Errorf("%s %d: %w", table, period, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, mark, period+1); err != nil {
		return fmt.Errorf("%s %d: watermark: %w", table, period, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s %d: commit: %w", table, period, err)
	}
	return nil
}

// prune deletes what retention no longer keeps, at most pruneBatch rows per
// transaction so the result writer never waits long.
func (db *DB) prune(ctx context.Context, now time.Time, ids []int64) error {
	raw := now.Add(-db.ret.Raw.D()).UnixMilli()
	// Rollups are only dropped once their period is wholly past retention.
	hourly := floorDiv(now.Add(-db.ret.Hourly.D()).UnixMilli(), hourMS)
	daily := floorDiv(now.Add(-db.ret.Daily.D()).UnixMilli(), dayMS)
	if err := db.pruneClustered(ctx, "results", "time", ids, raw); err != nil {
		return err
	}
	if err := db.pruneClustered(ctx, "rollup_hourly", "hour", ids, hourly); err != nil {
		return err
	}
	if err := db.pruneClustered(ctx, "rollup_daily", "day", ids, daily); err != nil {
		return err
	}
	n := now.UnixMilli()
	for _, q := range []struct {
		what string
		sql  string
		arg  int64
	}{
		{"outbox", `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent IS NOT NULL AND sent < ? LIMIT 5000)`, n - outboxKeep.Milliseconds()},
		{"incidents", `DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE end IS NOT NULL AND end < ? LIMIT 5000)`, now.Add(-db.ret.Daily.D()).UnixMilli()},
		{"mutes", `DELETE FROM mutes WHERE until != 0 AND until < ?`, n},
		{"pauses", `DELETE FROM pauses WHERE until != 0 AND until < ?`, n},
	} {
		for {
			res, err := db.w.ExecContext(ctx, q.sql, q.arg)
			if err != nil {
				return fmt.Errorf("%s: %w", q.what, err)
			}
			if k, _ := res.RowsAffected(); k < 5000 {
				break
			}
		}
	}
	return nil
}

// pruneClustered deletes rows of table with col < cut for every check, walking the
// (check_id, col) key so each transaction deletes at most pruneBatch rows.
func (db *DB) pruneClustered(ctx context.Context, table, col string, ids []int64, cut int64) error {
	var tx *sql.Tx
	budget := pruneBatch
	commit := func() error {
		if tx == nil {
			return nil
		}
		err := tx.Commit()
		tx = nil
		budget = pruneBatch
		if err != nil {
			return fmt.Errorf("%s: commit: %w", table, err)
		}
		return nil
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	for _, id := range ids {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			if tx == nil {
				var err error
				if tx, err = db.w.BeginTx(ctx, nil); err != nil {
					return fmt.Errorf("%s: begin: %w", table, err)
				}
			}
			// The budget-th oldest expired key of this check, if there are that many.
			var bound int64
			err := tx.QueryRowContext(ctx, `SELECT `+col+` FROM `+table+` WHERE check_id = ? AND `+col+` < ?
				ORDER BY `+col+` LIMIT 1 OFFSET ?`, id, cut, budget-1).Scan(&bound)
			if errors.Is(err, sql.ErrNoRows) {
				res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE check_id = ? AND `+col+` < ?`, id, cut)
				if err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
				n, _ := res.RowsAffected()
				budget -= int(n)
				if budget <= 0 {
					if err := commit(); err != nil {
						return err
					}
				}
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE check_id = ? AND `+col+` <= ?`, id, bound); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			if err := commit(); err != nil {
				return err
			}
		}
	}
	return commit()
}
