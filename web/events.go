package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The hub fans notes out to event-stream clients without ever blocking the publisher:
// notes go into a short ring, and each client has a one-slot wake-up channel. A client
// that falls more than the ring behind gets a "resync" note and reloads everything.

const ringSize = 64

type note struct {
	id   uint64
	kind string
	data []byte
}

type sseClient struct {
	wake chan struct{} // capacity 1
	done chan struct{} // closed by closeAll
}

type hub struct {
	mu      sync.Mutex
	seq     uint64
	ring    []note // the last ringSize notes, oldest first
	clients map[*sseClient]struct{}
	closed  bool
}

func newHub() *hub { return &hub{clients: map[*sseClient]struct{}{}} }

func (h *hub) publish(kind string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.ring = append(h.ring, note{id: h.seq, kind: kind, data: data})
	if len(h.ring) > ringSize {
		h.ring = h.ring[len(h.ring)-ringSize:]
	}
	for c := range h.clients {
		select {
		case c.wake <- struct{}{}:
		default: // already woken: it will read the ring
		}
	}
}

// subscribe adds a client; last is the id it has seen (0: start from now).
func (h *hub) subscribe() (*sseClient, uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, 0, false
	}
	c := &sseClient{wake: make(chan struct{}, 1), done: make(chan struct{})}
	h.clients[c] = struct{}{}
	return c, h.seq, true
}

func (h *hub) unsubscribe(c *sseClient) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// since returns the notes after id, and whether some were lost to the ring's size.
func (h *hub) since(id uint64) (notes []note, lost bool, last uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id > h.seq { // an id from before a restart
		id = 0
		lost = true
	}
	if len(h.ring) > 0 && id+1 < h.ring[0].id {
		lost = true
	}
	for _, n := range h.ring {
		if n.id > id {
			notes = append(notes, n)
		}
	}
	return notes, lost, h.seq
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// closeAll ends every stream (shutdown) and refuses new ones.
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		close(c.done)
		delete(h.clients, c)
	}
}

// keepAlive is how often an idle stream gets a comment, so proxies keep it open and a
// dead client is noticed.
const keepAlive = 25 * time.Second

// handleEvents streams notes as Server-Sent Events: "hello" on connect, "status" on a
// status change, "results" when new runs exist (coalesced), "health" when Telegram
// becomes unreachable or reachable, "resync" when notes were missed.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	c, last, ok := s.hub.subscribe()
	if !ok {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.hub.unsubscribe(c)
	// A reconnecting browser sends the last id it saw: replay what it missed.
	if id, err := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64); err == nil {
		last = id
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	hello, _ := json.Marshal(map[string]uint64{"version": s.resultVer.Load()})
	if _, err := fmt.Fprintf(w, "retry: 3000\nevent: hello\ndata: %s\n\n", hello); err != nil {
		return
	}
	if r.Header.Get("Last-Event-ID") != "" {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	if rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.done:
			return
		case <-ping.C:
			if _, err := w.Write([]byte(": ping\n\n")); err != nil || rc.Flush() != nil {
				return
			}
		case <-c.wake:
			notes, lost, seq := s.hub.since(last)
			if lost {
				if _, err := fmt.Fprintf(w, "id: %d\nevent: resync\ndata: {}\n\n", seq); err != nil {
					return
				}
			} else {
				for _, n := range notes {
					if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", n.id, n.kind, n.data); err != nil {
						return
					}
				}
			}
			last = seq
			if rc.Flush() != nil {
				return
			}
		}
	}
}
