package release

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// refusalAnnotation is the annotation of a decision entry ([EventDecision]) that
// says which event was refused and why ([AuditEntry.Refused]). It is the engine's:
// [WithGuard] refuses a guard of that name.
const refusalAnnotation = "refusal"

// recordedEvents are the events whose refusal by a guard is kept in the history:
// approve (the Go/No-Go decision) and start (the go-live), the two decisions that
// put a change into production.
var recordedEvents = []Event{EventApprove, EventStart}

// refusalRecord is the stored form of a refusal: the "refusal" annotation.
type refusalRecord struct {
	Event    Event         `json:"event"`
	Refusals []refusalNote `json:"refusals"`
}

type refusalNote struct {
	Guard  string `json:"guard"`
	Cause  string `json:"cause"`
	Reason string `json:"reason"`
}

// same reports whether r and o were refused for the same causes.
func (r refusalRecord) same(o refusalRecord) bool {
	return r.Event == o.Event && slices.EqualFunc(r.Refusals, o.Refusals, func(a, b refusalNote) bool {
		return a.Guard == b.Guard && a.Cause == b.Cause
	})
}

func recordOf(event Event, refusals []Refusal) refusalRecord {
	rec := refusalRecord{Event: event, Refusals: make([]refusalNote, len(refusals))}
	for i, r := range refusals {
		rec.Refusals[i] = refusalNote{Guard: r.Guard, Cause: r.Cause, Reason: oneLine(refusalReason(r))}
	}
	return rec
}

// Refused returns what a decision entry ([EventDecision]) records: the event that
// was refused and each refusal, with its guard, cause ([Refusal.Cause]) and reason
// on one line (Err is nil: errors are not stored). ok is false for every other
// entry. A decision entry written before refusals were recorded this way (a No-Go
// of approve) gives approve and one refusal by "gates" with the decision's reasons.
func (e AuditEntry) Refused() (event Event, refusals []Refusal, ok bool) {
	if e.Event != EventDecision {
		return "", nil, false
	}
	var rec refusalRecord
	if raw, found := e.Annotations[refusalAnnotation]; found && json.Unmarshal(raw, &rec) == nil && rec.Event != "" {
		for _, n := range rec.Refusals {
			refusals = append(refusals, Refusal{Guard: n.Guard, Reason: n.Reason, Cause: n.Cause})
		}
		return rec.Event, refusals, true
	}
	why := noGoReasons(e)
	return EventApprove, []Refusal{{Guard: (&gateStage{}).name(), Reason: why, Cause: why}}, true
}

// repeats reports whether history h already ends, since the release last moved
// (its last entry that is not a record, a decision or a halt mark), with a
// decision that refused rec's event for the same causes: a retry refused as
// before, which is not written again.
func repeats(h []AuditEntry, rec refusalRecord) bool {
	for i := len(h) - 1; i >= 0; i-- {
		switch h[i].Event {
		case EventRecord, EventHalt:
			continue
		case EventDecision:
			var last refusalRecord
			raw, ok := h[i].Annotations[refusalAnnotation]
			if !ok || json.Unmarshal(raw, &last) != nil {
				return false
			}
			return last.same(rec)
		}
		return false
	}
	return false
}

// causer is a refusal that names its cause in words that do not change with the
// time of the attempt (the calendar's and the lockdowns' refusals).
type causer interface {
	error
	cause() string
}

// causedError is a refusal with a message and a cause of its own; it unwraps to
// err (nil for none).
type causedError struct {
	msg, why string
	err      error
}

func (e *causedError) Error() string { return e.msg }
func (e *causedError) Unwrap() error { return e.err }
func (e *causedError) cause() string { return e.why }

// newRefusal is guard's refusal with err.
func newRefusal(guard string, err error) Refusal {
	r := Refusal{Guard: guard, Reason: err.Error(), Err: err}
	var c causer
	if errors.As(err, &c) {
		r.Cause = c.cause()
	} else {
		r.Cause = oneLine(refusalReason(r))
	}
	return r
}

// causes joins the causes of a refusal, in order, without repeats.
func causes(parts []string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}
