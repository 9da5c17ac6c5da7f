package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/change"
)

// ConflictKind says why a booking may not run as asked.
type ConflictKind string

const (
	// ConflictOutsideWindow: window rules apply to the booking and it does not fit
	// wholly inside the open time they give.
	ConflictOutsideWindow ConflictKind = "outside-window"
	// ConflictFreeze: the booking overlaps a freeze that does not except its class or action.
	ConflictFreeze ConflictKind = "freeze"
	// ConflictLockdown: the booking overlaps a lockdown; nothing passes a lockdown.
	ConflictLockdown ConflictKind = "lockdown"
	// ConflictOverlap: another booking changes one of the same services in the same
	// environment at the same time.
	ConflictOverlap ConflictKind = "overlap"
	// ConflictCapacity: the environment already has as many concurrent bookings as
	// its capacity allows.
	ConflictCapacity ConflictKind = "capacity"
	// ConflictDependency: the booking starts before a booking it depends on has ended
	// (plus its soak time). Reported for plans, see [Calendar.CheckPlan].
	ConflictDependency ConflictKind = "dependency"
	// ConflictInvalid: the booking itself is malformed (see [Booking.Validate]).
	ConflictInvalid ConflictKind = "invalid"
)

// ConflictKinds lists every [ConflictKind].
func ConflictKinds() []ConflictKind {
	return []ConflictKind{ConflictOutsideWindow, ConflictFreeze, ConflictLockdown, ConflictOverlap,
		ConflictCapacity, ConflictDependency, ConflictInvalid}
}

func kindRank(k ConflictKind) int {
	return slices.Index(ConflictKinds(), k)
}

// Conflict is one reason a booking may not run as asked.
type Conflict struct {
	// Kind says what kind of constraint is broken.
	Kind ConflictKind
	// Booking is the ID of the booking that was checked.
	Booking string
	// Rule is the name of the rule involved (freeze, lockdown, outside-window: the
	// window that opens next, or the first window rule when none opens again).
	Rule string
	// With are the IDs of the other bookings involved (overlap: one; capacity: those
	// running in the interval; dependency: the dependency), sorted.
	With []string
	// Services are the services the bookings share (overlap only), sorted.
	Services []string
	// Start and End bound the time the conflict covers, [Start, End).
	Start, End time.Time
	// Reason is a sentence a person can act on.
	Reason string
}

// String returns c.Reason.
func (c Conflict) String() string { return c.Reason }

const timeLayout = "2006-01-02 15:04 MST"

func fmtTime(n int64, loc *time.Location) string {
	return toTime(n, loc).Format(timeLayout)
}

// Instants are handled as Unix nanoseconds; bookings and requests must lie within
// [minInstant, maxInstant], far inside what int64 nanoseconds can hold.
var (
	minInstant = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxInstant = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	minNanos   = minInstant.UnixNano()
	maxNanos   = maxInstant.UnixNano()
)

func checkInstant(t time.Time) string {
	if t.Before(minInstant) || t.After(maxInstant) {
		return fmt.Sprintf("%s is outside the supported range 1900-01-01 to 2200-01-01 UTC", t.Format(time.RFC3339))
	}
	return ""
}

// nanos converts t, clamped to the supported range.
func nanos(t time.Time) int64 {
	if t.Before(minInstant) {
		return minNanos
	}
	if t.After(maxInstant) {
		return maxNanos
	}
	return t.UnixNano()
}

func toTime(n int64, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Unix(0, n).In(loc)
}

// ---- rules and their cached expansions ----

// blockNanos is the span over which a rule's occurrences are expanded and cached at once.
const blockNanos = int64(32 * 24 * time.Hour)

type occ struct{ s, e int64 }

const yearNanos = int64(366 * 24 * time.Hour)

type occBlock struct {
	occs []occ // sorted by start
	err  error
}

type ruleEntry struct {
	idx  int
	rule Rule
	loc  *time.Location

	mu     sync.RWMutex
	blocks map[int64]occBlock
}

