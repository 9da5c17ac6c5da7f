package calendar

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/change"
)

// ---- validation ----

// ValidateBooking reports every problem of b at once.
//
// Deprecated: use [Booking.Validate]; it is the same check.
func ValidateBooking(b Booking) error { return b.Validate() }

// Validate reports every problem of b at once as a [*BookingError]: an empty ID or
// environment, an empty service name, a zero start or end, an end not after the start,
// an instant outside 1900–2200, an unknown class or action. It returns nil for a
// well-formed booking; whether the calendar admits it is [Calendar.Check]'s business.
func (b Booking) Validate() error {
	var p []string
	if b.ID == "" {
		p = append(p, "ID is empty; give every booking a unique ID")
	}
	if b.Environment == "" {
		p = append(p, "environment is empty; name the environment the change runs in")
	}
	if slices.Contains(b.Services, "") {
		p = append(p, "a service name is empty; drop it or name the service")
	}
	p = append(p, intervalProblems(b.Start, b.End)...)
	p = append(p, classActionProblems(b.Class, b.Action)...)
	if len(p) > 0 {
		return &BookingError{ID: b.ID, Problems: p}
	}
	return nil
}

func intervalProblems(start, end time.Time) []string {
	var p []string
	switch {
	case start.IsZero():
		p = append(p, "start is zero; set Start")
	case checkInstant(start) != "":
		p = append(p, "start "+checkInstant(start))
	}
	switch {
	case end.IsZero():
		p = append(p, "end is zero; set End")
	case checkInstant(end) != "":
		p = append(p, "end "+checkInstant(end))
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		p = append(p, fmt.Sprintf("end %s is not after start %s; End must be later than Start",
			end.Format(time.RFC3339), start.Format(time.RFC3339)))
	}
	return p
}

func classActionProblems(c change.Class, a Action) []string {
	var p []string
	if c != "" && !slices.Contains(change.Classes(), c) {
		p = append(p, fmt.Sprintf("class %q is unknown; use one of %v (or leave it empty for %q)", c, change.Classes(), change.Normal))
	}
	if a != "" && !slices.Contains(Actions(), a) {
		p = append(p, fmt.Sprintf("action %q is unknown; use one of %v (or leave it empty for %q)", a, Actions(), ActionDeploy))
	}
	return p
}

// ---- booking and cancelling ----

// Book adds b to the calendar if [Calendar.Check] finds no conflict. It returns a
// [*BookingError] (unwrapping to [ErrInvalidBooking]) for a malformed booking, an error
// unwrapping to [ErrDuplicateID] when the ID is taken, and a [*ConflictError]
// (unwrapping to [ErrConflict]) listing every conflict otherwise. Book keeps its own
// copy of b.
func (c *Calendar) Book(b Booking) error {
	// The ID's hash and the services' fingerprint are computed before the lock,
	// so that their first reads of b's strings overlap and are not made while
	// other writers wait.
	h, fp := idHash(b.ID), servicesFP(b.Services)
	if err := b.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bookHashed(b, h, fp)
}

func (c *Calendar) bookLocked(b Booking) error {
	return c.bookHashed(b, idHash(b.ID), servicesFP(b.Services))
}

// bookHashed is bookLocked for b, whose ID has hash h and services fingerprint fp.
func (c *Calendar) bookHashed(b Booking, h uint64, fp uint32) error {
	h &= c.book.mask
	// The ID's home cell is read first and looked at only after the check, so that
	// the processor waits for that read and for the check's reads of the index at
	// once. An ID whose home cell is empty is not stored.
	home := c.book.ids.home(h)
	cs := c.checkSlot(b, noSlot, fp)
	if home != 0 && c.book.lookup(h, b.ID) != noSlot {
		return fmt.Errorf("calendar: booking ID %q is already taken; cancel the existing booking or choose another ID: %w", b.ID, ErrDuplicateID)
	}
	if len(cs) > 0 {
		return &ConflictError{Booking: b.ID, Conflicts: cs}
	}
	c.book.insertHashed(b, h, fp)
	return nil
}

// Cancel removes the booking with the given ID. It returns an error unwrapping to
// [ErrNotFound] when there is none.
func (c *Calendar) Cancel(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.book.remove(id) {
		return fmt.Errorf("calendar: no booking %q to cancel; Bookings lists the booked IDs: %w", id, ErrNotFound)
	}
	return nil
}

// ---- all conflicts among a set ----

// Conflicts returns every overlap among the calendar's bookings (see [AllConflicts]).
// It is empty for a calendar filled only through [Calendar.Book], which refuses
// overlaps; it is there to audit calendars built from imported data.
func (c *Calendar) Conflicts() []Conflict {
	return AllConflicts(c.Bookings())
}

type sweepItem struct {
	s, e     int64
	i        int32 // index in bs
	env, svc int32 // interned environment and service
}

