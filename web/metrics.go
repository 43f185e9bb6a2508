package web

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/statusmap/statusmap/monitor"
)

// metrics is the Server's own Prometheus registry. Per-check gauges and counters are
// read from the engine's snapshot at scrape time (so removed checks disappear and the
// persisted counters survive restarts); only the latency histogram is fed run by run.
type metrics struct {
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec

	mu   sync.Mutex
	seen map[string]bool // checks with a latency series
}

var allStatuses = []monitor.Status{
	monitor.StatusOK, monitor.StatusError, monitor.StatusWarn,
	monitor.StatusSkip, monitor.StatusUnknown, monitor.StatusPaused,
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), seen: map[string]bool{}}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "statusmap_check_latency_seconds",
		Help:    "Latency of check runs.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"check"})
	version := s.deps.Info.Version
	if version == "" {
		version = "dev"
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.latency,
		&checkCollector{s: s},
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "statusmap_sse_clients",
			Help: "Open live-page event streams.",
		}, func() float64 { return float64(s.hub.count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "statusmap_telegram_up",
			Help: "1 when statusmap reaches the Telegram Bot API.",
		}, func() float64 {
			if ok, _ := s.health(); ok {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "statusmap_build_info",
			Help:        "Always 1; the version is a label.",
			ConstLabels: prometheus.Labels{"version": version},
		}, func() float64 { return 1 }),
	)
	return m
}

func (m *metrics) observe(r monitor.Result) {
	m.latency.WithLabelValues(r.Check).Observe(r.Latency.Seconds())
	m.mu.Lock()
	m.seen[r.Check] = true
	m.mu.Unlock()
}

// forget drops the latency series of checks that no longer exist (removed from chat or
// by a reload), so dashboards do not keep them forever.
func (m *metrics) forget(current map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.seen {
		if !current[name] {
			m.latency.DeleteLabelValues(name)
			delete(m.seen, name)
		}
	}
}

var (
	descUp = prometheus.NewDesc("statusmap_check_up",
		"1 when the check's status is ok or warn, 0 otherwise.", []string{"check", "type", "host"}, nil)
	descStatus = prometheus.NewDesc("statusmap_check_status",
		"1 for the check's current status, 0 for the others.", []string{"check", "status"}, nil)
	descSuccess = prometheus.NewDesc("statusmap_check_success_total",
		"Runs that passed.", []string{"check"}, nil)
	descFailure = prometheus.NewDesc("statusmap_check_failure_total",
		"Runs that failed.", []string{"check"}, nil)
	descLast = prometheus.NewDesc("statusmap_check_last_run_timestamp_seconds",
		"When the check last ran.", []string{"check"}, nil)
	descTLS = prometheus.NewDesc("statusmap_tls_days_left",
		"Days until the certificate seen by the last run expires.", []string{"check"}, nil)
	descValue = prometheus.NewDesc("statusmap_check_value",
		"Numeric facts of the last run: command perfdata (in base units), database sizes, DNS answers, ...",
		[]string{"check", "name"}, nil)
	descChecks = prometheus.NewDesc("statusmap_checks",
		"Checks scheduled, by status.", []string{"status"}, nil)
)

// emit sends one metric; a label that is not valid UTF-8 (a host written oddly) drops
// that one series instead of failing the scrape.
func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	if m, err := prometheus.NewConstMetric(d, t, v, labels...); err == nil {
		ch <- m
	}
}

// checkCollector turns the engine's snapshot into metrics at scrape time.
type checkCollector struct{ s *Server }

func (c *checkCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descStatus, descSuccess, descFailure, descLast, descTLS, descValue, descChecks} {
		ch <- d
	}
}

func (c *checkCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[monitor.Status]int{}
	views := c.s.deps.Engine.Snapshot()
	current := make(map[string]bool, len(views))
	for _, v := range views {
		name, st := v.Spec.Name, v.State.Status
		current[name] = true
		if st == "" {
			st = monitor.StatusUnknown
		}
		counts[st]++
		up := 0.0
		if st == monitor.StatusOK || st == monitor.StatusWarn {
			up = 1
		}
		emit(ch, descUp, prometheus.GaugeValue, up, name, v.Spec.Type, v.Spec.Host)
		for _, s := range allStatuses {
			val := 0.0
			if s == st {
				val = 1
			}
			emit(ch, descStatus, prometheus.GaugeValue, val, name, string(s))
		}
		emit(ch, descSuccess, prometheus.CounterValue, float64(v.State.SuccessCount), name)
		emit(ch, descFailure, prometheus.CounterValue, float64(v.State.FailCount), name)
		if !v.State.LastCheck.IsZero() {
			emit(ch, descLast, prometheus.GaugeValue, float64(v.State.LastCheck.UnixMilli())/1000, name)
		}
		keys := make([]string, 0, len(v.State.Last.Metrics))
		for k := range v.State.Last.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := v.State.Last.Metrics[k]
			if k == "tls_days_left" {
				emit(ch, descTLS, prometheus.GaugeValue, val, name)
				continue
			}
			emit(ch, descValue, prometheus.GaugeValue, val, name, k)
		}
	}
	c.s.met.forget(current)
	for _, s := range allStatuses {
		emit(ch, descChecks, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
