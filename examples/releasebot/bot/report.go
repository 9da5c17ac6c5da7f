package bot

import (
	"bytes"
	"net/http"

	"github.com/releasekit/releasekit/release"
)

// report serves GET /report: release.Engine.Report as Markdown over ?from=…&to=…
// (RFC 3339; by default the same span around now as the calendar), for one
// ?environment or all, with the dependency graph of the services.
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ Identity) {
	from, to, err := s.span(r, "environment")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := s.eng.Report(r.Context(), &buf, release.ReportOptions{
		From: from, To: to, Environment: r.URL.Query().Get("environment"), Graph: s.graph, Title: "Release report (releasebot)",
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
