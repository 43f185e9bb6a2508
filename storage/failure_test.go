package storage

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/statusmap/statusmap/monitor"
)

// TestWritesSurviveALockedDatabase holds a real EXCLUSIVE lock from another connection
// past busy_timeout, so every write fails with "database is locked" as it would when
// another process holds the file. Checks go on (RecordResult never blocks, reads
// work), the failure is logged once a minute, and the held results land once the lock
// is released.
func TestWritesSurviveALockedDatabase(t *testing.T) {
	clk := newClock(t0)
	logs := &syncBuffer{}
	path := filepath.Join(t.TempDir(), "locked.db")
	db := openTest(t, path, clk, func(o *Options) {
		o.BusyTimeout = 50 * time.Millisecond
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	ctx := context.Background()
	db.RecordResult(result("a", t0.Add(-time.Minute), monitor.StatusOK, time.Millisecond), monitor.State{Name: "a", Status: monitor.StatusOK, SuccessCount: 1})
	flush(t, db)

	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=50")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			lock.ExecContext(ctx, "ROLLBACK")
		}
		lock.Close()
	}()

	const n = 500
	start := time.Now()
	for i := range n {
		db.RecordResult(result("a", t0.Add(time.Duration(i)*time.Second), monitor.StatusError, time.Millisecond),
			monitor.State{Name: "a", Status: monitor.StatusError, FailCount: int64(i + 1), SuccessCount: 1})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("RecordResult blocked on a locked file: %v for %d calls", d, n)
	}
	for range 3 {
		err := db.Flush(ctx)
		if err == nil || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("Flush on a locked file: %v, want database is locked", err)
		}
	}
	if st := db.Stats(); !st.WriteFailing || st.WriteErrors < 3 || st.Dropped != 0 {
		t.Errorf("stats while locked: %+v", st)
	}
	if got := strings.Count(logs.String(), "writing results failed"); got != 1 {
		t.Errorf("failure logged %d times within a minute, want 1:\n%s", got, logs.String())
	}
	clk.Add(61 * time.Second)
	db.Flush(ctx)
	if got := strings.Count(logs.String(), "writing results failed"); got != 2 {
		t.Errorf("failure logged %d times after a minute, want 2", got)
	}
	// Direct writes report the failure to the caller instead of hanging.
	if err := db.SetMute(ctx, "a", time.Time{}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("SetMute on a locked file: %v", err)
	}
	// Reads go on (WAL): history and states stay available.
	if rs, err := db.Results(ctx, "a", time.Time{}, 0); err != nil || len(rs) != 1 {
		t.Errorf("Results while locked: %d %v", len(rs), err)
	}

	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	flush(t, db)
	if st := db.Stats(); st.WriteFailing || st.Written != n+1 {
		t.Errorf("stats after recovery: %+v, want %d written", st, n+1)
	}
	if !strings.Contains(logs.String(), "writes resumed") {
		t.Error("recovery not logged")
	}
	rs, err := db.Results(ctx, "a", time.Time{}, 0)
	if err != nil || len(rs) != n+1 {
		t.Fatalf("results after recovery: %d %v, want %d", len(rs), err, n+1)
	}
	st, err := db.LoadStates(ctx)
	if err != nil || st["a"].FailCount != n || st["a"].Status != monitor.StatusError {
		t.Errorf("state after recovery: %+v %v", st["a"], err)
	}
}

// TestKillWithoutClose runs a child process that commits results, state, an alerted
// incident and an outbox item, then is killed with SIGKILL (no Close, no checkpoint).
// Everything it committed must be in the file when it is opened again.
func TestKillWithoutClose(t *testing.T) {
	if os.Getenv("STATUSMAP_STORAGE_CHILD") != "" {
		t.Skip("child process")
	}
	path := filepath.Join(t.TempDir(), "killed.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), "STATUSMAP_STORAGE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatal("child exited before READY")
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child not ready in 60s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Errorf("no WAL left by the killed process (%v); the test would not exercise WAL recovery", err)
	}

	db := openTest(t, path, newClock(t0.Add(time.Hour)), nil)
	ctx := context.Background()
	rs, err := db.Results(ctx, "api", time.Time{}, 0)
	if err != nil || len(rs) != 100 {
		t.Fatalf("results after kill: %d %v, want 100", len(rs), err)
	}
	st, err := db.LoadStates(ctx)
	if err != nil || st["api"].FailCount != 3 || st["api"].SuccessCount != 97 || st["api"].ConsecFail != 3 ||
		st["api"].Status != monitor.StatusError || !st["api"].Since.Equal(t0.Add(97*time.Minute)) {
		t.Errorf("state after kill: %+v %v", st["api"], err)
	}
	inc, err := db.OpenIncidents(ctx)
	if err != nil || len(inc) != 1 || !inc[0].Alerted || inc[0].Check != "api" {
		t.Errorf("incidents after kill: %+v %v", inc, err)
	}
	p, err := db.Pending(ctx, 0)
	if err != nil || len(p) != 1 || string(p[0].Payload) != "api is down" {
		t.Errorf("outbox after kill: %+v %v", p, err)
	}
}

// TestKillChild is the child of TestKillWithoutClose; it does nothing in a normal run.
func TestKillChild(t *testing.T) {
	path := os.Getenv("STATUSMAP_STORAGE_CHILD")
	if path == "" {
		t.Skip("only runs as the child of TestKillWithoutClose")
	}
	clk := newClock(t0.Add(100 * time.Minute))
	db, err := Open(context.Background(), path, Options{Now: clk.Now, MaintainInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var s monitor.State
	for i := range 100 {
		st := monitor.StatusOK
		at := t0.Add(time.Duration(i) * time.Minute)
		r := result("api", at, st, time.Millisecond)
		s.Name, s.LastCheck, s.Last = "api", at, r
		if i >= 97 {
			r = result("api", at, monitor.StatusError, time.Millisecond)
			s.FailCount++
			s.ConsecFail++
			if i == 97 {
				s.Since = at
			}
			s.Status = monitor.StatusError
		} else {
			s.SuccessCount++
			s.Status = monitor.StatusOK
		}
		db.RecordResult(r, s)
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := db.OpenIncident(ctx, "api", t0.Add(97*time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, 42, "alert", []byte("api is down")); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkAlerted(ctx, id); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	time.Sleep(time.Minute) // killed here
}