// AllConflicts returns every pair of bookings in bs that touch a shared service in
// the same environment at the same time, one [ConflictOverlap] per pair (Booking is
// the one that starts first, With the other, Services every service they share),
// sorted by start. A malformed booking (see [Booking.Validate]) yields a
// [ConflictInvalid] and takes no further part. Capacity and rules are not
// considered: use [Calendar.Check] for them.
//
// It groups the (environment, service) pairs of the bookings, sorts each group by
// start and sweeps it, in O(S log G + P) for S booking-service pairs, groups of at
// most G of them, and P conflicting pairs.
func AllConflicts(bs []Booking) []Conflict {
	var out []Conflict
	n := 0
	for i := range bs {
		n += len(bs[i].Services)
	}
	// Environments and services become small integers, and two counting sorts (by
	// service, then stably by environment) group the items by (environment, service)
	// in linear time; groups are small, so sorting each by start is cheap.
	envs, svcs := map[string]int32{}, map[string]int32{}
	items := make([]sweepItem, 0, n)
	for i := range bs {
		b := &bs[i]
		if !quickValid(b) {
			if err := b.Validate(); err != nil {
				out = append(out, Conflict{Kind: ConflictInvalid, Booking: b.ID, Start: b.Start, End: b.End, Reason: err.Error()})
				continue
			}
		}
		env := intern(envs, b.Environment)
		s, e := b.Start.UnixNano(), b.End.UnixNano()
		for _, svc := range b.Services {
			items = append(items, sweepItem{s, e, int32(i), env, intern(svcs, svc)})
		}
	}
	tmp := make([]sweepItem, len(items))
	countingSort(tmp, items, len(svcs), false)
	countingSort(items, tmp, len(envs), true)
	type pair struct{ a, b int32 }
	var pairs []pair
	var active []sweepItem
	for lo := 0; lo < len(items); {
		hi := lo + 1
		for hi < len(items) && items[hi].env == items[lo].env && items[hi].svc == items[lo].svc {
			hi++
		}
		group := items[lo:hi]
		if lo = hi; len(group) < 2 {
			continue
		}
		sortByStart(group)
		active = active[:0]
		for _, it := range group {
			j := 0
			for _, a := range active {
				if a.e > it.s {
					active[j] = a
					j++
					if a.i != it.i {
						pairs = append(pairs, pair{a.i, it.i})
					}
				}
			}
			active = append(active[:j], it)
		}
	}
	if len(pairs) == 0 {
		return out
	}
	for k, p := range pairs {
		x, y := &bs[p.a], &bs[p.b]
		if y.Start.Before(x.Start) || (y.Start.Equal(x.Start) && (y.ID < x.ID || (y.ID == x.ID && p.b < p.a))) {
			pairs[k] = pair{p.b, p.a}
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	pairs = slices.Compact(pairs)
	start := len(out)
	for _, p := range pairs {
		x, y := bs[p.a], bs[p.b]
		svc := shared(x.Services, y.Services)
		loc := x.Start.Location()
		s, e := maxTime(x.Start, y.Start), minTime(x.End, y.End)
		out = append(out, Conflict{Kind: ConflictOverlap, Booking: x.ID, With: []string{y.ID}, Services: svc,
			Start: s.In(loc), End: e.In(loc),
			Reason: fmt.Sprintf("bookings %q and %q both change %s in %s from %s to %s; two changes to the same service may not overlap: move one of them",
				x.ID, y.ID, strings.Join(svc, ", "), x.Environment, s.In(loc).Format(timeLayout), e.In(loc).Format(timeLayout))})
	}
	slices.SortStableFunc(out[start:], func(a, b Conflict) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.Booking, b.Booking), slices.Compare(a.With, b.With))
	})
	return out
}

// intern returns the number of k in m, adding k with the next number if it is new.
func intern(m map[string]int32, k string) int32 {
	v, ok := m[k]
	if !ok {
		v = int32(len(m))
		m[k] = v
	}
	return v
}

// countingSort moves src into dst ordered by environment (byEnv) or by service, each
// below k, keeping the order of equal keys.
func countingSort(dst, src []sweepItem, k int, byEnv bool) {
	next := make([]int32, k+1)
	for i := range src {
		if byEnv {
			next[src[i].env+1]++
		} else {
			next[src[i].svc+1]++
		}
	}
	for j := 1; j <= k; j++ {
		next[j] += next[j-1]
	}
	for _, it := range src {
		key := it.svc
		if byEnv {
			key = it.env
		}
		dst[next[key]] = it
		next[key]++
	}
}

// sortByStart sorts items by start: by insertion when there are few, as there are
// in most groups.
func sortByStart(items []sweepItem) {
	if len(items) > 12 {
		slices.SortFunc(items, func(x, y sweepItem) int { return cmp.Compare(x.s, y.s) })
		return
	}
	for i := 1; i < len(items); i++ {
		it, j := items[i], i
		for ; j > 0 && items[j-1].s > it.s; j-- {
			items[j] = items[j-1]
		}
		items[j] = it
	}
}

// quickValid is a fast path of Booking.Validate for the common well-formed booking.
func quickValid(b *Booking) bool {
	if b.ID == "" || b.Environment == "" || !b.End.After(b.Start) || b.Start.Before(minInstant) || b.End.After(maxInstant) {
		return false
	}
	switch b.Class {
	case "", change.Standard, change.Normal, change.Emergency:
	default:
		return false
	}
	switch b.Action {
	case "", ActionDeploy, ActionHotfix, ActionRollback:
	default:
		return false
	}
	for _, s := range b.Services {
		if s == "" {
			return false
		}
	}
	return true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
