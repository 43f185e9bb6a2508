package monitor

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// LastCheckLayout is the original project's time format in status records.
const LastCheckLayout = "02.01.2006 15:04:05"

// StatusRecord is the original project's JSON status record, field for field, plus new
// fields at the end. The JSON names are a contract: scripts and the original frontend read them.
type StatusRecord struct {
	Name         string            `json:"name"`
	Type         string            `json:"type"`
	Interval     int               `json:"interval"`  // seconds
	LastCheck    string            `json:"lastcheck"` // dd.mm.yyyy HH:MM:SS; "" when never checked
	Status       Status            `json:"status"`
	SuccessCount int64             `json:"success_count"`
	FailCount    int64             `json:"fail_count"`
	SuccessRatio float64           `json:"success_ratio"` // 4 decimals
	Dependencies []string          `json:"dependencies"`  // null when none
	Extra        map[string]string `json:"extra"`         // {} when none

	Host      string  `json:"host"`
	Runtime   string  `json:"runtime"`
	Reason    string  `json:"reason"`     // the last run's reason; "" when it passed
	LatencyMS float64 `json:"latency_ms"` // the last run's latency, 0.1 ms precision
	Since     string  `json:"since"`      // when the status began, same layout as lastcheck
}

// Record builds the status record with times in tz (nil: UTC).
func (v CheckView) Record(tz *time.Location) StatusRecord {
	if tz == nil {
		tz = time.UTC
	}
	st := v.State
	status := st.Status
	if status == "" {
		status = StatusUnknown
	}
	r := StatusRecord{
		Name:         v.Spec.Name,
		Type:         v.Spec.Type,
		Interval:     int(v.Spec.Interval.D() / time.Second),
		LastCheck:    formatTime(st.LastCheck, tz),
		Status:       status,
		SuccessCount: st.SuccessCount,
		FailCount:    st.FailCount,
		SuccessRatio: st.SuccessRatio(),
		Extra:        make(map[string]string, len(st.Extra)),
		Host:         v.Spec.Host,
		Runtime:      v.Spec.Runtime,
		Since:        formatTime(st.Since, tz),
	}
	if len(v.Spec.Dependencies) > 0 {
		r.Dependencies = slices.Clone(v.Spec.Dependencies)
	}
	for k, val := range st.Extra {
		r.Extra[k] = val
	}
	if !st.LastCheck.IsZero() {
		if st.Last.Status != StatusOK {
			r.Reason = st.Last.Reason
		}
		r.LatencyMS = float64(st.Last.Latency.Microseconds()/100) / 10
	}
	return r
}

func formatTime(t time.Time, tz *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(tz).Format(LastCheckLayout)
}

// maxLineLen keeps map cells narrow; longer reasons and values are cut with an ellipsis.
const maxLineLen = 48

// MapLines returns the lines shown in the check's map cell: latency of the last run, the
// reason when it is not ok (or the pause), then extra as "key: value" sorted by key.
func (v CheckView) MapLines() []string {
	st := v.State
	var lines []string
	switch {
	case st.Paused:
		if st.PausedUntil.IsZero() {
			lines = append(lines, "paused")
		} else {
			lines = append(lines, "paused until "+st.PausedUntil.Format("02.01 15:04"))
		}
	case !st.LastCheck.IsZero():
		if st.Last.Latency > 0 {
			lines = append(lines, FormatLatency(st.Last.Latency))
		}
		if st.Last.Status != StatusOK && st.Last.Reason != "" {
			lines = append(lines, clip(st.Last.Reason))
		}
	}
	keys := make([]string, 0, len(st.Extra))
	for k := range st.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		lines = append(lines, clip(k+": "+st.Extra[k]))
	}
	return lines
}

// FormatLatency writes a latency the way a person reads it: "0.4 ms", "12 ms", "1.25 s".
func FormatLatency(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + " s"
	}
}

func clip(s string) string {
	r := []rune(s)
	if len(r) <= maxLineLen {
		return s
	}
	return string(r[:maxLineLen-1]) + "…"
}
