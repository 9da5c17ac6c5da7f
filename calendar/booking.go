package calendar

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"sort"
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

// ---- index ----

type bEntry struct {
	b    Booking
	s, e int64
}

// envIndex holds one environment's bookings, split by length class (lengths within a
// factor of four of each other share a class), each class a sorted run. A query
// looks back from its start only by the longest booking of each class, so one
// 300-day booking makes the queries scan its own class's few bookings further back,
// not every booking of the last 300 days.
type envIndex struct {
	classes []lenClass // ascending by class
	n       int
}

type lenClass struct {
	class int
	run   *run
}

// lengthClass returns the class of a booking of length d nanoseconds.
func lengthClass(d int64) int { return bits.Len64(uint64(max(d, 1))) / 2 }

// run is a sorted list of bookings by (start, ID), kept in chunks of at most
// chunkMax, so that an insert in random order costs O(log n + chunkMax), not O(n).
// Each entry carries its start and end inline, and tails holds each chunk's last
// start, so that searches and scans read contiguous memory and follow a pointer only
// for the entries they return (or to break a tie between equal starts).
type run struct {
	chunks [][]rEntry // each sorted and non-empty; chunk i's entries precede chunk i+1's
	tails  []int64    // tails[i]: the start of chunks[i]'s last entry
	maxLen int64      // upper bound on e-s over the entries
	n      int
}

type rEntry struct {
	s, e int64
	p    *bEntry
}

const chunkMax = 512

type bookingIndex struct {
	byID map[string]*bEntry
	envs map[string]*envIndex
}

func newBookingIndex() *bookingIndex {
	return &bookingIndex{byID: map[string]*bEntry{}, envs: map[string]*envIndex{}}
}

func (x *bookingIndex) clone() *bookingIndex {
	y := &bookingIndex{byID: make(map[string]*bEntry, len(x.byID)), envs: make(map[string]*envIndex, len(x.envs))}
	for k, v := range x.byID {
		y.byID[k] = v
	}
	for k, v := range x.envs {
		ix := &envIndex{classes: make([]lenClass, len(v.classes)), n: v.n}
		for i, c := range v.classes {
			ix.classes[i] = lenClass{class: c.class, run: c.run.clone()}
		}
		y.envs[k] = ix
	}
	return y
}

// all appends the environment's bookings to dst, in no particular order.
func (ix *envIndex) all(dst []*bEntry) []*bEntry {
	for _, c := range ix.classes {
		for _, ch := range c.run.chunks {
			for _, it := range ch {
				dst = append(dst, it.p)
			}
		}
	}
	return dst
}

func entryLess(a *bEntry, s int64, id string) int {
	return cmp.Or(cmp.Compare(a.s, s), strings.Compare(a.b.ID, id))
}

func cmpEntry(a, t *bEntry) int { return entryLess(a, t.s, t.b.ID) }

func (r *run) clone() *run {
	y := &run{chunks: make([][]rEntry, len(r.chunks)), tails: slices.Clone(r.tails), maxLen: r.maxLen, n: r.n}
	for i, ch := range r.chunks {
		y.chunks[i] = slices.Clone(ch)
	}
	return y
}

// cmpR orders entries by start, then ID.
func cmpR(a, b rEntry) int {
	if a.s != b.s {
		return cmp.Compare(a.s, b.s)
	}
	return strings.Compare(a.p.b.ID, b.p.b.ID)
}

// chunkFor returns the chunk e belongs in: the first whose last entry is not before
// e, or the last chunk. The run must not be empty.
func (r *run) chunkFor(e rEntry) int {
	i := sort.Search(len(r.tails), func(i int) bool {
		if r.tails[i] != e.s {
			return r.tails[i] > e.s
		}
		ch := r.chunks[i]
		return cmpR(ch[len(ch)-1], e) >= 0
	})
	return min(i, len(r.chunks)-1)
}

