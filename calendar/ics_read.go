package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/change"
)

// ParseError reports malformed iCalendar input at a line (1-based, counting physical
// lines before unfolding). It unwraps to [ErrMalformedICS] and to the cause, if any
// (a [*ZoneError] for an unknown TZID, a [*RuleError] for an event that makes an
// invalid rule).
type ParseError struct {
	Line int
	Msg  string
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("calendar: iCalendar line %d: %s", e.Line, e.Msg)
}

// Unwrap returns [ErrMalformedICS] and the cause.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformedICS, e.Err}
	}
	return []error{ErrMalformedICS}
}

// ReadOption adjusts [ReadICS].
type ReadOption func(*readConfig)

type readConfig struct {
	zone     string
	kind     Kind
	maxBytes int64
}

// WithDefaultZone sets the zone of floating times and all-day (VALUE=DATE) events when
// the calendar has no X-WR-TIMEZONE. Without either, they are read in UTC.
func WithDefaultZone(name string) ReadOption { return func(c *readConfig) { c.zone = name } }

// WithDefaultKind sets the kind of imported events that say nothing about their kind
// (no X-RELEASEKIT-KIND, no telling CATEGORIES or SUMMARY); the default is [Freeze].
func WithDefaultKind(k Kind) ReadOption { return func(c *readConfig) { c.kind = k } }

// WithMaxBytes bounds the input read (default 64 MiB).
func WithMaxBytes(n int64) ReadOption { return func(c *readConfig) { c.maxBytes = n } }

// contentLine is one unfolded content line.
type contentLine struct {
	line   int
	name   string // upper case
	params map[string]string
	value  string
}

func (l contentLine) param(k string) string { return l.params[k] }