func newRuleEntry(idx int, r Rule) *ruleEntry {
	r = cloneRule(r)
	loc, err := LoadZone(r.Zone)
	if err != nil {
		loc = time.UTC
	}
	return &ruleEntry{idx: idx, rule: r, loc: loc, blocks: map[int64]occBlock{}}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (r *ruleEntry) block(k int64) occBlock {
	r.mu.RLock()
	b, ok := r.blocks[k]
	r.mu.RUnlock()
	if ok {
		return b
	}
	from := time.Unix(0, k*blockNanos).UTC()
	to := time.Unix(0, (k+1)*blockNanos).UTC()
	list, err := r.rule.Occurrences(from, to)
	if err != nil {
		b = occBlock{err: err}
	} else {
		b.occs = make([]occ, 0, len(list))
		for _, o := range list {
			s, e := nanos(o.Start), nanos(o.End)
			if e > s {
				b.occs = append(b.occs, occ{s, e})
			}
		}
		slices.SortFunc(b.occs, func(x, y occ) int { return cmp.Or(cmp.Compare(x.s, y.s), cmp.Compare(x.e, y.e)) })
		b.occs = slices.Compact(b.occs)
	}
	r.mu.Lock()
	r.blocks[k] = b
	r.mu.Unlock()
	return b
}

// overlapping appends to dst the occurrences overlapping [s, e), each once, in order of start.
func (r *ruleEntry) overlapping(dst []occ, s, e int64) ([]occ, error) {
	if e <= s {
		return dst, nil
	}
	k0, k1 := floorDiv(s, blockNanos), floorDiv(e-1, blockNanos)
	for k := k0; k <= k1; k++ {
		b := r.block(k)
		if b.err != nil {
			return dst, b.err
		}
		for _, o := range b.occs {
			if o.s >= e {
				break
			}
			if o.e <= s || (k > k0 && o.s < k*blockNanos) {
				continue
			}
			dst = append(dst, o)
		}
	}
	return dst, nil
}

// nextStart returns the earliest occurrence start in [from, limit).
func (r *ruleEntry) nextStart(from, limit int64) (int64, bool, error) {
	if limit <= from {
		return 0, false, nil
	}
	k0, k1 := floorDiv(from, blockNanos), floorDiv(limit-1, blockNanos)
	for k := k0; k <= k1; k++ {
		b := r.block(k)
		if b.err != nil {
			return 0, false, b.err
		}
		for _, o := range b.occs {
			if o.s >= from {
				if o.s < limit {
					return o.s, true, nil
				}
				return 0, false, nil
			}
		}
	}
	return 0, false, nil
}

func normClass(c change.Class) change.Class {
	if c == "" {
		return change.Normal
	}
	return c
}

func normAction(a Action) Action {
	if a == "" {
		return ActionDeploy
	}
	return a
}

// subject is what rules are matched against: a booking or a request. Its class and
// action are as given; Rule.Excepts reads the zero values as change.Normal and
// ActionDeploy, in one place.
type subject struct {
	id       string
	env      string
	services []string
	team     string
	class    Class
	action   Action
}

func bookingSubject(b Booking) subject {
	return subject{id: b.ID, env: b.Environment, services: b.Services, team: b.Team, class: b.Class, action: b.Action}
}

func requestSubject(r Request) subject {
	return subject{id: r.ID, env: r.Environment, services: r.Services, team: r.Team, class: r.Class, action: r.Action}
}

// Matches reports whether a rule scoped to sc applies to a change in environment env
// touching services, owned by team. Each non-empty list of sc must match: env must be
// in Environments, at least one of services in Services, team in Teams; an empty list
// matches everything.
func (sc Scope) Matches(env string, services []string, team string) bool {
	if len(sc.Environments) > 0 && !slices.Contains(sc.Environments, env) {
		return false
	}
	if len(sc.Teams) > 0 && !slices.Contains(sc.Teams, team) {
		return false
	}
	if len(sc.Services) > 0 && !slices.ContainsFunc(services, func(s string) bool { return slices.Contains(sc.Services, s) }) {
		return false
	}
	return true
}

// Excepts reports whether freeze rule r lets a change of class and action pass: the
// class is in AllowClasses or the action is in AllowActions. A zero class counts as
// [change.Normal], a zero action as [ActionDeploy]. It is false for every other kind:
// nothing passes a lockdown, and windows close nothing.
func (r Rule) Excepts(class change.Class, action Action) bool {
	if r.Kind != Freeze {
		return false
	}
	return slices.Contains(r.AllowClasses, normClass(class)) || slices.Contains(r.AllowActions, normAction(action))
}

type applicable struct {
	windows []*ruleEntry
	closers []*ruleEntry // lockdowns and the freezes that do not except the subject
}

func (c *Calendar) applicable(sub subject) applicable {
	var app applicable
	a, b := c.envRules[sub.env], c.anyEnv
	for len(a) > 0 || len(b) > 0 {
		var r *ruleEntry
		if len(b) == 0 || (len(a) > 0 && a[0].idx < b[0].idx) {
			r, a = a[0], a[1:]
		} else {
			r, b = b[0], b[1:]
		}
		if !r.rule.Scope.Matches(sub.env, sub.services, sub.team) {
			continue
		}
		switch r.rule.Kind {
		case Window:
			app.windows = append(app.windows, r)
		case Lockdown:
			app.closers = append(app.closers, r)
		case Freeze:
			if !r.rule.Excepts(sub.class, sub.action) {
				app.closers = append(app.closers, r)
			}
		}
	}
	return app
}

type ruleOcc struct {
	occ
	r *ruleEntry
}

// windowOccs returns the occurrences of windows overlapping [s, e), sorted by start.
func windowOccs(windows []*ruleEntry, s, e int64) ([]ruleOcc, error) {
	var out []ruleOcc
	var buf []occ
	for _, w := range windows {
		var err error
		buf, err = w.overlapping(buf[:0], s, e)
		if err != nil {
			return nil, fmt.Errorf("window rule %q could not be expanded: %w", w.rule.Name, err)
		}
		for _, o := range buf {
			out = append(out, ruleOcc{o, w})
		}
	}
	slices.SortFunc(out, func(x, y ruleOcc) int { return cmp.Compare(x.s, y.s) })
	return out, nil
}

// firstGap returns the first instant of [s, e) that no occurrence in occs (sorted by
// start) covers, or e when they cover it all. Adjacent and overlapping occurrences
// merge into one open interval.
func firstGap(occs []ruleOcc, s, e int64) int64 {
	cur := s
	for _, o := range occs {
		if o.s > cur {
			break
		}
		cur = max(cur, o.e)
		if cur >= e {
			return e
		}
	}
	return min(cur, e)
}

// nextWindowStart returns the earliest start of a window occurrence in [from, limit).
func nextWindowStart(windows []*ruleEntry, from, limit int64) (int64, *ruleEntry, error) {
	best, bestRule := int64(0), (*ruleEntry)(nil)
	for _, w := range windows {
		lim := limit
		if bestRule != nil {
			lim = best
		}
		t, ok, err := w.nextStart(from, lim)
		if err != nil {
			return 0, nil, fmt.Errorf("window rule %q could not be expanded: %w", w.rule.Name, err)
		}
		if ok && (bestRule == nil || t < best) {
			best, bestRule = t, w
		}
	}
	return best, bestRule, nil
}

type seg struct{ p, q int64 }

// overCapacity returns the maximal intervals, starting before e, in which at least
// capacity of bs run; each b is counted from max(b.s, s) to b.e.
func overCapacity(bs []hit, s, e int64, capacity int) []seg {
	if capacity <= 0 || len(bs) < capacity {
		return nil
	}
	type ev struct {
		t int64
		d int
	}
	evs := make([]ev, 0, 2*len(bs))
	for _, b := range bs {
		evs = append(evs, ev{max(b.s, s), +1}, ev{b.e, -1})
	}
	slices.SortFunc(evs, func(x, y ev) int { return cmp.Or(cmp.Compare(x.t, y.t), cmp.Compare(x.d, y.d)) })
	var out []seg
	n := 0
	var p int64
	for _, v := range evs {
		before := n
		n += v.d
		if before < capacity && n >= capacity {
			p = v.t
		} else if before >= capacity && n < capacity {
			if p < e && v.t > p {
				out = append(out, seg{p, v.t})
			}
		}
	}
	return out
}

// ---- Check ----

// Check returns every reason b may not be booked, sorted by start and kind; none means
// [Calendar.Book] would accept it. A booking with the same ID as an existing one is
// checked as its replacement: the existing booking does not count against it.
//
// The rules: lockdowns and freezes applying to b may not overlap it (a freeze lets b
// pass when it excepts b's class or action); when window rules apply to b it must fit
// wholly inside the open time they give, adjacent and overlapping window occurrences
// merging into one open interval (so a change may run across midnight between two
// daily windows that touch); an environment with no window rules applying is always
// open; b may not overlap a booking that touches one of its services in the same
// environment; and the environment may not exceed its capacity while b runs.
//
// A malformed booking yields a single [ConflictInvalid]. Check costs O(R + log N + K)
// for R rules, N bookings and K bookings overlapping b.
func (c *Calendar) Check(b Booking) []Conflict {
	if err := b.Validate(); err != nil {
		return []Conflict{{Kind: ConflictInvalid, Booking: b.ID, Start: b.Start, End: b.End, Reason: err.Error()}}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.checkLocked(b)
}

func (c *Calendar) checkLocked(b Booking) []Conflict {
	return c.checkSlot(b, c.book.slotOf(b.ID), servicesFP(b.Services))
}

// checkSlot is checkLocked for b, stored in slot (noSlot when it is not stored),
// whose services have fingerprint fp.
func (c *Calendar) checkSlot(b Booking, slot, fp uint32) []Conflict {
	sub := bookingSubject(b)
	app := c.applicable(sub)
	s, e := nanos(b.Start), nanos(b.End)
	loc := b.Start.Location()
	out := c.ruleConflicts(nil, sub, app, s, e, loc)
	out = c.bookingConflicts(out, sub, slot, fp, s, e, loc)
	sortConflicts(out)
	return out
}

func sortConflicts(cs []Conflict) {
	slices.SortStableFunc(cs, func(x, y Conflict) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)),
			cmp.Compare(x.Rule, y.Rule), slices.Compare(x.With, y.With), x.End.Compare(y.End))
	})
}