func (r *run) insert(p *bEntry) {
	e := rEntry{p.s, p.e, p}
	r.n++
	r.maxLen = max(r.maxLen, e.e-e.s)
	if len(r.chunks) == 0 {
		r.chunks, r.tails = [][]rEntry{{e}}, []int64{e.s}
		return
	}
	ci := r.chunkFor(e)
	ch := r.chunks[ci]
	j, _ := slices.BinarySearchFunc(ch, e, cmpR)
	ch = slices.Insert(ch, j, e)
	r.chunks[ci], r.tails[ci] = ch, ch[len(ch)-1].s
	if len(ch) > chunkMax {
		half := len(ch) / 2
		r.chunks[ci], r.tails[ci] = ch[:half:half], ch[half-1].s
		r.chunks = slices.Insert(r.chunks, ci+1, slices.Clone(ch[half:]))
		r.tails = slices.Insert(r.tails, ci+1, ch[len(ch)-1].s)
	}
}

func (r *run) remove(p *bEntry) {
	if len(r.chunks) == 0 {
		return
	}
	e := rEntry{p.s, p.e, p}
	ci := r.chunkFor(e)
	ch := r.chunks[ci]
	j, found := slices.BinarySearchFunc(ch, e, cmpR)
	if !found {
		return
	}
	r.n--
	if ch = slices.Delete(ch, j, j+1); len(ch) == 0 {
		r.chunks = slices.Delete(r.chunks, ci, ci+1)
		r.tails = slices.Delete(r.tails, ci, ci+1)
	} else {
		r.chunks[ci], r.tails[ci] = ch, ch[len(ch)-1].s
	}
	if e.e-e.s == r.maxLen {
		r.maxLen = 0
		for _, ch := range r.chunks {
			for _, it := range ch {
				r.maxLen = max(r.maxLen, it.e-it.s)
			}
		}
	}
}

// scan appends to dst the entries overlapping [s, e), except the one called skip, in
// order.
func (r *run) scan(dst []*bEntry, s, e int64, skip string) []*bEntry {
	from := s - r.maxLen
	ci := sort.Search(len(r.tails), func(i int) bool { return r.tails[i] > from })
	for ; ci < len(r.chunks); ci++ {
		ch := r.chunks[ci]
		j := sort.Search(len(ch), func(i int) bool { return ch[i].s > from })
		for _, it := range ch[j:] {
			if it.s >= e {
				return dst
			}
			if it.e > s && it.p.b.ID != skip {
				dst = append(dst, it.p)
			}
		}
	}
	return dst
}

func (x *bookingIndex) insert(b Booking) {
	e := &bEntry{b: cloneBooking(b), s: nanos(b.Start), e: nanos(b.End)}
	x.byID[b.ID] = e
	ix := x.envs[b.Environment]
	if ix == nil {
		ix = &envIndex{}
		x.envs[b.Environment] = ix
	}
	ix.n++
	cl := lengthClass(e.e - e.s)
	i, found := slices.BinarySearchFunc(ix.classes, cl, func(c lenClass, t int) int { return cmp.Compare(c.class, t) })
	if !found {
		ix.classes = slices.Insert(ix.classes, i, lenClass{class: cl, run: &run{}})
	}
	ix.classes[i].run.insert(e)
}

func (x *bookingIndex) remove(id string) bool {
	e, ok := x.byID[id]
	if !ok {
		return false
	}
	delete(x.byID, id)
	ix := x.envs[e.b.Environment]
	cl := lengthClass(e.e - e.s)
	if i, found := slices.BinarySearchFunc(ix.classes, cl, func(c lenClass, t int) int { return cmp.Compare(c.class, t) }); found {
		r := ix.classes[i].run
		r.remove(e)
		if r.n == 0 {
			ix.classes = slices.Delete(ix.classes, i, i+1)
		}
	}
	if ix.n--; ix.n == 0 {
		delete(x.envs, e.b.Environment)
	}
	return true
}

