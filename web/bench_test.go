package web

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// discardWriter is a ResponseWriter that throws the body away.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// benchEnv is 1,000 checks that have each run once, with runs arriving at 20 a second
// as in a live system of 1,000 checks at a 60 s interval (about 17 a second).
func benchEnv(b *testing.B) *env {
	e := newEnv(b, envOpts{checks: 1000, noStore: true})
	e.eng.RunAll(context.Background())
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				e.srv.resultVer.Add(1)
			}
		}
	}()
	b.Cleanup(func() { close(stop); <-done })
	return e
}

// reportRate reports requests per second of wall time, and the CPU time one request
// costs this process (client and server together): on a shared machine the first
// depends on the neighbours, the second much less.
func reportRate(b *testing.B, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/req")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAPIAll measures /api/all with 1,000 checks: in process (the handler alone)
// and over a real loopback listener, as the original frontend fetches it (gzip) and as
// a script does (plain JSON).
func BenchmarkAPIAll(b *testing.B) {
	e := benchEnv(b)
	h := e.srv.Handler()
	_, body := e.get(b, "/api/all")
	if n := strings.Count(body, `"name":`); n != 1000 {
		b.Fatalf("%d probes", n)
	}
	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		start, cpu0 := time.Now(), cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest("GET", "/api/all", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			w := &discardWriter{h: http.Header{}}
			for pb.Next() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
		reportRate(b, start, cpu0)
	})
	for _, enc := range []string{"gzip", "identity"} {
		b.Run("loopback-"+enc, func(b *testing.B) {
			tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			var bytes atomic.Int64
			// Many clients at once, as browsers and scripts are; two would only measure latency.
			b.SetParallelism(16)
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", e.ts.URL+"/api/all", nil)
					req.Header.Set("Accept-Encoding", enc)
					resp, err := tr.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bytes.Add(n)
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			reportRate(b, start, cpu0)
			b.ReportMetric(float64(bytes.Load())/float64(b.N), "bytes/req")
		})
	}
}

// BenchmarkSSEBroadcast holds 500 open event streams; one op is a status note published
// and received by all 500.
func BenchmarkSSEBroadcast(b *testing.B) {
	const clients = 500
	e := newEnv(b, envOpts{fixed: true, noStore: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	var received atomic.Int64
	var ready sync.WaitGroup
	for range clients {
		ready.Add(1)
		req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/events", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			hello := false
			for sc.Scan() {
				line := sc.Text()
				if !hello && line == "event: hello" {
					hello = true
					ready.Done()
				}
				if line == "event: status" {
					received.Add(1)
				}
			}
		}()
	}
	ready.Wait()
	if n := e.srv.hub.count(); n != clients {
		b.Fatalf("%d clients", n)
	}
	b.ResetTimer()
	for i := range b.N {
		e.srv.hub.publish("status", statusNote{Check: "api", From: "ok", To: "error"})
		want := int64(i+1) * clients
		for received.Load() < want {
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*clients)/b.Elapsed().Seconds(), "deliveries/s")
}
