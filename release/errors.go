package release

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every error the package returns matches one of them with errors.Is,
// and most carry a typed error with the details (errors.As).
var (
	// ErrNotFound: no release with that ID.
	ErrNotFound = errors.New("release: not found")
	// ErrAlreadyExists: a release with that ID is already stored.
	ErrAlreadyExists = errors.New("release: already exists")
	// ErrStale: the release changed since it was read (its revision is stale); read
	// it again and decide again. A booking clash is not stale: the calendar reports it
	// as calendar.ErrConflict.
	ErrStale = errors.New("release: stale revision")
	// ErrConflict is the old name of ErrStale.
	//
	// Deprecated: use [ErrStale]; it is the same error. "Conflict" names a booking
	// clash (calendar.ErrConflict).
	ErrConflict = ErrStale
	// ErrForbidden: the policy does not let the actor fire the event.
	ErrForbidden = errors.New("release: forbidden")
	// ErrInvalidTransition: the event cannot be fired in the release's state.
	ErrInvalidTransition = errors.New("release: invalid transition")
	// ErrGuardRefused: a guard refused the transition.
	ErrGuardRefused = errors.New("release: refused by guard")
	// ErrInvalid: an argument is malformed (empty name, unknown state, bad JSON…).
	ErrInvalid = errors.New("release: invalid input")
	// ErrCorrupt: stored data cannot be decoded or does not verify.
	ErrCorrupt = errors.New("release: corrupt data")
	// ErrTampered: a history does not verify: an entry was edited, removed, inserted,
	// reordered, or the tail was cut off.
	ErrTampered = errors.New("release: history does not verify")
	// ErrNotify: the transition committed but a notification could not be delivered.
	ErrNotify = errors.New("release: notification failed")
)

// NotFoundError names a release that is not stored.
type NotFoundError struct {
	ID ID
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("release %s not found; check the ID, or List the stored releases", e.ID)
}

// Unwrap returns [ErrNotFound].
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ValidationError lists every problem found in one value.
type ValidationError struct {
	What     string
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("release: invalid %s: %s", e.What, strings.Join(e.Problems, "; "))
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func validation(what string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{What: what, Problems: problems}
}

// TransitionError says that an event cannot be fired in a release's state.
type TransitionError struct {
	ID        ID
	State     State
	Event     Event
	Available []Event
}

func (e *TransitionError) Error() string {
	if !e.Event.Valid() {
		return fmt.Sprintf("release %s: %q is not an event; events are %v", e.ID, e.Event, Events())
	}
	if len(e.Available) == 0 {
		return fmt.Sprintf("release %s: cannot %s: %s is a final state", e.ID, e.Event, e.State)
	}
	return fmt.Sprintf("release %s: cannot %s from %s; from %s you can %v", e.ID, e.Event, e.State, e.State, e.Available)
}

// Unwrap returns [ErrInvalidTransition].
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

// StaleError says that a release's revision was not the one expected: someone else
// changed the release since it was read.
type StaleError struct {
	ID       ID
	Expected int64
	Actual   int64
}

func (e *StaleError) Error() string {
	if e.Actual == 0 {
		return fmt.Sprintf("release %s: expected revision %d was overtaken by a concurrent change; read the release again", e.ID, e.Expected)
	}
	return fmt.Sprintf("release %s: expected revision %d but it is at %d; read the release again and decide again", e.ID, e.Expected, e.Actual)
}

// Unwrap returns [ErrStale].
func (e *StaleError) Unwrap() error { return ErrStale }

// ConflictError is the old name of [StaleError].
//
// Deprecated: use [StaleError]; it is the same type.
type ConflictError = StaleError

// ForbiddenError names the policy rule that refused an actor.
type ForbiddenError struct {
	Actor       string
	Event       Event
	Environment string
	// Rule names the rule that refused, or "separation-of-duties", or "" when no rule
	// covers the event at all.
	Rule   string
	Reason string
}

func (e *ForbiddenError) Error() string {
	if e.Rule == "" {
		return fmt.Sprintf("release: %s may not %s in %s: %s", e.Actor, e.Event, e.Environment, e.Reason)
	}
	return fmt.Sprintf("release: %s may not %s in %s: rule %q: %s", e.Actor, e.Event, e.Environment, e.Rule, e.Reason)
}

// Unwrap returns [ErrForbidden].
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// Refusal is one guard's reason to refuse a transition.
type Refusal struct {
	Guard  string
	Reason string
	// Cause names what refused in words that stay the same while the cause lasts,
	// so that a retry refused for the same cause can be told from a new refusal:
	// the calendar's rules and bookings (`freeze "holiday freeze"`), the booked
	// slot not open yet or closed, the runtime lockdowns and freezes by ID; for any
	// other guard, its reason on one line.
	Cause string
	// Err is the error the guard returned; it may carry typed details. It is nil
	// in a refusal read back from the history ([AuditEntry.Refused]).
	Err error
}

// GuardError collects every guard's refusal of one transition. Its message is one
// line that names the release as people know it ("checkout 2.0.0 in prod"), never
// only by its ID; [GuardError.Lines] gives one line per refusal, each of which a
// log line can carry on its own.
type GuardError struct {
	ID    ID
	Event Event
	// Release names the release for people: "checkout 2.0.0 in prod". The engine
	// fills it in; when it is empty the message names the ID.
	Release  string
	Refusals []Refusal
}

func (e *GuardError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s refused", e.subject(), e.Event)
	for i, r := range e.Refusals {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, r.Guard, oneLine(refusalReason(r)))
	}
	return b.String()
}