// overlapping appends to dst the bookings of env overlapping [s, e), except the one
// called skip, ordered by start and ID. It costs O(log N + M), M being the bookings
// that start, before s, within the longest length of their own length class.
func (x *bookingIndex) overlapping(dst []*bEntry, env string, s, e int64, skip string) []*bEntry {
	ix := x.envs[env]
	if ix == nil {
		return dst
	}
	start := len(dst)
	for i, c := range ix.classes {
		mid := len(dst)
		dst = c.run.scan(dst, s, e, skip)
		if i == 0 || mid == start || mid == len(dst) {
			continue
		}
		// Merge this class's sorted entries into the ones before: usually a few
		// long bookings among many short ones, so insert them one by one.
		if len(dst)-mid > 8 {
			slices.SortFunc(dst[start:], cmpEntry)
			continue
		}
		for k := mid; k < len(dst); k++ {
			x, j := dst[k], k
			for ; j > start && cmpEntry(dst[j-1], x) > 0; j-- {
				dst[j] = dst[j-1]
			}
			dst[j] = x
		}
	}
	return dst
}

// ---- booking and cancelling ----

// Book adds b to the calendar if [Calendar.Check] finds no conflict. It returns a
// [*BookingError] (unwrapping to [ErrInvalidBooking]) for a malformed booking, an error
// unwrapping to [ErrDuplicateID] when the ID is taken, and a [*ConflictError]
// (unwrapping to [ErrConflict]) listing every conflict otherwise. Book keeps its own
// copy of b.
func (c *Calendar) Book(b Booking) error {
	if err := b.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bookLocked(b)
}

func (c *Calendar) bookLocked(b Booking) error {
	if _, taken := c.book.byID[b.ID]; taken {
		return fmt.Errorf("calendar: booking ID %q is already taken; cancel the existing booking or choose another ID: %w", b.ID, ErrDuplicateID)
	}
	if cs := c.checkLocked(b); len(cs) > 0 {
		return &ConflictError{Booking: b.ID, Conflicts: cs}
	}
	c.book.insert(b)
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
	s, e int64
	i    int32
}

// AllConflicts returns every pair of bookings in bs that touch a shared service in
// the same environment at the same time, one [ConflictOverlap] per pair (Booking is
// the one that starts first, With the other, Services every service they share),
// sorted by start. A malformed booking (see [Booking.Validate]) yields a
// [ConflictInvalid] and takes no further part. Capacity and rules are not
// considered: use [Calendar.Check] for them.
//
// It sorts the (environment, service, start) triples and sweeps them, in
// O(S log S + P) for S booking-service pairs and P conflicting pairs.
func AllConflicts(bs []Booking) []Conflict {
	var out []Conflict
	n := 0
	for _, b := range bs {
		n += len(b.Services)
	}
	// Bucket the (environment, service) pairs by a dense key with a counting sort,
	// then sort each bucket by start: buckets are small, so this beats one comparison
	// sort over (key, start).
	keyOf := make([]int32, 0, n)
	raw := make([]sweepItem, 0, n)
	dense := make(map[[2]string]int32, n/2)
	for i, b := range bs {
		if !quickValid(&b) {
			if err := b.Validate(); err != nil {
				out = append(out, Conflict{Kind: ConflictInvalid, Booking: b.ID, Start: b.Start, End: b.End, Reason: err.Error()})
				continue
			}
		}
		s, e := b.Start.UnixNano(), b.End.UnixNano()
		for _, svc := range b.Services {
			pk := [2]string{b.Environment, svc}
			k, ok := dense[pk]
			if !ok {
				k = int32(len(dense))
				dense[pk] = k
			}
			keyOf = append(keyOf, k)
			raw = append(raw, sweepItem{s, e, int32(i)})
		}
	}
	bounds := make([]int32, len(dense)+1)
	for _, k := range keyOf {
		bounds[k+1]++
	}
	for k := 1; k < len(bounds); k++ {
		bounds[k] += bounds[k-1]
	}
	items := make([]sweepItem, len(raw))
	next := slices.Clone(bounds[:len(bounds)-1])
	for j, it := range raw {
		k := keyOf[j]
		items[next[k]] = it
		next[k]++
	}
	type pair struct{ a, b int32 }
	var pairs []pair
	var active []sweepItem
	for k := 0; k+1 < len(bounds); k++ {
		bucket := items[bounds[k]:bounds[k+1]]
		if len(bucket) < 2 {
			continue
		}
		slices.SortFunc(bucket, func(x, y sweepItem) int { return cmp.Compare(x.s, y.s) })
		active = active[:0]
		for _, it := range bucket {
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
