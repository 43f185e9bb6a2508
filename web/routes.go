package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/statusmap/statusmap/monitor"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// Read-only pages and the API: behind web.auth when it is set.
	private := http.NewServeMux()
	private.HandleFunc("GET /{$}", s.handleIndex)
	private.Handle("GET /static/", staticHandler())
	private.HandleFunc("GET /api/all", s.handleAll)
	private.HandleFunc("GET /api/probe/{name}", s.handleProbe)
	private.HandleFunc("GET /api/info", s.handleInfo)
	private.HandleFunc("GET /api/checks/{name}/history", s.handleHistory)
	private.HandleFunc("GET /api/uptime", s.handleUptime)
	private.HandleFunc("GET /events", s.handleEvents)
	private.HandleFunc("GET /map.svg", s.handleMapSVG)
	private.HandleFunc("GET /map.png", s.handleMapPNG)
	private.Handle("GET /metrics", promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}))
	mux.Handle("/", s.requireAuth(private))

	// A cron script carries its secret in the URL; the health probe carries none.
	mux.HandleFunc("/push/{token}", s.handlePush)
	mux.HandleFunc("/push/{token}/{action}", s.handlePush)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	return securityHeaders(mux)
}

type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Warn("metrics", "err", strings.TrimSpace(fmtArgs(v))) }

func fmtArgs(v []any) string {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		if err, ok := x.(error); ok {
			b.WriteString(err.Error())
			continue
		}
		if str, ok := x.(string); ok {
			b.WriteString(str)
		}
	}
	return b.String()
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// requireAuth checks web.auth when it is set. Secrets are compared as SHA-256 digests
// with subtle.ConstantTimeCompare, so neither their content nor their length leaks.
func (s *Server) requireAuth(h http.Handler) http.Handler {
	a := s.cfg.Auth
	if !hasAuth(a) {
		return h
	}
	var bearer, user, pass [sha256.Size]byte
	if a.Bearer != "" {
		bearer = sha256.Sum256([]byte(a.Bearer))
	}
	if a.Username != "" {
		user = sha256.Sum256([]byte(a.Username))
		pass = sha256.Sum256([]byte(a.Password))
	}
	eq := func(want [sha256.Size]byte, got string) bool {
		g := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(want[:], g[:]) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		if a.Bearer != "" {
			if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
				ok = eq(bearer, strings.TrimSpace(tok))
			}
		}
		if !ok && a.Username != "" {
			if u, p, found := r.BasicAuth(); found {
				// Both compared every time: no early exit that tells which one was wrong.
				uok, pok := eq(user, u), eq(pass, p)
				ok = uok && pok
			}
		}
		if !ok {
			if a.Username != "" {
				w.Header().Set("WWW-Authenticate", `Basic realm="statusmap", charset="UTF-8"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="statusmap"`)
			}
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// handlePush receives heartbeats: /push/TOKEN (success), /push/TOKEN/start,
// /push/TOKEN/fail, /push/TOKEN/N (exit code N; non-zero is a failure), and
// ?status=fail|start|success on any of them.
func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	// HEAD is refused: link checkers and previews send it, and must not count as a ping.
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := monitor.Push{Kind: monitor.PushSuccess, At: s.now()}
	switch action := r.PathValue("action"); action {
	case "":
	case monitor.PushStart, monitor.PushFail:
		p.Kind = action
	default:
		code, err := strconv.Atoi(action)
		if err != nil || code < 0 || code > 255 {
			http.Error(w, "bad push: want /push/TOKEN, /push/TOKEN/start, /push/TOKEN/fail or /push/TOKEN/EXITCODE (0-255)", http.StatusBadRequest)
			return
		}
		p.ExitCode = code
	}
	switch st := r.URL.Query().Get("status"); st {
	case "":
	case monitor.PushStart, monitor.PushFail, monitor.PushSuccess:
		p.Kind = st
	default:
		http.Error(w, "bad push: status must be success, start or fail", http.StatusBadRequest)
		return
	}
	if _, err := s.deps.Engine.Push(r.PathValue("token"), p); err != nil {
		// The token is the secret: it is neither logged nor echoed.
		http.Error(w, "unknown token", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK"))
}
