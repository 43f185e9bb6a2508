package alerting

import (
	"sort"
	"testing"
	"time"
)

// BenchmarkEventToBotAPI measures the latency from a transition event to the message
// reaching the Bot API fake, through grouping (group_wait 0), the SQLite outbox, the
// limiter and the real bot. The simulated clock moves 2s between events so no rate limit
// applies; latencies are wall-clock.
func BenchmarkEventToBotAPI(b *testing.B) {
	h := newHarness(b, simpleConfig(1, "alerting: {group_wait: 0, flap: {max_changes: 1000, window: 1m}}\n"), nil)
	h.start()
	settle()
	lat := make([]time.Duration, 0, b.N)
	from, to := okS, errS
	b.ResetTimer()
	for i := range b.N {
		h.clk.Advance(2 * time.Second)
		start := time.Now()
		h.event("c00", from, to, "refused")
		if _, err := h.fake.WaitSent(chatA, i+1, 5*time.Second); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		from, to = to, from
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}
