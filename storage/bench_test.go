package storage

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

// The steady-state file takes minutes to build, so it is opt-in:
//
//	go test ./storage/ -run TestSteadyState -steady -steady.db=/tmp/steady.db -timeout 60m -v
//	go test ./storage/ -run '^$' -bench Steady -steady.db=/tmp/steady.db
var (
	steady       = flag.Bool("steady", false, "build the steady-state database (1,000 checks at 60 s, default retention)")
	steadyDB     = flag.String("steady.db", "", "path of the steady-state database (built by -steady, read by the Steady benchmarks)")
	steadyChecks = flag.Int("steady.checks", 1000, "checks in the steady-state database")
)

func checkName(i int) string { return fmt.Sprintf("check-%04d", i) }

// BenchmarkRecordResult measures the batched write path end to end: results queued
// through the writer goroutine (one transaction per BatchSize results, plus each
// check's state upsert) until committed. batch=1000 shows why the default is larger:
// with 1,000 checks every transaction touches one leaf page per check.
func BenchmarkRecordResult(b *testing.B) {
	for _, tc := range []struct{ checks, batch int }{{10, 0}, {1000, 0}, {1000, 1000}} {
		checks := tc.checks
		b.Run(fmt.Sprintf("checks=%d/batch=%d", checks, tc.batch), func(b *testing.B) {
			clk := newClock(t0)
			db := openTest(b, filepath.Join(b.TempDir(), "bench.db"), clk, func(o *Options) { o.BatchSize = tc.batch })
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				name := checkName(i % checks)
				at := t0.Add(time.Duration(i/checks) * time.Minute).Add(time.Duration(i%checks) * time.Millisecond)
				r := result(name, at, monitor.StatusOK, time.Duration(rng.IntN(300_000))*time.Microsecond)
				s := monitor.State{Name: name, Status: monitor.StatusOK, Since: t0, LastCheck: at, SuccessCount: int64(i / checks), Last: r}
				if err := db.enqueue(ctx, r, s); err != nil {
					b.Fatal(err)
				}
			}
			if err := db.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "results/s")
		})
	}
}

