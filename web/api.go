package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/storage"
)

// allResponse is the original project's /api/all shape.
type allResponse struct {
	Client     string                 `json:"client"`
	TimeClient string                 `json:"time_client"`
	Probes     []monitor.StatusRecord `json:"probes"`
}

// apiCache holds the last /api/all body. Pages, frontends and scrapers poll it; building
// it walks every check, so one body serves all requests until a status changes, the
// clock's second (time_client) changes, or runs happened and it is older than apiMaxAge.
type apiCache struct {
	mu        sync.Mutex
	resultVer uint64
	statusVer uint64
	second    int64
	built     time.Time
	body, gz  []byte
}

// apiMaxAge is how stale lastcheck and counters may be in /api/all when only runs (no
// status changes) happened.
const apiMaxAge = time.Second

func (s *Server) allBody() (body, gz []byte) {
	now := s.now()
	rv, sv := s.resultVer.Load(), s.statusVer.Load()
	c := &s.api
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := c.body != nil && c.statusVer == sv && c.second == now.Unix() &&
		(c.resultVer == rv || time.Since(c.built) < apiMaxAge)
	if fresh {
		return c.body, c.gz
	}
	views := s.deps.Engine.Snapshot()
	resp := allResponse{
		Client:     s.client,
		TimeClient: now.In(s.tz).Format(monitor.LastCheckLayout),
		Probes:     make([]monitor.StatusRecord, len(views)),
	}
	for i, v := range views {
		resp.Probes[i] = v.Record(s.tz)
	}
	var buf bytes.Buffer
	buf.Grow(len(views)*400 + 100)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil { // plain strings and numbers: cannot fail
		s.log.Error("encode /api/all", "err", err)
	}
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestSpeed)
	_, _ = zw.Write(buf.Bytes())
	_ = zw.Close()
	c.body, c.gz = buf.Bytes(), zb.Bytes()
	c.resultVer, c.statusVer, c.second, c.built = rv, sv, now.Unix(), time.Now()
	return c.body, c.gz
}

func (s *Server) handleAll(w http.ResponseWriter, r *http.Request) {
	body, gz := s.allBody()
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept-Encoding")
	// The original frontend may be served from elsewhere: the data is read-only.
	if !hasAuth(s.cfg.Auth) {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(gz)))
		_, _ = w.Write(gz)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

func (s *Server) handleProbe(w http.ResponseWriter, r *http.Request) {
	v, ok := s.deps.Engine.Get(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusNotFound, "no check named "+strconv.Quote(r.PathValue("name")))
		return
	}
	writeJSON(w, http.StatusOK, v.Record(s.tz))
}

type infoJSON struct {
	Client        string         `json:"client"`
	Version       string         `json:"version"`
	Started       string         `json:"started"`
	UptimeSeconds int64          `json:"uptime_seconds"`
	Timezone      string         `json:"timezone"`
	Checks        int            `json:"checks"`
	Counts        map[string]int `json:"counts"`
	History       bool           `json:"history"`
	Health        healthJSON     `json:"health"`
	SSEClients    int            `json:"sse_clients"`
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	views := s.deps.Engine.Snapshot()
	counts := map[string]int{}
	for _, v := range views {
		st := v.State.Status
		if st == "" {
			st = monitor.StatusUnknown
		}
		counts[string(st)]++
	}
	ok, since := s.health()
	now := s.now()
	version := s.deps.Info.Version
	if version == "" {
		version = "dev"
	}
	writeJSON(w, http.StatusOK, infoJSON{
		Client:        s.client,
		Version:       version,
		Started:       s.started.In(s.tz).Format(monitor.LastCheckLayout),
		UptimeSeconds: int64(now.Sub(s.started) / time.Second),
		Timezone:      s.tz.String(),
		Checks:        len(views),
		Counts:        counts,
		History:       s.deps.History != nil,
		Health:        s.healthInfo(ok, since),
		SSEClients:    s.hub.count(),
	})
}

type resultJSON struct {
	Time      string         `json:"time"` // RFC 3339 in web.timezone
	Status    monitor.Status `json:"status"`
	LatencyMS float64        `json:"latency_ms"`
	Code      int            `json:"code"`
	Reason    string         `json:"reason"`
}

type pointJSON struct {
	Time         string  `json:"time"`
	Checks       int     `json:"checks"`
	Failures     int     `json:"failures"`
	AvgLatencyMS float64 `json:"avg_latency_ms"`
	P95LatencyMS float64 `json:"p95_latency_ms"`
}

type historyJSON struct {
	Name    string              `json:"name"`
	Since   string              `json:"since"`
	Until   string              `json:"until"`
	Step    string              `json:"step"`
	Uptime  map[string]*float64 `json:"uptime"` // window -> 0..1, null without runs
	Results []resultJSON        `json:"results"`
	Series  []pointJSON         `json:"series"`
	Log     []string            `json:"log"` // the last run's log
}