// ReadICS turns the VEVENTs of an iCalendar stream into rules, one per event, in the
// order of the input:
//
//   - DTSTART with TZID (an IANA name; common Windows names and prefixed names like
//     "/mozilla.org/.../Europe/Berlin" are mapped), in UTC ("Z": the rule is in UTC),
//     floating, or VALUE=DATE (an all-day event: whole days in the calendar's
//     X-WR-TIMEZONE or [WithDefaultZone]);
//   - DTEND, or DURATION (days and weeks are nominal, kept as wall-clock time; hours,
//     minutes and seconds are exact); a recurring event with DTEND keeps the exact
//     length DTEND−DTSTART (RFC 5545), unless the event carries this package's
//     X-RELEASEKIT-END;
//   - RRULE (validated by [Rule.Validate]), EXDATE in TZID, UTC and DATE forms;
//   - RECURRENCE-ID overrides that move an instance become an exception date on the
//     rule and a one-off rule of their own; overrides that repeat what the rule computes
//     anyway (as [WriteRulesICS] writes them) are dropped; cancelled events are skipped;
//   - the kind from X-RELEASEKIT-KIND, else from CATEGORIES or SUMMARY naming a window,
//     freeze or lockdown, else [Freeze] (see [WithDefaultKind]);
//   - the name from X-RELEASEKIT-RULE, else SUMMARY, else UID, made unique;
//   - scope and exceptions from the X-RELEASEKIT-* properties [WriteRulesICS] writes.
//
// Bookings written by the calendar's WriteICS (X-RELEASEKIT-BOOKING) are skipped.
// Malformed input gives a [*ParseError] naming the line; ReadICS never panics.
func ReadICS(r io.Reader, opts ...ReadOption) ([]Rule, error) {
	cfg := readConfig{kind: Freeze, maxBytes: 64 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	data, err := io.ReadAll(io.LimitReader(r, cfg.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: reading iCalendar data: %w", err)
	}
	if int64(len(data)) > cfg.maxBytes {
		return nil, &ParseError{Line: 1, Msg: fmt.Sprintf("input is larger than %d bytes: raise the limit with WithMaxBytes", cfg.maxBytes)}
	}
	lines, err := unfold(data)
	if err != nil {
		return nil, err
	}
	p := &icsParser{cfg: cfg}
	return p.parse(lines)
}

// unfold splits data into content lines, joining continuation lines.
func unfold(data []byte) ([]contentLine, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	raw := strings.Split(string(data), "\n")
	var out []contentLine
	var cur strings.Builder
	curLine := 0
	flush := func() error {
		if curLine == 0 {
			return nil
		}
		cl, err := parseContentLine(cur.String(), curLine)
		if err != nil {
			return err
		}
		out = append(out, cl)
		cur.Reset()
		curLine = 0
		return nil
	}
	for i, l := range raw {
		l = strings.TrimSuffix(l, "\r")
		if l != "" && (l[0] == ' ' || l[0] == '\t') {
			if curLine == 0 {
				return nil, &ParseError{Line: i + 1, Msg: "a continuation line (starting with a space) comes before any content line"}
			}
			cur.WriteString(l[1:])
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		cur.WriteString(l)
		curLine = i + 1
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseContentLine splits name *(";" param) ":" value, honouring quoted parameter values.
func parseContentLine(s string, line int) (contentLine, error) {
	cl := contentLine{line: line}
	i := strings.IndexAny(s, ";:")
	if i <= 0 {
		return cl, &ParseError{Line: line, Msg: fmt.Sprintf("%q is not a content line NAME[;PARAM=VALUE]:VALUE", clip(s))}
	}
	cl.name = strings.ToUpper(s[:i])
	if !validName(cl.name) {
		return cl, &ParseError{Line: line, Msg: fmt.Sprintf("property name %q has characters other than letters, digits and '-'", clip(cl.name))}
	}
	for s[i] == ';' {
		i++
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 {
			return cl, &ParseError{Line: line, Msg: fmt.Sprintf("parameter of %s is not NAME=VALUE", cl.name)}
		}
		pname := strings.ToUpper(s[i : i+eq])
		i += eq + 1
		var val string
		if i < len(s) && s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return cl, &ParseError{Line: line, Msg: fmt.Sprintf("parameter %s of %s has an unclosed quote", pname, cl.name)}
			}
			val = s[i+1 : i+1+end]
			i += end + 2
		} else {
			end := strings.IndexAny(s[i:], ";:")
			if end < 0 {
				return cl, &ParseError{Line: line, Msg: fmt.Sprintf("%s has no ':' before its value", cl.name)}
			}
			val = s[i : i+end]
			i += end
		}
		if cl.params == nil {
			cl.params = map[string]string{}
		}
		cl.params[pname] = val
		if i >= len(s) {
			return cl, &ParseError{Line: line, Msg: fmt.Sprintf("%s has no ':' before its value", cl.name)}
		}
		if s[i] != ';' && s[i] != ':' {
			return cl, &ParseError{Line: line, Msg: fmt.Sprintf("parameter %s of %s is followed by %q, not ';' or ':'", pname, cl.name, s[i])}
		}
	}
	cl.value = s[i+1:]
	return cl, nil
}

func validName(n string) bool {
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// vevent is the raw form of one VEVENT.
type vevent struct {
	line  int
	props map[string][]contentLine
}

func (e *vevent) get(name string) (contentLine, bool) {
	ls := e.props[name]
	if len(ls) == 0 {
		return contentLine{}, false
	}
	return ls[0], true
}

type icsParser struct {
	cfg     readConfig
	calZone string
}

func (p *icsParser) parse(lines []contentLine) ([]Rule, error) {
	var stack []string
	var events []*vevent
	var cur *vevent
	sawCalendar := false
	for _, l := range lines {
		switch l.name {
		case "BEGIN":
			comp := strings.ToUpper(strings.TrimSpace(l.value))
			if comp == "" {
				return nil, &ParseError{Line: l.line, Msg: "BEGIN has no component name"}
			}
			if len(stack) == 0 && comp != "VCALENDAR" {
				return nil, &ParseError{Line: l.line, Msg: fmt.Sprintf("BEGIN:%s outside a VCALENDAR", clip(comp))}
			}
			if len(stack) > 16 {
				return nil, &ParseError{Line: l.line, Msg: "components are nested more than 16 deep"}
			}
			if comp == "VCALENDAR" {
				if len(stack) != 0 {
					return nil, &ParseError{Line: l.line, Msg: "a VCALENDAR inside another component"}
				}
				sawCalendar = true
			}
			stack = append(stack, comp)
			if comp == "VEVENT" && len(stack) == 2 {
				cur = &vevent{line: l.line, props: map[string][]contentLine{}}
			}
		case "END":
			comp := strings.ToUpper(strings.TrimSpace(l.value))
			if len(stack) == 0 || stack[len(stack)-1] != comp {
				want := "nothing"
				if len(stack) > 0 {
					want = "END:" + stack[len(stack)-1]
				}
				return nil, &ParseError{Line: l.line, Msg: fmt.Sprintf("END:%s does not close an open component (expected %s)", clip(comp), want)}
			}
			stack = stack[:len(stack)-1]
			if comp == "VEVENT" && len(stack) == 1 && cur != nil {
				events = append(events, cur)
				cur = nil
			}
		default:
			if len(stack) == 0 {
				return nil, &ParseError{Line: l.line, Msg: fmt.Sprintf("%s outside a VCALENDAR", clip(l.name))}
			}
			if len(stack) == 1 && l.name == "X-WR-TIMEZONE" {
				p.calZone = strings.TrimSpace(l.value)
			}
			if cur != nil && len(stack) == 2 {
				cur.props[l.name] = append(cur.props[l.name], l)
			}
		}
	}
	if len(stack) > 0 {
		line := 1
		if len(lines) > 0 {
			line = lines[len(lines)-1].line
		}
		return nil, &ParseError{Line: line, Msg: fmt.Sprintf("the input ends inside %s: END:%s is missing", stack[len(stack)-1], stack[len(stack)-1])}
	}
	if !sawCalendar {
		return nil, &ParseError{Line: 1, Msg: "no BEGIN:VCALENDAR: this is not iCalendar data"}
	}
	return p.rules(events)
}

// defaultZone is the zone of floating and all-day times.
func (p *icsParser) defaultZone(line int) (string, *time.Location, error) {
	name := p.calZone
	if name == "" {
		name = p.cfg.zone
	}
	if name == "" {
		return "UTC", time.UTC, nil
	}
	z, loc, err := lookupTZID(name)
	if err != nil {
		return "", nil, &ParseError{Line: line, Msg: fmt.Sprintf("time zone %q is not an IANA time zone", clip(name)), Err: err}
	}
	return z, loc, nil
}

// windowsZones maps common Windows zone names to IANA names.
var windowsZones = map[string]string{
	"UTC":                            "UTC",
	"GMT Standard Time":              "Europe/London",
	"W. Europe Standard Time":        "Europe/Berlin",
	"Romance Standard Time":          "Europe/Paris",
	"Central Europe Standard Time":   "Europe/Budapest",
	"Central European Standard Time": "Europe/Warsaw",
	"E. Europe Standard Time":        "Europe/Chisinau",
	"FLE Standard Time":              "Europe/Kiev",
	"Eastern Standard Time":          "America/New_York",
	"Central Standard Time":          "America/Chicago",
	"Mountain Standard Time":         "America/Denver",
	"Pacific Standard Time":          "America/Los_Angeles",
	"AUS Eastern Standard Time":      "Australia/Sydney",
	"Tokyo Standard Time":            "Asia/Tokyo",
	"India Standard Time":            "Asia/Kolkata",
	"China Standard Time":            "Asia/Shanghai",
	"Singapore Standard Time":        "Asia/Singapore",
}

// lookupTZID maps a TZID to an IANA zone.
func lookupTZID(tzid string) (string, *time.Location, error) {
	tzid = strings.TrimSpace(tzid)
	if loc, err := LoadZone(tzid); err == nil {
		return tzid, loc, nil
	}
	if n, ok := windowsZones[tzid]; ok {
		loc, err := LoadZone(n)
		return n, loc, err
	}
	// Prefixed names: "/mozilla.org/20050126_1/Europe/Berlin", "/citadel.org/.../Europe/Berlin".
	parts := strings.Split(strings.Trim(tzid, "/"), "/")
	for k := 3; k >= 2; k-- {
		if len(parts) > k {
			n := strings.Join(parts[len(parts)-k:], "/")
			if loc, err := LoadZone(n); err == nil {
				return n, loc, nil
			}
		}
	}
	_, err := LoadZone(tzid)
	if err == nil {
		err = &ZoneError{Zone: tzid}
	}
	return "", nil, err
}

// icsTime is a parsed DATE or DATE-TIME value.
type icsTime struct {
	digits time.Time // wall digits (or UTC digits when utc)
	date   bool
	utc    bool
	zone   string // IANA name when TZID was given
	loc    *time.Location
}

// parseTimeValue parses one DATE / DATE-TIME value with the parameters of l.
func (p *icsParser) parseTimeValue(l contentLine, v string) (icsTime, error) {
	v = strings.TrimSpace(v)
	var t icsTime
	var err error
	switch {
	case len(v) == 8:
		t.date = true
		t.digits, err = time.Parse("20060102", v)
	case len(v) == 15 && v[8] == 'T':
		t.digits, err = time.Parse("20060102T150405", v)
	case len(v) == 16 && v[8] == 'T' && (v[15] == 'Z' || v[15] == 'z'):
		t.utc = true
		t.digits, err = time.Parse("20060102T150405", v[:15])
	default:
		err = errors.New("bad length")
	}
	if err != nil || t.digits.Year() < 1 || t.digits.Year() > 9998 {
		return t, &ParseError{Line: l.line, Msg: fmt.Sprintf("%s value %q is not a date (20260101) or date-time (20260101T100000, 20260101T090000Z)", l.name, clip(v))}
	}
	if vt := strings.ToUpper(l.param("VALUE")); vt == "DATE" && !t.date || vt == "DATE-TIME" && t.date {
		return t, &ParseError{Line: l.line, Msg: fmt.Sprintf("%s value %q does not match VALUE=%s", l.name, clip(v), vt)}
	}
	if tzid := l.param("TZID"); tzid != "" && !t.utc && !t.date {
		z, loc, zerr := lookupTZID(tzid)
		if zerr != nil {
			return t, &ParseError{Line: l.line, Msg: fmt.Sprintf("%s has TZID %q, which is not an IANA time zone (such as Europe/Berlin)", l.name, clip(tzid)), Err: zerr}
		}
		t.zone, t.loc = z, loc
	}
	return t, nil
}

// inZone returns the wall digits of t in loc (zone name zname).
func (t icsTime) wallIn(zname string, loc *time.Location) time.Time {
	switch {
	case t.utc:
		return instantDigits(t.digits, loc)
	case t.zone != "" && t.zone != zname:
		inst, _ := resolveDigits(t.digits, t.loc)
		return instantDigits(inst, loc)
	default:
		return t.digits
	}
}

// parseICSDuration parses an RFC 5545 duration into nominal days and exact time.
func parseICSDuration(s string) (days int, exact time.Duration, ok bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := false
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		neg = s[0] == '-'
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, 0, false
	}
	s = s[1:]
	inTime := false
	seen := false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return 0, 0, false
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 7 {
			return 0, 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		seen = true
		switch {
		case !inTime && unit == 'W':
			days += 7 * n
		case !inTime && unit == 'D':
			days += n
		case inTime && unit == 'H':
			exact += time.Duration(n) * time.Hour
		case inTime && unit == 'M':
			exact += time.Duration(n) * time.Minute
		case inTime && unit == 'S':
			exact += time.Duration(n) * time.Second
		default:
			return 0, 0, false
		}
	}
	if !seen || neg {
		return 0, 0, false
	}
	return days, exact, true
}

func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// splitText splits a TEXT list on unescaped commas and unescapes each item.
func splitText(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == ',' {
			out = append(out, unescapeText(s[start:i]))
			start = i + 1
		}
	}
	out = append(out, unescapeText(s[start:]))
	return out
}

// parsedEvent is a VEVENT turned into a rule, with what overrides need.
type parsedEvent struct {
	ev    *vevent
	uid   string
	rule  Rule
	recID *icsTime
	start icsTime
	// for overrides: the instants the event covers
	startAt, endAt time.Time
	cancelled      bool
}

func (p *icsParser) rules(events []*vevent) ([]Rule, error) {
	var masters []*parsedEvent
	byUID := map[string]*parsedEvent{}
	var overrides []*parsedEvent
	for _, ev := range events {
		if _, isBooking := ev.get("X-RELEASEKIT-BOOKING"); isBooking {
			continue
		}
		pe, err := p.event(ev)
		if err != nil {
			return nil, err
		}
		if pe.recID != nil {
			overrides = append(overrides, pe)
			continue
		}
		if prev, dup := byUID[pe.uid]; dup && pe.uid != "" {
			return nil, &ParseError{Line: ev.line, Msg: fmt.Sprintf("a second VEVENT with UID %q and no RECURRENCE-ID (the first is at line %d)", clip(pe.uid), prev.ev.line)}
		}
		if pe.uid != "" {
			byUID[pe.uid] = pe
		}
		masters = append(masters, pe)
	}
	var extra []*parsedEvent
	// One-off VEVENTs that an export of this package wrote for instances of a rule
	// (X-RELEASEKIT-PART-OF) belong to the rule, which restores them itself.
	kept := masters[:0]
	parts := map[string]bool{}
	for _, pe := range masters {
		if l, ok := pe.ev.get("X-RELEASEKIT-PART-OF"); ok {
			if _, master := byUID[strings.TrimSpace(l.value)]; master {
				parts[pe.uid] = true
				continue
			}
		}
		kept = append(kept, pe)
	}
	masters = kept
	for _, ov := range overrides {
		if parts[ov.uid] {
			continue // a pin of a part: the rule computes it
		}
		m, ok := byUID[ov.uid]
		if !ok {
			// An override without its series: a one-off of its own.
			if !ov.cancelled {
				extra = append(extra, ov)
			}
			continue
		}
		if err := p.applyOverride(m, ov, &extra); err != nil {
			return nil, err
		}
	}
	all := append(masters, extra...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].ev.line < all[j].ev.line })
	names := map[string]int{}
	var out []Rule
	for _, pe := range all {
		if pe.cancelled {
			continue
		}
		r := pe.rule
		base := r.Name
		for n := 2; names[r.Name] > 0; n++ {
			r.Name = fmt.Sprintf("%s (%d)", base, n)
		}
		names[r.Name]++
		if err := r.Validate(); err != nil {
			return nil, &ParseError{Line: pe.ev.line, Msg: fmt.Sprintf("the VEVENT makes an invalid rule: %v", err), Err: err}
		}
		out = append(out, r)
	}
	return out, nil
}

