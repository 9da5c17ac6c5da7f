package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// ErrorKind classifies an error answer; each kind has one HTTP status.
type ErrorKind string

// The error kinds, with their status codes.
const (
	KindInvalid          ErrorKind = "invalid"            // 400: the request is malformed
	KindUnauthenticated  ErrorKind = "unauthenticated"    // 401: no or unknown bearer token
	KindForbidden        ErrorKind = "forbidden"          // 403: the policy or separation of duties refuses the actor
	KindNotFound         ErrorKind = "not_found"          // 404: no such release or route
	KindMethodNotAllowed ErrorKind = "method_not_allowed" // 405: the route exists for other methods (the Allow header names them)
	KindConflict         ErrorKind = "conflict"           // 409: stale revision (If-Match) or a slot taken meanwhile
	KindRefused          ErrorKind = "refused"            // 422: guards, gates or the lifecycle refuse the transition, or an Idempotency-Key is reused
	KindInternal         ErrorKind = "internal"           // 500: the bot or its store failed
	KindUnavailable      ErrorKind = "unavailable"        // 503: the request was cancelled or the bot is stopping
	KindTooLarge         ErrorKind = "request_too_large"  // 413: the body exceeds the limit
)

// ErrorKinds lists every [ErrorKind].
func ErrorKinds() []ErrorKind {
	return []ErrorKind{KindInvalid, KindUnauthenticated, KindForbidden, KindNotFound, KindMethodNotAllowed, KindConflict,
		KindRefused, KindInternal, KindUnavailable, KindTooLarge}
}

