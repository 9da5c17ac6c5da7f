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

var _ release.Booker = (*Store)(nil)

// Book implements [release.Booker]. It scans the environment's bookings: linear in
// their number.
func (s *Store) Book(ctx context.Context, b calendar.Booking) error {
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
	for _, other := range s.bookings {
		if other.Environment != b.Environment || !other.Start.Before(b.End) || !b.Start.Before(other.End) {
			continue
		}
		for _, svc := range b.Services {
			if slices.Contains(other.Services, svc) {
				return &release.SlotTakenError{Booking: b.ID, Existing: other.ID, Service: svc}
			}
		}
	}
	s.bookings[b.ID] = cloneBooking(b)
	return nil
}

// Unbook implements [release.Booker].
func (s *Store) Unbook(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.bookings[id]; !ok {
		return release.ErrNotFound
	}
	delete(s.bookings, id)
	return nil
}

// Bookings implements [release.Booker].
func (s *Store) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []calendar.Booking{}
	for _, b := range s.bookings {
		if (env == "" || b.Environment == env) && b.Start.Before(to) && from.Before(b.End) {
			out = append(out, cloneBooking(b))
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
