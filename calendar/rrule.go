package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	rrule "github.com/teambition/rrule-go"
)

// This file wraps github.com/teambition/rrule-go. The library is fed wall-clock digits
// in UTC (see resolve.go), so it never sees a DST transition; its results are wall-clock
// starts that the resolver turns into instants.
//
// Quirks of rrule-go v1.8.2 that the wrapper handles (read from its source):
//   - it does not include DTSTART when DTSTART does not match the rule; RFC 5545 counts
//     DTSTART as the first instance, so the wrapper adds it (and counts it for COUNT);
//   - it parses UNTIL without "Z" in the location it is given, and with "Z" as UTC, and
//     then cannot tell the two apart; the wrapper parses UNTIL itself;
//   - its iterator only returns once it has found an occurrence, and a rule that never
//     matches (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30) runs on to the year 9999; the
//     wrapper looks for the first occurrence once, at compile time, and refuses such rules;
//   - ordinals in BYDAY are silently ignored below MONTHLY, BYEASTER is an extension,
//     and out-of-range BYxxx values are checked only partly: the wrapper validates every
//     part itself and reports every problem;
//   - it may panic on unusual BYWEEKNO combinations; the wrapper recovers and reports;
//   - with FREQ=HOURLY or MINUTELY, an INTERVAL that never lands on an hour of BYHOUR
//     (or a minute of BYMINUTE) loops forever inside the library: the wrapper refuses
//     such rules (see unreachable);
//   - COUNT is counted by the wrapper, not the library, so that a start that does not
//     exist in the zone and is skipped (Rule.SkipNonexistent) is not counted (RFC 5545
//     §3.3.10: such instances "MUST NOT be counted").

// freqs are the FREQ values this package accepts. SECONDLY is refused: no release
// window recurs every few seconds. A MINUTELY rule (the RFC's "every 15 minutes",
// "every 20 minutes from 9:00 to 16:40") is read and exported like any other; like
// every rule it expands to at most [MaxInstances] instances from its start.
var freqs = map[string]rrule.Frequency{
	"YEARLY": rrule.YEARLY, "MONTHLY": rrule.MONTHLY, "WEEKLY": rrule.WEEKLY,
	"DAILY": rrule.DAILY, "HOURLY": rrule.HOURLY, "MINUTELY": rrule.MINUTELY,
}

// Limits and defaults.
const (
	// MaxInstances bounds the expansion of one rule: a rule yields at most this many
	// instances counted from its start (COUNT may not exceed it either). A query that
	// needs a later instance, such as the occurrences of an endless MINUTELY rule two
	// years after its start, fails with an error wrapping [ErrTooManyInstances]; move
	// the rule's start forward, or make the rule coarser. At one instance a minute the
	// bound is reached after about 23 months; at one an hour, after 114 years.
	MaxInstances = 1_000_000
	// DefaultAlignment is the slot alignment of a Calendar built without
	// [WithAlignment]: slots start on whole minutes.
	DefaultAlignment = time.Minute
)

var weekdays = map[string]rrule.Weekday{
	"MO": rrule.MO, "TU": rrule.TU, "WE": rrule.WE, "TH": rrule.TH,
	"FR": rrule.FR, "SA": rrule.SA, "SU": rrule.SU,
}

// recurrence is a parsed, validated RRULE.
type recurrence struct {
	opt rrule.ROption // Dtstart, Until and Count are set when compiled
	// until: either an instant (untilUTC) or wall-clock digits (untilWall); zero when absent.
	untilUTC  time.Time
	untilWall time.Time
	count     int
}

