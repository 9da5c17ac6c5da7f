package calendar

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ICSOption adjusts [WriteRulesICS] (and the Calendar's WriteICS).
type ICSOption func(*icsConfig)

type icsConfig struct {
	stamp time.Time
	name  string
	text  func(Booking) (summary, description string)
}

// WithStamp sets the DTSTAMP written on every event. The default is the start of the
// exported span, so the output depends only on its inputs (this package never reads
// the clock).
func WithStamp(t time.Time) ICSOption { return func(c *icsConfig) { c.stamp = t } }

// WithCalendarName sets X-WR-CALNAME, the name clients show for the calendar.
func WithCalendarName(name string) ICSOption { return func(c *icsConfig) { c.name = name } }

// WithBookingText names each booking's event as people should read it: text returns
// its SUMMARY (used when not empty) and DESCRIPTION (written when not empty). The
// default SUMMARY is the booking's services and environment ("payments in prod");
// its ID stays in X-RELEASEKIT-BOOKING either way. release.Engine.WriteICS uses it
// to name each booking's release, version and promotion lineage.
func WithBookingText(text func(b Booking) (summary, description string)) ICSOption {
	return func(c *icsConfig) { c.text = text }
}

// WriteICS writes the calendar's rules and bookings (as VEVENTs in UTC) as an
// iCalendar (RFC 5545) stream that any client reads with the same UTC instants as this
// package over [from, to), transition days included. See [WriteRulesICS] for what is
// written.
func (c *Calendar) WriteICS(w io.Writer, from, to time.Time, opts ...ICSOption) error {
	return writeICS(w, c.Rules(), c.Bookings(), from, to, opts...)
}

// WriteRulesICS writes rules as an iCalendar (RFC 5545) stream: a VCALENDAR (VERSION 2.0,
// PRODID, CALSCALE:GREGORIAN) with
//   - a VTIMEZONE for every zone the rules use, generated from Go's zone data with one
//     STANDARD or DAYLIGHT observance per actual transition, covering the span and
//     every rule's first start, and the observance that begins after the span;
//   - one recurring VEVENT per rule: DTSTART;TZID, DURATION (the wall-clock length of an
//     occurrence, or its exact Duration), RRULE with UNTIL in UTC, EXDATE;TZID, a UID
//     stable from the rule's name, SUMMARY, CATEGORIES and X-RELEASEKIT-* properties
//     (kind, wall-clock end, scope, exceptions) that let [ReadICS] restore the rule;
//   - a RECURRENCE-ID override carrying this package's exact UTC instants for every
//     occurrence overlapping [from, to) that an RFC 5545 client would compute
//     differently from DTSTART, DURATION and RRULE (a start or end shifted by a gap, or
//     a real length that differs on a transition day), and an EXDATE for every
//     occurrence that SkipNonexistent drops.
//
// Outside [from, to) clients may differ on transition days. Lines are folded at 75
// octets without splitting a UTF-8 sequence, end in CRLF, and TEXT is escaped. Rules are
// validated first: invalid rules give their [*RuleError]s joined; an empty span gives
// [ErrBadSpan].
func WriteRulesICS(w io.Writer, rules []Rule, from, to time.Time, opts ...ICSOption) error {
	return writeICS(w, rules, nil, from, to, opts...)
}

// writeICS writes rules as recurring VEVENTs and bookings as VEVENTs in UTC; see
// [WriteRulesICS].
func writeICS(w io.Writer, rules []Rule, bookings []Booking, from, to time.Time, opts ...ICSOption) error {
	if !from.Before(to) {
		return ErrBadSpan
	}
	cfg := icsConfig{stamp: from}
	for _, o := range opts {
		o(&cfg)
	}
	compiled := make([]*compiledRule, len(rules))
	var errs []error
	for i, r := range rules {
		c, err := r.compile()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		compiled[i] = c
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Plan every rule before writing, so that a rule that cannot be expanded over the
	// span fails the export before anything is written.
	plans := make([]*ruleExport, len(rules))
	for i, c := range compiled {
		x, err := planExport(rules[i], c, from, to)
		if err != nil {
			errs = append(errs, err)
		}
		plans[i] = x
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	lw := &lineWriter{w: bw}
	stamp := formatUTC(cfg.stamp)
	lw.line("BEGIN:VCALENDAR")
	lw.line("VERSION:2.0")
	lw.line("PRODID:-//releasekit//calendar//EN")
	lw.line("CALSCALE:GREGORIAN")
	lw.line("METHOD:PUBLISH")
	if cfg.name != "" {
		lw.line("X-WR-CALNAME:" + escapeText(cfg.name))
	}
	// Zones used, with the earliest instant each must cover.
	zoneFrom := map[string]time.Time{}
	var zones []string
	for i, c := range compiled {
		if c.loc == time.UTC {
			continue
		}
		first, _ := resolveDigits(c.start, c.loc)
		name := rules[i].Zone
		lo, ok := zoneFrom[name]
		if !ok {
			zones = append(zones, name)
			lo = from
		}
		if first.Before(lo) {
			lo = first
		}
		zoneFrom[name] = lo
	}
	sort.Strings(zones)
	for _, z := range zones {
		loc, _ := LoadZone(z)
		writeVTimezone(lw, z, loc, zoneFrom[z], to)
	}
	for i, x := range plans {
		writeRuleEvent(lw, rules[i], compiled[i], x, stamp)
	}
	for _, b := range bookings {
		summary, description := bookingSummary(b), ""
		if cfg.text != nil {
			s, d := cfg.text(cloneBooking(b))
			if s != "" {
				summary = s
			}
			description = d
		}
		writeBookingEvent(lw, b, stamp, summary, description)
	}
	lw.line("END:VCALENDAR")
	if lw.err != nil {
		return lw.err
	}
	return bw.Flush()
}

// lineWriter writes content lines folded at 75 octets with CRLF, keeping the first error.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

func (lw *lineWriter) line(s string) {
	if lw.err != nil {
		return
	}
	_, lw.err = lw.w.WriteString(foldLine(s))
}

// foldLine folds s into lines of at most 75 octets (continuations start with a space,
// which counts), never inside a UTF-8 sequence, each ending in CRLF.
func foldLine(s string) string {
	if len(s) <= 75 {
		return s + "\r\n"
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/70*3 + 2)
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 { // cannot happen with valid limits; avoid an endless loop
			cut = limit
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11).
func escapeText(s string) string {
	if !strings.ContainsAny(s, "\\;,\n\r") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escapeList(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = escapeText(x)
	}
	return strings.Join(out, ",")
}

// paramValue quotes a parameter value when it holds a character that needs it.
func paramValue(s string) string {
	if strings.ContainsAny(s, ";:,") {
		return `"` + strings.ReplaceAll(s, `"`, "") + `"`
	}
	return s
}

func formatUTC(t time.Time) string    { return t.UTC().Format("20060102T150405Z") }
func formatDigits(u time.Time) string { return u.Format("20060102T150405") }

// formatDuration writes d as an exact RFC 5545 duration (no days, which are nominal).
func formatDuration(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteString("PT")
	s := int64(d / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if sec > 0 || (h == 0 && m == 0) {
		b.WriteString(strconv.FormatInt(sec, 10) + "S")
	}
	return b.String()
}

func formatOffset(off time.Duration) string {
	sign := '+'
	if off < 0 {
		sign = '-'
		off = -off
	}
	s := int64(off / time.Second)
	h, m, sec := s/3600, s/60%60, s%60
	if sec != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, sec)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}

// writeVTimezone writes the observances of loc in force over [from, to], one per
// transition, plus the observance that begins right after to.
func writeVTimezone(lw *lineWriter, name string, loc *time.Location, from, to time.Time) {
	lw.line("BEGIN:VTIMEZONE")
	lw.line("TZID:" + name)
	t := from
	for n := 0; n < 100000; n++ {
		end := writeObservance(lw, loc, t)
		if end.IsZero() {
			break
		}
		if end.After(to) {
			writeObservance(lw, loc, end)
			break
		}
		t = end
	}
	lw.line("END:VTIMEZONE")
}

// writeObservance writes the STANDARD or DAYLIGHT observance in force at t and returns
// its end (zero if it never ends).
func writeObservance(lw *lineWriter, loc *time.Location, t time.Time) time.Time {
	lt := t.In(loc)
	abbr, off := lt.Zone()
	start, end := lt.ZoneBounds()
	kind := "STANDARD"
	if lt.IsDST() {
		kind = "DAYLIGHT"
	}
	offTo := time.Duration(off) * time.Second
	offFrom := offTo
	onset := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	if !start.IsZero() {
		_, prev := start.Add(-time.Second).In(loc).Zone()
		offFrom = time.Duration(prev) * time.Second
		// DTSTART of an observance is the local time of its onset, before the change.
		onset = start.UTC().Add(offFrom)
	}
	lw.line("BEGIN:" + kind)
	lw.line("DTSTART:" + formatDigits(onset))
	lw.line("TZOFFSETFROM:" + formatOffset(offFrom))
	lw.line("TZOFFSETTO:" + formatOffset(offTo))
	lw.line("TZNAME:" + escapeText(abbr))
	lw.line("END:" + kind)
	return end
}

// ruleUID is stable for a rule's name.
func ruleUID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "rule-" + hex.EncodeToString(sum[:12]) + "@releasekit"
}

func bookingUID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "booking-" + hex.EncodeToString(sum[:12]) + "@releasekit"
}

func kindCategory(k Kind) string {
	switch k {
	case Window:
		return "Release window"
	case Freeze:
		return "Change freeze"
	default:
		return "Lockdown"
	}
}

func zoneTime(prop string, zone string, digits time.Time) string {
	if zone == "UTC" {
		return prop + ":" + formatDigits(digits) + "Z"
	}
	return prop + ";TZID=" + paramValue(zone) + ":" + formatDigits(digits)
}

func writeRuleEvent(lw *lineWriter, r Rule, c *compiledRule, x *ruleExport, stamp string) {
	uid := ruleUID(r.Name)
	partUID := func(w time.Time) string {
		return strings.TrimSuffix(uid, "@releasekit") + "-" + formatDigits(w) + "@releasekit"
	}
	for k, s := range x.series {
		id := uid
		if k > 0 {
			id = partUID(s.dtstart)
		}
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + id)
		lw.line("DTSTAMP:" + stamp)
		lw.line("SUMMARY:" + escapeText(r.Name))
		lw.line("CATEGORIES:" + escapeText(kindCategory(r.Kind)))
		if k > 0 {
			lw.line("X-RELEASEKIT-KIND:" + string(r.Kind))
			lw.line("X-RELEASEKIT-PART-OF:" + uid)
		} else {
			lw.line("X-RELEASEKIT-RULE:" + escapeText(r.Name))
			lw.line("X-RELEASEKIT-KIND:" + string(r.Kind))
		}
		if s.utcStart.IsZero() {
			lw.line(zoneTime("DTSTART", r.Zone, s.dtstart))
		} else {
			lw.line("DTSTART:" + formatUTC(s.utcStart))
			if k == 0 && r.Zone != "UTC" {
				lw.line("X-RELEASEKIT-ZONE:" + escapeText(r.Zone))
			}
		}
		if !s.utcEnd.IsZero() {
			lw.line("DTEND:" + formatUTC(s.utcEnd))
		} else {
			lw.line("DURATION:" + formatDuration(c.span))
		}
		if k == 0 {
			if x.moved {
				lw.line("X-RELEASEKIT-START:" + formatDigits(c.start))
			}
			if !c.exact {
				lw.line("X-RELEASEKIT-END:" + formatDigits(wallDigits(r.End)))
			}
		}
		if s.rrule != "" {
			lw.line("RRULE:" + s.rrule)
		}
		if k == 0 && x.rewritten {
			lw.line("X-RELEASEKIT-RRULE:" + escapeText(strings.TrimSpace(r.RRule)))
		}
		for _, d := range s.exWall {
			lw.line(zoneTime("EXDATE", r.Zone, d))
		}
		for _, t := range s.exUTC {
			lw.line("EXDATE:" + formatUTC(t))
		}
		if k == 0 {
			writeRuleMeta(lw, r, x)
		}
		lw.line("TRANSP:" + transp(r.Kind))
		lw.line("END:VEVENT")
		for _, p := range s.pins {
			lw.line("BEGIN:VEVENT")
			lw.line("UID:" + id)
			lw.line("DTSTAMP:" + stamp)
			lw.line(zoneTime("RECURRENCE-ID", r.Zone, p.wall))
			lw.line("SUMMARY:" + escapeText(r.Name))
			lw.line("X-RELEASEKIT-KIND:" + string(r.Kind))
			lw.line("DTSTART:" + formatUTC(p.occ.Start))
			lw.line("DTEND:" + formatUTC(p.occ.End))
			lw.line("END:VEVENT")
		}
	}
	for _, p := range x.alone {
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + partUID(p.wall))
		lw.line("DTSTAMP:" + stamp)
		lw.line("SUMMARY:" + escapeText(r.Name))
		lw.line("CATEGORIES:" + escapeText(kindCategory(r.Kind)))
		lw.line("X-RELEASEKIT-KIND:" + string(r.Kind))
		lw.line("X-RELEASEKIT-PART-OF:" + uid)
		lw.line("DTSTART:" + formatUTC(p.occ.Start))
		lw.line("DTEND:" + formatUTC(p.occ.End))
		lw.line("TRANSP:" + transp(r.Kind))
		lw.line("END:VEVENT")
	}
}

