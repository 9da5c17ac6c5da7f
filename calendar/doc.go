// Package calendar is the master release calendar: windows in which deployments may run,
// freezes and lockdowns in which they may not, bookings of environments, conflicts with
// reasons a person can act on, slot search, batch scheduling, and iCalendar import and
// export.
//
// It is for platform teams that embed release management in their delivery platform,
// for release bots, and for QA and platform engineers who property-test their own
// scheduling rules (see package calendartest).
//
// # Rules
//
// A [Rule] is written in wall-clock time in an IANA zone, as people say it ("Tuesdays
// and Thursdays 10:00–16:00 Europe/Berlin"): a [WallTime] start and end (or an exact
// Duration), an RFC 5545 RRULE, exception dates, a [Scope], and for a [Freeze] the change
// classes ([change.Class]) and actions ([Action]) that may pass it. [Rule.Validate] reports
// every problem of a rule at once as a [*RuleError]; [Rule.Occurrences] expands a rule
// into [Occurrence] values over a range.
//
// # The DST contract
//
// Recurrences are expanded on wall-clock digits (github.com/teambition/rrule-go, behind
// this package's wrapper, never sees a transition) and each wall-clock time is then
// turned into an instant by [Resolve]:
//
//   - a time that does not exist (spring forward) takes the UTC offset from before the
//     gap, so 02:30 becomes 03:30 daylight time (RFC 5545 §3.3.5), and the occurrence is
//     marked Shifted; Rule.SkipNonexistent drops such occurrences instead;
//   - a time that occurs twice (fall back) is the first, earlier, one;
//   - a rule's End is resolved the same way, so on a transition day a window can be an
//     hour shorter or longer in real time; a rule with a Duration is exact instead.
//
// The resolver reads the zone's offsets and never calls time.Date in a named zone
// (whose choice in a gap or overlap depends on the zone, golang/go#24551). Zones are
// loaded once ([LoadZone]). docs/DST.md works through examples for Europe/Berlin,
// America/New_York and Australia/Sydney.
//
// # iCalendar
//
// [WriteRulesICS] and Calendar.WriteICS export rules as recurring VEVENTs with
// VTIMEZONE blocks generated from Go's zone data, pinning with RECURRENCE-ID overrides
// every instance an RFC 5545 client would otherwise compute differently, so clients
// show the same UTC instants as this package. [ReadICS] turns the windows and freezes of
// a shared calendar export into rules; malformed input gives a [*ParseError] with the
// line.
//
// # Errors
//
// Sentinels: [ErrInvalidRule], [ErrUnknownZone], [ErrMalformedICS], [ErrBadSpan]; typed
// errors [*RuleError], [*ZoneError] and [*ParseError] unwrap to them.
package calendar