// Status is the HTTP status code of the kind (500 for an unknown kind).
func (k ErrorKind) Status() int {
	switch k {
	case KindInvalid:
		return http.StatusBadRequest
	case KindUnauthenticated:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindNotFound:
		return http.StatusNotFound
	case KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case KindConflict:
		return http.StatusConflict
	case KindRefused:
		return http.StatusUnprocessableEntity
	case KindUnavailable:
		return http.StatusServiceUnavailable
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// advice says what to do about an error of the kind, for answers that have no more
// specific reason.
func (k ErrorKind) advice() string {
	switch k {
	case KindInvalid:
		return "fix the request: GET /openapi.json describes what every route takes"
	case KindUnauthenticated:
		return `send "Authorization: Bearer <token>" with a token from the bot's configuration file`
	case KindForbidden:
		return "ask someone who holds the role the action takes"
	case KindNotFound:
		return "check the ID: GET /releases lists the releases"
	case KindMethodNotAllowed:
		return "use a method the Allow header names"
	case KindConflict:
		return "read the release again (GET /releases/{id}) and retry with its ETag in If-Match"
	case KindRefused:
		return "GET /releases/{id} lists the events the release can take now"
	case KindTooLarge:
		return "send a body under 1 MiB: link to long logs with a url instead"
	case KindUnavailable:
		return "retry the request"
	}
	return "retry the request; if it keeps failing, the bot's log has the cause"
}

// APIError is the body of every error answer:
//
//	{"error": "approve refused", "kind": "refused", "reasons": ["gates: gate \"checks\" failed: …"]}
//
// Reasons lists every reason when there are several (each refusing guard, each
// failing gate, each invalid field, the events that can be fired).
type APIError struct {
	Message string    `json:"error"`
	Kind    ErrorKind `json:"kind"`
	Reasons []string  `json:"reasons,omitempty"`
	// Err is the error behind the answer, for errors.Is and errors.As; not sent.
	Err error `json:"-"`
}

// Error gives the kind, the message and every reason on one line.
func (e *APIError) Error() string {
	if len(e.Reasons) == 0 {
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Kind, e.Message, strings.Join(e.Reasons, "; "))
}

// Unwrap returns the error behind the answer.
func (e *APIError) Unwrap() error { return e.Err }

func apiErr(kind ErrorKind, msg string, reasons ...string) *APIError {
	return &APIError{Message: msg, Kind: kind, Reasons: reasons}
}

// Classify turns an error of the engine, the calendar or the bot into the answer the
// bot sends: its kind, message and every reason.
func Classify(err error) *APIError {
	ae := classify(err)
	out := *ae
	out.Message = forHTTP.Replace(ae.Message)
	out.Reasons = make([]string, len(ae.Reasons))
	for i, r := range ae.Reasons {
		out.Reasons[i] = forHTTP.Replace(r)
	}
	return &out
}

// forHTTP rewrites the library's advice, which speaks to Go callers (fields,
// options, methods), as what an HTTP caller of the bot does instead.
var forHTTP = strings.NewReplacer(
	" (Spec.Duration)", " (its duration)",
	"fire unschedule, then schedule (the earliest free slot, or At(t) for a time you choose)",
	`POST /releases/{id}/events/unschedule, then /events/schedule (the earliest free slot, or {"at": "<RFC 3339 time>"} for a time you choose)`,
	"check the ID, or List the stored releases", "check the ID: GET /releases lists the releases",
)

func classify(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	out := &APIError{Message: err.Error(), Err: err}
	var (
		ve *release.ValidationError
		te *release.TransitionError
		fe *release.ForbiddenError
		ge *release.GuardError
		ce *release.ConflictError
		pe *release.PromotionError
	)
	switch {
	case errors.Is(err, release.ErrKeyReused):
		out.Kind = KindRefused
		out.Reasons = []string{"the Idempotency-Key was first used with another request: retry with exactly the first request, or send a new key"}
	case errors.As(err, &ge):
		out.Kind = KindRefused
		out.Message = fmt.Sprintf("%s refused", ge.Event)
		out.Reasons = refusalReasons(ge)
	case errors.As(err, &fe):
		out.Kind = KindForbidden
		out.Message = fmt.Sprintf("%s may not %s", fe.Actor, fe.Event)
		rule := fe.Rule
		if rule == "" {
			rule = "no permission"
		}
		out.Reasons = []string{rule + ": " + fe.Reason}
	case errors.As(err, &te):
		if !te.Event.Valid() && te.Event != release.EventRecord {
			out.Kind = KindInvalid
			out.Message = fmt.Sprintf("%q is not an event", te.Event)
			out.Reasons = eventNames(release.Events())
		} else {
			out.Kind = KindRefused
			out.Message = fmt.Sprintf("cannot %s a release that is %s", te.Event, te.State)
			if len(te.Available) == 0 {
				out.Reasons = []string{fmt.Sprintf("%s is a final state: the release takes no more events; create a new release (POST /releases) to try again", te.State)}
			} else {
				out.Reasons = []string{fmt.Sprintf("from %s you can: %s", te.State, strings.Join(eventNames(te.Available), ", "))}
			}
		}
	case errors.As(err, &pe):
		out.Kind = KindRefused
		switch {
		case errors.Is(err, release.ErrInvalid):
			out.Kind = KindInvalid
		case errors.Is(err, release.ErrAlreadyExists):
			out.Kind = KindConflict
		}
		out.Message = fmt.Sprintf("cannot promote from %s to %s", pe.From, pe.To)
		out.Reasons = []string{pe.Reason}
		if len(pe.Pipeline) > 0 {
			out.Reasons = append(out.Reasons, "pipeline: "+strings.Join(pe.Pipeline, " -> "))
		}
	case errors.As(err, &ce):
		out.Kind = KindConflict
		out.Reasons = []string{"read the release again (GET /releases/{id}) and send its revision in If-Match"}
	case errors.Is(err, release.ErrStale), errors.Is(err, release.ErrSlotTaken), errors.Is(err, release.ErrAlreadyExists),
		errors.Is(err, calendar.ErrConflict):
		out.Kind = KindConflict
	case errors.As(err, &ve):
		out.Kind = KindInvalid
		out.Message = "invalid " + ve.What
		out.Reasons = ve.Problems
	case errors.Is(err, release.ErrInvalid):
		out.Kind = KindInvalid
	case errors.Is(err, release.ErrNotFound):
		out.Kind = KindNotFound
	case errors.Is(err, release.ErrForbidden):
		out.Kind = KindForbidden
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		out.Kind = KindUnavailable
	default:
		// The cause stays in the bot's log: a store's error can name hosts, tables
		// or files the caller has no business seeing.
		out.Kind = KindInternal
		out.Message = "the bot could not answer: its store or engine failed"
		out.Reasons = []string{"retry the request; if it keeps failing, the bot's log has the cause"}
	}
	return out
}

// refusalReasons lists every refusal of a guard error; a No-Go decision becomes one
// reason per blocking gate, a calendar conflict one reason per conflict.
func refusalReasons(ge *release.GuardError) []string {
	var out []string
	for _, r := range ge.Refusals {
		var gates []*gate.GateError
		collect(r.Err, &gates)
		if len(gates) > 0 {
			for _, g := range gates {
				out = append(out, r.Guard+": "+g.Error())
			}
			continue
		}
		var cc *calendar.ConflictError
		if errors.As(r.Err, &cc) && len(cc.Conflicts) > 0 {
			for _, c := range cc.Conflicts {
				out = append(out, r.Guard+": "+c.Reason)
			}
			continue
		}
		out = append(out, r.Guard+": "+r.Reason)
	}
	return out
}

// collect walks err's tree and gathers every *gate.GateError in it.
func collect(err error, into *[]*gate.GateError) {
	if err == nil {
		return
	}
	if g, ok := err.(*gate.GateError); ok {
		*into = append(*into, g)
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collect(e, into)
		}
	case interface{ Unwrap() error }:
		collect(u.Unwrap(), into)
	}
}

func eventNames(es []release.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e)
	}
	return out
}
