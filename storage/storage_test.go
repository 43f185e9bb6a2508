package storage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// syncBuffer is a log sink safe for the writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openTest(t testing.TB, path string, clk *clock, mod func(*Options)) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "statusmap.db")
	}
	opt := Options{Now: clk.Now, MaintainInterval: -1}
	if mod != nil {
		mod(&opt)
	}
	db, err := Open(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func flush(t testing.TB, db *DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func result(check string, at time.Time, st monitor.Status, lat time.Duration) monitor.Result {
	r := monitor.Result{Check: check, Time: at, Status: st, Latency: lat, Code: 200}
	if st == monitor.StatusError {
		r.Code, r.Reason = 503, "HTTP 503, want 200"
	}
	return r
}

func TestRecordAndLoadStates(t *testing.T) {
	clk := newClock(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path, clk, nil)
	last := monitor.Result{Check: "api", Time: t0, Status: monitor.StatusError, Latency: 1500 * time.Microsecond,
		Code: 503, Reason: "HTTP 503, want 200", Extra: map[string]string{"version": "1.2"},
		Metrics: map[string]float64{"tls_days_left": 40}, Log: []string{"GET /", "503"}}
	want := monitor.State{Name: "api", Status: monitor.StatusError, Since: t0.Add(-time.Minute), LastCheck: t0,
		SuccessCount: 1467, FailCount: 1973, ConsecFail: 3, ConsecOK: 0, Last: last,
		Extra: map[string]string{"db": "12 MB"}, PausedUntil: t0.Add(time.Hour), Paused: true}
	db.RecordResult(result("api", t0.Add(-time.Minute), monitor.StatusError, time.Millisecond), want)
	db.RecordResult(last, want)
	db.RecordResult(result("db", t0, monitor.StatusOK, time.Millisecond), monitor.State{Name: "db", Status: monitor.StatusOK, Since: t0, LastCheck: t0, SuccessCount: 1})
	flush(t, db)

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openTest(t, path, clk, nil)
	got, err := db2.LoadStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("states: got %d, want 2", len(got))
	}
	g := got["api"]
	if g.Status != want.Status || !g.Since.Equal(want.Since) || !g.LastCheck.Equal(want.LastCheck) ||
		g.SuccessCount != want.SuccessCount || g.FailCount != want.FailCount || g.ConsecFail != want.ConsecFail ||
		g.ConsecOK != want.ConsecOK || !g.PausedUntil.Equal(want.PausedUntil) || g.Paused != want.Paused ||
		g.Extra["db"] != "12 MB" {
		t.Errorf("state: got %+v\nwant %+v", g, want)
	}
	if g.Last.Reason != last.Reason || g.Last.Code != 503 || g.Last.Latency != last.Latency || !g.Last.Time.Equal(last.Time) ||
		g.Last.Extra["version"] != "1.2" || g.Last.Metrics["tls_days_left"] != 40 || len(g.Last.Log) != 2 {
		t.Errorf("last result: got %+v", g.Last)
	}
	rs, err := db2.Results(context.Background(), "api", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || !rs[0].Time.Equal(t0) || rs[0].Status != monitor.StatusError || rs[0].Reason != last.Reason ||
		rs[0].Latency != 1500*time.Microsecond || rs[1].Code != 503 {
		t.Errorf("results: %+v", rs)
	}
}

func TestResultsOrderLimitSinceAndSameMillisecond(t *testing.T) {
	clk := newClock(t0)
	db := openTest(t, "", clk, nil)
	for i := range 10 {
		db.RecordResult(result("a", t0.Add(time.Duration(i)*time.Minute), monitor.StatusOK, time.Duration(i)*time.Millisecond), monitor.State{Name: "a"})
	}
	// Same millisecond twice: both kept.
	db.RecordResult(result("b", t0, monitor.StatusOK, time.Millisecond), monitor.State{Name: "b"})
	db.RecordResult(result("b", t0, monitor.StatusError, 2*time.Millisecond), monitor.State{Name: "b"})
	flush(t, db)
	ctx := context.Background()
	tests := []struct {
		name  string
		check string
		since time.Time
		limit int
		want  []int // minutes after t0, newest first
	}{
		{"all", "a", time.Time{}, 0, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"limit", "a", time.Time{}, 3, []int{9, 8, 7}},
		{"since", "a", t0.Add(7 * time.Minute), 0, []int{9, 8, 7}},
		{"unknown", "zzz", time.Time{}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := db.Results(ctx, tt.check, tt.since, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != len(tt.want) {
				t.Fatalf("got %d results, want %d", len(rs), len(tt.want))
			}
			for i, m := range tt.want {
				if !rs[i].Time.Equal(t0.Add(time.Duration(m) * time.Minute)) {
					t.Errorf("result %d at %v, want +%dm", i, rs[i].Time, m)
				}
			}
		})
	}
	rs, err := db.Results(ctx, "b", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Time.Sub(rs[0].Time).Abs() != time.Millisecond {
		t.Errorf("same-millisecond results: %+v", rs)
	}
}

func TestChatStateRoundTrip(t *testing.T) {
	clk := newClock(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path, clk, nil)
	ctx := context.Background()
	f := false
	c := config.Check{Name: "my_api", Type: "http", URL: "http://127.0.0.1:8080/health",
		Interval: config.Duration(30 * time.Second), Important: &f, Headers: map[string]string{"X": "y"},
		Expect: config.Expect{Status: []string{"2xx"}}, Dependencies: []string{"server"}}
	if err := db.SaveCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveCheck(ctx, config.Check{Name: "other", Type: "tcp", Address: "127.0.0.1:22"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMute(ctx, "*", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMute(ctx, "old", t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMute(ctx, "forever", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPause(ctx, "my_api", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveChat(ctx, -100123, "ops"); err != nil {
		t.Fatal(err)
	}
	tok, err := db.HeartbeatToken(ctx, "backup")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 32 {
		t.Errorf("token %q: want 32 hex chars", tok)
	}
	db.Close()

	db = openTest(t, path, clk, nil)
	checks, err := db.Checks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 2 || checks[0].Name != "my_api" || checks[0].Source != "chat" || checks[0].URL != c.URL ||
		checks[0].Interval != c.Interval || checks[0].IsImportant() || checks[0].Headers["X"] != "y" ||
		checks[0].Expect.Status[0] != "2xx" || checks[0].Dependencies[0] != "server" {
		t.Errorf("checks: %+v", checks)
	}
	mutes, err := db.Mutes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(mutes) != 2 || !mutes["*"].Equal(t0.Add(time.Hour)) || !mutes["forever"].IsZero() {
		t.Errorf("mutes: %v", mutes)
	}
	clk.Add(90 * time.Minute)
	mutes, _ = db.Mutes(ctx)
	if _, ok := mutes["*"]; ok || len(mutes) != 1 {
		t.Errorf("mutes after expiry: %v", mutes)
	}
	pauses, _ := db.Pauses(ctx)
	if !pauses["my_api"].Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("pauses: %v", pauses)
	}
	if err := db.DeletePause(ctx, "my_api"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMute(ctx, "forever"); err != nil {
		t.Fatal(err)
	}
	pauses, _ = db.Pauses(ctx)
	mutes, _ = db.Mutes(ctx)
	if len(pauses) != 0 || len(mutes) != 0 {
		t.Errorf("after delete: pauses %v mutes %v", pauses, mutes)
	}
	tok2, err := db.HeartbeatToken(ctx, "backup")
	if err != nil || tok2 != tok {
		t.Errorf("token after restart: %q, %v; want %q", tok2, err, tok)
	}
	if name, err := db.HeartbeatCheck(ctx, tok); err != nil || name != "backup" {
		t.Errorf("HeartbeatCheck: %q %v", name, err)
	}
	if _, err := db.HeartbeatCheck(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("HeartbeatCheck unknown: %v", err)
	}
	other, _ := db.HeartbeatToken(ctx, "other")
	if other == tok {
		t.Error("two checks got the same token")
	}
	chats, err := db.Chats(ctx)
	if err != nil || len(chats) != 1 || chats[0].ID != -100123 || chats[0].Title != "ops" {
		t.Errorf("chats: %+v %v", chats, err)
	}
	if err := db.DeleteCheck(ctx, "my_api"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteCheck(ctx, "my_api"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	checks, _ = db.Checks(ctx)
	if len(checks) != 1 || checks[0].Name != "other" {
		t.Errorf("checks after delete: %+v", checks)
	}
}

func TestIncidentsSurviveRestart(t *testing.T) {
	clk := newClock(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path, clk, nil)
	ctx := context.Background()
	id, err := db.OpenIncident(ctx, "api", t0, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.OpenIncident(ctx, "api", t0.Add(time.Minute), "")
	if err != nil || again != id {
		t.Fatalf("second open: %d %v, want %d", again, err, id)
	}
	if err := db.MarkAlerted(ctx, id); err != nil {
		t.Fatal(err)
	}
	id2, err := db.OpenIncident(ctx, "web", t0.Add(time.Second), "server")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAlerted(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkAlerted unknown: %v", err)
	}
	db.Close()

	db = openTest(t, path, clk, nil)
	open, err := db.OpenIncidents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Incident{
		{ID: id, Check: "api", Start: t0, Alerted: true},
		{ID: id2, Check: "web", Start: t0.Add(time.Second), RootCause: "server"},
	}
	if len(open) != len(want) {
		t.Fatalf("open incidents: %+v", open)
	}
	for i := range want {
		g, w := open[i], want[i]
		if g.ID != w.ID || g.Check != w.Check || !g.Start.Equal(w.Start) || !g.End.IsZero() || g.RootCause != w.RootCause || g.Alerted != w.Alerted {
			t.Errorf("incident %d: got %+v, want %+v", i, g, w)
		}
	}
	if err := db.CloseIncident(ctx, "api", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.CloseIncident(ctx, "api", t0.Add(11*time.Minute)); err != nil {
		t.Errorf("closing twice: %v", err)
	}
	open, _ = db.OpenIncidents(ctx)
	if len(open) != 1 || open[0].Check != "web" {
		t.Errorf("after close: %+v", open)
	}
	hist, err := db.Incidents(ctx, "api", time.Time{}, 0)
	if err != nil || len(hist) != 1 || !hist[0].End.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("history: %+v %v", hist, err)
	}
	// A new error period after recovery is a new incident.
	id3, err := db.OpenIncident(ctx, "api", t0.Add(time.Hour), "")
	if err != nil || id3 == id {
		t.Errorf("reopen: %d %v", id3, err)
	}
}

func TestOutbox(t *testing.T) {
	clk := newClock(t0)
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path, clk, nil)
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		id, err := db.Enqueue(ctx, int64(100+i%2), "alert", []byte{byte('a' + i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := db.MarkSent(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	next := t0.Add(30 * time.Second)
	if err := db.Retry(ctx, ids[0], next, "HTTP 429"); err != nil {
		t.Fatal(err)
	}
	if err := db.Retry(ctx, 12345, next, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry unknown: %v", err)
	}
	db.Close()
	db = openTest(t, path, clk, nil)
	p, err := db.Pending(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 4 || p[0].ID != ids[0] || p[1].ID != ids[2] || p[3].ID != ids[4] {
		t.Fatalf("pending: %+v", p)
	}
	if p[0].Attempts != 1 || !p[0].NextAttempt.Equal(next) || p[0].LastError != "HTTP 429" || string(p[0].Payload) != "a" ||
		p[0].ChatID != 100 || p[0].Kind != "alert" || !p[0].Created.Equal(t0) {
		t.Errorf("first pending: %+v", p[0])
	}
	if p, _ := db.Pending(ctx, 2); len(p) != 2 {
		t.Errorf("limit: %d", len(p))
	}
	// Delivered items are kept 30 days, then pruned by maintenance.
	clk.Add(31 * 24 * time.Hour)
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.r.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("outbox rows after prune: %d, want 4", n)
	}
}

func TestRecordResultNeverBlocks(t *testing.T) {
	clk := newClock(t0)
	logs := &syncBuffer{}
	db := openTest(t, "", clk, func(o *Options) {
		o.QueueSize = 4
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	// Hold the writer connection so the queue cannot drain.
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A flush marker makes the writer wait for the held connection.
	db.RecordResult(result("a", t0.Add(-time.Second), monitor.StatusOK, time.Millisecond), monitor.State{Name: "a"})
	flushed := make(chan error, 1)
	go func() { flushed <- db.Flush(context.Background()) }()
	for db.Stats().Queued > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	for i := range 1000 {
		db.RecordResult(result("a", t0.Add(time.Duration(i)*time.Second), monitor.StatusOK, time.Millisecond), monitor.State{Name: "a"})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("RecordResult blocked: 1000 calls took %v", d)
	}
	conn.Close()
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	flush(t, db)
	st := db.Stats()
	if st.Dropped != 1000-4 || st.Written != 1+4 {
		t.Errorf("stats: %+v, want 996 dropped and 5 written", st)
	}
	if n := bytes.Count([]byte(logs.String()), []byte("queue full")); n != 1 {
		t.Errorf("drop log lines: %d, want 1 (rate-limited)\n%s", n, logs.String())
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", "empty path"},
		{"directory", dir, "storage " + dir},
		{"missing parent", filepath.Join(dir, "no", "such", "dir", "s.db"), "storage "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.path, Options{MaintainInterval: -1})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestUseAfterClose(t *testing.T) {
	db := openTest(t, "", newClock(t0), nil)
	db.RecordResult(result("a", t0, monitor.StatusOK, time.Millisecond), monitor.State{Name: "a"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	db.RecordResult(result("a", t0.Add(time.Minute), monitor.StatusOK, time.Millisecond), monitor.State{Name: "a"})
	if err := db.Flush(context.Background()); err == nil {
		t.Error("Flush after Close succeeded")
	}
	if st := db.Stats(); st.Written != 1 || st.Dropped != 1 {
		t.Errorf("stats: %+v, want 1 written (flushed by Close) and 1 dropped", st)
	}
}
