package calendar

import (
	"fmt"
	"slices"
	"time"
)

// Validate reports every problem of r at once as a [*RequestError]: an empty ID or
// environment, an empty service name, a duration that is not positive, a zero
// NotBefore, a NotAfter before NotBefore, a negative soak, an instant outside
// 1900–2200, an unknown class or action, a dependency on itself or with an empty name.
func (r Request) Validate() error {
	var p []string
	if r.ID == "" {
		p = append(p, "ID is empty; give every request a unique ID")
	}
	if r.Environment == "" {
		p = append(p, "environment is empty; name the environment the change runs in")
	}
	if slices.Contains(r.Services, "") {
		p = append(p, "a service name is empty; drop it or name the service")
	}
	if r.Duration <= 0 {
		p = append(p, fmt.Sprintf("duration is %v; set how long the change takes", r.Duration))
	}
	switch {
	case r.NotBefore.IsZero():
		p = append(p, "NotBefore is zero; the calendar never reads the clock, so pass the earliest start (for example now)")
	case checkInstant(r.NotBefore) != "":
		p = append(p, "NotBefore "+checkInstant(r.NotBefore))
	}
	if !r.NotAfter.IsZero() {
		if checkInstant(r.NotAfter) != "" {
			p = append(p, "NotAfter "+checkInstant(r.NotAfter))
		} else if r.NotAfter.Before(r.NotBefore) {
			p = append(p, fmt.Sprintf("NotAfter %s is before NotBefore %s; widen the range",
				r.NotAfter.Format(time.RFC3339), r.NotBefore.Format(time.RFC3339)))
		}
	}
	if r.Soak < 0 {
		p = append(p, fmt.Sprintf("soak is %v; use zero or a positive duration", r.Soak))
	}
	for _, d := range r.DependsOn {
		if d == "" {
			p = append(p, "a dependency name is empty; drop it or name the request or booking")
		} else if d == r.ID {
			p = append(p, "the request depends on itself; remove it from DependsOn")
		}
	}
	p = append(p, classActionProblems(r.Class, r.Action)...)
	if len(p) > 0 {
		return &RequestError{ID: r.ID, Problems: p}
	}
	return nil
}

// DependencyError says why a request's dependency cannot be honoured; it unwraps to
// [ErrDependency].
type DependencyError struct {
	Request    string
	Dependency string
	Problem    string
}

// Error names the request, the dependency and the problem.
func (e *DependencyError) Error() string {
	return fmt.Sprintf("calendar: request %q depends on %q, %s", e.Request, e.Dependency, e.Problem)
}

// Unwrap returns [ErrDependency].
func (e *DependencyError) Unwrap() error { return ErrDependency }

func (r Request) latest() time.Time {
	if r.NotAfter.IsZero() {
		return r.NotBefore.AddDate(1, 0, 0)
	}
	return r.NotAfter
}

