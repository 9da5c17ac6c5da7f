package calendar

import (
	"fmt"
	"time"

	"github.com/releasekit/releasekit/change"
)

// Kind says what a [Rule] does to the time it covers.
type Kind string

const (
	// Window is time in which deployments are allowed. An environment that no window
	// rule covers is always open.
	Window Kind = "window"
	// Freeze is time in which deployments are denied, unless the rule's exceptions
	// let a change class or an action pass. A freeze beats a window.
	Freeze Kind = "freeze"
	// Lockdown stops everything, exceptions included, until the rule is lifted.
	Lockdown Kind = "lockdown"
)

// Kinds lists every [Kind].
func Kinds() []Kind { return []Kind{Window, Freeze, Lockdown} }

// Class is the change class.
//
// Deprecated: use [change.Class], the one type release, calendar and risk share.
type Class = change.Class

// The change classes.
//
// Deprecated: use [change.Standard], [change.Normal] and [change.Emergency].
const (
	ClassStandard  = change.Standard
	ClassNormal    = change.Normal
	ClassEmergency = change.Emergency
)

// Classes lists every change class.
//
// Deprecated: use [change.Classes].
func Classes() []change.Class { return change.Classes() }

// Action is what a booking does to an environment.
type Action string

const (
	ActionDeploy   Action = "deploy"   // ship a new version
	ActionHotfix   Action = "hotfix"   // ship an urgent fix
	ActionRollback Action = "rollback" // return to a previous version
)

// Actions lists every [Action].
func Actions() []Action { return []Action{ActionDeploy, ActionHotfix, ActionRollback} }

// WallTime is a wall-clock date-time as people say it ("2026-03-29 02:30"), with no zone
// and no normalisation: it can name a time that does not exist in a zone (inside a
// spring-forward gap) or one that occurs twice (in a fall-back overlap). Only the
// resolver of a [Rule] turns it into an instant, by the DST contract of this package.
type WallTime struct {
	Year   int
	Month  time.Month
	Day    int
	Hour   int
	Minute int
	Second int
}

// Wall builds a [WallTime].
func Wall(year int, month time.Month, day, hour, minute, second int) WallTime {
	return WallTime{Year: year, Month: month, Day: day, Hour: hour, Minute: minute, Second: second}
}

// String formats w as "2006-01-02T15:04:05".
func (w WallTime) String() string {
	return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", w.Year, int(w.Month), w.Day, w.Hour, w.Minute, w.Second)
}

// IsZero reports whether w is the zero WallTime.
func (w WallTime) IsZero() bool { return w == WallTime{} }

// Scope narrows a rule or a booking to environments, services and teams. An empty list
// means all of them.
type Scope struct {
	Environments []string
	Services     []string
	Teams        []string
}

// Rule is a recurring (or one-off) window, freeze or lockdown, written in wall-clock
// time in an IANA zone.
type Rule struct {
	// Name identifies the rule in conflicts and errors; it must be unique in a Calendar.
	Name string
	// Kind says whether the rule opens (Window) or closes (Freeze, Lockdown) time.
	Kind Kind
	// Zone is the IANA zone name of Start, End and ExDates ("Europe/Berlin").
	Zone string
	// Start is the wall-clock start of the first occurrence.
	Start WallTime
	// End is the wall-clock end of the first occurrence; every occurrence ends at the
	// same wall-clock offset from its start, resolved by the DST contract. Leave End
	// zero and set Duration for occurrences of an exact length in real time.
	End WallTime
	// Duration, when non-zero, is the exact length of every occurrence; End must then
	// be zero.
	Duration time.Duration
	// RRule is an RFC 5545 recurrence rule without the "RRULE:" prefix
	// ("FREQ=WEEKLY;BYDAY=TU,TH"); empty means a single occurrence. FREQ is YEARLY,
	// MONTHLY, WEEKLY, DAILY, HOURLY or MINUTELY (SECONDLY is refused). UNTIL is read
	// as wall-clock time in Zone when it has no "Z" suffix.
	RRule string
	// ExDates are wall-clock starts of occurrences to leave out.
	ExDates []WallTime
	// Scope narrows the rule; the zero Scope covers everything.
	Scope Scope
	// AllowClasses are change classes that may pass this freeze (not a lockdown).
	AllowClasses []change.Class
	// AllowActions are actions that may pass this freeze (not a lockdown).
	AllowActions []Action
	// SkipNonexistent drops occurrences whose start does not exist in Zone (a
	// spring-forward gap) instead of shifting them past the gap.
	SkipNonexistent bool
}

// Occurrence is one instance of a rule, as instants.
type Occurrence struct {
	// Rule is the name of the rule this occurrence comes from.
	Rule string
	// Kind is the rule's kind.
	Kind Kind
	// Start and End are the instants the occurrence covers, [Start, End).
	Start, End time.Time
	// Shifted marks an occurrence whose start or end fell in a spring-forward gap
	// and was moved by the DST contract; callers may want to show it.
	Shifted bool
}

// Booking reserves an environment, for some services, over an interval.
type Booking struct {
	// ID identifies the booking; it must be unique in a Calendar.
	ID string
	// Environment is where the change runs ("prod").
	Environment string
	// Services are the services the change touches. Two bookings that share a service
	// in the same environment may never overlap.
	Services []string
	// Team owns the change; rules scoped to teams match it.
	Team string
	// Start and End bound the booking, [Start, End).
	Start, End time.Time
	// Class is the change class; the zero value counts as change.Normal.
	Class change.Class
	// Action is what the booking does; the zero value counts as ActionDeploy.
	Action Action
}

// Request asks for a slot of a given length.
type Request struct {
	// ID names the request; in a batch, DependsOn refers to it.
	ID          string
	Environment string
	Services    []string
	Team        string
	Class       Class
	Action      Action
	// Duration is how long the change takes; it must be positive.
	Duration time.Duration
	// NotBefore and NotAfter bound the start of the slot; a zero NotAfter means one
	// year after NotBefore.
	NotBefore, NotAfter time.Time
	// DependsOn names other requests of the same batch (or IDs of existing bookings)
	// whose slots must end before this one starts.
	DependsOn []string
	// Soak is extra time to wait after the last dependency's slot ends.
	Soak time.Duration
}
