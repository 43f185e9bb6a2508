package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/statusmap/statusmap/render"
)

// mapCache keeps rendered maps per host and format. Drawing a large map takes tens of
// milliseconds, so a picture is reused until a status changes or it is older than
// mapMaxAge (latencies in the cells move with every run, but need not be fresher).
type mapCache struct {
	mu      sync.Mutex
	entries map[mapKey]*mapEntry
}

type mapKey struct {
	host string
	png  bool
}

type mapEntry struct {
	mu        sync.Mutex // one render at a time per key; others wait and share it
	statusVer uint64
	built     time.Time
	data      []byte
	err       error
}

const (
	mapMaxAge = 15 * time.Second
	// maxMapEntries bounds the cache against requests for many different hosts.
	maxMapEntries = 64
)

func (s *Server) renderMap(ctx context.Context, host string, png bool) ([]byte, error) {
	k := mapKey{host, png}
	c := &s.maps
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[mapKey]*mapEntry{}
	}
	e := c.entries[k]
	if e == nil {
		if len(c.entries) >= maxMapEntries {
			clear(c.entries)
		}
		e = &mapEntry{}
		c.entries[k] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	sv := s.statusVer.Load()
	if (e.data != nil || e.err != nil) && e.statusVer == sv && time.Since(e.built) < mapMaxAge {
		return e.data, e.err
	}
	src, live, err := s.deps.Map(ctx, host)
	var data []byte
	if err == nil {
		if png {
			data, err = render.RenderPNG(src, live)
		} else {
			data, err = render.RenderSVG(src, live)
		}
	}
	if ctx.Err() != nil { // the asker left; do not remember a cancelled attempt
		return nil, err
	}
	e.data, e.err, e.statusVer, e.built = data, err, sv, time.Now()
	return data, err
}

func (s *Server) handleMapSVG(w http.ResponseWriter, r *http.Request) {
	s.serveMap(w, r, false)
}

func (s *Server) handleMapPNG(w http.ResponseWriter, r *http.Request) {
	s.serveMap(w, r, true)
}

func (s *Server) serveMap(w http.ResponseWriter, r *http.Request, png bool) {
	host := r.URL.Query().Get("host")
	data, err := s.renderMap(r.Context(), host, png)
	if err != nil {
		s.log.Warn("map", "host", host, "err", err)
		code := http.StatusInternalServerError
		if host != "" {
			code = http.StatusNotFound
		}
		http.Error(w, "map: "+err.Error(), code)
		return
	}
	h := w.Header()
	if png {
		h.Set("Content-Type", "image/png")
	} else {
		h.Set("Content-Type", "image/svg+xml")
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