// parseRRule parses an RRULE value (without "RRULE:"), returning every problem found.
func parseRRule(s string) (*recurrence, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "RRULE:"))
	rec := &recurrence{}
	if s == "" {
		return nil, []string{"RRULE is empty: leave the field empty for a one-off rule, or write e.g. FREQ=WEEKLY;BYDAY=TU"}
	}
	seen := map[string]bool{}
	freqSet := false
	var bysetpos bool
	var byOther []string
	var ordinalDay bool
	for _, part := range strings.Split(s, ";") {
		key, value, ok := strings.Cut(part, "=")
		key = strings.ToUpper(strings.TrimSpace(key))
		value = strings.ToUpper(strings.TrimSpace(value))
		if !ok || key == "" {
			bad("RRULE part %q is not NAME=VALUE", part)
			continue
		}
		if value == "" {
			bad("RRULE %s has no value", key)
			continue
		}
		if seen[key] {
			bad("RRULE %s is given twice", key)
			continue
		}
		seen[key] = true
		switch key {
		case "FREQ":
			f, ok := freqs[value]
			switch {
			case ok:
				rec.opt.Freq = f
				freqSet = true
			case value == "SECONDLY":
				bad("RRULE FREQ=%s is not supported: use MINUTELY or a coarser frequency", value)
			default:
				bad("RRULE FREQ=%s is unknown: use one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY", value)
			}
		case "INTERVAL":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > 10000 {
				bad("RRULE INTERVAL=%s must be a whole number from 1 to 10000", value)
				continue
			}
			rec.opt.Interval = n
		case "COUNT":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 || n > MaxInstances {
				bad("RRULE COUNT=%s must be a whole number from 1 to %d", value, MaxInstances)
				continue
			}
			rec.count = n
		case "UNTIL":
			if err := rec.parseUntil(value); err != "" {
				bad("%s", err)
			}
		case "WKST":
			w, ok := weekdays[value]
			if !ok {
				bad("RRULE WKST=%s is not a weekday: use MO, TU, WE, TH, FR, SA or SU", value)
				continue
			}
			rec.opt.Wkst = w
		case "BYDAY":
			days, ord, errs := parseByDay(value)
			problems = append(problems, errs...)
			rec.opt.Byweekday = days
			ordinalDay = ord
			byOther = append(byOther, key)
		case "BYMONTH", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS":
			lo, hi, signed := byRange(key)
			ints, errs := parseInts(key, value, lo, hi, signed)
			problems = append(problems, errs...)
			switch key {
			case "BYMONTH":
				rec.opt.Bymonth = ints
			case "BYMONTHDAY":
				rec.opt.Bymonthday = ints
			case "BYYEARDAY":
				rec.opt.Byyearday = ints
			case "BYWEEKNO":
				rec.opt.Byweekno = ints
			case "BYHOUR":
				rec.opt.Byhour = ints
			case "BYMINUTE":
				rec.opt.Byminute = ints
			case "BYSECOND":
				rec.opt.Bysecond = ints
			case "BYSETPOS":
				rec.opt.Bysetpos = ints
				bysetpos = true
			}
			if key != "BYSETPOS" {
				byOther = append(byOther, key)
			}
		default:
			bad("RRULE part %s is unknown or not supported (supported: FREQ, INTERVAL, COUNT, UNTIL, WKST, BYDAY, BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO, BYHOUR, BYMINUTE, BYSECOND, BYSETPOS)", key)
		}
	}
	if !freqSet && !seen["FREQ"] {
		bad("RRULE has no FREQ: it is required, e.g. FREQ=WEEKLY")
	}
	if seen["COUNT"] && seen["UNTIL"] {
		bad("RRULE has both COUNT and UNTIL: RFC 5545 allows one of them, not both")
	}
	if freqSet {
		f := rec.opt.Freq
		if ordinalDay && f != rrule.MONTHLY && f != rrule.YEARLY {
			bad("RRULE BYDAY with an ordinal (like 2MO or -1FR) needs FREQ=MONTHLY or FREQ=YEARLY")
		}
		if ordinalDay && f == rrule.YEARLY && seen["BYWEEKNO"] {
			bad("RRULE BYDAY with an ordinal cannot be combined with BYWEEKNO")
		}
		if seen["BYMONTHDAY"] && f == rrule.WEEKLY {
			bad("RRULE BYMONTHDAY cannot be used with FREQ=WEEKLY")
		}
		if seen["BYYEARDAY"] && (f == rrule.DAILY || f == rrule.WEEKLY || f == rrule.MONTHLY) {
			bad("RRULE BYYEARDAY cannot be used with FREQ=DAILY, WEEKLY or MONTHLY")
		}
		if seen["BYWEEKNO"] && f != rrule.YEARLY {
			bad("RRULE BYWEEKNO needs FREQ=YEARLY")
		}
	}
	if bysetpos && len(byOther) == 0 {
		bad("RRULE BYSETPOS needs another BYxxx part to select from")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return rec, nil
}

