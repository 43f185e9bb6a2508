package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

// Status codes stored in results.status. Numbers are part of the file format.
var statusCodes = map[monitor.Status]int64{
	monitor.StatusOK:      0,
	monitor.StatusWarn:    1,
	monitor.StatusError:   2,
	monitor.StatusSkip:    3,
	monitor.StatusUnknown: 4,
	monitor.StatusPaused:  5,
}

var statusNames = func() map[int64]monitor.Status {
	m := map[int64]monitor.Status{}
	for k, v := range statusCodes {
		m[v] = k
	}
	return m
}()

const codeError = 2 // statusCodes[monitor.StatusError]

func statusCode(s monitor.Status) int64 {
	if c, ok := statusCodes[s]; ok {
		return c
	}
	return statusCodes[monitor.StatusUnknown]
}

func statusName(c int64) monitor.Status {
	if s, ok := statusNames[c]; ok {
		return s
	}
	return monitor.StatusUnknown
}

// logEvery bounds how often the writer repeats the same complaint.
const logEvery = time.Minute

type item struct {
	r    monitor.Result
	s    monitor.State
	done chan error // set for a flush marker
}

// RecordResult queues a run and the state after it for writing. It never blocks: when the
// queue is full the result is dropped, counted in Stats and logged at most once a minute.
// It implements monitor.ResultSink.
func (db *DB) RecordResult(r monitor.Result, s monitor.State) {
	if r.Check == "" {
		r.Check = s.Name
	}
	if r.Check == "" {
		return
	}
	select {
	case <-db.stop:
		db.dropped.Add(1)
		return
	default:
	}
	select {
	case db.queue <- item{r: r, s: s}:
	default:
		n := db.dropped.Add(1)
		if db.rateOK(&db.lastDropLog) {
			db.log.Warn("storage: result queue full, dropping results", "dropped_total", n, "queue", cap(db.queue))
		}
	}
}

// enqueue is the blocking variant used by bulk loads and benchmarks.
func (db *DB) enqueue(ctx context.Context, r monitor.Result, s monitor.State) error {
	if r.Check == "" {
		r.Check = s.Name
	}
	select {
	case db.queue <- item{r: r, s: s}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-db.stop:
		return errors.New("storage: closed")
	}
}

// Flush waits until every result queued before the call is committed. It returns the
// write error when the database is refusing writes (the results stay queued in memory).
func (db *DB) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case db.queue <- item{done: done}:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.writerOut:
		return errors.New("storage: closed")
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-db.writerOut:
		return errors.New("storage: closed")
	}
}

func (db *DB) rateOK(last interface {
	Load() int64
	CompareAndSwap(old, new int64) bool
}) bool {
	now := db.now().UnixMilli()
	prev := last.Load()
	if prev != 0 && now-prev < logEvery.Milliseconds() && now >= prev {
		return false
	}
	return last.CompareAndSwap(prev, now)
}

// writer owns the queue. It batches results into one transaction per BatchSize results
// or per FlushInterval. When a write fails the batch is kept in memory (up to QueueSize
// results, oldest dropped beyond) and retried with backoff, so checks and alerts never
// wait on a sick disk and history resumes when it heals.
func (db *DB) writer() {
	defer close(db.writerOut)
	var (
		pending []monitor.Result
		states  = map[string]monitor.State{}
		waiters []chan error
		armed   bool
		backoff time.Duration
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	arm := func(d time.Duration) {
		if !armed {
			timer.Reset(d)
			armed = true
		}
	}
	flush := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		err := db.writeAll(&pending, states)
		if err != nil {
			if backoff == 0 {
				backoff = 500 * time.Millisecond
			} else if backoff < 5*time.Second {
				backoff *= 2
			}
			if over := len(pending) - cap(db.queue); over > 0 {
				pending = append(pending[:0], pending[over:]...)
				db.dropped.Add(int64(over))
			}
			arm(backoff)
		} else {
			backoff = 0
		}
		for _, w := range waiters {
			w <- err
		}
		waiters = waiters[:0]
	}
	add := func(it item) {
		if it.done != nil {
			waiters = append(waiters, it.done)
			flush()
			return
		}
		pending = append(pending, it.r)
		states[it.r.Check] = it.s
		if backoff > 0 {
			return // retry timer is armed; don't hammer a failing file
		}
		if len(pending) >= db.opt.BatchSize {
			flush()
			return
		}
		arm(db.opt.FlushInterval)
	}
	for {
		select {
		case it := <-db.queue:
			add(it)
		case <-timer.C:
			armed = false
			flush()
		case <-db.stop:
			for {
				select {
				case it := <-db.queue:
					if it.done != nil {
						waiters = append(waiters, it.done)
						continue
					}
					pending = append(pending, it.r)
					states[it.r.Check] = it.s
					continue
				default:
				}
				break
			}
			flush()
			if n := len(pending); n > 0 {
				db.log.Error("storage: results lost on close, database refused writes", "results", n)
			}
			return
		}
	}
}

