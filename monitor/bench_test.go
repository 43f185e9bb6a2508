package monitor

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"

	"github.com/statusmap/statusmap/config"
)

// heapProfile writes the live heap with 10,000 checks scheduled, at the end of the window.
var heapProfile = flag.String("bench.heapprofile", "", "heap profile file of BenchmarkEngine10kHTTP with all checks scheduled")

// windowProfile writes a CPU profile of the measured window only (not of the setup).
var windowProfile = flag.String("bench.windowprofile", "", "CPU profile file for the measured window of BenchmarkEngine10kHTTP")

// countSink counts results and wakes a waiter when a target is reached.
type countSink struct {
	n atomic.Int64
	w atomic.Pointer[countWaiter]
}

type countWaiter struct {
	target int64
	done   chan struct{}
	once   sync.Once
}

func (c *countSink) RecordResult(Result, State) {
	n := c.n.Add(1)
	if w := c.w.Load(); w != nil && n >= w.target {
		w.once.Do(func() { close(w.done) })
	}
}

func (c *countSink) waitFor(target int64) {
	w := &countWaiter{target: target, done: make(chan struct{})}
	c.w.Store(w)
	if c.n.Load() >= target {
		w.once.Do(func() { close(w.done) })
	}
	<-w.done
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssBytes reads VmRSS from /proc/self/status (0 when unavailable).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkEngine10kHTTP runs the engine with 10,000 http checks (interval 10s, JSON rule and
// extraction on) against one local server. One op is one executed check. Reported:
// cpu-µs/check (the engine process's CPU from getrusage), server-cpu-µs/check (the target
// server's, in its own process so that it is not counted as the engine's),
// B/check (bytes allocated), rss-MB (resident set with 10,000 checks scheduled), checks/s,
// live-heap-MB and stacks-MB (after a GC at the end of the window), and, after the engine
// has stopped, bare-request-cpu-µs (one bare net/http request to the same server, see
// bareRequests) and x-bare-request, cpu-µs/check in those units.
func BenchmarkEngine10kHTTP(b *testing.B) {
	srv := startBenchServer(b)
	benchEngine(b, srv, func(c *config.Check) {
		c.Type, c.URL = "http", srv.url+"/health"
		c.Expect = config.Expect{Status: []string{"200"}, JSON: []string{`$.resource == "foldwrap"`}}
		c.Extract = map[string]string{"version": "$.version"}
	})
}

// BenchmarkEngine10kHeartbeat is BenchmarkEngine10kHTTP with heartbeat checks, whose probe
// reads memory only: its cpu-µs/check, less BenchmarkSchedulerFloor's, is the engine's own
// cost per check (queue, run, judge, sinks), without the network.
func BenchmarkEngine10kHeartbeat(b *testing.B) {
	benchEngine(b, nil, func(c *config.Check) {
		c.Type, c.Period = "heartbeat", config.Duration(time.Hour)
	})
}

// benchEngine schedules 10,000 checks made by mk (interval 10s) and measures the window in
// which b.N of them run; srv, when set, is the target server whose CPU is reported apart.
func benchEngine(b *testing.B, srv *benchServer, mk func(*config.Check)) {
	const checks = 10000
	// 10s keeps the demand (1,000 checks/s) under what a shared 2-core machine can serve, so
	// the figures are the cost of a check rather than of an overloaded scheduler.
	const benchInterval = 10 * time.Second
	cfg := &config.Config{Defaults: config.Defaults{Interval: config.Duration(benchInterval), Timeout: config.Duration(10 * time.Second)}}
	for i := range checks {
		c := config.Check{Name: fmt.Sprintf("check-%05d", i)}
		mk(&c)
		cfg.Checks = append(cfg.Checks, c)
	}
	cnt := &countSink{}
	e, err := New(cfg, Options{Results: []ResultSink{cnt}})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer e.Stop(context.Background())
	// Warm up: every check has run once (first runs are spread over the interval).
	cnt.waitFor(checks)
	for !allRan(e) {
		time.Sleep(100 * time.Millisecond)
	}

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	n0 := cnt.n.Load()
	cpu0 := cpuTime()
	srvCPU0 := srv.cpu()
	t0 := time.Now()
	if *windowProfile != "" {
		f, err := os.Create(*windowProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cnt.waitFor(n0 + int64(b.N))
	b.StopTimer()
	if *windowProfile != "" {
		pprof.StopCPUProfile()
	}
	wall := time.Since(t0)
	cpu := cpuTime() - cpu0
	srvCPU := srv.cpu() - srvCPU0
	runtime.ReadMemStats(&m1)
	n := cnt.n.Load() - n0
	rss := rssBytes()

	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/check")
	if srv != nil {
		b.ReportMetric(float64(srvCPU.Microseconds())/float64(n), "server-cpu-µs/check")
	}
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n), "B/check")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(n), "allocs/check")
	b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
	b.ReportMetric(float64(n)/wall.Seconds(), "checks/s")
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(m1.HeapAlloc)/(1<<20), "live-heap-MB")
	if *heapProfile != "" {
		f, err := os.Create(*heapProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m1.StackInuse)/(1<<20), "stacks-MB")

	var failed int
	var example string
	for _, v := range e.Snapshot() {
		if st := v.State.Last.Status; !v.State.LastCheck.IsZero() && st != StatusOK && st != StatusUnknown {
			failed++
			example = v.Spec.Name + ": " + v.State.Last.Reason
		}
	}
	if failed > 0 {
		b.Fatalf("%d checks failed their last run, e.g. %s", failed, example)
	}
	if srv == nil {
		return
	}
	// The machine's yardstick, taken in the same process right after the window: the host's
	// load moves both figures together, their ratio much less.
	if err := e.Stop(context.Background()); err != nil {
		b.Fatal(err)
	}
	const bare = 10000
	bareCPU, _ := bareRequests(b, srv.url+"/health", bare)
	perBare := float64(bareCPU.Microseconds()) / bare
	b.ReportMetric(perBare, "bare-request-cpu-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n)/perBare, "x-bare-request")
}

// BenchmarkHTTPFloor is a reference for BenchmarkEngine10kHTTP: the same request to the
// same server process made with a bare net/http client in a loop (64 at a time), without
// the engine. BenchmarkEngine10kHTTP's cpu-µs/check, less this and BenchmarkSchedulerFloor's,
// is what the engine adds.
func BenchmarkHTTPFloor(b *testing.B) {
	srv := startBenchServer(b)
	srvCPU0 := srv.cpu()
	b.ResetTimer()
	cpu, alloc := bareRequests(b, srv.url+"/health", b.N)
	b.StopTimer()
	srvCPU := srv.cpu() - srvCPU0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/check")
	b.ReportMetric(float64(srvCPU.Microseconds())/float64(b.N), "server-cpu-µs/check")
	b.ReportMetric(float64(alloc)/float64(b.N), "B/check")
}

// bareRequests makes n GET requests to url with a bare net/http client, 64 at a time, and
// returns the process CPU and the bytes allocated meanwhile (after a GC, so earlier garbage
// is not charged to them).
func bareRequests(b *testing.B, url string, n int) (time.Duration, uint64) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	cpu0 := cpuTime()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&m1)
	return cpu, m1.TotalAlloc - m0.TotalAlloc
}