// writeRuleMeta writes the X-RELEASEKIT-* properties that let ReadICS restore the rule.
func writeRuleMeta(lw *lineWriter, r Rule, x *ruleExport) {
	hasEx := false
	for _, s := range x.series {
		hasEx = hasEx || len(s.exWall) > 0 || len(s.exUTC) > 0
	}
	if len(r.ExDates) > 0 || hasEx {
		ds := make([]string, len(r.ExDates))
		for i, d := range r.ExDates {
			ds[i] = formatDigits(wallDigits(d))
		}
		lw.line("X-RELEASEKIT-EXDATES:" + strings.Join(ds, ","))
	}
	if len(r.Scope.Environments) > 0 {
		lw.line("X-RELEASEKIT-ENVIRONMENTS:" + escapeList(r.Scope.Environments))
	}
	if len(r.Scope.Services) > 0 {
		lw.line("X-RELEASEKIT-SERVICES:" + escapeList(r.Scope.Services))
	}
	if len(r.Scope.Teams) > 0 {
		lw.line("X-RELEASEKIT-TEAMS:" + escapeList(r.Scope.Teams))
	}
	if len(r.AllowClasses) > 0 {
		s := make([]string, len(r.AllowClasses))
		for i, x := range r.AllowClasses {
			s[i] = string(x)
		}
		lw.line("X-RELEASEKIT-ALLOW-CLASSES:" + escapeList(s))
	}
	if len(r.AllowActions) > 0 {
		s := make([]string, len(r.AllowActions))
		for i, x := range r.AllowActions {
			s[i] = string(x)
		}
		lw.line("X-RELEASEKIT-ALLOW-ACTIONS:" + escapeList(s))
	}
	if r.SkipNonexistent {
		lw.line("X-RELEASEKIT-SKIP-NONEXISTENT:TRUE")
	}
}

