package bot

import (
	"net/http"

	"github.com/releasekit/releasekit/release"
)

// PromoteRequest is the body of POST /releases/{id}/promote: the environment the
// release's version goes to next (the next one of [Pipeline]) and why.
type PromoteRequest struct {
	Environment string `json:"environment"`
	Reason      string `json:"reason,omitempty"`
}

// promote creates the next environment's release from a verified one (Engine.Promote):
// same version, components, labels and duration, linked to it. The caller becomes
// its author. An Idempotency-Key makes a retried promotion return the first answer.
func (s *Server) promote(w http.ResponseWriter, r *http.Request, who Identity) {
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apiErr(KindInvalid, "invalid release ID", err.Error()))
		return
	}
	var req PromoteRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	opts := idempotency(r)
	if req.Reason != "" {
		opts = append(opts, release.Reason(req.Reason))
	}
	rel, err := s.eng.Promote(r.Context(), id, req.Environment, who.Actor(), opts...)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, rel)
}
