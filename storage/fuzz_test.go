package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
)

// FuzzRoundTrip stores whatever a probe or a chat user may produce (names, reasons,
// extra, latencies, codes, check specs) and checks it comes back unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("api", "HTTP 503, want 200", "version", "1.2", int64(1500), 503, int64(0), "http://127.0.0.1/")
	f.Add("📦 foldwrap", "", "", "", int64(0), 0, int64(-1), "")
	f.Add("x'; DROP TABLE results; --", "timeout\nsecond line", "k\x00", "v\xff", int64(1<<40), -1, int64(1<<50), "\x00")
	f.Add("*", "Ошибка соединения", "диск", "12 МБ", int64(-5), 1<<31-1, int64(123456789), "tcp://[::1]:5432")
	dir := f.TempDir()
	clk := newClock(t0)
	db, err := Open(context.Background(), filepath.Join(dir, "fuzz.db"), Options{Now: clk.Now, MaintainInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	ctx := context.Background()
	n := int64(0)
	f.Fuzz(func(t *testing.T, name, reason, ek, ev string, latUS int64, code int, tOff int64, url string) {
		if name == "" {
			return
		}
		n++
		at := t0.Add(time.Duration(n) * time.Hour).Add(time.Duration(tOff%1e6) * time.Millisecond)
		r := monitor.Result{Check: name, Time: at, Status: monitor.StatusError, Latency: time.Duration(latUS) * time.Microsecond,
			Code: code, Reason: reason, Extra: map[string]string{ek: ev}}
		db.RecordResult(r, monitor.State{Name: name, Status: monitor.StatusError, Last: r, Extra: map[string]string{ek: ev}, FailCount: n})
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		rs, err := db.Results(ctx, name, at, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || !rs[0].Time.Equal(at.Truncate(time.Millisecond)) || rs[0].Reason != reason || rs[0].Code != code ||
			rs[0].Latency != r.Latency || rs[0].Status != monitor.StatusError {
			t.Fatalf("result round trip: got %+v, want %+v", rs, r)
		}
		states, err := db.LoadStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := states[name]
		if s.FailCount != n || s.Last.Code != code {
			t.Fatalf("state round trip: %+v", s)
		}
		// JSON replaces invalid UTF-8; valid text must survive exactly.
		if utf8.ValidString(ek) && utf8.ValidString(ev) && utf8.ValidString(reason) &&
			(s.Extra[ek] != ev || s.Last.Reason != reason) {
			t.Fatalf("state text: %+v", s)
		}
		c := config.Check{Name: name, Type: "http", URL: url, Extra: map[string]string{ek: ev}}
		if err := db.SaveCheck(ctx, c); err != nil {
			t.Fatal(err)
		}
		checks, err := db.Checks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range checks {
			if g.Name == name {
				found = true
				if utf8.ValidString(url) && g.URL != url {
					t.Fatalf("check url %q, want %q", g.URL, url)
				}
			}
		}
		if !found {
			t.Fatalf("check %q not found after SaveCheck", name)
		}
		if err := db.SetMute(ctx, name, at); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteCheck(ctx, name); err != nil {
			t.Fatal(err)
		}
	})
}