// writeAll commits pending results in BatchSize chunks and then the latest states,
// removing what was committed. It reports the first failure.
func (db *DB) writeAll(pending *[]monitor.Result, states map[string]monitor.State) error {
	for len(*pending) > 0 || len(states) > 0 {
		n := min(len(*pending), db.opt.BatchSize)
		chunk := (*pending)[:n]
		var st map[string]monitor.State
		if n == len(*pending) {
			st = states // last chunk carries the states
		}
		err := db.writeBatch(context.Background(), chunk, st)
		if err != nil {
			db.writeErrs.Add(1)
			db.writeFailing.Store(true)
			if db.rateOK(&db.lastErrLog) {
				db.log.Error("storage: writing results failed; checks and alerts go on from memory",
					"err", err, "pending", len(*pending), "path", db.path)
			}
			return err
		}
		db.written.Add(int64(n))
		*pending = append((*pending)[:0], (*pending)[n:]...)
		if st != nil {
			clear(states)
		}
		if db.writeFailing.Swap(false) {
			db.log.Info("storage: writes resumed", "path", db.path)
		}
	}
	return nil
}

func (db *DB) writeBatch(ctx context.Context, rs []monitor.Result, states map[string]monitor.State) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	newIDs := map[string]int64{}
	idOf := func(name string) (int64, error) {
		if id, ok := newIDs[name]; ok {
			return id, nil
		}
		id, err := db.checkID(ctx, tx, name)
		if err == nil {
			newIDs[name] = id
		}
		return id, err
	}
	if len(rs) > 0 {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO results(check_id, time, status, latency, code, reason)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		defer ins.Close()
		for _, r := range rs {
			id, err := idOf(r.Check)
			if err != nil {
				return err
			}
			var reason any
			if r.Reason != "" {
				reason = r.Reason
			}
			t := r.Time.UnixMilli()
			// Two runs of one check in the same millisecond (a manual run beside the
			// scheduled one) both stay: the later one moves by a millisecond.
			for attempt := 0; ; attempt++ {
				res, err := ins.ExecContext(ctx, id, t, statusCode(r.Status), r.Latency.Microseconds(), r.Code, reason)
				if err != nil {
					return fmt.Errorf("insert result of %q: %w", r.Check, err)
				}
				if n, _ := res.RowsAffected(); n > 0 || attempt >= 100 {
					break
				}
				t++
			}
		}
	}
	if len(states) > 0 {
		up, err := tx.PrepareContext(ctx, `INSERT INTO check_state(check_id, status, since, last_check,
				success_count, fail_count, consec_fail, consec_ok, last_result, extra, paused_until, paused)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT(check_id) DO UPDATE SET status = excluded.status, since = excluded.since,
				last_check = excluded.last_check, success_count = excluded.success_count,
				fail_count = excluded.fail_count, consec_fail = excluded.consec_fail,
				consec_ok = excluded.consec_ok, last_result = excluded.last_result,
				extra = excluded.extra, paused_until = excluded.paused_until, paused = excluded.paused`)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		defer up.Close()
		for name, s := range states {
			id, err := idOf(name)
			if err != nil {
				return err
			}
			last, err := json.Marshal(storedResult(s.Last))
			if err != nil {
				return fmt.Errorf("state of %q: %w", name, err)
			}
			var extra any
			if len(s.Extra) > 0 {
				b, err := json.Marshal(s.Extra)
				if err != nil {
					return fmt.Errorf("state of %q: %w", name, err)
				}
				extra = string(b)
			}
			if _, err := up.ExecContext(ctx, id, string(s.Status), ms(s.Since), ms(s.LastCheck),
				s.SuccessCount, s.FailCount, s.ConsecFail, s.ConsecOK, string(last), extra,
				ms(s.PausedUntil), s.Paused); err != nil {
				return fmt.Errorf("state of %q: %w", name, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	db.rememberIDs(newIDs)
	return nil
}

// resultJSON is the stored form of a check's last result (state row only).
type resultJSON struct {
	Check     string             `json:"check"`
	Time      int64              `json:"time,omitempty"` // unix ms
	Status    monitor.Status     `json:"status,omitempty"`
	LatencyUS int64              `json:"latency_us,omitempty"`
	Code      int                `json:"code,omitempty"`
	Reason    string             `json:"reason,omitempty"`
	Extra     map[string]string  `json:"extra,omitempty"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Log       []string           `json:"log,omitempty"`
}

func storedResult(r monitor.Result) resultJSON {
	return resultJSON{Check: r.Check, Time: ms(r.Time), Status: r.Status, LatencyUS: r.Latency.Microseconds(),
		Code: r.Code, Reason: r.Reason, Extra: r.Extra, Metrics: r.Metrics, Log: r.Log}
}

func (j resultJSON) result() monitor.Result {
	return monitor.Result{Check: j.Check, Time: fromMS(j.Time), Status: j.Status,
		Latency: time.Duration(j.LatencyUS) * time.Microsecond, Code: j.Code, Reason: j.Reason,
		Extra: j.Extra, Metrics: j.Metrics, Log: j.Log}
}

var _ monitor.ResultSink = (*DB)(nil)
