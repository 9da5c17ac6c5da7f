package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

var (
	_ release.Booker         = (*Store)(nil)
	_ release.CapacityBooker = (*Store)(nil)
)

// chunkMax bounds the length of one chunk of an environment's index.
const chunkMax = 512

// entry is one booking in an environment's index, with its sort key kept inline so
// that a search reads the chunk, not the bookings it points to.
type entry struct {
	start time.Time
	id    string
	b     *calendar.Booking
}

func (e *entry) compare(start time.Time, id string) int {
	if c := e.start.Compare(start); c != 0 {
		return c
	}
	return strings.Compare(e.id, id)
}

// envBookings indexes one environment's bookings by start, then ID, in chunks of at
// most chunkMax, so that an insert or a removal moves at most a chunk (and the short
// list of chunks), not every booking of the environment.
type envBookings struct {
	chunks [][]entry // each sorted and non-empty; chunk i before chunk i+1
	// longest bounds the length of every booking indexed (it never shrinks), so that
	// the bookings overlapping an instant start at most longest before it.
	longest time.Duration
}

// search returns the chunk and the position in it of the first booking at or after
// (start, id); ci is len(x.chunks) when there is none.
func (x *envBookings) search(start time.Time, id string) (ci, pos int) {
	ci, _ = slices.BinarySearchFunc(x.chunks, 0, func(c []entry, _ int) int {
		if c[len(c)-1].compare(start, id) < 0 {
			return -1
		}
		return 1
	})
	if ci < len(x.chunks) {
		pos, _ = slices.BinarySearchFunc(x.chunks[ci], 0, func(e entry, _ int) int { return e.compare(start, id) })
	}
	return ci, pos
}

// overlapping returns the bookings that start before to and end after from, in
// start order: O(log n + k) for the k bookings that start within the longest
// booking's length before to.
func (x *envBookings) overlapping(from, to time.Time) []*calendar.Booking {
	var out []*calendar.Booking
	ci, pos := x.search(from.Add(-x.longest), "")
	for ; ci < len(x.chunks); ci, pos = ci+1, 0 {
		for _, e := range x.chunks[ci][pos:] {
			if !e.start.Before(to) {
				return out
			}
			if e.b.End.After(from) {
				out = append(out, e.b)
			}
		}
	}
	return out
}

func (x *envBookings) insert(b *calendar.Booking) {
	x.longest = max(x.longest, b.End.Sub(b.Start))
	e := entry{start: b.Start, id: b.ID, b: b}
	ci, pos := x.search(b.Start, b.ID)
	if ci == len(x.chunks) { // after every booking: the last chunk, or a new one
		if ci == 0 || len(x.chunks[ci-1]) >= chunkMax {
			x.chunks = append(x.chunks, []entry{e})
			return
		}
		ci, pos = ci-1, len(x.chunks[ci-1])
	}
	c := slices.Insert(x.chunks[ci], pos, e)
	if len(c) <= chunkMax {
		x.chunks[ci] = c
		return
	}
	half := len(c) / 2
	x.chunks[ci] = c[:half:half]
	x.chunks = slices.Insert(x.chunks, ci+1, slices.Clone(c[half:]))
}

func (x *envBookings) remove(b *calendar.Booking) {
	ci, pos := x.search(b.Start, b.ID)
	if ci == len(x.chunks) || x.chunks[ci][pos].b != b {
		return
	}
	if c := slices.Delete(x.chunks[ci], pos, pos+1); len(c) > 0 {
		x.chunks[ci] = c
	} else {
		x.chunks = slices.Delete(x.chunks, ci, ci+1)
	}
}

// Book implements [release.Booker]; it is BookWithin with no capacity.
func (s *Store) Book(ctx context.Context, b calendar.Booking) error {
	return s.BookWithin(ctx, b, 0)
}

// BookWithin implements [release.CapacityBooker]. Under the store's lock it looks up
// the environment's bookings that overlap b in an index by start (O(log n + k), k
// being the bookings that start within the environment's longest booking before b
// ends), refuses an overlap on a shared service (*release.SlotTakenError) and, with
// capacity > 0, a full environment (*release.CapacityError), then stores b.
func (s *Store) BookWithin(ctx context.Context, b calendar.Booking, capacity int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := release.CheckBookable(b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bookings[b.ID]; ok {
		return release.ErrAlreadyExists
	}
	x := s.envs[b.Environment]
	if x == nil {
		x = &envBookings{}
		s.envs[b.Environment] = x
	}
	others := x.overlapping(b.Start, b.End)
	for _, other := range others {
		for _, svc := range b.Services {
			if slices.Contains(other.Services, svc) {
				return &release.SlotTakenError{Booking: b.ID, Existing: other.ID, Service: svc}
			}
		}
	}
	if capacity > 0 && len(others) >= capacity {
		running := make([]calendar.Booking, len(others))
		for i, o := range others {
			running[i] = *o
		}
		if err := release.CheckCapacity(b, capacity, running); err != nil {
			return err
		}
	}
	stored := cloneBooking(b)
	s.bookings[b.ID] = &stored
	x.insert(&stored)
	return nil
}

// Unbook implements [release.Booker].
func (s *Store) Unbook(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bookings[id]
	if !ok {
		return release.ErrNotFound
	}
	delete(s.bookings, id)
	s.envs[b.Environment].remove(b)
	return nil
}

// Bookings implements [release.Booker]. For one environment it costs O(log n + k)
// (see BookWithin); for all environments it visits every one.
func (s *Store) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []calendar.Booking{}
	for name, x := range s.envs {
		if env != "" && name != env {
			continue
		}
		for _, b := range x.overlapping(from, to) {
			out = append(out, cloneBooking(*b))
		}
	}
	slices.SortFunc(out, func(a, b calendar.Booking) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

func cloneBooking(b calendar.Booking) calendar.Booking {
	b.Services = slices.Clone(b.Services)
	return b
}