func byRange(key string) (lo, hi int, signed bool) {
	switch key {
	case "BYMONTH":
		return 1, 12, false
	case "BYMONTHDAY":
		return 1, 31, true
	case "BYYEARDAY", "BYSETPOS":
		return 1, 366, true
	case "BYWEEKNO":
		return 1, 53, true
	case "BYHOUR":
		return 0, 23, false
	default: // BYMINUTE, BYSECOND
		return 0, 59, false
	}
}

func parseInts(key, value string, lo, hi int, signed bool) ([]int, []string) {
	var out []int
	var problems []string
	for _, f := range strings.Split(value, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		ok := err == nil && ((n >= lo && n <= hi) || (signed && n <= -lo && n >= -hi))
		if !ok {
			rng := fmt.Sprintf("%d to %d", lo, hi)
			if signed {
				rng += fmt.Sprintf(" or -%d to -%d", hi, lo)
			}
			problems = append(problems, fmt.Sprintf("RRULE %s value %q must be a whole number from %s", key, f, rng))
			continue
		}
		out = append(out, n)
	}
	return out, problems
}

func parseByDay(value string) ([]rrule.Weekday, bool, []string) {
	var out []rrule.Weekday
	var problems []string
	ordinal := false
	for _, f := range strings.Split(value, ",") {
		f = strings.TrimSpace(f)
		if len(f) < 2 {
			problems = append(problems, fmt.Sprintf("RRULE BYDAY value %q is not a weekday like MO, 2MO or -1FR", f))
			continue
		}
		w, ok := weekdays[f[len(f)-2:]]
		if !ok {
			problems = append(problems, fmt.Sprintf("RRULE BYDAY value %q is not a weekday like MO, 2MO or -1FR", f))
			continue
		}
		if num := f[:len(f)-2]; num != "" {
			n, err := strconv.Atoi(num)
			if err != nil || n == 0 || n > 53 || n < -53 {
				problems = append(problems, fmt.Sprintf("RRULE BYDAY value %q: the ordinal must be from 1 to 53 or -53 to -1", f))
				continue
			}
			w = w.Nth(n)
			ordinal = true
		}
		out = append(out, w)
	}
	return out, ordinal, problems
}

