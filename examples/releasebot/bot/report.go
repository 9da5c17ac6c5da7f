package bot

import (
	"net/http"
)

// report serves GET /report. Engine.Report (the releases of a period as Markdown)
// is not part of the engine yet, so the route answers 501 until it is.
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ Identity) {
	s.fail(w, r, apiErr(KindNotImplemented, "the report is not available in this build",
		"release.Engine.Report has not landed yet; GET /releases and GET /releases/{id}/history give the same facts meanwhile"))
}