func transp(k Kind) string {
	if k != Window {
		return "OPAQUE"
	}
	return "TRANSPARENT"
}

// bookingSummary is the default SUMMARY of a booking: its services and environment.
func bookingSummary(b Booking) string {
	summary := strings.Join(b.Services, ", ")
	if summary == "" {
		summary = "Booking " + b.ID
	}
	if b.Environment != "" {
		summary += " in " + b.Environment
	}
	return summary
}

func writeBookingEvent(lw *lineWriter, b Booking, stamp, summary, description string) {
	lw.line("BEGIN:VEVENT")
	lw.line("UID:" + bookingUID(b.ID))
	lw.line("DTSTAMP:" + stamp)
	lw.line("SUMMARY:" + escapeText(summary))
	if description != "" {
		lw.line("DESCRIPTION:" + escapeText(description))
	}
	lw.line("DTSTART:" + formatUTC(b.Start))
	lw.line("DTEND:" + formatUTC(b.End))
	lw.line("CATEGORIES:Booking")
	lw.line("X-RELEASEKIT-BOOKING:" + escapeText(b.ID))
	if b.Environment != "" {
		lw.line("X-RELEASEKIT-ENVIRONMENT:" + escapeText(b.Environment))
	}
	if len(b.Services) > 0 {
		lw.line("X-RELEASEKIT-SERVICES:" + escapeList(b.Services))
	}
	if b.Team != "" {
		lw.line("X-RELEASEKIT-TEAMS:" + escapeText(b.Team))
	}
	if b.Class != "" {
		lw.line("X-RELEASEKIT-CLASS:" + escapeText(string(b.Class)))
	}
	if b.Action != "" {
		lw.line("X-RELEASEKIT-ACTION:" + escapeText(string(b.Action)))
	}
	lw.line("TRANSP:OPAQUE")
	lw.line("END:VEVENT")
}

// offsetChanges reports whether loc changes its UTC offset at some instant in (a, b].
func offsetChanges(loc *time.Location, a, b time.Time) bool {
	_, next := a.In(loc).ZoneBounds()
	return !next.IsZero() && !next.After(b)
}