// applyOverride folds a RECURRENCE-ID override into its master.
func (p *icsParser) applyOverride(m, ov *parsedEvent, extra *[]*parsedEvent) error {
	r := &m.rule
	loc, err := LoadZone(r.Zone)
	if err != nil {
		return nil // reported when the master is validated
	}
	w := ov.recID.wallIn(r.Zone, loc)
	if ov.recID.date {
		w = time.Date(w.Year(), w.Month(), w.Day(), r.Start.Hour, r.Start.Minute, r.Start.Second, 0, time.UTC)
	}
	if !ov.cancelled {
		if c, err := r.compile(); err == nil {
			if o, ok := c.occurrence(w); ok && o.Start.Equal(ov.startAt) && o.End.Equal(ov.endAt) {
				return nil // the override repeats what the rule computes
			}
		}
	}
	r.ExDates = append(r.ExDates, digitsWall(w))
	if !ov.cancelled {
		one := ov.rule
		one.Name = fmt.Sprintf("%s (%s)", r.Name, digitsWall(w))
		one.Kind = r.Kind
		one.Scope = r.Scope
		one.AllowClasses, one.AllowActions = r.AllowClasses, r.AllowActions
		one.RRule, one.ExDates = "", nil
		ov.rule = one
		*extra = append(*extra, ov)
	}
	return nil
}

