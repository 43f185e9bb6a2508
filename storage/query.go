package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

// ErrNoData is returned by Uptime when a check has no runs in the window.
var ErrNoData = errors.New("no data")

// LoadStates returns the last stored state of every check, keyed by name, so that a
// restarted engine keeps its counters, consecutive counts and status since.
func (db *DB) LoadStates(ctx context.Context) (map[string]monitor.State, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT n.name, s.status, s.since, s.last_check, s.success_count,
			s.fail_count, s.consec_fail, s.consec_ok, s.last_result, s.extra, s.paused_until, s.paused
		FROM check_state s JOIN check_names n ON n.id = s.check_id`)
	if err != nil {
		return nil, fmt.Errorf("load states: %w", err)
	}
	defer rows.Close()
	out := map[string]monitor.State{}
	for rows.Next() {
		var (
			s                          monitor.State
			status, last               string
			extra                      sql.NullString
			since, lastCheck, pausedTo int64
		)
		if err := rows.Scan(&s.Name, &status, &since, &lastCheck, &s.SuccessCount, &s.FailCount,
			&s.ConsecFail, &s.ConsecOK, &last, &extra, &pausedTo, &s.Paused); err != nil {
			return nil, fmt.Errorf("load states: %w", err)
		}
		s.Status = monitor.Status(status)
		s.Since, s.LastCheck, s.PausedUntil = fromMS(since), fromMS(lastCheck), fromMS(pausedTo)
		var lr resultJSON
		if err := json.Unmarshal([]byte(last), &lr); err != nil {
			// A damaged row loses its last result, not the counters.
			db.log.Warn("storage: bad last result in state", "check", s.Name, "err", err)
		} else {
			s.Last = lr.result()
		}
		if extra.Valid && extra.String != "" {
			if err := json.Unmarshal([]byte(extra.String), &s.Extra); err != nil {
				db.log.Warn("storage: bad extra in state", "check", s.Name, "err", err)
			}
		}
		out[s.Name] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load states: %w", err)
	}
	return out, nil
}

// Results returns the runs of check since the given time, newest first, at most limit
// (limit <= 0 means 1000). Extra, Metrics and Log are not kept per run. Results still
// waiting in the write batch (at most FlushInterval old) are not included.
func (db *DB) Results(ctx context.Context, check string, since time.Time, limit int) ([]monitor.Result, error) {
	if limit <= 0 {
		limit = 1000
	}
	id, ok, err := db.lookupID(ctx, check)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, `SELECT time, status, latency, code, reason FROM results
		WHERE check_id = ? AND time >= ? ORDER BY time DESC LIMIT ?`, id, since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("results of %q: %w", check, err)
	}
	defer rows.Close()
	var out []monitor.Result
	for rows.Next() {
		var (
			t, st, lat int64
			code       int
			reason     sql.NullString
		)
		if err := rows.Scan(&t, &st, &lat, &code, &reason); err != nil {
			return nil, fmt.Errorf("results of %q: %w", check, err)
		}
		out = append(out, monitor.Result{Check: check, Time: time.UnixMilli(t), Status: statusName(st),
			Latency: time.Duration(lat) * time.Microsecond, Code: code, Reason: reason.String})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("results of %q: %w", check, err)
	}
	return out, nil
}

// Point is one bucket of a series. Failures count error runs. P95Latency is exact for
// buckets built from raw results and, for buckets built from rollups, the largest
// hourly (or daily) p95 inside the bucket.
type Point struct {
	Time       time.Time // bucket start
	Checks     int
	Failures   int
	AvgLatency time.Duration
	P95Latency time.Duration
}

// maxPoints bounds a series so that a careless step cannot exhaust memory.
const maxPoints = 100_000

// Series aggregates the runs of check in [since, until) into buckets of step, aligned
// to multiples of step since the Unix epoch (so 1h and 24h buckets are UTC hours and
// days). Steps under an hour read raw results (kept retention.raw); steps under a day
// read hourly rollups plus the raw tail not rolled up yet; longer steps read daily
// rollups plus the hourly and raw tails. Buckets without runs are omitted.
func (db *DB) Series(ctx context.Context, check string, since, until time.Time, step time.Duration) ([]Point, error) {
	if step <= 0 {
		return nil, fmt.Errorf("series of %q: step must be positive, got %s", check, step)
	}
	if !until.After(since) {
		return nil, nil
	}
	if n := until.Sub(since) / step; n > maxPoints {
		return nil, fmt.Errorf("series of %q: %d points requested, at most %d (use a larger step)", check, n, maxPoints)
	}
	id, ok, err := db.lookupID(ctx, check)
	if err != nil || !ok {
		return nil, err
	}
	wm, err := db.watermarks(ctx)
	if err != nil {
		return nil, err
	}
	buckets := map[int64]*bucket{}
	get := func(t int64) *bucket { // t: unix ms
		k := floorDiv(t, step.Milliseconds())
		b := buckets[k]
		if b == nil {
			b = &bucket{}
			buckets[k] = b
		}
		return b
	}
	from, to := since.UnixMilli(), until.UnixMilli()
	rawFrom := from
	switch {
	case step >= 24*time.Hour:
		dEnd := min(to, wm.daily)
		if err := db.scanRollups(ctx, "rollup_daily", "day", dayMS, id, from, dEnd, get); err != nil {
			return nil, err
		}
		hFrom := max(from, wm.daily)
		hEnd := min(to, wm.hourly)
		if err := db.scanRollups(ctx, "rollup_hourly", "hour", hourMS, id, hFrom, hEnd, get); err != nil {
			return nil, err
		}
		rawFrom = max(from, wm.hourly, wm.daily)
	case step >= time.Hour:
		hEnd := min(to, wm.hourly)
		if err := db.scanRollups(ctx, "rollup_hourly", "hour", hourMS, id, from, hEnd, get); err != nil {
			return nil, err
		}
		rawFrom = max(from, wm.hourly)
	}
	if rawFrom < to {
		rows, err := db.r.QueryContext(ctx, `SELECT time, status, latency FROM results
			WHERE check_id = ? AND time >= ? AND time < ?`, id, rawFrom, to)
		if err != nil {
			return nil, fmt.Errorf("series of %q: %w", check, err)
		}
		for rows.Next() {
			var t, st, lat int64
			if err := rows.Scan(&t, &st, &lat); err != nil {
				rows.Close()
				return nil, fmt.Errorf("series of %q: %w", check, err)
			}
			b := get(t)
			b.checks++
			if st == codeError {
				b.failures++
			}
			b.latSum += float64(lat)
			b.lats = append(b.lats, lat)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("series of %q: %w", check, err)
		}
	}
	keys := make([]int64, 0, len(buckets))
	for k, b := range buckets {
		if b.checks > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := make([]Point, 0, len(keys))
	for _, k := range keys {
		b := buckets[k]
		p95 := max(b.p95, percentile95(b.lats))
		out = append(out, Point{
			Time:       time.UnixMilli(k * step.Milliseconds()),
			Checks:     int(b.checks),
			Failures:   int(b.failures),
			AvgLatency: time.Duration(b.latSum/float64(b.checks)) * time.Microsecond,
			P95Latency: time.Duration(p95) * time.Microsecond,
		})
	}
	return out, nil
}

type bucket struct {
	checks, failures int64
	latSum           float64 // microseconds
	p95              int64   // largest rollup p95, microseconds
	lats             []int64 // raw latencies
}

const (
	hourMS = int64(time.Hour / time.Millisecond)
	dayMS  = 24 * hourMS
)

// scanRollups adds the rollup rows of table whose period starts in [from, to) (unix ms).
func (db *DB) scanRollups(ctx context.Context, table, col string, unit, id, from, to int64, get func(int64) *bucket) error {
	if from >= to {
		return nil
	}
	lo, hi := ceilDiv(from, unit), ceilDiv(to, unit)
	rows, err := db.r.QueryContext(ctx, `SELECT `+col+`, checks, failures, lat_avg, lat_p95 FROM `+table+`
		WHERE check_id = ? AND `+col+` >= ? AND `+col+` < ?`, id, lo, hi)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, n, f, avg, p95 int64
		if err := rows.Scan(&k, &n, &f, &avg, &p95); err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		b := get(k * unit)
		b.checks += n
		b.failures += f
		b.latSum += float64(avg) * float64(n)
		b.p95 = max(b.p95, p95)
	}
	return rows.Err()
}

// Uptime is the share of runs of check in the last window that were not errors (warn
// counts as up), from 0 to 1. It reads daily rollups for whole days, hourly rollups
// for whole hours and raw results for the rest, so a year costs a few hundred rows.
// It returns ErrNoData when the window holds no runs.
func (db *DB) Uptime(ctx context.Context, check string, window time.Duration) (float64, error) {
	if window <= 0 {
		return 0, fmt.Errorf("uptime of %q: window must be positive, got %s", check, window)
	}
	id, ok, err := db.lookupID(ctx, check)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("uptime of %q: %w", check, ErrNoData)
	}
	now := db.now()
	a, err := db.aggregate(ctx, id, now.Add(-window).UnixMilli(), now.UnixMilli()+1)
	if err != nil {
		return 0, fmt.Errorf("uptime of %q: %w", check, err)
	}
	if a.checks == 0 {
		return 0, fmt.Errorf("uptime of %q: %w", check, ErrNoData)
	}
	return float64(a.checks-a.failures) / float64(a.checks), nil
}

type agg struct{ checks, failures int64 }

func (a *agg) add(b agg) { a.checks += b.checks; a.failures += b.failures }

// aggregate counts runs and failures of check id in [from, to) (unix ms), choosing the
// coarsest tier that covers each part exactly.
func (db *DB) aggregate(ctx context.Context, id, from, to int64) (agg, error) {
	wm, err := db.watermarks(ctx)
	if err != nil {
		return agg{}, err
	}
	var a agg
	cur := from
	dStart, dEnd := ceilDiv(from, dayMS)*dayMS, floorDiv(min(to, wm.daily), dayMS)*dayMS
	if dEnd > dStart {
		head, err := db.aggHourlyRaw(ctx, id, from, dStart, wm.hourly)
		if err != nil {
			return a, err
		}
		a.add(head)
		d, err := db.sumRollup(ctx, "rollup_daily", "day", id, dStart/dayMS, dEnd/dayMS)
		if err != nil {
			return a, err
		}
		a.add(d)
		cur = dEnd
	}
	tail, err := db.aggHourlyRaw(ctx, id, cur, to, wm.hourly)
	if err != nil {
		return a, err
	}
	a.add(tail)
	return a, nil
}

func (db *DB) aggHourlyRaw(ctx context.Context, id, from, to, hourlyWM int64) (agg, error) {
	var a agg
	if from >= to {
		return a, nil
	}
	hStart, hEnd := ceilDiv(from, hourMS)*hourMS, floorDiv(min(to, hourlyWM), hourMS)*hourMS
	if hEnd > hStart {
		for _, part := range []func() (agg, error){
			func() (agg, error) { return db.sumRaw(ctx, id, from, hStart) },
			func() (agg, error) { return db.sumRollup(ctx, "rollup_hourly", "hour", id, hStart/hourMS, hEnd/hourMS) },
			func() (agg, error) { return db.sumRaw(ctx, id, hEnd, to) },
		} {
			p, err := part()
			if err != nil {
				return a, err
			}
			a.add(p)
		}
		return a, nil
	}
	return db.sumRaw(ctx, id, from, to)
}

func (db *DB) sumRaw(ctx context.Context, id, from, to int64) (agg, error) {
	var a agg
	if from >= to {
		return a, nil
	}
	err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status = ?), 0) FROM results
		WHERE check_id = ? AND time >= ? AND time < ?`, codeError, id, from, to).Scan(&a.checks, &a.failures)
	if err != nil {
		return a, fmt.Errorf("read results: %w", err)
	}
	return a, nil
}

func (db *DB) sumRollup(ctx context.Context, table, col string, id, lo, hi int64) (agg, error) {
	var a agg
	if lo >= hi {
		return a, nil
	}
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(sum(checks), 0), coalesce(sum(failures), 0) FROM `+table+`
		WHERE check_id = ? AND `+col+` >= ? AND `+col+` < ?`, id, lo, hi).Scan(&a.checks, &a.failures)
	if err != nil {
		return a, fmt.Errorf("read %s: %w", table, err)
	}
	return a, nil
}

func percentile95(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	// nearest-rank: the smallest value with at least 95% of values at or below it
	i := (len(v)*95+99)/100 - 1
	return v[max(i, 0)]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
