package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file decides how the writer exports one rule so that every RFC 5545 client
// computes the library's instants over the exported span.
//
// Clients agree on wall-clock times that exist. They disagree on times that do not:
// inside a spring-forward gap ical.js takes the UTC offset from after the gap, RFC 5545
// (and this package) the one from before it, and either may land on a real instance.
// An EXDATE cannot fix that: which instant it names depends on the client again, an
// EXDATE in UTC that one client needs may delete a real instance in another, and ical.js
// steps past at most one EXDATE per instance it generates. RFC 5545 also leaves a start
// that is not on its rule undefined (ical.js drops it; this package counts it as the
// first instance). So:
//
//   - no client is ever asked to expand a start that does not exist: the recurrence is
//     cut there. The VEVENT before the cut ends with COUNT just before the nonexistent
//     start, and a VEVENT of its own (X-RELEASEKIT-PART-OF) resumes at the next start
//     that exists. When the library keeps the nonexistent start's instance (shifted past
//     the gap), that instance is a one-off VEVENT in UTC;
//   - a start that is not on its rule, or that does not exist, is a one-off VEVENT, and
//     the recurring VEVENT starts at the first start that exists;
//   - COUNT is recomputed when the client's count of starts differs from the library's
//     (a moved start, starts that SkipNonexistent does not count);
//   - a rule with one instance (a one-off, or a bounded RRULE that yields one) is a
//     VEVENT without RRULE, in UTC when its wall-clock start is ambiguous;
//   - EXDATE names only starts the VEVENT generates, with TZID (they exist);
//   - instances whose real length differs, or that run near a change of offset, are
//     pinned with RECURRENCE-ID overrides carrying the library's instants.
//
// Cuts are made inside the exported span (and its margins); outside it clients may
// differ on transition days.

// exportMargin widens the export's look-around so that every instance a nonexistent
// start can collide with is seen: the largest change of offset (Samoa, 2011: a day)
// and some slack.
const exportMargin = 26 * time.Hour

// ruleExport is what the writer emits for one rule.
type ruleExport struct {
	// series[0] is the rule's own VEVENT, which carries the rule's metadata; the others
	// resume the recurrence after a cut.
	series []exportSeries
	// alone are instances written as one-off VEVENTs of their own.
	alone []exportPin
	// moved: series[0] does not start at the rule's Start (X-RELEASEKIT-START);
	// rewritten: its RRULE is not the rule's (X-RELEASEKIT-RRULE).
	moved, rewritten bool
}

// exportSeries is one VEVENT: recurring (dtstart with TZID, rrule), or a one-off.
type exportSeries struct {
	dtstart time.Time // wall-clock digits, written with TZID
	// utcStart, when not zero, replaces dtstart with a DTSTART in UTC; utcEnd then
	// ends it (zero: DURATION).
	utcStart, utcEnd time.Time
	rrule            string
	exWall           []time.Time // EXDATE;TZID, wall-clock digits that exist
	exUTC            []time.Time // EXDATE in UTC
	pins             []exportPin // RECURRENCE-ID overrides
}

type exportPin struct {
	wall time.Time // wall-clock digits of the start, as the rule generates it
	occ  Occurrence
}

// rawStart is a start the rule generates, as a client sees it: counted or skipped by
// SkipNonexistent alike.
type rawStart struct {
	wall time.Time
	gap  bool // the wall-clock time does not exist
}

// rawStarts returns the starts of c in [lo, hi] (digits), counted or skipped, sorted.
func rawStarts(c *compiledRule, lo, hi time.Time) ([]rawStart, error) {
	if hi.Before(lo) {
		return nil, nil
	}
	counted, err := c.wallStarts(lo, hi)
	if err != nil {
		return nil, fmt.Errorf("calendar: rule %q: %w", c.name, err)
	}
	ws := append(counted, c.gen.skippedBetween(lo, hi)...)
	sortTimes(ws)
	out := make([]rawStart, len(ws))
	for i, w := range ws {
		_, gap := wallCandidates(w, c.loc)
		out[i] = rawStart{w, gap}
	}
	return out, nil
}

func sortTimes(ts []time.Time) { slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) }) }