func describe(sub subject) string {
	return sub.env
}

func (c *Calendar) ruleConflicts(out []Conflict, sub subject, app applicable, s, e int64, loc *time.Location) []Conflict {
	var buf []occ
	for _, r := range app.closers {
		kind := ConflictFreeze
		if r.rule.Kind == Lockdown {
			kind = ConflictLockdown
		}
		var err error
		buf, err = r.overlapping(buf[:0], s, e)
		if err != nil {
			out = append(out, Conflict{Kind: kind, Booking: sub.id, Rule: r.rule.Name, Start: toTime(s, loc), End: toTime(e, loc),
				Reason: fmt.Sprintf("%s rule %q could not be expanded (%v), so the booking cannot be admitted; fix the rule", r.rule.Kind, r.rule.Name, err)})
			continue
		}
		for _, o := range buf {
			out = append(out, Conflict{Kind: kind, Booking: sub.id, Rule: r.rule.Name, Start: toTime(o.s, r.loc), End: toTime(o.e, r.loc),
				Reason: closerReason(sub, r, o, s)})
		}
	}
	if len(app.windows) == 0 {
		return out
	}
	occs, err := windowOccs(app.windows, s, e)
	if err != nil {
		return append(out, Conflict{Kind: ConflictOutsideWindow, Booking: sub.id, Rule: app.windows[0].rule.Name, Start: toTime(s, loc), End: toTime(e, loc),
			Reason: err.Error() + ", so the booking cannot be admitted; fix the rule"})
	}
	cur := s
	for cur < e {
		g := firstGap(occs, cur, e)
		if g >= e {
			break
		}
		// [g, next) is closed; next is the next window start after g.
		next, nr, err := nextWindowStart(app.windows, g, min(maxNanos, g+yearNanos))
		if err != nil {
			return append(out, Conflict{Kind: ConflictOutsideWindow, Booking: sub.id, Rule: app.windows[0].rule.Name, Start: toTime(g, loc), End: toTime(e, loc),
				Reason: err.Error() + ", so the booking cannot be admitted; fix the rule"})
		}
		end := e
		if nr != nil && next < e {
			end = next
		}
		name := app.windows[0].rule.Name
		if nr != nil {
			name = nr.rule.Name
		}
		out = append(out, Conflict{Kind: ConflictOutsideWindow, Booking: sub.id, Rule: name, Start: toTime(g, loc), End: toTime(end, loc),
			Reason: windowReason(sub, app.windows, g, end, s, e, next, nr, loc)})
		if nr == nil || next >= e {
			break
		}
		cur = next
	}
	return out
}

