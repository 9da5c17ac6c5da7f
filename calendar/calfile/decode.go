package calfile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"go.yaml.in/yaml/v3"
)

// Version is the format version this package reads.
const Version = 1

var topKeys = []string{"version", "zone", "capacity", "alignment", "include", "windows", "freezes", "lockdowns", "bookings"}

func (d *decoder) top(root *yaml.Node) {
	f, ok := d.fields(root, "the calendar file", topKeys...)
	if !ok {
		return
	}
	if v, ok := f["version"]; ok {
		if s, ok := d.scalar(v.val, "version"); ok && s != strconv.Itoa(Version) {
			d.errf(v.val, "version %q is not supported: this releasekit reads version %d", clip(s), Version)
		}
	}
	if z, ok := f["zone"]; ok {
		if s, ok := d.zoneName(z.val, "zone"); ok {
			d.zone = s
		} else {
			d.zoneBad = true
		}
	}
	if c, ok := f["capacity"]; ok {
		d.capacity(c.val)
	}
	if a, ok := f["alignment"]; ok {
		if dur, ok := d.duration(a.val, "alignment"); ok {
			d.calOpts = append(d.calOpts, calendar.WithAlignment(dur))
		}
	}
	// Sections are read in the order they were written, so rules keep file order.
	for _, key := range keysInOrder(d.resolve(root)) {
		fl, ok := f[key]
		if !ok {
			continue
		}
		switch key {
		case "include":
			for _, it := range d.items(fl.val, "include") {
				d.include(it)
			}
		case "windows":
			for _, it := range d.items(fl.val, "windows") {
				d.rule(it, calendar.Window)
			}
		case "freezes":
			for _, it := range d.items(fl.val, "freezes") {
				d.rule(it, calendar.Freeze)
			}
		case "lockdowns":
			for _, it := range d.items(fl.val, "lockdowns") {
				d.rule(it, calendar.Lockdown)
			}
		case "bookings":
			for _, it := range d.items(fl.val, "bookings") {
				d.booking(it)
			}
		}
	}
}

func keysInOrder(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

func (d *decoder) zoneName(n *yaml.Node, what string) (string, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return "", false
	}
	if _, err := calendar.LoadZone(s); err != nil {
		d.errAt(d.pos(n), err, "%s %q is not an IANA time zone: use a name such as \"Europe/Berlin\" or \"UTC\"", what, clip(s))
		return "", false
	}
	return s, true
}

func (d *decoder) capacity(n *yaml.Node) {
	f, ok := d.fields(n, "capacity", "default", "environments")
	if !ok {
		return
	}
	if v, ok := f["default"]; ok {
		if c, ok := d.count(v.val, "the default capacity"); ok {
			d.calOpts = append(d.calOpts, calendar.WithDefaultCapacity(c))
		}
	}
	if v, ok := f["environments"]; ok {
		m := d.resolve(v.val)
		if m == nil {
			return
		}
		if m.Kind != yaml.MappingNode {
			d.errf(m, "capacity.environments must map environment names to numbers (prod: 2), not %s", describe(m))
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, val := m.Content[i], m.Content[i+1]
			env, ok := d.scalar(k, "an environment name")
			if !ok {
				continue
			}
			if line, dup := seen[env]; dup {
				d.errf(k, "the capacity of %q is given twice (first at line %d): keep one", env, line)
				continue
			}
			seen[env] = k.Line
			if c, ok := d.count(val, fmt.Sprintf("the capacity of %q", env)); ok {
				d.calOpts = append(d.calOpts, calendar.WithCapacity(env, c))
			}
		}
	}
}

// count reads a whole number of zero or more.
func (d *decoder) count(n *yaml.Node, what string) (int, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0, false
	}
	c, err := strconv.Atoi(s)
	if err != nil || c < 0 {
		d.errf(n, "%s is %q: use a whole number, 0 for unlimited", what, clip(s))
		return 0, false
	}
	return c, true
}