// unreachable reports an HOURLY or MINUTELY rule whose INTERVAL, stepping from the
// start, never lands on an hour of BYHOUR (and, for MINUTELY, a minute of BYMINUTE),
// or "". rrule-go would search such a rule forever.
func (rec *recurrence) unreachable(startHour, startMinute int) string {
	step := rec.opt.Interval
	if step < 1 {
		step = 1
	}
	switch rec.opt.Freq {
	case rrule.HOURLY:
		if len(rec.opt.Byhour) == 0 {
			return ""
		}
		g := gcd(step, 24)
		for _, h := range rec.opt.Byhour {
			if ((h-startHour)%g+g)%g == 0 {
				return ""
			}
		}
		return fmt.Sprintf("RRULE FREQ=HOURLY;INTERVAL=%d from a start at hour %d never reaches an hour of BYHOUR: change the start, INTERVAL or BYHOUR", step, startHour)
	case rrule.MINUTELY:
		if len(rec.opt.Byhour) == 0 && len(rec.opt.Byminute) == 0 {
			return ""
		}
		// The minutes of the day it can reach are those congruent to the start's,
		// modulo gcd(INTERVAL, 1440).
		g := gcd(step, 24*60)
		m0 := startHour*60 + startMinute
		for h := range 24 {
			if len(rec.opt.Byhour) > 0 && !slices.Contains(rec.opt.Byhour, h) {
				continue
			}
			for m := range 60 {
				if len(rec.opt.Byminute) > 0 && !slices.Contains(rec.opt.Byminute, m) {
					continue
				}
				if ((h*60+m-m0)%g+g)%g == 0 {
					return ""
				}
			}
		}
		return fmt.Sprintf("RRULE FREQ=MINUTELY;INTERVAL=%d from a start at %02d:%02d never reaches a time of BYHOUR and BYMINUTE: change the start, INTERVAL, BYHOUR or BYMINUTE", step, startHour, startMinute)
	}
	return ""
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// parseUntil reads UNTIL as a UTC instant ("...Z"), wall-clock digits, or a date. A
// date is read as the reference implementations (python-dateutil, ical.js) read it
// with a date-time start: midnight at the start of that day, wall-clock time in the
// rule's zone, so UNTIL=20260310 ends the rule before 2026-03-10 09:00. It returns a
// problem, or "".
func (rec *recurrence) parseUntil(v string) string {
	var err error
	switch {
	case len(v) == 16 && v[15] == 'Z':
		rec.untilUTC, err = time.Parse("20060102T150405Z", v)
	case len(v) == 15:
		rec.untilWall, err = time.Parse("20060102T150405", v)
	case len(v) == 8:
		rec.untilWall, err = time.Parse("20060102", v)
	default:
		return fmt.Sprintf("RRULE UNTIL=%s is not a date-time like 20261231T235959Z, 20261231T235959 or a date like 20261231", v)
	}
	if err != nil {
		return fmt.Sprintf("RRULE UNTIL=%s is not a valid date-time: %v", v, err)
	}
	return ""
}

// wallGen produces the wall-clock starts of a rule in order, as digits in UTC held as
// Unix seconds, caching what it has produced; safe for concurrent use.
//
// The first start is DTSTART (RFC 5545), whether or not the rule produces it. With
// skip set, a start that does not exist in the zone is set aside in skipped and not
// counted towards COUNT.
type wallGen struct {
	mu   sync.Mutex
	next rrule.Next // nil once exhausted
	// seen are the counted starts, in order; skipped the nonexistent starts set aside.
	seen    []int64
	skipped []int64
	last    int64 // the latest start produced, counted or not
	started bool  // DTSTART has been taken
	rawSeen bool  // the library has produced a value
	// first is the DTSTART digits; onRule says whether the rule itself produces it
	// (known once rawSeen).
	first  time.Time
	onRule bool
	loc    *time.Location
	skip   bool
	count  int // 0: unbounded
	// capped is set when the expansion stopped at MaxInstances with more to come.
	capped bool
	err    error
}

// newWallGen builds the generator of a recurrence starting at the digits dt. A nil
// recurrence is a one-off.
func newWallGen(rec *recurrence, dt time.Time, loc *time.Location, skip bool) (g *wallGen, err error) {
	g = &wallGen{first: dt, onRule: true, loc: loc, skip: skip}
	if rec == nil {
		g.count = 1
		return g, nil
	}
	defer func() {
		if p := recover(); p != nil {
			g, err = nil, fmt.Errorf("RRULE cannot be expanded: the recurrence library failed (%v); simplify the rule", p)
		}
	}()
	opt := rec.opt
	opt.Dtstart = dt
	g.count = rec.count
	var limit time.Time
	switch {
	case !rec.untilWall.IsZero():
		limit = rec.untilWall
	case !rec.untilUTC.IsZero():
		// A UTC UNTIL is compared on instants later; here bound the wall starts loosely.
		limit = instantDigits(rec.untilUTC, loc).Add(2 * maxOffsetSpan)
	}
	if !limit.IsZero() {
		opt.Until = limit
	}
	r, err := rrule.NewRRule(opt)
	if err != nil {
		return nil, fmt.Errorf("RRULE cannot be expanded: %v", err)
	}
	g.next = r.Iterator()
	return g, nil
}

func digitsSec(t time.Time) int64 { return t.Unix() }
func secDigits(s int64) time.Time { return time.Unix(s, 0).UTC() }

// take records the raw start v; the caller holds mu.
func (g *wallGen) take(v time.Time) {
	s := digitsSec(v)
	g.last = s
	if g.skip {
		if _, shifted := resolveDigits(v, g.loc); shifted {
			g.skipped = append(g.skipped, s)
			return
		}
	}
	g.seen = append(g.seen, s)
	if g.count > 0 && len(g.seen) >= g.count {
		g.next = nil
	}
}

// pull extends the cache past digits t (or to the end); the caller holds mu.
func (g *wallGen) pull(t time.Time) {
	if !g.started {
		g.started = true
		g.take(g.first)
	}
	ts := digitsSec(t)
	for g.next != nil && g.last <= ts {
		if len(g.seen) >= MaxInstances {
			g.capped = true
			g.next = nil
			break
		}
		v, ok := g.safeNext()
		if !ok {
			g.next = nil
			break
		}
		s := digitsSec(v)
		if !g.rawSeen {
			// rrule-go yields DTSTART first when the rule produces it, and skips it
			// otherwise.
			g.rawSeen = true
			g.onRule = s == digitsSec(g.first)
		}
		if s <= g.last { // DTSTART itself, or an out-of-order value
			continue
		}
		g.take(v)
	}
}

func (g *wallGen) safeNext() (v time.Time, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			g.err = fmt.Errorf("RRULE expansion failed: %v", p)
			v, ok = time.Time{}, false
		}
	}()
	return g.next()
}

