package bot

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/releasekit/releasekit/release"
)

// LockdownRequest is the body of POST /lockdowns: a lockdown ("lockdown", the
// default: no start in its environments, no override) or a freeze ("freeze": as a
// calendar freeze, allow_classes pass) declared now. No environments means every
// environment; no until means until it is lifted.
type LockdownRequest struct {
	Kind         release.LockdownKind `json:"kind,omitempty"`
	Reason       string               `json:"reason"`
	Environments []string             `json:"environments,omitempty"`
	AllowClasses []release.Class      `json:"allow_classes,omitempty"`
	From         time.Time            `json:"from,omitzero"`
	Until        time.Time            `json:"until,omitzero"`
}

// LockdownResponse is the answer of POST /lockdowns: the lockdown as stored, and the
// releases that were deploying in its scope, each marked to halt (an EventHalt entry
// in its history, and a notification): the deployment system stops them.
type LockdownResponse struct {
	Lockdown release.Lockdown  `json:"lockdown"`
	Halt     []release.Release `json:"halt"`
}

// LiftRequest is the body of POST /lockdowns/{id}/lift.
type LiftRequest struct {
	Reason string `json:"reason"`
}

// declareLockdown stops the line (Engine.Lockdown): every replica of the bot refuses
// starts in its scope from now on. Release managers may (the default policy).
func (s *Server) declareLockdown(w http.ResponseWriter, r *http.Request, who Identity) {
	var req LockdownRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.eng.Lockdown(r.Context(), who.Actor(), release.Lockdown{Kind: req.Kind, Reason: req.Reason,
		Environments: req.Environments, AllowClasses: req.AllowClasses, From: req.From, Until: req.Until}, idempotency(r)...)
	if err != nil && l.ID.IsZero() {
		s.fail(w, r, err)
		return
	}
	// The lockdown stands even when a release could not be marked; list what is
	// deploying in its scope so that the caller halts it either way.
	halt := []release.Release{}
	if l.Kind == release.KindLockdown && l.Active(l.DeclaredAt) {
		deploying, lerr := s.eng.List(r.Context(), release.Filter{States: []release.State{release.StateDeploying}})
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		for _, d := range deploying {
			if len(l.Environments) == 0 || contains(l.Environments, d.Environment) {
				halt = append(halt, d)
			}
		}
	}
	w.Header().Set("Location", "/lockdowns/"+l.ID.String())
	writeJSON(w, http.StatusCreated, LockdownResponse{Lockdown: l, Halt: halt})
}

// listLockdowns answers GET /lockdowns: every lockdown and freeze declared at
// runtime, lifted or not, oldest first (Engine.Lockdowns, which verifies their
// history).
func (s *Server) listLockdowns(w http.ResponseWriter, r *http.Request, _ Identity) {
	ls, err := s.eng.Lockdowns(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ls == nil {
		ls = []release.Lockdown{}
	}
	writeJSON(w, http.StatusOK, ls)
}

// liftLockdown lifts a lockdown or freeze (Engine.Lift); release managers may (the
// default policy), others get a 403.
func (s *Server) liftLockdown(w http.ResponseWriter, r *http.Request, who Identity) {
	id, err := release.ParseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, apiErr(KindInvalid, "invalid lockdown ID "+strconv.Quote(r.PathValue("id")),
			"a lockdown ID is the UUID in the id of the lockdown (GET /lockdowns lists them)"))
		return
	}
	var req LiftRequest
	if err := decode(w, r, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.eng.Lift(r.Context(), id, who.Actor(), req.Reason, idempotency(r)...)
	switch {
	case errors.Is(err, release.ErrNotFound):
		s.fail(w, r, apiErr(KindNotFound, "no lockdown or freeze "+id.String(), "GET /lockdowns lists the lockdowns and freezes declared"))
		return
	case errors.Is(err, release.ErrStale):
		s.fail(w, r, &APIError{Kind: KindConflict, Message: "lockdown " + id.String() + " was lifted already", Err: err,
			Reasons: []string{err.Error(), "nothing to lift: GET /lockdowns shows who lifted it and why; POST /lockdowns declares a new one to stop the line again"}})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
