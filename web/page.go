package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// The page is plain HTML, CSS and JavaScript embedded in the binary: no build step.
//
//go:embed static
var staticFS embed.FS

var indexTmpl = template.Must(template.ParseFS(staticFS, "static/index.html"))

type indexData struct {
	Client   string
	Version  string
	Banner   string
	SVG      template.HTML // the renderer's own output: text is escaped there
	MapError string
}

// handleIndex serves the page with the current map inline, so it is useful before any
// script runs; the script then keeps it live.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	d := indexData{Client: s.client, Version: s.deps.Info.Version}
	if d.Version == "" {
		d.Version = "dev"
	}
	if ok, since := s.health(); !ok {
		d.Banner = s.healthInfo(ok, since).Message
	}
	if svg, err := s.renderMap(r.Context(), "", false); err != nil {
		d.MapError = "The map cannot be drawn: " + err.Error()
	} else {
		d.SVG = template.HTML(svg)
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, d); err != nil {
		s.log.Error("page", "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	_, _ = w.Write(buf.Bytes())
}

// staticHandler serves the embedded assets: files only (no listings, not the page's
// template), and 404 for anything else, including paths that are not valid names.
func staticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if !fs.ValidPath(name) || name == "index.html" || path.Ext(name) == "" {
			http.NotFound(w, r)
			return
		}
		data, err := fs.ReadFile(staticFS, "static/"+name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, startTime, bytes.NewReader(data))
	})
}

// startTime is the assets' modification time: they change only with the binary.
var startTime = time.Now()
