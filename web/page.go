package web

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
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

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // "static" is embedded above: cannot fail
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}
