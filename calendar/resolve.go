package calendar

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The DST resolver. Wall-clock date-times travel through this package as "digits in
// UTC": a time.Time in UTC whose year, month, day, hour, minute and second are the wall
// clock's. UTC has no transitions, so arithmetic on such values (adding a day, an
// interval) is plain calendar arithmetic; only resolveDigits turns them into instants.
//
// resolveDigits never calls time.Date in a named zone (golang/go#24551: the way
// time.Date normalises a time in a gap or an overlap depends on the zone). It reads the
// UTC offsets in effect around the wall time from the zone's periods (ZoneBounds) and
// picks the candidate instant by the DST contract.

// maxOffsetSpan bounds |UTC offset| for every zone in the tz database (-12h..+14h), with
// a margin, so every candidate instant u-offset lies within [u-maxOffsetSpan, u+maxOffsetSpan].
const maxOffsetSpan = 15 * time.Hour

// Resolve maps the wall-clock time w in zone to an instant by the DST contract:
//
//   - a wall time that exists once maps to that instant;
//   - a wall time that occurs twice (a fall-back overlap) maps to the first, earlier,
//     instant;
//   - a wall time that does not exist (a spring-forward gap) takes the UTC offset in
//     effect before the gap, so 02:30 in a 02:00→03:00 gap becomes 03:30 daylight
//     time (RFC 5545 §3.3.5), and shifted is true.
//
// Out-of-range fields of w (month 13, February 30) are normalised as time.Date does in
// UTC; [Rule.Validate] rejects them in rules. A nil zone means UTC.
func Resolve(w WallTime, zone *time.Location) (t time.Time, shifted bool) {
	return resolveDigits(wallDigits(w), zone)
}

// wallDigits returns the digits of w as a UTC time.
func wallDigits(w WallTime) time.Time {
	return time.Date(w.Year, w.Month, w.Day, w.Hour, w.Minute, w.Second, 0, time.UTC)
}

// digitsWall is the inverse of wallDigits.
func digitsWall(u time.Time) WallTime {
	y, mo, d := u.Date()
	h, mi, s := u.Clock()
	return WallTime{Year: y, Month: mo, Day: d, Hour: h, Minute: mi, Second: s}
}

// instantDigits returns the wall clock of the instant t in loc, as digits in UTC.
func instantDigits(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	_, off := lt.Zone()
	return t.Add(time.Duration(off) * time.Second).UTC().Truncate(0)
}

// zonePeriod is a stretch of time with one UTC offset: [start, end); a zero start or end
// is unbounded.
type zonePeriod struct {
	start, end time.Time
	offset     time.Duration
}

func (p zonePeriod) contains(t time.Time) bool {
	return (p.start.IsZero() || !t.Before(p.start)) && (p.end.IsZero() || t.Before(p.end))
}

func periodAt(t time.Time, loc *time.Location) zonePeriod {
	lt := t.In(loc)
	_, off := lt.Zone()
	start, end := lt.ZoneBounds()
	return zonePeriod{start: start, end: end, offset: time.Duration(off) * time.Second}
}

// periodsAround returns the periods of loc covering [u-maxOffsetSpan, u+maxOffsetSpan],
// every instant the wall-clock digits u can name: one period in the common case, two
// or three around a transition.
func periodsAround(u time.Time, loc *time.Location, buf *[4]zonePeriod) []zonePeriod {
	lo, hi := u.Add(-maxOffsetSpan), u.Add(maxOffsetSpan)
	periods := append(buf[:0], periodAt(lo, loc))
	for len(periods) < cap(buf) {
		last := periods[len(periods)-1]
		if last.end.IsZero() || last.end.After(hi) {
			break
		}
		periods = append(periods, periodAt(last.end, loc))
	}
	return periods
}

// resolveDigits resolves the wall-clock digits u (a UTC time) in loc.
func resolveDigits(u time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil || loc == time.UTC {
		return u, false
	}
	var buf [4]zonePeriod
	periods := periodsAround(u, loc, &buf)
	if len(periods) == 1 { // one offset in force over the whole candidate range
		return u.Add(-periods[0].offset), false
	}
	// The earliest valid candidate: a wall time in an overlap is its first occurrence.
	for _, q := range periods {
		if c := u.Add(-q.offset); q.contains(c) {
			return c, false
		}
	}
	// No valid candidate: u is in a gap. Take the offset of the period before the gap,
	// that is, of the last period that ends at or before the candidate it yields.
	for i := len(periods) - 1; i >= 0; i-- {
		q := periods[i]
		c := u.Add(-q.offset)
		if !q.end.IsZero() && !c.Before(q.end) {
			return c, true
		}
	}
	// Unreachable for well-formed zone data; fall back to the first period's offset.
	return u.Add(-periods[0].offset), true
}

// zoneCache holds loaded locations by name; safe for concurrent use.
var zoneCache sync.Map // string -> *time.Location

// LoadZone returns the IANA time zone called name ("Europe/Berlin"), loading it once
// and caching it; safe for concurrent use. "UTC" is accepted; "" and "Local" are
// refused, because a rule must not depend on the machine it runs on. The error wraps
// [ErrUnknownZone].
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || strings.ContainsAny(name, "\x00\\") || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, &ZoneError{Zone: name}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &ZoneError{Zone: name, Err: err}
	}
	v, _ := zoneCache.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}

// ZoneError reports a zone name that is not an IANA time zone. It unwraps to
// [ErrUnknownZone].
type ZoneError struct {
	// Zone is the name that was given.
	Zone string
	// Err is the loader's error, if any.
	Err error
}

func (e *ZoneError) Error() string {
	return fmt.Sprintf("calendar: unknown time zone %q: use an IANA name such as \"Europe/Berlin\" or \"America/New_York\"", e.Zone)
}

// Unwrap returns [ErrUnknownZone] and the loader's error.
func (e *ZoneError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrUnknownZone, e.Err}
	}
	return []error{ErrUnknownZone}
}

// wallCandidates returns every instant an RFC 5545 client may give the wall-clock
// digits u in loc, earliest first: one for a time that exists once; two for a time
// that occurs twice (the first is this package's); for a time that does not exist,
// the instant with the offset from before the gap (this package's, RFC 5545 §3.3.5)
// and the one with the offset from after it (which ical.js, among others, picks), and
// gap is true.
func wallCandidates(u time.Time, loc *time.Location) (cands []time.Time, gap bool) {
	if loc == nil || loc == time.UTC {
		return []time.Time{u}, false
	}
	var buf [4]zonePeriod
	periods := periodsAround(u, loc, &buf)
	if len(periods) == 1 {
		return []time.Time{u.Add(-periods[0].offset)}, false
	}
	for _, q := range periods {
		if c := u.Add(-q.offset); q.contains(c) {
			cands = append(cands, c)
		}
	}
	if len(cands) > 0 {
		slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
		return slices.CompactFunc(cands, time.Time.Equal), false
	}
	// In a gap: the period before it is the last one ending at or before its
	// candidate; the period after it is the next one.
	for i := len(periods) - 1; i >= 0; i-- {
		q := periods[i]
		c := u.Add(-q.offset)
		if !q.end.IsZero() && !c.Before(q.end) {
			cands = append(cands, c)
			if i+1 < len(periods) {
				cands = append(cands, u.Add(-periods[i+1].offset))
			}
			break
		}
	}
	if len(cands) == 0 {
		cands = append(cands, u.Add(-periods[0].offset))
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(cands, time.Time.Equal), true
}
