package storage

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

type genRun struct {
	t    time.Time
	fail bool
	lat  time.Duration
}

// history simulates two checks at 60 s for days, maintaining every simulated hour as the
// background job would, and returns the runs of check "a".
func history(t *testing.T, db *DB, clk *clock, start time.Time, days int) []genRun {
	t.Helper()
	ctx := context.Background()
	var runs []genRun
	n := days * 1440
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		clk.Set(at)
		fail := (i/37)%5 == 0 || (i > 5000 && i < 5200)
		lat := time.Duration(i%100+1) * time.Millisecond
		st := monitor.StatusOK
		if fail {
			st = monitor.StatusError
		} else if i%11 == 0 {
			st = monitor.StatusWarn // warn counts as up
		}
		runs = append(runs, genRun{at, fail, lat})
		if err := db.enqueue(ctx, result("a", at, st, lat), monitor.State{Name: "a", Status: st}); err != nil {
			t.Fatal(err)
		}
		if err := db.enqueue(ctx, result("b", at, monitor.StatusOK, time.Millisecond), monitor.State{Name: "b"}); err != nil {
			t.Fatal(err)
		}
		if i%60 == 59 {
			flush(t, db)
			if err := db.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	flush(t, db)
	return runs
}

func brute(runs []genRun, from, to time.Time) (checks, failures int, lats []time.Duration) {
	for _, r := range runs {
		if !r.t.Before(from) && r.t.Before(to) {
			checks++
			if r.fail {
				failures++
			}
			lats = append(lats, r.lat)
		}
	}
	return
}

func p95(l []time.Duration) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(math.Ceil(float64(len(s))*0.95))-1]
}

func TestRollupsUptimeSeriesAndRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates ten days")
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := newClock(start)
	ret := config.Retention{Raw: config.Duration(3 * 24 * time.Hour), Hourly: config.Duration(8 * 24 * time.Hour), Daily: config.Duration(365 * 24 * time.Hour)}
	db := openTest(t, "", clk, func(o *Options) { o.Retention = ret })
	runs := history(t, db, clk, start, 10)
	ctx := context.Background()
	now := start.Add(10 * 24 * time.Hour) // on an hour boundary: window heads are whole hours
	clk.Set(now)
	db.lastPrune = time.Time{} // the last pass was a minute ago; pruning waits pruneEvery otherwise
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("retention", func(t *testing.T) {
		var rawOld, hourlyOld, daily, hourly int
		db.r.QueryRow(`SELECT count(*) FROM results WHERE time < ?`, now.Add(-3*24*time.Hour).UnixMilli()).Scan(&rawOld)
		db.r.QueryRow(`SELECT count(*) FROM rollup_hourly WHERE hour < ?`, now.Add(-8*24*time.Hour).Unix()/3600).Scan(&hourlyOld)
		db.r.QueryRow(`SELECT count(*) FROM rollup_daily`).Scan(&daily)
		db.r.QueryRow(`SELECT count(*) FROM rollup_hourly`).Scan(&hourly)
		if rawOld != 0 || hourlyOld != 0 {
			t.Errorf("expired rows left: raw %d hourly %d", rawOld, hourlyOld)
		}
		// The tenth day ended at now; it closes after the grace period.
		if daily != 2*9 {
			t.Errorf("daily rollups: %d, want 18 (2 checks x 9 closed days)", daily)
		}
		if hourly < 2*8*24-2 || hourly > 2*8*24+2 {
			t.Errorf("hourly rollups: %d, want about %d", hourly, 2*8*24)
		}
	})

	t.Run("uptime", func(t *testing.T) {
		for _, w := range []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour} {
			c, f, _ := brute(runs, now.Add(-w), now.Add(time.Millisecond))
			want := float64(c-f) / float64(c)
			got, err := db.Uptime(ctx, "a", w)
			if err != nil {
				t.Fatalf("%v: %v", w, err)
			}
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("uptime %v: got %.6f, want %.6f (%d runs, %d failures)", w, got, want, c, f)
			}
		}
		if u, err := db.Uptime(ctx, "b", 24*time.Hour); err != nil || u != 1 {
			t.Errorf("uptime b: %v %v", u, err)
		}
		if _, err := db.Uptime(ctx, "nope", time.Hour); !errors.Is(err, ErrNoData) {
			t.Errorf("unknown check: %v", err)
		}
	})

	t.Run("series", func(t *testing.T) {
		tests := []struct {
			name       string
			since      time.Time
			step       time.Duration
			exactP95   bool
			wantPoints int
		}{
			{"5m raw", now.Add(-6 * time.Hour), 5 * time.Minute, true, 72},
			{"1h hourly+raw", now.Add(-48 * time.Hour), time.Hour, true, 48},
			// The last day is not rolled up yet: its p95 is the largest of its parts'.
			{"24h daily+hourly+raw", now.Add(-9 * 24 * time.Hour), 24 * time.Hour, false, 9},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				pts, err := db.Series(ctx, "a", tt.since, now, tt.step)
				if err != nil {
					t.Fatal(err)
				}
				if len(pts) != tt.wantPoints {
					t.Fatalf("points: %d, want %d", len(pts), tt.wantPoints)
				}
				for i, p := range pts {
					c, f, l := brute(runs, p.Time, p.Time.Add(tt.step))
					var sum time.Duration
					for _, x := range l {
						sum += x
					}
					avg := sum / time.Duration(c)
					if p.Checks != c || p.Failures != f {
						t.Errorf("%v: checks %d failures %d, want %d %d", p.Time, p.Checks, p.Failures, c, f)
					}
					if (p.AvgLatency - avg).Abs() > 2*time.Microsecond {
						t.Errorf("%v: avg %v, want %v", p.Time, p.AvgLatency, avg)
					}
					if (tt.exactP95 || i < len(pts)-1) && p.P95Latency != p95(l) {
						t.Errorf("%v: p95 %v, want %v", p.Time, p.P95Latency, p95(l))
					}
				}
			})
		}
		if _, err := db.Series(ctx, "a", now.Add(-365*24*time.Hour), now, time.Second); err == nil {
			t.Error("a 31M-point series was not refused")
		}
		if _, err := db.Series(ctx, "a", now.Add(-time.Hour), now, 0); err == nil {
			t.Error("zero step was not refused")
		}
	})
}