// planExport decides how rule r is written for the span [from, to); see the top of
// this file.
func planExport(r Rule, c *compiledRule, from, to time.Time) (*ruleExport, error) {
	x := &ruleExport{}
	bounded := c.rec == nil || c.rec.count > 0 || !c.rec.untilWall.IsZero() || !c.rec.untilUTC.IsZero()
	var all []time.Time // the counted starts of a bounded rule
	if bounded {
		var err error
		if all, err = c.gen.all(); err != nil {
			return nil, fmt.Errorf("calendar: rule %q: %w", c.name, err)
		}
		if fin := finalInstances(c, all, 2); len(fin) <= 1 {
			planOneOff(x, r, c, fin)
			return x, nil
		}
	}
	// last is the last start the library counts, for a bounded rule.
	var last time.Time
	if bounded {
		last = all[len(all)-1]
	}
	beyond := func(w time.Time) bool { return bounded && w.After(last) }

	// The first VEVENT starts at the first start that exists and is on the rule.
	first := c.start
	if _, startGap := wallCandidates(c.start, c.loc); !c.gen.onRuleStart() || startGap {
		next, ok, err := firstExistingAfter(c, c.start)
		if err != nil {
			return nil, err
		}
		if !ok || beyond(next) { // no start left that exists: every instance on its own
			x.alone = finalInstances(c, all, -1)
			planOneOff(x, r, c, nil)
			return x, nil
		}
		lead, err := c.wallStarts(c.start, next.Add(-time.Second))
		if err != nil {
			return nil, fmt.Errorf("calendar: rule %q: %w", c.name, err)
		}
		x.alone = append(x.alone, finalInstances(c, lead, -1)...)
		first, x.moved = next, true
	}

	lo := instantDigits(from, c.loc).Add(-c.lookback)
	hi := instantDigits(to, c.loc).Add(2 * maxOffsetSpan)
	if bounded && last.Before(hi) {
		hi = last
	}
	wide, err := rawStarts(c, maxTime(first, lo.Add(-exportMargin)), hi.Add(exportMargin))
	if err != nil {
		return nil, err
	}
	// The library's instants of starts that exist: a client computes them alike, so an
	// exclusion or a one-off must never land on one.
	real := map[int64]bool{}
	for _, s := range wide {
		if s.gap || beyond(s.wall) {
			continue
		}
		if o, ok := c.occurrence(s.wall); ok {
			real[o.Start.UnixNano()] = true
		}
	}
	inSpan := func(o Occurrence) bool { return o.End.After(from) && o.Start.Before(to) }

	// Walk the starts of the span, cutting the recurrence at each start that does not
	// exist.
	cur := exportSeries{dtstart: first}
	var series []exportSeries
	var segEnds []time.Time // the cut ending each finished series
	for i := 0; i < len(wide); i++ {
		s := wide[i]
		if s.wall.Before(maxTime(first, lo)) || s.wall.After(hi) {
			continue
		}
		if !s.gap {
			o, ok := c.occurrence(s.wall)
			// Pin every instance a client could compute differently: one whose end was
			// moved out of a gap, one whose real length differs, and one that starts,
			// ends or runs near a change of offset (a wall time that occurs twice, or
			// an exact duration across the change, is where clients disagree).
			if ok && inSpan(o) && (o.Shifted || o.End.Sub(o.Start) != c.span ||
				offsetChanges(c.loc, o.Start.Add(-maxOffsetSpan), o.End.Add(maxOffsetSpan))) {
				cur.pins = append(cur.pins, exportPin{s.wall, o})
			}
			continue
		}
		if o, ok := c.occurrence(s.wall); ok && !real[o.Start.UnixNano()] && inSpan(o) {
			x.alone = append(x.alone, exportPin{s.wall, o})
		}
		// Cut: this series ends before s; the next resumes at the next start that exists.
		j := i + 1
		for j < len(wide) && wide[j].gap {
			if o, ok := c.occurrence(wide[j].wall); ok && !real[o.Start.UnixNano()] && inSpan(o) {
				x.alone = append(x.alone, exportPin{wide[j].wall, o})
			}
			j++
		}
		series = append(series, cur)
		segEnds = append(segEnds, s.wall)
		if j == len(wide) || beyond(wide[j].wall) {
			cur = exportSeries{} // nothing resumes
			break
		}
		cur = exportSeries{dtstart: wide[j].wall}
		i = j - 1
	}
	if !cur.dtstart.IsZero() {
		series = append(series, cur)
	}

	// Bounds: a series ended by a cut counts the starts a client generates up to it;
	// the last one keeps the rule's bound.
	for k := range series {
		sr := &series[k]
		if k < len(segEnds) {
			n, err := countRaw(c, sr.dtstart, segEnds[k])
			if err != nil {
				return nil, err
			}
			sr.rrule = withBound(r.RRule, "COUNT="+strconv.Itoa(n))
			continue
		}
		sr.rrule = lastBound(r, c, sr.dtstart, last, k > 0 || x.moved)
	}
	x.rewritten = series[0].rrule != canonicalRRule(r.RRule)

	// Exception dates go to the series that generates them; one that names no start
	// of the rule is left out (ical.js steps past one EXDATE per instance it generates,
	// so a stray one can hide the next).
	for d := range c.exdates {
		if _, gap := wallCandidates(d, c.loc); gap || beyond(d) {
			continue
		}
		if ws, err := c.wallStarts(d, d); err != nil || len(ws) == 0 {
			continue
		}
		for k := len(series) - 1; k >= 0; k-- {
			if !d.Before(series[k].dtstart) {
				if k >= len(segEnds) || d.Before(segEnds[k]) {
					series[k].exWall = append(series[k].exWall, d)
				}
				break
			}
		}
	}
	for k := range series {
		sortTimes(series[k].exWall)
	}
	x.series = series
	return x, nil
}

// countRaw counts the starts a client generates in [from, to) (digits): the counted
// starts and those SkipNonexistent set aside.
func countRaw(c *compiledRule, from, to time.Time) (int, error) {
	rs, err := rawStarts(c, from, to.Add(-time.Second))
	return len(rs), err
}