// historySteps are the bucket sizes a history picks from: the smallest giving at most
// maxHistoryPoints buckets.
var historySteps = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}

const maxHistoryPoints = 300

// handleHistory: /api/checks/NAME/history?since=24h[&step=1h][&limit=100].
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, ok := s.deps.Engine.Get(name)
	if !ok {
		writeError(w, http.StatusNotFound, "no check named "+strconv.Quote(name))
		return
	}
	if s.deps.History == nil {
		writeError(w, http.StatusServiceUnavailable, "no history: storage is not configured")
		return
	}
	q := r.URL.Query()
	window := 24 * time.Hour
	if v := q.Get("since"); v != "" {
		d, err := config.ParseDuration(v)
		if err != nil || d.D() <= 0 {
			writeError(w, http.StatusBadRequest, "since: want a duration such as 1h, 24h, 7d or 30d")
			return
		}
		window = d.D()
	}
	if window > 5*366*24*time.Hour {
		window = 5 * 366 * 24 * time.Hour
	}
	step := historySteps[len(historySteps)-1]
	for _, st := range historySteps {
		if window/st <= maxHistoryPoints {
			step = st
			break
		}
	}
	if v := q.Get("step"); v != "" {
		d, err := config.ParseDuration(v)
		if err != nil || d.D() < time.Minute {
			writeError(w, http.StatusBadRequest, "step: want a duration of at least 1m")
			return
		}
		if window/d.D() > 10*maxHistoryPoints {
			writeError(w, http.StatusBadRequest, "step: too small for this window (at most 3000 points)")
			return
		}
		step = d.D()
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "limit: want 1..1000")
			return
		}
		limit = n
	}
	now := s.now()
	since := now.Add(-window)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	h := s.deps.History
	results, err := h.Results(ctx, name, since, limit)
	if err != nil {
		s.log.Warn("history results", "check", name, "err", err)
		writeError(w, http.StatusInternalServerError, "history is unavailable")
		return
	}
	series, err := h.Series(ctx, name, since, now, step)
	if err != nil {
		s.log.Warn("history series", "check", name, "err", err)
		writeError(w, http.StatusInternalServerError, "history is unavailable")
		return
	}
	out := historyJSON{
		Name:    name,
		Since:   since.In(s.tz).Format(time.RFC3339),
		Until:   now.In(s.tz).Format(time.RFC3339),
		Step:    config.Duration(step).String(),
		Uptime:  s.uptimes(ctx, name),
		Results: make([]resultJSON, 0, len(results)),
		Series:  make([]pointJSON, 0, len(series)),
		Log:     v.State.Last.Log,
	}
	if out.Log == nil {
		out.Log = []string{}
	}
	for _, res := range results {
		out.Results = append(out.Results, resultJSON{
			Time: res.Time.In(s.tz).Format(time.RFC3339), Status: res.Status,
			LatencyMS: ms(res.Latency), Code: res.Code, Reason: res.Reason,
		})
	}
	for _, p := range series {
		out.Series = append(out.Series, pointJSON{
			Time: p.Time.In(s.tz).Format(time.RFC3339), Checks: p.Checks, Failures: p.Failures,
			AvgLatencyMS: ms(p.AvgLatency), P95LatencyMS: ms(p.P95Latency),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

var uptimeWindows = []struct {
	label string
	d     time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

func (s *Server) uptimes(ctx context.Context, name string) map[string]*float64 {
	out := make(map[string]*float64, len(uptimeWindows))
	for _, w := range uptimeWindows {
		u, err := s.deps.History.Uptime(ctx, name, w.d)
		if err != nil {
			if !errors.Is(err, storage.ErrNoData) {
				s.log.Warn("uptime", "check", name, "window", w.label, "err", err)
			}
			out[w.label] = nil
			continue
		}
		u = float64(int64(u*100000+0.5)) / 100000
		out[w.label] = &u
	}
	return out
}

// uptimeCache holds the 24h uptime of every check for the page's table; uptime over a
// day moves slowly, so it is computed at most once a minute.
type uptimeCache struct {
	mu    sync.Mutex
	built time.Time
	body  []byte
}

const uptimeMaxAge = time.Minute

// handleUptime: /api/uptime -> {"check": 0.9987 | null} over the last 24 hours.
func (s *Server) handleUptime(w http.ResponseWriter, r *http.Request) {
	c := &s.uptime
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body == nil || time.Since(c.built) > uptimeMaxAge {
		out := map[string]*float64{}
		if h := s.deps.History; h != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
			defer cancel()
			for _, v := range s.deps.Engine.Snapshot() {
				u, err := h.Uptime(ctx, v.Spec.Name, 24*time.Hour)
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					out[v.Spec.Name] = nil
					continue
				}
				u = float64(int64(u*100000+0.5)) / 100000
				out[v.Spec.Name] = &u
			}
		}
		b, _ := json.Marshal(out)
		c.body, c.built = b, time.Now()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(c.body)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()/100) / 10 }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
