// Package monitor runs checks on their intervals and keeps each check's state.
package monitor

import (
	"context"
	"time"

	"github.com/statusmap/statusmap/config"
)

// Status is the shared vocabulary of the API, the bot and the map.
type Status string

const (
	StatusOK      Status = "ok"      // last rule evaluation passed (after thresholds)
	StatusError   Status = "error"   // failed failure_threshold times in a row
	StatusWarn    Status = "warn"    // reachable but degraded
	StatusSkip    Status = "skip"    // not judged: a dependency is error
	StatusUnknown Status = "unknown" // not checked yet
	StatusPaused  Status = "paused"  // paused from chat or config
)

// Outcome is what one probe run found. A probe sets Status to ok, warn or error;
// the engine turns outcomes into states through thresholds and dependencies.
type Outcome struct {
	Status Status
	Reason string // one line: "HTTP 503, want 200"; empty when ok
	Code   int    // protocol code when there is one (HTTP status, exit code, rcode)
	// Latency is set by probes whose latency is not the run's duration (ping: average RTT);
	// zero lets the engine time the run.
	Latency time.Duration
	Extra   map[string]string // facts shown in the map cell (db size, days left, ...)
	// Metrics are numeric facts exported to Prometheus (perfdata, tls_days_left, ...).
	Metrics map[string]float64
}

// Probe runs one check once. The caller owns the timeout through ctx; a probe reads
// ctx.Deadline() when it needs a number. Probes log why they decided what they did to log.
type Probe func(ctx context.Context, c *config.Check, log *RunLog) Outcome

// Result is one executed run, as stored and shown.
type Result struct {
	Check   string
	Time    time.Time // start of the run
	Status  Status    // the probe's verdict: ok, warn or error
	Latency time.Duration
	Code    int
	Reason  string
	Extra   map[string]string
	Metrics map[string]float64
	Log     []string // the run's short log, for /check
}

// State is a check's judged state, the source of the status record.
type State struct {
	Name         string
	Status       Status
	Since        time.Time // when Status began (the incident start for error)
	LastCheck    time.Time
	SuccessCount int64
	FailCount    int64
	ConsecFail   int       // consecutive failed runs
	ConsecOK     int       // consecutive passed runs
	FailSince    time.Time // first run of the current streak of failed runs; zero after a pass
	Last         Result
	Extra        map[string]string // static extra merged with the last successful run's
	PausedUntil  time.Time         // zero: not paused by time; see Paused
	Paused       bool
}

// SuccessRatio is success/(success+fail) rounded to 4 decimals, 0 before any run.
func (s State) SuccessRatio() float64 {
	n := s.SuccessCount + s.FailCount
	if n == 0 {
		return 0
	}
	r := float64(s.SuccessCount) / float64(n)
	return float64(int64(r*10000+0.5)) / 10000
}

// Event is a transition of a check's judged status.
type Event struct {
	Check         string
	From, To      Status
	At            time.Time
	IncidentStart time.Time // when the current error/warn period began; for a recovery, the one that ended
	Result        Result    // the run that caused the transition
}

// EventSink receives transitions. Alerting, the bot and the web page subscribe through it.
type EventSink interface {
	HandleEvent(Event)
}

// ResultSink receives every run with the state after it (storage, metrics).
// It must not block: the check path calls it.
type ResultSink interface {
	RecordResult(Result, State)
}