// duration reads a positive Go duration ("45m", "1h30m").
func (d *decoder) duration(n *yaml.Node, what string) (time.Duration, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		d.errf(n, "%s %q is not a positive duration: write it like 45m, 2h or 1h30m (days as hours: 48h)", what, clip(s))
		return 0, false
	}
	return dur, true
}

// ParseWallTime reads a wall-clock date-time as the file format writes it:
// "2026-01-06", "2026-01-06 10:00", "2026-01-06T10:00" or with seconds
// ("2026-01-06T10:00:30"). A date alone is midnight. It refuses offsets and "Z": a
// wall-clock time takes its zone from elsewhere.
func ParseWallTime(s string) (calendar.WallTime, error) {
	var w calendar.WallTime
	date, clock, hasClock := strings.Cut(s, "T")
	if !hasClock {
		date, clock, hasClock = strings.Cut(s, " ")
	}
	clock = strings.TrimSpace(clock)
	bad := func(why string) (calendar.WallTime, error) {
		return calendar.WallTime{}, fmt.Errorf("%q is not a wall-clock date-time: %s", clip(s), why)
	}
	ds := strings.Split(date, "-")
	if len(ds) != 3 || len(ds[0]) != 4 || len(ds[1]) != 2 || len(ds[2]) != 2 {
		return bad("write it as 2026-01-06 or 2026-01-06 10:00")
	}
	nums := make([]int, 0, 6)
	for _, p := range ds {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return bad("write it as 2026-01-06 or 2026-01-06 10:00")
		}
		nums = append(nums, v)
	}
	if hasClock {
		if strings.ContainsAny(clock, "Zz+") || strings.Count(clock, "-") > 0 {
			return bad("it has a UTC offset; a rule's times are wall-clock times in its zone: drop the offset and set zone")
		}
		cs := strings.Split(clock, ":")
		if len(cs) < 2 || len(cs) > 3 {
			return bad("write the time as 10:00 or 10:00:30")
		}
		for _, p := range cs {
			v, err := strconv.Atoi(p)
			if err != nil || len(p) != 2 || v < 0 {
				return bad("write the time as 10:00 or 10:00:30")
			}
			nums = append(nums, v)
		}
	}
	for len(nums) < 6 {
		nums = append(nums, 0)
	}
	w = calendar.Wall(nums[0], time.Month(nums[1]), nums[2], nums[3], nums[4], nums[5])
	switch {
	case w.Year < 1900 || w.Year > 2200:
		return bad("the year must be from 1900 to 2200")
	case w.Month < 1 || w.Month > 12:
		return bad("the month must be from 01 to 12")
	case w.Day < 1 || w.Day > time.Date(w.Year, w.Month+1, 0, 0, 0, 0, 0, time.UTC).Day():
		return bad(fmt.Sprintf("%s %d has %d days", w.Month, w.Year, time.Date(w.Year, w.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()))
	case w.Hour > 23:
		return bad("the hour must be from 00 to 23")
	case w.Minute > 59:
		return bad("the minute must be from 00 to 59")
	case w.Second > 59:
		return bad("the second must be from 00 to 59")
	}
	return w, nil
}

func (d *decoder) wall(n *yaml.Node, what string) (calendar.WallTime, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return calendar.WallTime{}, false
	}
	w, err := ParseWallTime(s)
	if err != nil {
		d.errf(n, "%s %v", what, err)
		return calendar.WallTime{}, false
	}
	return w, true
}

// instant reads a booking time: RFC 3339 with an offset, or wall-clock time in zone.
func (d *decoder) instant(n *yaml.Node, what, zone string) (time.Time, bool) {
	s, ok := d.scalar(n, what)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	w, err := ParseWallTime(s)
	if err != nil {
		d.errf(n, "%s %q is neither a time with an offset (2026-05-05T10:00:00+02:00) nor a wall-clock time (2026-05-05 10:00)", what, clip(s))
		return time.Time{}, false
	}
	if zone == "" && d.zoneBad {
		return time.Time{}, false // the file's bad zone is reported where it was given
	}
	if zone == "" {
		d.errf(n, "%s %q is a wall-clock time but no zone applies: set zone on the booking or the file, or give an offset", what, clip(s))
		return time.Time{}, false
	}
	loc, err := calendar.LoadZone(zone)
	if err != nil {
		return time.Time{}, false // reported where the zone was given
	}
	t, _ := calendar.Resolve(w, loc)
	return t, true
}