// NextSlot returns the booking at the earliest feasible start for req: a start in
// [NotBefore, NotAfter] (NotAfter zero: one year after NotBefore) on the alignment grid
// (see [WithAlignment]) at which a booking of req.Duration passes [Calendar.Check],
// after the end (plus Soak) of every existing booking named in DependsOn. The booking
// has the request's ID, is in NotBefore's location and is not booked: pass it to
// [Calendar.Book].
//
// When there is none it returns a [*NoSlotError] naming the rules and bookings that
// blocked the candidates; a malformed request gives a [*RequestError], an unknown
// dependency a [*DependencyError].
//
// NextSlot does not try every grid point: from a blocked candidate it jumps to the end
// of the blocking freeze, lockdown or booking, past the over-capacity stretch, or to
// the start of the next window, aligned up. Its cost grows with the number of
// blockers met, not with the length of the range.
func (c *Calendar) NextSlot(req Request) (Booking, error) {
	if err := req.Validate(); err != nil {
		return Booking{}, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	lo := nanos(req.NotBefore)
	for _, d := range req.DependsOn {
		dep := c.book.get(d)
		if dep == nil {
			return Booking{}, &DependencyError{Request: req.ID, Dependency: d, Problem: "which is not booked; book it first or drop the dependency"}
		}
		lo = max(lo, dep.e+int64(req.Soak))
	}
	return c.slotLocked(req, lo)
}

func (c *Calendar) slotLocked(req Request, lo int64) (Booking, error) {
	sub := requestSubject(req)
	loc := req.NotBefore.Location()
	hi := nanos(req.latest())
	// The search runs without recording what blocked it: that costs more than the
	// search itself. Only when nothing fits does it run again to explain why.
	t, found, err := c.search(sub, int64(req.Duration), lo, hi, nil)
	if err != nil {
		return Booking{}, err
	}
	if !found {
		var bl blockers
		if _, _, err := c.search(sub, int64(req.Duration), lo, hi, &bl); err != nil {
			return Booking{}, err
		}
		ns := &NoSlotError{Request: req.ID, Environment: req.Environment, Duration: req.Duration,
			NotBefore: req.NotBefore, NotAfter: req.latest(), Rules: bl.rules, Bookings: bl.bookings, Kinds: bl.kinds}
		if lo > nanos(req.NotBefore) {
			ns.Ready = toTime(lo, loc)
		}
		if app := c.applicable(sub); len(app.windows) > 0 {
			longest, rule, err := longestWindow(app.windows, lo, hi+int64(req.Duration))
			if err != nil {
				return Booking{}, fmt.Errorf("calendar: %w", err)
			}
			if longest < int64(req.Duration) && rule != nil {
				ns.LongestWindow, ns.LongestRule = time.Duration(longest), rule.rule.Name
			}
		}
		return Booking{}, ns
	}
	return Booking{ID: req.ID, Environment: req.Environment, Services: slices.Clone(req.Services), Team: req.Team,
		Start: toTime(t, loc), End: toTime(t+int64(req.Duration), loc), Class: req.Class, Action: req.Action}, nil
}

type blockers struct {
	rules    []string
	bookings []string
	kinds    []ConflictKind
	seen     map[string]bool
}

// add records a blocker; on a nil *blockers it does nothing.
func (b *blockers) add(kind ConflictKind, rule, booking string) {
	if b == nil {
		return
	}
	if b.seen == nil {
		b.seen = map[string]bool{}
	}
	if k := "k" + string(kind); !b.seen[k] {
		b.seen[k] = true
		b.kinds = append(b.kinds, kind)
	}
	if rule != "" && !b.seen["r"+rule] {
		b.seen["r"+rule] = true
		b.rules = append(b.rules, rule)
	}
	if booking != "" && !b.seen["b"+booking] {
		b.seen["b"+booking] = true
		b.bookings = append(b.bookings, booking)
	}
}

func (c *Calendar) alignUp(n int64) int64 {
	a := int64(c.align)
	o := nanos(c.origin)
	d := n - o
	k := d / a
	if d%a != 0 && d > 0 {
		k++
	}
	return o + k*a
}

// search finds the earliest aligned start t in [lo, hi] such that [t, t+d) is
// admissible, recording what blocked the candidates in bl when bl is not nil.
//
// On a calendar with a schedule index (see schedIndex) and bl nil, a candidate that
// overlaps a stretch where its environment is at capacity, or where one of its
// services is busy, jumps to the end of that whole stretch at once, instead of
// stepping over the bookings in it one by one.
func (c *Calendar) search(sub subject, d, lo, hi int64, bl *blockers) (int64, bool, error) {
	app := c.applicable(sub)
	var es *envSched
	if c.sched != nil && bl == nil {
		if c.book.get(sub.id) == nil {
			es = c.sched.env(c, sub.env)
		}
	}
	capacity := c.Capacity(sub.env)
	var buf []occ
	var others []hit
	skip, fp := c.book.slotOf(sub.id), servicesFP(sub.services)
	t := c.alignUp(lo)
	for t <= hi {
		e := t + d
		if e > maxNanos {
			break
		}
		// The schedule index is cheap (O(log n)); rules cost an expansion lookup each.
		// Most candidates of a crowded plan are ruled out by the index alone.
		if es != nil {
			if n := es.blockedUntil(sub.services, capacity, t, e); n > t {
				t = c.alignUp(n)
				continue
			}
		}
		next := t
		for _, r := range app.closers {
			var err error
			buf, err = r.overlapping(buf[:0], t, e)
			if err != nil {
				return 0, false, fmt.Errorf("calendar: %s rule %q could not be expanded: %w", r.rule.Kind, r.rule.Name, err)
			}
			for _, o := range buf {
				next = max(next, o.e)
				kind := ConflictFreeze
				if r.rule.Kind == Lockdown {
					kind = ConflictLockdown
				}
				bl.add(kind, r.rule.Name, "")
			}
		}
		if len(app.windows) > 0 {
			occs, err := windowOccs(app.windows, t, e)
			if err != nil {
				return 0, false, fmt.Errorf("calendar: %w", err)
			}
			if g := firstGap(occs, t, e); g < e {
				ns, nr, err := nextWindowStart(app.windows, g, hi+1)
				if err != nil {
					return 0, false, fmt.Errorf("calendar: %w", err)
				}
				if nr == nil {
					for _, w := range app.windows {
						bl.add(ConflictOutsideWindow, w.rule.Name, "")
					}
					return 0, false, nil
				}
				bl.add(ConflictOutsideWindow, nr.rule.Name, "")
				next = max(next, ns)
			}
		}
		if bl == nil && next > t {
			t = c.alignUp(next)
			continue
		}
		others = c.book.overlapping(others[:0], sub.env, t, e, skip)
		for _, h := range others {
			if !mayShare(fp, h.fp, len(sub.services) == 1) {
				continue // no service in common
			}
			if o := c.book.entry(h); len(shared(sub.services, o.b.Services)) > 0 {
				next = max(next, o.e)
				bl.add(ConflictOverlap, "", o.b.ID)
			}
		}
		if segs := overCapacity(others, t, e, capacity); len(segs) > 0 {
			last := segs[len(segs)-1]
			next = max(next, last.q)
			for _, o := range others {
				if max(o.s, t) < last.q && o.e > last.p {
					bl.add(ConflictCapacity, "", c.book.entry(o).b.ID)
				}
			}
		}
		if next == t {
			return t, true, nil
		}
		t = c.alignUp(next)
	}
	return 0, false, nil
}

// longestWindow returns the longest stretch of [s, e) that the windows keep open
// (occurrences that touch or overlap count as one), and the rule that opens it; nil
// when no window opens in [s, e).
func longestWindow(windows []*ruleEntry, s, e int64) (int64, *ruleEntry, error) {
	occs, err := windowOccs(windows, s, e)
	if err != nil {
		return 0, nil, err
	}
	var best, cs, ce int64
	var bestRule, cur *ruleEntry
	for _, o := range occs {
		if cur != nil && o.s <= ce {
			ce = max(ce, o.e)
		} else {
			cs, ce, cur = o.s, o.e, o.r
		}
		if n := min(ce, e) - max(cs, s); n > best {
			best, bestRule = n, cur
		}
	}
	return best, bestRule, nil
}
