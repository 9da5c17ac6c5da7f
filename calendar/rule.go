package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/change"
)

// RuleError lists every problem of one rule. It unwraps to [ErrInvalidRule], and also to
// [ErrUnknownZone] when the zone is one of the problems.
type RuleError struct {
	// Rule is the rule's name (possibly empty, which is then one of the problems).
	Rule string
	// Problems says what is wrong, one sentence each, in a fixed order.
	Problems []string
	zoneErr  error
}

func (e *RuleError) Error() string {
	name := e.Rule
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("calendar: rule %q is invalid: %s", name, strings.Join(e.Problems, "; "))
}

// Unwrap returns [ErrInvalidRule] and, for a bad zone, the [*ZoneError].
func (e *RuleError) Unwrap() []error {
	if e.zoneErr != nil {
		return []error{ErrInvalidRule, e.zoneErr}
	}
	return []error{ErrInvalidRule}
}

// maxSpan bounds the wall-clock length of one occurrence; longer rules are refused so
// that look-back stays cheap and a typo ("2062" for "2026") is caught.
const maxSpan = 400 * 24 * time.Hour

// Validate reports every problem of r at once as a [*RuleError], or nil: an empty name,
// an unknown kind, an unknown zone, a bad RRULE (saying what is wrong), COUNT with UNTIL,
// an end before or equal to the start, End and Duration both set or neither, impossible
// wall-clock times (month 13, 30 February, hour 25), unknown classes or actions, and
// exceptions on a lockdown.
func (r Rule) Validate() error {
	_, err := r.compile()
	return err
}

// validWall reports what is wrong with w, or "".
func validWall(field string, w WallTime) string {
	switch {
	case w.Year < 1900 || w.Year > 2200:
		return fmt.Sprintf("%s %s: the year must be from 1900 to 2200", field, w)
	case w.Month < 1 || w.Month > 12:
		return fmt.Sprintf("%s %s: the month must be from 1 to 12", field, w)
	case w.Day < 1 || w.Day > daysIn(w.Year, w.Month):
		return fmt.Sprintf("%s %s: %s %d has %d days", field, w, w.Month, w.Year, daysIn(w.Year, w.Month))
	case w.Hour < 0 || w.Hour > 23:
		return fmt.Sprintf("%s %s: the hour must be from 0 to 23", field, w)
	case w.Minute < 0 || w.Minute > 59:
		return fmt.Sprintf("%s %s: the minute must be from 0 to 59", field, w)
	case w.Second < 0 || w.Second > 59:
		return fmt.Sprintf("%s %s: the second must be from 0 to 59", field, w)
	}
	return ""
}