func (d *decoder) enum(n *yaml.Node, what string, valid []string) ([]string, bool) {
	vals, ok := d.list(n, what)
	if !ok {
		return nil, false
	}
	for _, v := range vals {
		if !slices.Contains(valid, v) {
			d.errf(n, "%s: %q is unknown: use one of %s", what, clip(v), strings.Join(valid, ", "))
			ok = false
		}
	}
	return vals, ok
}

func classNames() []string {
	var out []string
	for _, c := range calendar.Classes() {
		out = append(out, string(c))
	}
	return out
}

func actionNames() []string {
	var out []string
	for _, a := range calendar.Actions() {
		out = append(out, string(a))
	}
	return out
}

func kindNames() []string {
	var out []string
	for _, k := range calendar.Kinds() {
		out = append(out, string(k))
	}
	return out
}

func (d *decoder) scope(n *yaml.Node) (calendar.Scope, bool) {
	var sc calendar.Scope
	f, ok := d.fields(n, "scope", "environments", "services", "teams")
	if !ok {
		return sc, false
	}
	for _, kd := range []struct {
		key string
		dst *[]string
	}{{"environments", &sc.Environments}, {"services", &sc.Services}, {"teams", &sc.Teams}} {
		if v, has := f[kd.key]; has {
			vals, good := d.list(v.val, "scope."+kd.key)
			ok = ok && good
			*kd.dst = vals
		}
	}
	return sc, ok
}

type allow struct {
	classes []calendar.Class
	actions []calendar.Action
}

func (d *decoder) allow(n *yaml.Node) (allow, bool) {
	var a allow
	f, ok := d.fields(n, "allow", "classes", "actions")
	if !ok {
		return a, false
	}
	if v, has := f["classes"]; has {
		vals, good := d.enum(v.val, "allow.classes", classNames())
		ok = ok && good
		for _, s := range vals {
			a.classes = append(a.classes, calendar.Class(s))
		}
	}
	if v, has := f["actions"]; has {
		vals, good := d.enum(v.val, "allow.actions", actionNames())
		ok = ok && good
		for _, s := range vals {
			a.actions = append(a.actions, calendar.Action(s))
		}
	}
	return a, ok
}

var ruleKeys = []string{"name", "description", "zone", "start", "end", "duration", "rrule", "exclude", "scope", "allow", "dst_gap"}

func sectionOf(k calendar.Kind) string {
	switch k {
	case calendar.Window:
		return "a window"
	case calendar.Lockdown:
		return "a lockdown"
	}
	return "a freeze"
}