// expansionErr is the error of a query that needed starts past the bound, or the
// library's failure.
func (g *wallGen) expansionErr() error {
	if g.err != nil {
		return g.err
	}
	return fmt.Errorf("the rule has more than %d instances before the end of the range asked for: move its start forward or make it coarser: %w", MaxInstances, ErrTooManyInstances)
}

// between appends to dst the counted wall starts in [lo, hi] (digits). It fails when
// the expansion stopped at MaxInstances (or failed) before reaching hi.
func (g *wallGen) between(dst []time.Time, lo, hi time.Time) ([]time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pull(hi)
	if (g.capped || g.err != nil) && g.last <= digitsSec(hi) {
		return dst, g.expansionErr()
	}
	los, his := digitsSec(lo), digitsSec(hi)
	i, _ := slices.BinarySearch(g.seen, los)
	for ; i < len(g.seen) && g.seen[i] <= his; i++ {
		dst = append(dst, secDigits(g.seen[i]))
	}
	return dst, nil
}

// skippedBetween returns the nonexistent starts set aside (SkipNonexistent) in
// [lo, hi], digits; call it after between over the same range.
func (g *wallGen) skippedBetween(lo, hi time.Time) []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []time.Time
	los, his := digitsSec(lo), digitsSec(hi)
	i, _ := slices.BinarySearch(g.skipped, los)
	for ; i < len(g.skipped) && g.skipped[i] <= his; i++ {
		out = append(out, secDigits(g.skipped[i]))
	}
	return out
}

// hasSecond reports whether the recurrence produces a start after DTSTART, counted or
// skipped; used to refuse unbounded rules that never match (they would make the
// library scan to the year 9999).
func (g *wallGen) hasSecond() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pull(g.first)
	return len(g.seen)+len(g.skipped) > 1
}

// onRuleStart reports whether the rule itself produces DTSTART (RFC 5545 leaves a
// start off its rule undefined; this package counts it as the first instance).
func (g *wallGen) onRuleStart() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pull(g.first)
	return !g.rawSeen || g.onRule
}

// all returns every counted wall start, for a bounded rule (COUNT or UNTIL).
func (g *wallGen) all() ([]time.Time, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pull(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if g.capped || g.err != nil {
		return nil, g.expansionErr()
	}
	out := make([]time.Time, len(g.seen))
	for i, s := range g.seen {
		out[i] = secDigits(s)
	}
	return out, nil
}

// exhaustedBefore reports whether the rule has no start after the digits t.
func (g *wallGen) exhaustedBefore(t time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pull(t)
	return g.next == nil && g.last <= digitsSec(t)
}