func daysIn(year int, m time.Month) int {
	if m < 1 || m > 12 {
		return 0
	}
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// compiledRule is the resolved form of a [Rule]: zone loaded, RRULE parsed, wall-clock
// starts cached. Build it once with [Rule.compile] and call between repeatedly (the
// booking half of the package does, for horizons of a year over many rules). Safe for
// concurrent use.
type compiledRule struct {
	name    string
	kind    Kind
	loc     *time.Location
	start   time.Time // DTSTART digits
	span    time.Duration
	exact   bool // span is an exact Duration, not a wall-clock offset
	until   time.Time
	exdates map[time.Time]struct{}
	skip    bool
	rec     *recurrence // nil for a one-off
	gen     *wallGen
	// lookback is how far before a window's start an overlapping occurrence can start,
	// in wall-clock terms.
	lookback time.Duration
}

// compileCache maps a rule's canonical key to its compiled form.
var compileCache struct {
	sync.Mutex
	m map[string]*compiledRule
}

const compileCacheMax = 8192

// key is a canonical encoding of the fields that shape the occurrences of r.
func (r Rule) key() string {
	var b strings.Builder
	b.Grow(96 + len(r.RRule))
	b.WriteString(r.Name)
	b.WriteByte(0)
	b.WriteString(string(r.Kind))
	b.WriteByte(0)
	b.WriteString(r.Zone)
	b.WriteByte(0)
	b.WriteString(r.Start.String())
	b.WriteString(r.End.String())
	b.WriteString(strconv.FormatInt(int64(r.Duration), 10))
	b.WriteByte(0)
	b.WriteString(r.RRule)
	b.WriteByte(0)
	for _, x := range r.ExDates {
		b.WriteString(x.String())
	}
	if r.SkipNonexistent {
		b.WriteByte('S')
	}
	// Validation also covers these; include them so an invalid variant is not hidden.
	b.WriteByte(0)
	for _, c := range r.AllowClasses {
		b.WriteString(string(c))
		b.WriteByte(',')
	}
	for _, a := range r.AllowActions {
		b.WriteString(string(a))
		b.WriteByte(',')
	}
	return b.String()
}

// compile validates r and returns its resolved form, cached by the rule's content. The
// error is a [*RuleError] listing every problem.
func (r Rule) compile() (*compiledRule, error) {
	k := r.key()
	compileCache.Lock()
	c, ok := compileCache.m[k]
	compileCache.Unlock()
	if ok {
		return c, nil
	}
	c, err := r.build()
	if err != nil {
		return nil, err
	}
	compileCache.Lock()
	if compileCache.m == nil || len(compileCache.m) >= compileCacheMax {
		compileCache.m = make(map[string]*compiledRule)
	}
	if prev, ok := compileCache.m[k]; ok {
		c = prev
	} else {
		compileCache.m[k] = c
	}
	compileCache.Unlock()
	return c, nil
}

func (r Rule) build() (*compiledRule, error) {
	e := &RuleError{Rule: r.Name}
	bad := func(format string, args ...any) { e.Problems = append(e.Problems, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(r.Name) == "" {
		bad("the name is empty: give every rule a unique name")
	}
	if !slices.Contains(Kinds(), r.Kind) {
		bad("kind %q is unknown: use one of %s", r.Kind, joinKinds())
	}
	loc, zerr := LoadZone(r.Zone)
	if zerr != nil {
		e.zoneErr = zerr
		bad("zone %q is not an IANA time zone: use a name such as \"Europe/Berlin\"", r.Zone)
	}
	startOK, endOK := true, true
	if p := validWall("start", r.Start); p != "" {
		bad("%s", p)
		startOK = false
	}
	switch {
	case !r.End.IsZero() && r.Duration != 0:
		bad("both End and Duration are set: give a wall-clock End or an exact Duration, not both")
		endOK = false
	case r.End.IsZero() && r.Duration == 0:
		bad("neither End nor Duration is set: give a wall-clock End or an exact Duration")
		endOK = false
	case r.Duration < 0:
		bad("duration %s is negative: it must be positive", r.Duration)
		endOK = false
	case r.Duration > maxSpan:
		bad("duration %s is longer than %s: split the rule", r.Duration, maxSpan)
		endOK = false
	case !r.End.IsZero():
		if p := validWall("end", r.End); p != "" {
			bad("%s", p)
			endOK = false
		}
	}
	c := &compiledRule{name: r.Name, kind: r.Kind, loc: loc, skip: r.SkipNonexistent}
	if startOK {
		c.start = wallDigits(r.Start)
	}
	if startOK && endOK {
		if r.Duration != 0 {
			c.span, c.exact = r.Duration, true
		} else {
			c.span = wallDigits(r.End).Sub(c.start)
			switch {
			case c.span <= 0:
				bad("end %s is not after start %s: a rule must end after it starts", r.End, r.Start)
			case c.span > maxSpan:
				bad("end %s is more than %s after start %s: split the rule", r.End, maxSpan, r.Start)
			}
		}
	}
	for i, x := range r.ExDates {
		if p := validWall(fmt.Sprintf("exception date %d", i+1), x); p != "" {
			bad("%s", p)
			continue
		}
		if c.exdates == nil {
			c.exdates = make(map[time.Time]struct{}, len(r.ExDates))
		}
		c.exdates[wallDigits(x)] = struct{}{}
	}
	for _, cl := range r.AllowClasses {
		if !slices.Contains(change.Classes(), cl) {
			bad("allowed class %q is unknown: use one of standard, normal, emergency", cl)
		}
	}
	for _, a := range r.AllowActions {
		if !slices.Contains(Actions(), a) {
			bad("allowed action %q is unknown: use one of deploy, hotfix, rollback", a)
		}
	}
	if r.Kind == Lockdown && (len(r.AllowClasses) > 0 || len(r.AllowActions) > 0) {
		bad("a lockdown takes no exceptions (AllowClasses, AllowActions): use a freeze, or lift the lockdown")
	}
	var rec *recurrence
	if strings.TrimSpace(r.RRule) != "" {
		var probs []string
		rec, probs = parseRRule(r.RRule)
		e.Problems = append(e.Problems, probs...)
		if rec != nil && startOK {
			// DTSTART is always the first instance (RFC 5545), so an UNTIL before the
			// start leaves one instance; an UNTIL on an earlier day than the start is
			// refused as a likely typo, not read as a one-off.
			startDay := c.start.Truncate(24 * time.Hour)
			switch {
			case !rec.untilWall.IsZero() && rec.untilWall.Before(startDay):
				bad("RRULE UNTIL is on a day before the start %s: the rule would have only its first occurrence; remove the RRULE or move UNTIL", r.Start)
			case !rec.untilUTC.IsZero() && loc != nil && instantDigits(rec.untilUTC, loc).Before(startDay):
				bad("RRULE UNTIL is on a day before the start %s: the rule would have only its first occurrence; remove the RRULE or move UNTIL", r.Start)
			}
		}
	}
	if rec != nil && startOK {
		if p := rec.unreachable(r.Start.Hour, r.Start.Minute); p != "" {
			bad("%s", p)
		}
	}
	if len(e.Problems) > 0 {
		return nil, e
	}
	if rec != nil {
		c.until = rec.untilUTC
	}
	c.rec = rec
	gen, err := newWallGen(rec, c.start, loc, r.SkipNonexistent)
	// A rule bounded by UNTIL may have one instance, its start (RFC 5545); an unbounded
	// rule, or one with COUNT, that never matches after its start is a mistake, and
	// looking for its second instance would scan to the year 9999 on every query.
	bounded := rec != nil && (!rec.untilWall.IsZero() || !rec.untilUTC.IsZero())
	if err == nil && rec != nil && rec.count != 1 && !bounded && !gen.hasSecond() {
		err = gen.err
		if err == nil {
			err = errors.New("RRULE never matches a date after the start (e.g. BYMONTHDAY=30 with BYMONTH=2): fix the rule or make it a one-off")
		}
	}
	if err != nil {
		bad("%v", err)
		return nil, e
	}
	c.gen = gen
	// An occurrence's real length differs from its wall-clock span by at most the
	// largest offset change (a day, in Samoa 2011); add a margin for both ends.
	c.lookback = c.span + 2*maxOffsetSpan
	return c, nil
}

func joinKinds() string {
	var s []string
	for _, k := range Kinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// Occurrences returns the occurrences of r that overlap [from, to), sorted by Start,
// resolved by the DST contract of this package (see [Resolve]): a start or end that
// does not exist in the zone takes the UTC offset from before the gap and marks the
// occurrence Shifted (or, with SkipNonexistent, an occurrence whose start does not exist
// is dropped); a repeated wall time is its first occurrence; End is the same wall-clock
// offset from each start as in the first occurrence, or the exact Duration.
//
// If a shifted start lands at or after its resolved end (a window wholly inside a gap),
// the occurrence keeps its wall-clock length from the shifted start.
//
// An invalid rule gives a [*RuleError]. An empty or inverted range gives no occurrences.
func (r Rule) Occurrences(from, to time.Time) ([]Occurrence, error) {
	c, err := r.compile()
	if err != nil {
		return nil, err
	}
	return c.between(nil, from, to)
}

// between appends to dst the occurrences of c overlapping [from, to), sorted by Start.
// It fails only when the expansion would pass [MaxInstances].
func (c *compiledRule) between(dst []Occurrence, from, to time.Time) ([]Occurrence, error) {
	if !from.Before(to) {
		return dst, nil
	}
	lo := instantDigits(from, c.loc).Add(-c.lookback)
	hi := instantDigits(to, c.loc).Add(2 * maxOffsetSpan)
	var buf [64]time.Time
	starts, err := c.gen.between(buf[:0], lo, hi)
	if err != nil {
		return dst, fmt.Errorf("calendar: rule %q: %w", c.name, err)
	}
	n0 := len(dst)
	for _, w := range starts {
		o, ok := c.occurrence(w)
		if !ok {
			continue
		}
		if o.End.After(from) && o.Start.Before(to) {
			dst = append(dst, o)
		}
	}
	// Resolution is monotone except across gaps, where a shifted start can pass a later
	// wall time's instant; keep the contract "sorted by Start".
	if tail := dst[n0:]; !sort.SliceIsSorted(tail, func(i, j int) bool { return tail[i].Start.Before(tail[j].Start) }) {
		sort.SliceStable(tail, func(i, j int) bool { return tail[i].Start.Before(tail[j].Start) })
	}
	// A recurrence set holds each instant once (RFC 5545 §3.8.5.3: duplicate
	// instances are ignored). A start shifted out of a gap can land on the instant of
	// the next wall time (an hourly rule at 02:00 and 03:00 on a spring-forward
	// night): keep one, the one that was not shifted.
	out := dst[:n0]
	for _, o := range dst[n0:] {
		if k := len(out); k > n0 && out[k-1].Start.Equal(o.Start) {
			if out[k-1].Shifted && !o.Shifted {
				out[k-1] = o
			}
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

// occurrence resolves the occurrence starting at wall digits w; false when it is
// excluded (EXDATE, UNTIL, or a skipped nonexistent start).
func (c *compiledRule) occurrence(w time.Time) (Occurrence, bool) {
	if _, ex := c.exdates[w]; ex {
		return Occurrence{}, false
	}
	start, shifted := resolveDigits(w, c.loc)
	if shifted && c.skip {
		return Occurrence{}, false
	}
	if !c.until.IsZero() && start.After(c.until) && !w.Equal(c.start) {
		return Occurrence{}, false
	}
	var end time.Time
	if c.exact {
		end = start.Add(c.span)
	} else {
		var endShifted bool
		end, endShifted = resolveDigits(w.Add(c.span), c.loc)
		shifted = shifted || endShifted
		if !end.After(start) {
			end = start.Add(c.span)
		}
	}
	return Occurrence{Rule: c.name, Kind: c.kind, Start: start, End: end, Shifted: shifted}, true
}

// wallStarts returns the counted wall starts of c in [lo, hi] (digits), including
// those EXDATE or UNTIL exclude.
func (c *compiledRule) wallStarts(lo, hi time.Time) ([]time.Time, error) {
	return c.gen.between(nil, lo, hi)
}