// rule reads one entry of windows, freezes or lockdowns.
func (d *decoder) rule(n *yaml.Node, kind calendar.Kind) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	what := sectionOf(kind)
	f, ok := d.fields(n, what, ruleKeys...)
	if !ok {
		return
	}
	r := calendar.Rule{Kind: kind}
	var desc string
	good := true
	need := func(key string) (field, bool) {
		v, has := f[key]
		if !has {
			d.errf(n, "%s has no %s: every rule needs a name, a start, and an end or a duration", what, key)
			good = false
		}
		return v, has
	}
	if v, has := need("name"); has {
		s, ok := d.scalar(v.val, "the name")
		good = good && ok
		r.Name = s
	}
	label := what
	if r.Name != "" {
		label = fmt.Sprintf("rule %q", r.Name)
	}
	if v, has := f["description"]; has {
		s, ok := d.text(v.val, "the description")
		good = good && ok
		desc = s
	}
	// A bad or missing zone is reported once; the rest of the rule is still checked,
	// in UTC, so that every problem shows at once.
	zoneOK := true
	if v, has := f["zone"]; has {
		r.Zone, zoneOK = d.zoneName(v.val, "zone")
	} else if d.zone != "" {
		r.Zone = d.zone
	} else {
		zoneOK = false
		if !d.zoneBad {
			d.errf(n, "%s has no zone and the file sets none: add zone: Europe/Berlin (or any IANA zone) to the rule or the file", label)
		}
	}
	checkZone := r.Zone
	if !zoneOK {
		checkZone = "UTC"
	}
	// timesOK: what the calendar's own validation needs was read.
	startOK, timesOK, allowOK := false, true, true
	if v, has := need("start"); has {
		r.Start, startOK = d.wall(v.val, "start")
		good = good && startOK
	}
	timesOK = startOK
	endF, hasEnd := f["end"]
	durF, hasDur := f["duration"]
	switch {
	case hasEnd && hasDur:
		d.errf(durF.key, "%s has both end and duration: give a wall-clock end or an exact duration, not both", label)
		good, timesOK = false, false
	case !hasEnd && !hasDur:
		d.errf(n, "%s has neither end nor duration: give a wall-clock end (2026-01-06 16:00) or an exact duration (6h)", label)
		good, timesOK = false, false
	case hasEnd:
		var ok bool
		r.End, ok = d.wall(endF.val, "end")
		good, timesOK = good && ok, timesOK && ok
	default:
		var ok bool
		r.Duration, ok = d.duration(durF.val, "duration")
		good, timesOK = good && ok, timesOK && ok
	}
	rruleF, hasRRule := f["rrule"]
	if hasRRule {
		s, ok := d.scalar(rruleF.val, "rrule")
		good, timesOK = good && ok, timesOK && ok
		r.RRule = s
	}
	var exNodes []*yaml.Node
	if v, has := f["exclude"]; has {
		ex := d.resolve(v.val)
		switch {
		case ex == nil:
		case ex.Kind == yaml.SequenceNode:
			exNodes = ex.Content
		default:
			exNodes = []*yaml.Node{ex}
		}
		for _, en := range exNodes {
			w, ok := d.wall(en, "excluded start")
			good, timesOK = good && ok, timesOK && ok
			r.ExDates = append(r.ExDates, w)
		}
	}
	if v, has := f["scope"]; has {
		sc, ok := d.scope(v.val)
		good = good && ok
		r.Scope = sc
	}
	if v, has := f["allow"]; has {
		if kind != calendar.Freeze {
			d.errf(v.key, "%s takes no exceptions (allow): only a freeze lets classes or actions pass; a lockdown stops everything", what)
			good = false
		} else {
			a, ok := d.allow(v.val)
			good, allowOK = good && ok, ok
			r.AllowClasses, r.AllowActions = a.classes, a.actions
		}
	}
	if v, has := f["dst_gap"]; has {
		s, ok := d.scalar(v.val, "dst_gap")
		switch {
		case !ok:
			good = false
		case s == "skip":
			r.SkipNonexistent = true
		case s == "shift":
		default:
			d.errf(v.val, "dst_gap %q is unknown: use shift (move an occurrence that starts in a spring-forward gap past it, the default) or skip (drop it)", clip(s))
			good = false
		}
	}
	// The RRULE on its own, so that its problems point at its line.
	var rruleProbs []string
	if hasRRule && r.RRule != "" && startOK {
		probe := calendar.Rule{Name: "rrule", Kind: calendar.Window, Zone: checkZone, Start: r.Start, Duration: time.Minute, RRule: r.RRule}
		rruleProbs = ruleProblems(probe.Validate())
		for _, p := range rruleProbs {
			d.errf(rruleF.val, "%s", p)
			good = false
		}
	}
	pos := d.pos(n)
	if timesOK {
		check := r
		check.Zone = checkZone
		if check.Name == "" {
			check.Name = "rule"
		}
		if !allowOK {
			check.AllowClasses, check.AllowActions = nil, nil
		}
		for _, p := range ruleProblems(check.Validate()) {
			if slices.Contains(rruleProbs, p) {
				continue
			}
			at := n
			switch {
			case hasEnd && strings.HasPrefix(p, "end "):
				at = endF.val
			case hasDur && strings.HasPrefix(p, "duration "):
				at = durF.val
			}
			d.errf(at, "%s: %s", label, p)
			good = false
		}
	}
	if r.Name != "" {
		if prev, dup := d.seenRule[r.Name]; dup {
			d.errf(n, "rule name %q is already used at %s: give every rule a unique name", r.Name, prev)
		} else {
			d.seenRule[r.Name] = pos
		}
	}
	if good && zoneOK {
		d.rules = append(d.rules, Rule{Rule: r, Description: desc, Pos: pos})
	}
}