// TestSteadyState builds the file a deployment of 1,000 checks at 60 s reaches under the
// default retention (raw 7d, hourly 90d, daily 5y) and reports its size. The old tiers
// (daily rollups for five years, hourly for 90 days) are written with the rollup writer;
// the last eight days run through the real path: RecordResult-equivalent enqueue with an
// injected clock, Maintain every simulated hour (rollups from raw, pruning of the first
// day), so the file holds exactly what production keeps.
func TestSteadyState(t *testing.T) {
	if !*steady {
		t.Skip("opt-in: -steady (takes minutes)")
	}
	path := *steadyDB
	if path == "" {
		path = filepath.Join(t.TempDir(), "steady.db")
	}
	for _, suf := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suf)
	}
	checks := *steadyChecks
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	rawStart := now.Add(-8 * 24 * time.Hour)
	clk := newClock(rawStart)
	db := openTest(t, path, clk, nil)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))

	// Names first, so ids are 1..checks.
	ids := make([]int64, checks)
	for i := range checks {
		db.RecordResult(result(checkName(i), rawStart.Add(-time.Hour), monitor.StatusOK, time.Millisecond), monitor.State{Name: checkName(i)})
	}
	flush(t, db)
	for i := range checks {
		id, ok, err := db.lookupID(ctx, checkName(i))
		if err != nil || !ok {
			t.Fatal(err)
		}
		ids[i] = id
	}
	roll := func(per int64) []rollupRow {
		out := make([]rollupRow, checks)
		for i := range checks {
			f := int64(0)
			if rng.IntN(50) == 0 {
				f = int64(rng.IntN(int(per)))
			}
			avg := int64(20_000 + rng.IntN(200_000))
			out[i] = rollupRow{id: ids[i], checks: per, failures: f, avg: avg, p95: avg + int64(rng.IntN(300_000))}
		}
		return out
	}
	began := time.Now()
	firstDay := floorDiv(now.Add(-DefaultDaily).UnixMilli(), dayMS) + 1
	for d := firstDay; d < rawStart.UnixMilli()/dayMS; d++ {
		if err := db.writeRollups(ctx, "rollup_daily", "day", "daily_wm", d, roll(1440)); err != nil {
			t.Fatal(err)
		}
	}
	firstHour := floorDiv(now.Add(-DefaultHourly).UnixMilli(), hourMS) + 1
	for h := firstHour; h < rawStart.UnixMilli()/hourMS; h++ {
		if err := db.writeRollups(ctx, "rollup_hourly", "hour", "hourly_wm", h, roll(60)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("old rollups written in %v", time.Since(began).Round(time.Second))

	began = time.Now()
	var n int
	for m := 0; m < 8*1440; m++ {
		minute := rawStart.Add(time.Duration(m) * time.Minute)
		clk.Set(minute)
		for i := range checks {
			at := minute.Add(time.Duration(i) * 60 * time.Millisecond * 1000 / time.Duration(checks))
			st := monitor.StatusOK
			if rng.IntN(200) == 0 {
				st = monitor.StatusError
			}
			r := result(checkName(i), at, st, time.Duration(1000+rng.IntN(300_000))*time.Microsecond)
			s := monitor.State{Name: r.Check, Status: st, Since: rawStart, LastCheck: at, SuccessCount: int64(m), Last: r}
			if err := db.enqueue(ctx, r, s); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if m%60 == 59 {
			flush(t, db)
			clk.Set(minute.Add(time.Minute))
			if err := db.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if m%1440 == 1439 {
			t.Logf("day %d: %d results, %v, %.0f results/s", m/1440+1, n, time.Since(began).Round(time.Second), float64(n)/time.Since(began).Seconds())
		}
	}
	clk.Set(now)
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	var raw, hourly, daily int
	db.r.QueryRow(`SELECT count(*) FROM results`).Scan(&raw)
	db.r.QueryRow(`SELECT count(*) FROM rollup_hourly`).Scan(&hourly)
	db.r.QueryRow(`SELECT count(*) FROM rollup_daily`).Scan(&daily)
	size := func() (int64, int64) {
		fi, _ := os.Stat(path)
		wi, _ := os.Stat(path + "-wal")
		var w int64
		if wi != nil {
			w = wi.Size()
		}
		return fi.Size(), w
	}
	f, w := size()
	t.Logf("rows: raw %d, hourly %d, daily %d", raw, hourly, daily)
	t.Logf("size: file %.1f MB + wal %.1f MB (target <= 400 MB for 1,000 checks)", float64(f)/1e6, float64(w)/1e6)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	f, w = size()
	t.Logf("after close: file %.1f MB + wal %.1f MB", float64(f)/1e6, float64(w)/1e6)
	if limit := int64(400e6) * int64(checks) / 1000; f+w > limit {
		t.Errorf("steady-state size %.1f MB exceeds %.1f MB", float64(f+w)/1e6, float64(limit)/1e6)
	}
}

func openSteady(b *testing.B) *DB {
	if *steadyDB == "" {
		b.Skip("needs -steady.db=PATH built by TestSteadyState")
	}
	if _, err := os.Stat(*steadyDB); err != nil {
		b.Skipf("steady db: %v", err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	return openTest(b, *steadyDB, newClock(now), nil)
}

// BenchmarkSteadyUptime is one check's uptime over 24h/30d/365d on the steady-state file.
func BenchmarkSteadyUptime(b *testing.B) {
	db := openSteady(b)
	ctx := context.Background()
	for _, w := range []time.Duration{24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour} {
		b.Run(fmt.Sprintf("window=%dd", int(w.Hours()/24)), func(b *testing.B) {
			for i := range b.N {
				if _, err := db.Uptime(ctx, checkName(i%*steadyChecks), w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSteadySeries is one check's chart over 30 days (hourly and daily steps) and
// its last day of raw results on the steady-state file.
func BenchmarkSteadySeries(b *testing.B) {
	db := openSteady(b)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		since time.Duration
		step  time.Duration
	}{
		{"30d_step1h", 30 * 24 * time.Hour, time.Hour},
		{"30d_step1d", 30 * 24 * time.Hour, 24 * time.Hour},
		{"24h_step5m", 24 * time.Hour, 5 * time.Minute},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for i := range b.N {
				pts, err := db.Series(ctx, checkName(i%*steadyChecks), now.Add(-tc.since), now, tc.step)
				if err != nil || len(pts) == 0 {
					b.Fatal(err, len(pts))
				}
			}
		})
	}
	b.Run("results_24h", func(b *testing.B) {
		for i := range b.N {
			rs, err := db.Results(ctx, checkName(i%*steadyChecks), now.Add(-24*time.Hour), 2000)
			if err != nil || len(rs) == 0 {
				b.Fatal(err, len(rs))
			}
		}
	})
}
