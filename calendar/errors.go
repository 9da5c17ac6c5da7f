package calendar

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; the typed errors unwrap to them.
var (
	// ErrConflict means a booking was refused because of conflicts; [*ConflictError] unwraps to it.
	ErrConflict = errors.New("calendar: booking conflicts")
	// ErrNotFound means no booking has the given ID.
	ErrNotFound = errors.New("calendar: not found")
	// ErrDuplicateID means a booking or request ID is used twice.
	ErrDuplicateID = errors.New("calendar: duplicate ID")
	// ErrDuplicateRule means two rules share a name; [*DuplicateRuleError] unwraps to it.
	ErrDuplicateRule = errors.New("calendar: duplicate rule name")
	// ErrInvalidBooking means a booking is malformed; [*BookingError] unwraps to it.
	ErrInvalidBooking = errors.New("calendar: invalid booking")
	// ErrInvalidRequest means a request is malformed; [*RequestError] unwraps to it.
	ErrInvalidRequest = errors.New("calendar: invalid request")
	// ErrInvalidOption means an option was given a bad value; [*OptionError] unwraps to it.
	ErrInvalidOption = errors.New("calendar: invalid option")
	// ErrNoSlot means no feasible slot exists in the searched range; [*NoSlotError] unwraps to it.
	ErrNoSlot = errors.New("calendar: no slot")
	// ErrDependency means a request depends on something that is neither in its batch
	// nor booked, or on a request that could not be placed.
	ErrDependency = errors.New("calendar: unsatisfied dependency")
	// ErrInvalidRule is the sentinel every rule validation error unwraps to.
	ErrInvalidRule = errors.New("calendar: invalid rule")
	// ErrUnknownZone is the sentinel for a zone name that is not an IANA time zone. A
	// [RuleError] whose rule names such a zone unwraps to it as well.
	ErrUnknownZone = errors.New("calendar: unknown time zone")
	// ErrTooManyInstances is the sentinel of a rule expansion that would pass
	// [MaxInstances].
	ErrTooManyInstances = errors.New("calendar: a rule expands to too many instances")
	// ErrMalformedICS is the sentinel every iCalendar parse error unwraps to.
	ErrMalformedICS = errors.New("calendar: malformed iCalendar data")
	// ErrBadSpan is returned by the iCalendar writer when the span [from, to) is empty.
	ErrBadSpan = errors.New("calendar: the export span is empty: give from before to")
)

// ConflictError is returned by [Calendar.Book] when a booking conflicts; it lists every
// conflict and unwraps to [ErrConflict].
type ConflictError struct {
	Booking   string
	Conflicts []Conflict
}

// Error lists the reasons of the conflicts.
func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calendar: booking %q refused, %d conflict", e.Booking, len(e.Conflicts))
	if len(e.Conflicts) != 1 {
		b.WriteString("s")
	}
	for i, c := range e.Conflicts {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more (see ConflictError.Conflicts)", len(e.Conflicts)-5)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(c.Reason)
	}
	return b.String()
}

// Unwrap returns [ErrConflict].
func (e *ConflictError) Unwrap() error { return ErrConflict }

// BookingError lists every problem of a malformed booking; it unwraps to [ErrInvalidBooking].
type BookingError struct {
	ID       string
	Problems []string
}

// Error lists the problems.
func (e *BookingError) Error() string {
	return fmt.Sprintf("calendar: booking %q is invalid: %s", e.ID, strings.Join(e.Problems, "; "))
}

// Unwrap returns [ErrInvalidBooking].
func (e *BookingError) Unwrap() error { return ErrInvalidBooking }

// RequestError lists every problem of a malformed request; it unwraps to [ErrInvalidRequest].
type RequestError struct {
	ID       string
	Problems []string
}

// Error lists the problems.
func (e *RequestError) Error() string {
	return fmt.Sprintf("calendar: request %q is invalid: %s", e.ID, strings.Join(e.Problems, "; "))
}

// Unwrap returns [ErrInvalidRequest].
func (e *RequestError) Unwrap() error { return ErrInvalidRequest }