func (p *icsParser) event(ev *vevent) (*parsedEvent, error) {
	pe := &parsedEvent{ev: ev}
	if l, ok := ev.get("UID"); ok {
		pe.uid = strings.TrimSpace(l.value)
	}
	if l, ok := ev.get("STATUS"); ok && strings.EqualFold(strings.TrimSpace(l.value), "CANCELLED") {
		pe.cancelled = true
	}
	ds, ok := ev.get("DTSTART")
	if !ok {
		return nil, &ParseError{Line: ev.line, Msg: "VEVENT has no DTSTART: every event needs a start"}
	}
	start, err := p.parseTimeValue(ds, ds.value)
	if err != nil {
		return nil, err
	}
	pe.start = start
	r := &pe.rule
	// Zone of the rule.
	var loc *time.Location
	switch {
	case start.utc:
		r.Zone, loc = "UTC", time.UTC
	case start.zone != "":
		r.Zone, loc = start.zone, start.loc
	default: // floating or all-day
		r.Zone, loc, err = p.defaultZone(ds.line)
		if err != nil {
			return nil, err
		}
	}
	sd := start.digits
	r.Start = digitsWall(sd)
	startAt, _ := resolveDigits(sd, loc)
	// End.
	de, hasEnd := ev.get("DTEND")
	du, hasDur := ev.get("DURATION")
	xe, hasXEnd := ev.get("X-RELEASEKIT-END")
	rl, recurring := ev.get("RRULE")
	switch {
	case hasEnd && hasDur:
		return nil, &ParseError{Line: de.line, Msg: "VEVENT has both DTEND and DURATION: RFC 5545 allows one"}
	case hasXEnd:
		t, err := p.parseTimeValue(xe, xe.value)
		if err != nil {
			return nil, err
		}
		r.End = digitsWall(t.digits)
	case hasEnd:
		end, err := p.parseTimeValue(de, de.value)
		if err != nil {
			return nil, err
		}
		if end.date != start.date {
			return nil, &ParseError{Line: de.line, Msg: "DTEND and DTSTART must both be dates or both be date-times"}
		}
		ew := end.wallIn(r.Zone, loc)
		if recurring && !start.date {
			endAt, _ := resolveDigits(ew, loc)
			if end.utc {
				endAt = end.digits
			}
			if !endAt.After(startAt) {
				return nil, &ParseError{Line: de.line, Msg: "DTEND is not after DTSTART"}
			}
			r.Duration = endAt.Sub(startAt)
		} else {
			r.End = digitsWall(ew)
		}
	case hasDur:
		days, exact, ok := parseICSDuration(du.value)
		if !ok {
			return nil, &ParseError{Line: du.line, Msg: fmt.Sprintf("DURATION %q is not an RFC 5545 duration like PT2H, P1D or P1W", clip(du.value))}
		}
		if days > 400 {
			return nil, &ParseError{Line: du.line, Msg: fmt.Sprintf("DURATION %q is longer than 400 days", clip(du.value))}
		}
		if days == 0 {
			r.Duration = exact
		} else {
			r.End = digitsWall(sd.AddDate(0, 0, days).Add(exact))
		}
	case start.date:
		r.End = digitsWall(sd.AddDate(0, 0, 1))
	default:
		return nil, &ParseError{Line: ev.line, Msg: "VEVENT has a date-time DTSTART but no DTEND or DURATION: give the event a length"}
	}
	if r.Duration != 0 {
		pe.startAt, pe.endAt = startAt, startAt.Add(r.Duration)
	} else if !r.End.IsZero() {
		pe.endAt, _ = resolveDigits(wallDigits(r.End), loc)
		pe.startAt = startAt
	}
	if start.utc {
		pe.startAt = sd
	}
	if recurring {
		r.RRule = strings.TrimSpace(rl.value)
		if len(ev.props["RRULE"]) > 1 {
			return nil, &ParseError{Line: ev.props["RRULE"][1].line, Msg: "more than one RRULE in a VEVENT is not supported: split the event"}
		}
	}
	for _, xl := range ev.props["EXDATE"] {
		for _, v := range strings.Split(xl.value, ",") {
			t, err := p.parseTimeValue(xl, v)
			if err != nil {
				return nil, err
			}
			w := t.wallIn(r.Zone, loc)
			if t.date && !start.date {
				w = time.Date(w.Year(), w.Month(), w.Day(), r.Start.Hour, r.Start.Minute, r.Start.Second, 0, time.UTC)
			}
			r.ExDates = append(r.ExDates, digitsWall(w))
		}
	}
	if rid, ok := ev.get("RECURRENCE-ID"); ok {
		t, err := p.parseTimeValue(rid, rid.value)
		if err != nil {
			return nil, err
		}
		pe.recID = &t
	}
	// Name and kind.
	summary := ""
	if l, ok := ev.get("SUMMARY"); ok {
		summary = unescapeText(strings.TrimSpace(l.value))
	}
	r.Name = summary
	if l, ok := ev.get("X-RELEASEKIT-RULE"); ok {
		r.Name = unescapeText(l.value)
	}
	if r.Name == "" {
		r.Name = pe.uid
	}
	if r.Name == "" {
		r.Name = fmt.Sprintf("event at line %d", ev.line)
	}
	r.Kind = p.kind(ev, summary)
	if l, ok := ev.get("X-RELEASEKIT-ENVIRONMENTS"); ok {
		r.Scope.Environments = splitText(l.value)
	}
	if l, ok := ev.get("X-RELEASEKIT-SERVICES"); ok {
		r.Scope.Services = splitText(l.value)
	}
	if l, ok := ev.get("X-RELEASEKIT-TEAMS"); ok {
		r.Scope.Teams = splitText(l.value)
	}
	if l, ok := ev.get("X-RELEASEKIT-ALLOW-CLASSES"); ok {
		for _, x := range splitText(l.value) {
			r.AllowClasses = append(r.AllowClasses, change.Class(x))
		}
	}
	if l, ok := ev.get("X-RELEASEKIT-ALLOW-ACTIONS"); ok {
		for _, x := range splitText(l.value) {
			r.AllowActions = append(r.AllowActions, Action(x))
		}
	}
	if l, ok := ev.get("X-RELEASEKIT-SKIP-NONEXISTENT"); ok && strings.EqualFold(strings.TrimSpace(l.value), "TRUE") {
		r.SkipNonexistent = true
	}
	if _, ours := ev.get("X-RELEASEKIT-RULE"); ours {
		if err := p.restore(ev, r); err != nil {
			return nil, err
		}
	}
	return pe, nil
}