// BenchmarkSchedulerFloor is the other reference for BenchmarkEngine10kHTTP: 10,000 gocron
// jobs at the same interval and on the same grid as the engine's, whose task only counts,
// so cpu-µs/run is what one gocron tick costs before the engine does anything (the engine
// keeps one job per check).
func BenchmarkSchedulerFloor(b *testing.B) {
	const jobs = 10000
	const interval = 10 * time.Second
	s, err := gocron.NewScheduler()
	if err != nil {
		b.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	var n atomic.Int64
	seen := make([]atomic.Bool, jobs)
	var first atomic.Int64
	for i := range jobs {
		_, err := s.NewJob(gocron.DurationJob(interval),
			gocron.NewTask(func() {
				n.Add(1)
				if !seen[i].Swap(true) {
					first.Add(1)
				}
			}),
			gocron.WithStartAt(gocron.WithStartDateTime(firstRun(time.Now(), fmt.Sprintf("check-%05d", i), interval))))
		if err != nil {
			b.Fatal(err)
		}
	}
	for first.Load() < jobs {
		time.Sleep(100 * time.Millisecond)
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	n0 := n.Load()
	cpu0 := cpuTime()
	b.ResetTimer()
	for n.Load() < n0+int64(b.N) {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&m1)
	runs := float64(n.Load() - n0)
	b.ReportMetric(float64(cpu.Microseconds())/runs, "cpu-µs/run")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/runs, "B/run")
}

func allRan(e *Engine) bool {
	for _, v := range e.Snapshot() {
		if v.State.LastCheck.IsZero() {
			return false
		}
	}
	return true
}

// benchServerEnv marks the child process that serves BenchmarkEngine10kHTTP's target.
const benchServerEnv = "STATUSMAP_BENCH_SERVER"

// benchServer is an httptest server in a child process (this test binary again): the
// engine's CPU is measured with getrusage on its own process, and a target answering
// 1,000 requests a second is not part of a monitor's cost.
type benchServer struct {
	url string
	cmd *exec.Cmd
}

func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServer$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child exits when its stdin closes
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go io.Copy(io.Discard, stdout)
			return &benchServer{url: u, cmd: cmd}
		}
	}
	b.Fatalf("bench server did not start: %v", sc.Err())
	return nil
}

// cpu reads the child's user+system time from /proc (clock ticks of 10 ms: the measured
// windows last many seconds).
func (s *benchServer) cpu() time.Duration {
	if s == nil {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// TestBenchServer is the child process of startBenchServer; as a plain test it skips.
func TestBenchServer(t *testing.T) {
	if os.Getenv(benchServerEnv) != "1" {
		t.Skip("the target server of BenchmarkEngine10kHTTP, run in its own process")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"resource":"foldwrap","version":"1.4.2","ok":true}`)
	}))
	defer srv.Close()
	fmt.Printf("listening on %s\n", srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}