// OptionError reports an option given a bad value; it unwraps to [ErrInvalidOption].
type OptionError struct {
	Option  string
	Problem string
}

// Error names the option and the problem.
func (e *OptionError) Error() string {
	return fmt.Sprintf("calendar: option %s: %s", e.Option, e.Problem)
}

// Unwrap returns [ErrInvalidOption].
func (e *OptionError) Unwrap() error { return ErrInvalidOption }

// DuplicateRuleError reports a rule name used more than once; Indexes are the
// positions of the rules that use it. It unwraps to [ErrDuplicateRule].
type DuplicateRuleError struct {
	Name    string
	Indexes []int
}

// Error names the rule and where it appears.
func (e *DuplicateRuleError) Error() string {
	return fmt.Sprintf("calendar: rule name %q is used by rules %v; give every rule a unique name", e.Name, e.Indexes)
}

// Unwrap returns [ErrDuplicateRule].
func (e *DuplicateRuleError) Unwrap() error { return ErrDuplicateRule }

// NoSlotError says why [Calendar.NextSlot] found no slot: the request, the range it
// searched, and what blocked the candidates it tried. It unwraps to [ErrNoSlot].
type NoSlotError struct {
	// Request is the ID of the request.
	Request string
	// Environment and Duration repeat the request.
	Environment string
	Duration    time.Duration
	// NotBefore and NotAfter bound the starts that were searched.
	NotBefore, NotAfter time.Time
	// Rules are the names of the rules that blocked a candidate (freezes, lockdowns,
	// windows that were closed), in order of first encounter.
	Rules []string
	// Bookings are the IDs of the bookings that blocked a candidate (overlap or
	// capacity), in order of first encounter.
	Bookings []string
	// Kinds are the kinds of conflict met, in order of first encounter.
	Kinds []ConflictKind
	// Ready, when not zero, is when the request's dependencies (plus its soak) end:
	// no candidate before it was tried.
	Ready time.Time
	// LongestWindow, when not zero, is the real cause: the request is longer than
	// every window open to it in the range, and this is the longest of them (windows
	// that touch count as one), opened by the rule LongestRule.
	LongestWindow time.Duration
	LongestRule   string
}

// Error summarises the blockers and says what to change.
func (e *NoSlotError) Error() string {
	var b strings.Builder
	if e.LongestWindow > 0 {
		fmt.Fprintf(&b, "calendar: no slot for request %q in %s: it takes %v, longer than the longest window open to it between %s and %s (%v, rule %q); shorten or split the change, or add a window at least %v long",
			e.Request, e.Environment, e.Duration, e.NotBefore.Format(timeLayout), e.NotAfter.Format(timeLayout),
			e.LongestWindow, e.LongestRule, e.Duration)
		return b.String()
	}
	fmt.Fprintf(&b, "calendar: no slot of %v for request %q in %s starting between %s and %s",
		e.Duration, e.Request, e.Environment, e.NotBefore.Format(timeLayout), e.NotAfter.Format(timeLayout))
	if !e.Ready.IsZero() {
		fmt.Fprintf(&b, " (its dependencies and soak end at %s)", e.Ready.Format(timeLayout))
	}
	var why []string
	if len(e.Rules) > 0 {
		why = append(why, "rules "+quoteList(e.Rules, 8))
	}
	if len(e.Bookings) > 0 {
		why = append(why, "bookings "+quoteList(e.Bookings, 8))
	}
	if len(why) > 0 {
		kinds := make([]string, len(e.Kinds))
		for i, k := range e.Kinds {
			kinds[i] = string(k)
		}
		fmt.Fprintf(&b, ": blocked by %s (%s)", strings.Join(why, " and "), strings.Join(kinds, ", "))
	}
	b.WriteString("; widen the range (NotAfter), shorten the change, or move the blocking bookings")
	return b.String()
}

// Unwrap returns [ErrNoSlot].
func (e *NoSlotError) Unwrap() error { return ErrNoSlot }