// canonicalRRule is the rule's RRULE as the writer spells it.
func canonicalRRule(rr string) string {
	var out []string
	for _, p := range strings.Split(strings.TrimPrefix(strings.TrimSpace(rr), "RRULE:"), ";") {
		k, v, _ := strings.Cut(p, "=")
		k, v = strings.ToUpper(strings.TrimSpace(k)), strings.ToUpper(strings.TrimSpace(v))
		if k != "" {
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, ";")
}

// withBound replaces COUNT and UNTIL of rr by bound ("" for none).
func withBound(rr, bound string) string {
	var out []string
	for _, p := range strings.Split(canonicalRRule(rr), ";") {
		if strings.HasPrefix(p, "COUNT=") || strings.HasPrefix(p, "UNTIL=") {
			continue
		}
		out = append(out, p)
	}
	if bound != "" {
		out = append(out, bound)
	}
	return strings.Join(out, ";")
}

// lastBound is the RRULE of the series that ends the rule, starting at the digits
// start: UNTIL in UTC stays; a wall-clock UNTIL becomes the latest instant a client may
// give the last counted start (RFC 5545 requires UTC when DTSTART has a TZID); COUNT
// stays unless the series starts elsewhere than the rule or starts that
// SkipNonexistent does not count come before the last one, and is then the number of
// starts a client generates up to the last counted one.
func lastBound(r Rule, c *compiledRule, start, last time.Time, moved bool) string {
	switch {
	case c.rec.count > 0:
		skipped := c.skip && len(c.gen.skippedBetween(start, last)) > 0
		if !moved && !skipped {
			return canonicalRRule(r.RRule)
		}
		n, _ := countRaw(c, start, last.Add(time.Second))
		return withBound(r.RRule, "COUNT="+strconv.Itoa(n))
	case !c.rec.untilWall.IsZero():
		cands, _ := wallCandidates(last, c.loc)
		return withBound(r.RRule, "UNTIL="+formatUTC(cands[len(cands)-1]))
	case !c.rec.untilUTC.IsZero():
		return withBound(r.RRule, "UNTIL="+formatUTC(c.until))
	}
	return canonicalRRule(r.RRule)
}

// finalInstances returns the instances of the wall starts ws that are in the rule's
// set (EXDATE, UNTIL and SkipNonexistent applied, each instant once), stopping after
// limit of them (limit < 0: all).
func finalInstances(c *compiledRule, ws []time.Time, limit int) []exportPin {
	var out []exportPin
	seen := map[int64]int{}
	for _, w := range ws {
		o, ok := c.occurrence(w)
		if !ok {
			continue
		}
		if i, dup := seen[o.Start.UnixNano()]; dup {
			if out[i].occ.Shifted && !o.Shifted {
				out[i] = exportPin{w, o}
			}
			continue
		}
		if limit >= 0 && len(out) == limit {
			break
		}
		seen[o.Start.UnixNano()] = len(out)
		out = append(out, exportPin{w, o})
	}
	return out
}

// firstExistingAfter returns the first start of c after the digits t, counted or
// skipped, whose wall-clock time exists in the zone.
func firstExistingAfter(c *compiledRule, t time.Time) (time.Time, bool, error) {
	for span := 40 * 24 * time.Hour; ; span *= 2 {
		hi := t.Add(span)
		rs, err := rawStarts(c, t.Add(time.Second), hi)
		if err != nil {
			return time.Time{}, false, err
		}
		for _, s := range rs {
			if !s.gap {
				return s.wall, true, nil
			}
		}
		if c.gen.exhaustedBefore(hi) || hi.Year() > 9000 {
			return time.Time{}, false, nil
		}
	}
}

// planOneOff writes the rule as one VEVENT without recurrence: its one instance (in
// UTC when its wall-clock start is ambiguous or moved), or, when the rule has no
// instance at all, its start excluded again.
func planOneOff(x *ruleExport, r Rule, c *compiledRule, fin []exportPin) {
	x.rewritten = strings.TrimSpace(r.RRule) != ""
	if len(fin) == 0 {
		// No instance: a one-instance RRULE whose instance an EXDATE removes.
		t, _ := resolveDigits(c.start, c.loc)
		x.series = []exportSeries{{utcStart: t, rrule: "FREQ=DAILY;COUNT=1", exUTC: []time.Time{t}}}
		x.moved, x.rewritten = true, true
		return
	}
	p := fin[0]
	o := p.occ
	_, gap := wallCandidates(p.wall, c.loc)
	if p.wall.Equal(c.start) && !gap && !o.Shifted && o.End.Sub(o.Start) == c.span &&
		!offsetChanges(c.loc, o.Start.Add(-maxOffsetSpan), o.End.Add(maxOffsetSpan)) {
		x.series = []exportSeries{{dtstart: c.start}}
		return
	}
	s := exportSeries{utcStart: o.Start}
	if !c.exact {
		s.utcEnd = o.End
	}
	x.series, x.moved = []exportSeries{s}, true
}