// Lines returns one line per refusal: "checkout 2.0.0 in prod: approve refused by
// gates: gate "checks" failed: …". A No-Go decision gives one line per blocking
// gate. No line holds a line break.
func (e *GuardError) Lines() []string {
	var out []string
	for _, r := range e.Refusals {
		reasons := []string{refusalReason(r)}
		var l liner
		if errors.As(r.Err, &l) {
			reasons = l.lines()
		}
		for _, why := range reasons {
			out = append(out, fmt.Sprintf("%s: %s refused by %s: %s", e.subject(), e.Event, r.Guard, oneLine(why)))
		}
	}
	return out
}

func (e *GuardError) subject() string {
	if e.Release != "" {
		return e.Release
	}
	return "release " + e.ID.String()
}

// refusalReason is r's reason without a leading "guard: " that repeats its guard.
func refusalReason(r Refusal) string {
	return strings.TrimPrefix(r.Reason, r.Guard+": ")
}

// liner is an error that splits into reasons of their own (a No-Go decision: one
// per blocking gate).
type liner interface {
	error
	lines() []string
}

// peopleName names r for people in messages: "checkout 2.0.0 in prod".
func peopleName(r Release) string {
	return r.Name + " " + r.Version + " in " + r.Environment
}

// SlotError says that a release was started outside its booked slot: too early (wait
// for the slot, or reschedule) or too late (reschedule). It is the calendar's
// refusal in a [GuardError]; errors.As finds it.
type SlotError struct {
	Slot Slot
	// Now is when start was fired.
	Now time.Time
}

func (e *SlotError) Error() string {
	const at = "2006-01-02 15:04 MST"
	start, end, now := e.Slot.Start.UTC(), e.Slot.End.UTC(), e.Now.UTC()
	const reschedule = "reschedule it: fire unschedule, then schedule (the earliest free slot, or At(t) for a time you choose)"
	if now.Before(start) {
		return fmt.Sprintf("its slot runs from %s to %s and it is %s, %s before the slot opens: wait until %s and start it then, or %s",
			start.Format(at), end.Format("15:04 MST"), now.Format(at), shortDuration(start.Sub(now)), start.Format(at), reschedule)
	}
	return fmt.Sprintf("its slot ran from %s to %s and it is %s, %s after the slot closed: %s",
		start.Format(at), end.Format("15:04 MST"), now.Format(at), shortDuration(now.Sub(end)), reschedule)
}

// shortDuration writes d for people: to the second under an hour ("12m4s"), in
// days, hours and minutes above ("3d 22h", "1h 5m").
func shortDuration(d time.Duration) string {
	if d < time.Hour {
		return d.Round(time.Second).String()
	}
	return humanDuration(d)
}

// Unwrap returns [ErrGuardRefused] and each guard's own error.
func (e *GuardError) Unwrap() []error {
	out := []error{ErrGuardRefused}
	for _, r := range e.Refusals {
		if r.Err != nil {
			out = append(out, r.Err)
		}
	}
	return out
}

// HistoryError names the first history entry that does not verify.
type HistoryError struct {
	ID ID
	// Index is the position in the slice given to VerifyHistory; Sequence is the
	// sequence number the entry should have had (Index+1).
	Index    int
	Sequence int64
	Reason   string
}

func (e *HistoryError) Error() string {
	return fmt.Sprintf("release %s: history entry %d does not verify: %s", e.ID, e.Sequence, e.Reason)
}

// Unwrap returns [ErrTampered].
func (e *HistoryError) Unwrap() error { return ErrTampered }

// CorruptError says that stored bytes cannot be turned back into a value.
type CorruptError struct {
	What   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("release: corrupt %s: %s", e.What, e.Reason)
}

// Unwrap returns [ErrCorrupt].
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// NotifyError says that a committed transition's notification failed. The transition
// stands: Fire returns the committed release together with this error.
type NotifyError struct {
	ID       ID
	Sequence int64
	Err      error
}

func (e *NotifyError) Error() string {
	return fmt.Sprintf("release %s: transition %d committed, but its notification failed: %v", e.ID, e.Sequence, e.Err)
}

// Unwrap returns [ErrNotify] and the notifier's error.
func (e *NotifyError) Unwrap() []error { return []error{ErrNotify, e.Err} }

// Committed reports whether err, returned by [Engine.Fire], still means the transition
// was committed: err is nil, or only the notification failed.
func Committed(err error) bool {
	if err == nil {
		return true
	}
	var ne *NotifyError
	return errors.As(err, &ne)
}
