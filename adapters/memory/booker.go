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

// envBookings indexes one environment's bookings by start.
type envBookings struct {
	byStart []*calendar.Booking // sorted by start, then ID
	// longest bounds the length of every booking in byStart (it never shrinks), so
	// that the bookings overlapping an instant start at most longest before it.
	longest time.Duration
}

func compareStart(b *calendar.Booking, start time.Time, id string) int {
	return cmp.Or(b.Start.Compare(start), strings.Compare(b.ID, id))
}

// overlapping returns the bookings that start before to and end after from, in
// start order: O(log n + k) for the k bookings that start within the longest
// booking's length before to.
func (x *envBookings) overlapping(from, to time.Time) []*calendar.Booking {
	lo, _ := slices.BinarySearchFunc(x.byStart, from.Add(-x.longest), func(b *calendar.Booking, t time.Time) int { return b.Start.Compare(t) })
	var out []*calendar.Booking
	for _, b := range x.byStart[lo:] {
		if !b.Start.Before(to) {
			break
		}
		if b.End.After(from) {
			out = append(out, b)
		}
	}
	return out
}

func (x *envBookings) insert(b *calendar.Booking) {
	n := len(x.byStart)
	if n == 0 || compareStart(x.byStart[n-1], b.Start, b.ID) < 0 {
		x.byStart = append(x.byStart, b)
	} else {
		i, _ := slices.BinarySearchFunc(x.byStart, b, func(a, t *calendar.Booking) int { return compareStart(a, t.Start, t.ID) })
		x.byStart = slices.Insert(x.byStart, i, b)
	}
	x.longest = max(x.longest, b.End.Sub(b.Start))
}

func (x *envBookings) remove(b *calendar.Booking) {
	i, found := slices.BinarySearchFunc(x.byStart, b, func(a, t *calendar.Booking) int { return compareStart(a, t.Start, t.ID) })
	if found {
		x.byStart = slices.Delete(x.byStart, i, i+1)
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
	if err := release.ValidateBooking(b); err != nil {
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
