// Package web serves statusmap over HTTP: the original project's JSON API, a live map
// page updated by Server-Sent Events, Prometheus metrics and heartbeat push URLs.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/statusmap/statusmap/config"
	"github.com/statusmap/statusmap/monitor"
	"github.com/statusmap/statusmap/render"
	"github.com/statusmap/statusmap/storage"
)

// DefaultListen is the original project's address.
const DefaultListen = "127.0.0.1:9004"

// Engine is what the web side needs of the check engine.
type Engine interface {
	Snapshot() []monitor.CheckView
	Get(name string) (monitor.CheckView, bool)
	Push(token string, p monitor.Push) (check string, err error)
}

// History is what the web side reads from storage. It is optional: without it the page
// shows no uptime and the history endpoint answers 503.
type History interface {
	Results(ctx context.Context, check string, since time.Time, limit int) ([]monitor.Result, error)
	Series(ctx context.Context, check string, since, until time.Time, step time.Duration) ([]storage.Point, error)
	Uptime(ctx context.Context, check string, window time.Duration) (float64, error)
}

// MapFunc returns the status map's nomnoml source and the live overlay; host limits the
// map to one host ("" = everything).
type MapFunc func(ctx context.Context, host string) (src string, live map[string]render.NodeStatus, err error)

// Info describes the running process for /api/info and the page.
type Info struct {
	Version string
	// Client is the "client" of /api/all: a name for this monitor. Default: the hostname,
	// else "statusmap".
	Client string
}

// Deps are the parts the web side reads. Engine and Map are required.
type Deps struct {
	Engine  Engine
	History History // optional
	Map     MapFunc
	// Health reports whether statusmap reaches Telegram, and since when it does not
	// (optional; nil means no banner is ever shown).
	Health func() (ok bool, since time.Time)
	Info   Info
	// Now is the clock for time_client and history windows; default time.Now.
	Now func() time.Time
}

// Server is the web side. It implements monitor.EventSink and monitor.ResultSink: the
// engine calls them on the check path and they never block.
type Server struct {
	cfg     config.Web
	deps    Deps
	log     *slog.Logger
	tz      *time.Location
	now     func() time.Time
	started time.Time
	client  string
	handler http.Handler

	// resultVer changes with every run, statusVer with every status transition.
	resultVer atomic.Uint64
	statusVer atomic.Uint64

	api    apiCache
	maps   mapCache
	uptime uptimeCache
	hub    *hub
	met    *metrics

	lastResultsNote atomic.Int64 // unix nanos of the last "results" SSE note

	healthMu sync.Mutex
	healthOK bool
}

var (
	_ monitor.EventSink  = (*Server)(nil)
	_ monitor.ResultSink = (*Server)(nil)
)

// New builds the web side. It refuses a listen address beyond loopback without
// web.auth unless web.public is set.
func New(cfg config.Web, deps Deps, logger *slog.Logger) (*Server, error) {
	if deps.Engine == nil {
		return nil, errors.New("web: no engine")
	}
	if deps.Map == nil {
		return nil, errors.New("web: no map function")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if err := checkAccess(cfg); err != nil {
		return nil, err
	}
	tz := time.Local
	if cfg.Timezone != "" {
		loc, err := time.LoadLocation(cfg.Timezone)
		if err != nil {
			return nil, fmt.Errorf("web.timezone %q: %w", cfg.Timezone, err)
		}
		tz = loc
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	client := deps.Info.Client
	if client == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			client = h
		} else {
			client = "statusmap"
		}
	}
	s := &Server{
		cfg: cfg, deps: deps, log: logger, tz: tz, now: now, started: now(), client: client,
		hub:      newHub(),
		healthOK: true,
	}
	s.met = newMetrics(s)
	s.handler = s.routes()
	return s, nil
}

// checkAccess enforces the rule that only loopback may be served without auth.
func checkAccess(cfg config.Web) error {
	a := cfg.Auth
	if (a.Username == "") != (a.Password == "") {
		return errors.New("web.auth: username and password must be set together")
	}
	if hasAuth(a) || cfg.Public || isLoopback(cfg.Listen) {
		return nil
	}
	return fmt.Errorf("web.listen %q is not a loopback address: set web.auth.bearer or web.auth.username and web.auth.password, or web.public: true to serve it without auth", cfg.Listen)
}

func hasAuth(a config.WebAuth) bool { return a.Bearer != "" || a.Username != "" }

// isLoopback reports whether a listen address only accepts local connections. An empty
// host (":9004") listens on every interface.
func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Handler is the whole web side as an http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on web.listen until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done (tests and socket activation pass their own listener).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	go s.watchHealth(loopCtx, 5*time.Second)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("web listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	// Event streams never end by themselves: close them so Shutdown does not wait.
	s.hub.closeAll()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// HandleEvent implements monitor.EventSink: a status changed, every page redraws.
func (s *Server) HandleEvent(ev monitor.Event) {
	s.statusVer.Add(1)
	s.resultVer.Add(1)
	s.hub.publish("status", statusNote{
		Check: ev.Check, From: ev.From, To: ev.To,
		At: ev.At.In(s.tz).Format(monitor.LastCheckLayout), Reason: ev.Result.Reason,
	})
}

// RecordResult implements monitor.ResultSink: metrics, and a coalesced "results" note
// at most every resultsEvery so pages refresh latencies without a storm of messages.
func (s *Server) RecordResult(r monitor.Result, st monitor.State) {
	s.resultVer.Add(1)
	s.met.observe(r)
	now := time.Now().UnixNano()
	last := s.lastResultsNote.Load()
	if now-last >= int64(resultsEvery) && s.lastResultsNote.CompareAndSwap(last, now) {
		s.hub.publish("results", resultsNote{Version: s.resultVer.Load()})
	}
}

// resultsEvery bounds how often pages are told that new runs exist.
const resultsEvery = 10 * time.Second

type statusNote struct {
	Check  string         `json:"check"`
	From   monitor.Status `json:"from"`
	To     monitor.Status `json:"to"`
	At     string         `json:"at"`
	Reason string         `json:"reason,omitempty"`
}

type resultsNote struct {
	Version uint64 `json:"version"`
}

// health returns the Telegram reachability shown by the banner.
func (s *Server) health() (ok bool, since time.Time) {
	if s.deps.Health == nil {
		return true, time.Time{}
	}
	return s.deps.Health()
}

// watchHealth tells open pages when Telegram becomes unreachable or reachable again.
func (s *Server) watchHealth(ctx context.Context, every time.Duration) {
	if s.deps.Health == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.checkHealth()
		}
	}
}

func (s *Server) checkHealth() {
	ok, since := s.health()
	s.healthMu.Lock()
	changed := ok != s.healthOK
	s.healthOK = ok
	s.healthMu.Unlock()
	if changed {
		s.hub.publish("health", s.healthInfo(ok, since))
	}
}

type healthJSON struct {
	TelegramOK bool   `json:"telegram_ok"`
	Since      string `json:"since,omitempty"`
	Message    string `json:"message,omitempty"`
}

func (s *Server) healthInfo(ok bool, since time.Time) healthJSON {
	h := healthJSON{TelegramOK: ok}
	if !ok {
		h.Message = "statusmap cannot reach Telegram: alerts are not being delivered"
		if !since.IsZero() {
			h.Since = since.In(s.tz).Format(monitor.LastCheckLayout)
			h.Message += " since " + h.Since
		}
	}
	return h
}