// ruleProblems returns the problems of a *calendar.RuleError (or the error's text).
func ruleProblems(err error) []string {
	if err == nil {
		return nil
	}
	var re *calendar.RuleError
	if errors.As(err, &re) {
		return re.Problems
	}
	return []string{err.Error()}
}

// include reads an iCalendar file named by an include entry.
func (d *decoder) include(n *yaml.Node) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	f, ok := d.fields(n, "an include", "ics", "kind", "zone", "prefix", "scope", "allow")
	if !ok {
		return
	}
	good := true
	var file string
	if v, has := f["ics"]; has {
		file, ok = d.scalar(v.val, "ics")
		good = good && ok
	} else {
		d.errf(n, "an include has no ics: name the iCalendar file to read (ics: holidays.ics)")
		good = false
	}
	var opts []calendar.ReadOption
	opts = append(opts, calendar.WithMaxBytes(MaxBytes))
	if v, has := f["kind"]; has {
		vals, ok := d.enum(v.val, "kind", kindNames())
		switch {
		case !ok:
			good = false
		case len(vals) != 1:
			d.errf(v.val, "kind takes one of %s", strings.Join(kindNames(), ", "))
			good = false
		default:
			opts = append(opts, calendar.WithDefaultKind(calendar.Kind(vals[0])))
		}
	}
	if v, has := f["zone"]; has {
		z, ok := d.zoneName(v.val, "zone")
		good = good && ok
		opts = append(opts, calendar.WithDefaultZone(z))
	} else if d.zone != "" {
		opts = append(opts, calendar.WithDefaultZone(d.zone))
	}
	var prefix string
	if v, has := f["prefix"]; has {
		prefix, ok = d.text(v.val, "prefix")
		good = good && ok
	}
	var sc calendar.Scope
	var hasScope bool
	if v, has := f["scope"]; has {
		sc, ok = d.scope(v.val)
		good, hasScope = good && ok, true
	}
	var al allow
	if v, has := f["allow"]; has {
		al, ok = d.allow(v.val)
		good = good && ok
	}
	if !good {
		return
	}
	p := d.includePath(file)
	data, err := readLimited(p, d.cfg.fsys)
	if err != nil {
		d.errAt(d.pos(n), err, "cannot read the included file: %v", err)
		return
	}
	rules, err := calendar.ReadICS(bytes.NewReader(data), opts...)
	if err != nil {
		var pe *calendar.ParseError
		if errors.As(err, &pe) {
			d.errAt(Position{File: p, Line: pe.Line}, err, "%s (included at %s)", pe.Msg, d.pos(n))
		} else {
			d.errAt(d.pos(n), err, "cannot read the included file %s: %v", p, err)
		}
		return
	}
	pos := d.pos(n)
	for _, r := range rules {
		r.Name = prefix + r.Name
		if hasScope && isZeroScope(r.Scope) {
			r.Scope = sc
		}
		if r.Kind == calendar.Freeze && len(r.AllowClasses) == 0 && len(r.AllowActions) == 0 {
			r.AllowClasses, r.AllowActions = al.classes, al.actions
		}
		if err := r.Validate(); err != nil {
			d.errAt(pos, err, "rule %q read from %s: %s", r.Name, p, strings.Join(ruleProblems(err), "; "))
			continue
		}
		if prev, dup := d.seenRule[r.Name]; dup {
			d.errf(n, "rule %q read from %s has the name of the rule at %s: give the include a prefix (prefix: \"holidays: \") or rename one", r.Name, p, prev)
			continue
		}
		d.seenRule[r.Name] = pos
		d.rules = append(d.rules, Rule{Rule: r, Pos: pos, Include: p})
	}
}