// restore reads back what an export of this package wrote beside the VEVENT's own
// properties to keep them unambiguous for other clients: the rule's zone when DTSTART
// is in UTC, its start when DTSTART was moved, its RRULE when it was rewritten, and
// its exception dates when EXDATE also holds instants of nonexistent starts.
func (p *icsParser) restore(ev *vevent, r *Rule) error {
	if l, ok := ev.get("X-RELEASEKIT-ZONE"); ok {
		z, _, err := lookupTZID(unescapeText(strings.TrimSpace(l.value)))
		if err != nil {
			return &ParseError{Line: l.line, Msg: fmt.Sprintf("X-RELEASEKIT-ZONE %q is not an IANA time zone", clip(l.value)), Err: err}
		}
		r.Zone = z
	}
	wall := func(l contentLine, v string) (WallTime, error) {
		t, err := time.Parse("20060102T150405", strings.TrimSpace(v))
		if err != nil {
			return WallTime{}, &ParseError{Line: l.line, Msg: fmt.Sprintf("%s value %q is not a wall-clock date-time like 20260101T100000", l.name, clip(v))}
		}
		return digitsWall(t), nil
	}
	if l, ok := ev.get("X-RELEASEKIT-START"); ok {
		w, err := wall(l, l.value)
		if err != nil {
			return err
		}
		r.Start = w
	}
	if l, ok := ev.get("X-RELEASEKIT-RRULE"); ok {
		r.RRule = unescapeText(strings.TrimSpace(l.value))
	}
	if l, ok := ev.get("X-RELEASEKIT-EXDATES"); ok {
		r.ExDates = nil
		for _, v := range strings.Split(l.value, ",") {
			if strings.TrimSpace(v) == "" {
				continue
			}
			w, err := wall(l, v)
			if err != nil {
				return err
			}
			r.ExDates = append(r.ExDates, w)
		}
	}
	return nil
}

// kind decides an event's kind: X-RELEASEKIT-KIND, CATEGORIES, SUMMARY, default.
func (p *icsParser) kind(ev *vevent, summary string) Kind {
	if l, ok := ev.get("X-RELEASEKIT-KIND"); ok {
		return Kind(strings.ToLower(strings.TrimSpace(l.value)))
	}
	var cats []string
	for _, l := range ev.props["CATEGORIES"] {
		cats = append(cats, splitText(l.value)...)
	}
	for _, text := range append(cats, summary) {
		t := strings.ToLower(text)
		switch {
		case strings.Contains(t, "lockdown"):
			return Lockdown
		case strings.Contains(t, "freeze") || strings.Contains(t, "blackout"):
			return Freeze
		case strings.Contains(t, "window"):
			return Window
		}
	}
	return p.cfg.kind
}