func TestDailyFromHourlyWhenRawIsGone(t *testing.T) {
	// The service was down for days: the hours were rolled up, then raw expired before
	// the day was; the day is built from its hours.
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := newClock(start)
	ret := config.Retention{Raw: config.Duration(24 * time.Hour), Hourly: config.Duration(30 * 24 * time.Hour), Daily: config.Duration(365 * 24 * time.Hour)}
	db := openTest(t, "", clk, func(o *Options) { o.Retention = ret })
	ctx := context.Background()
	for i := range 1440 {
		at := start.Add(time.Duration(i) * time.Minute)
		st := monitor.StatusOK
		if i < 144 {
			st = monitor.StatusError
		}
		if err := db.enqueue(ctx, result("a", at, st, time.Duration(i%10+1)*time.Millisecond), monitor.State{Name: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, db)
	// Roll up hours but not the day (its hours are closed only at 00:02 next day).
	clk.Set(start.Add(23*time.Hour + 30*time.Minute))
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(24*time.Hour + 5*time.Minute))
	if err := db.rollupHours(ctx, clk.Now(), []int64{1}); err != nil {
		t.Fatal(err)
	}
	// Raw expires; then the day closes.
	clk.Set(start.Add(3 * 24 * time.Hour))
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	db.r.QueryRow(`SELECT count(*) FROM results`).Scan(&n)
	if n != 0 {
		t.Fatalf("raw rows: %d, want 0", n)
	}
	pts, err := db.Series(ctx, "a", start, start.Add(24*time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Checks != 1440 || pts[0].Failures != 144 || pts[0].P95Latency != 10*time.Millisecond {
		t.Errorf("day from hours: %+v", pts)
	}
	if u, err := db.Uptime(ctx, "a", 3*24*time.Hour); err != nil || math.Abs(u-0.9) > 1e-12 {
		t.Errorf("uptime: %v %v, want 0.9", u, err)
	}
}

func TestMaintenanceJobRunsInBackground(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := newClock(start)
	db := openTest(t, "", clk, func(o *Options) { o.MaintainInterval = 10 * time.Millisecond })
	for i := range 120 {
		db.RecordResult(result("a", start.Add(time.Duration(i)*time.Minute), monitor.StatusOK, time.Millisecond), monitor.State{Name: "a"})
	}
	flush(t, db)
	clk.Set(start.Add(3 * time.Hour))
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		db.r.QueryRow(`SELECT count(*) FROM rollup_hourly`).Scan(&n)
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hourly rollups after 10s: %d, want 2", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