func isZeroScope(s calendar.Scope) bool {
	return len(s.Environments) == 0 && len(s.Services) == 0 && len(s.Teams) == 0
}

// booking reads one fixed booking.
func (d *decoder) booking(n *yaml.Node) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	f, ok := d.fields(n, "a booking", "id", "environment", "services", "team", "zone", "start", "end", "duration", "class", "action")
	if !ok {
		return
	}
	var b calendar.Booking
	good := true
	need := func(key string) (field, bool) {
		v, has := f[key]
		if !has {
			d.errf(n, "a booking has no %s: every booking needs an id, an environment, a start, and an end or a duration", key)
			good = false
		}
		return v, has
	}
	if v, has := need("id"); has {
		b.ID, ok = d.scalar(v.val, "id")
		good = good && ok
	}
	if v, has := need("environment"); has {
		b.Environment, ok = d.scalar(v.val, "environment")
		good = good && ok
	}
	if v, has := f["services"]; has {
		b.Services, ok = d.list(v.val, "services")
		good = good && ok
	}
	if v, has := f["team"]; has {
		b.Team, ok = d.scalar(v.val, "team")
		good = good && ok
	}
	zone := d.zone
	if v, has := f["zone"]; has {
		zone, ok = d.zoneName(v.val, "zone")
		good = good && ok
	}
	for _, key := range []string{"class", "action"} {
		v, has := f[key]
		if !has {
			continue
		}
		valid := classNames()
		if key == "action" {
			valid = actionNames()
		}
		vals, ok := d.enum(v.val, key, valid)
		switch {
		case !ok:
			good = false
		case len(vals) != 1:
			d.errf(v.val, "%s takes one of %s", key, strings.Join(valid, ", "))
			good = false
		case key == "class":
			b.Class = calendar.Class(vals[0])
		default:
			b.Action = calendar.Action(vals[0])
		}
	}
	if v, has := need("start"); has {
		b.Start, ok = d.instant(v.val, "start", zone)
		good = good && ok
	}
	endF, hasEnd := f["end"]
	durF, hasDur := f["duration"]
	switch {
	case hasEnd && hasDur:
		d.errf(durF.key, "a booking has both end and duration: give one")
		good = false
	case !hasEnd && !hasDur:
		d.errf(n, "a booking has neither end nor duration: give one")
		good = false
	case hasEnd:
		b.End, ok = d.instant(endF.val, "end", zone)
		good = good && ok
	default:
		var dur time.Duration
		dur, ok = d.duration(durF.val, "duration")
		good = good && ok
		b.End = b.Start.Add(dur)
	}
	if good {
		if err := b.Validate(); err != nil {
			var be *calendar.BookingError
			if errors.As(err, &be) {
				for _, p := range be.Problems {
					d.errf(n, "booking %q: %s", b.ID, p)
				}
			} else {
				d.errf(n, "booking %q: %v", b.ID, err)
			}
			good = false
		}
	}
	if b.ID != "" {
		if prev, dup := d.seenBooking[b.ID]; dup {
			d.errf(n, "booking id %q is already used at %s: give every booking a unique id", b.ID, prev)
			good = false
		} else {
			d.seenBooking[b.ID] = d.pos(n)
		}
	}
	if good {
		d.bookings = append(d.bookings, booking{b: b, pos: d.pos(n)})
	}
}