func closerReason(sub subject, r *ruleEntry, o occ, s int64) string {
	from, to := fmtTime(o.s, r.loc), fmtTime(o.e, r.loc)
	if r.rule.Kind == Lockdown {
		return fmt.Sprintf("%s is locked down from %s to %s by rule %q; nothing may run then, emergencies included; book after it is lifted at %s",
			describe(sub), from, to, r.rule.Name, to)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is frozen from %s to %s by rule %q; ", describe(sub), from, to, r.rule.Name)
	if s < o.s {
		fmt.Fprintf(&b, "end the change by %s or start it after %s", from, to)
	} else {
		fmt.Fprintf(&b, "book after it ends at %s", to)
	}
	var allow []string
	for _, cl := range r.rule.AllowClasses {
		allow = append(allow, article(string(cl))+" change")
	}
	for _, a := range r.rule.AllowActions {
		allow = append(allow, article(string(a)))
	}
	if len(allow) > 0 {
		fmt.Fprintf(&b, ", or use %s, which the freeze allows", strings.Join(allow, " or "))
	}
	return b.String()
}

func windowReason(sub subject, windows []*ruleEntry, g, end, s, e, next int64, nr *ruleEntry, loc *time.Location) string {
	var names []string
	for _, w := range windows {
		names = append(names, fmt.Sprintf("%q", w.rule.Name))
	}
	var b strings.Builder
	if g > s {
		fmt.Fprintf(&b, "the deployment window for %s closes at %s, before the booking ends at %s (window rules %s); a booking must fit wholly inside one open window: shorten the change or move it",
			describe(sub), fmtTime(g, loc), fmtTime(e, loc), strings.Join(names, ", "))
	} else {
		fmt.Fprintf(&b, "%s is outside its deployment windows from %s to %s (window rules %s); a booking must fit wholly inside one open window",
			describe(sub), fmtTime(g, loc), fmtTime(end, loc), strings.Join(names, ", "))
	}
	if nr != nil {
		fmt.Fprintf(&b, "; the next window opens at %s (rule %q)", fmtTime(next, nr.loc), nr.rule.Name)
	} else {
		b.WriteString("; no window applying to it opens within a year: add or extend a window rule")
	}
	return b.String()
}

func shared(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func (c *Calendar) bookingConflicts(out []Conflict, sub subject, slot, fp uint32, s, e int64, loc *time.Location) []Conflict {
	var buf [16]hit
	others := c.book.overlapping(buf[:0], sub.env, s, e, slot)
	if len(others) == 0 {
		return out
	}
	for _, h := range others {
		if !mayShare(fp, h.fp, len(sub.services) == 1) {
			continue // no service in common
		}
		o := c.book.entry(h)
		svc := shared(sub.services, o.b.Services)
		if len(svc) == 0 {
			continue
		}
		p, q := max(s, o.s), min(e, o.e)
		out = append(out, Conflict{Kind: ConflictOverlap, Booking: sub.id, With: []string{o.b.ID}, Services: svc,
			Start: toTime(p, loc), End: toTime(q, loc),
			Reason: fmt.Sprintf("booking %q already changes %s in %s from %s to %s; two changes to the same service may not overlap: start after %s or end by %s",
				o.b.ID, strings.Join(svc, ", "), sub.env, fmtTime(o.s, loc), fmtTime(o.e, loc), fmtTime(o.e, loc), fmtTime(o.s, loc))})
	}
	capacity := c.Capacity(sub.env)
	for _, sg := range overCapacity(others, s, e, capacity) {
		p, q := sg.p, min(sg.q, e)
		var ids []string
		for _, o := range others {
			if max(o.s, s) < q && o.e > p {
				ids = append(ids, c.book.entry(o).b.ID)
			}
		}
		slices.Sort(ids)
		out = append(out, Conflict{Kind: ConflictCapacity, Booking: sub.id, With: ids, Start: toTime(p, loc), End: toTime(q, loc),
			Reason: fmt.Sprintf("%s is full from %s to %s: its capacity is %s and %s already run then; book outside that time or raise the capacity with WithCapacity",
				sub.env, fmtTime(p, loc), fmtTime(q, loc), plural(capacity, "concurrent booking"), quoteList(ids, 5))})
	}
	return out
}

func quoteList(xs []string, limit int) string {
	var parts []string
	for i, x := range xs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(xs)-limit))
			break
		}
		parts = append(parts, fmt.Sprintf("%q", x))
	}
	return strings.Join(parts, ", ")
}

func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
