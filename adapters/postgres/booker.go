package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// floorMicro and ceilMicro widen an interval to whole microseconds (the precision
// of timestamptz), so the exclusion constraint never misses an overlap; only two
// bookings that touch at an instant that is not a whole microsecond could be refused.
func floorMicro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func ceilMicro(t time.Time) time.Time {
	f := t.Truncate(time.Microsecond)
	if f.Before(t) {
		return f.Add(time.Microsecond)
	}
	return f
}

// Book implements [release.Booker]. One statement inserts the booking and one slot
// row per distinct service; the slots' exclusion constraint (btree_gist over
// environment, service and the period) makes PostgreSQL refuse an overlap whatever
// the timing of concurrent Books, in any number of replicas. The refusal (SQLSTATE
// 23P01) becomes a *[release.SlotTakenError] naming a booking it collides with; a
// stored ID becomes [release.ErrAlreadyExists]. Times are stored exactly (returned in
// UTC).
func (s *Store) Book(ctx context.Context, b calendar.Booking) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := release.ValidateBooking(b); err != nil {
		return err
	}
	b.Services = slices.Clone(b.Services)
	b.Start, b.End = b.Start.UTC(), b.End.UTC()
	doc, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("%w: booking %s cannot be encoded as JSON: %v", release.ErrInvalid, b.ID, err)
	}
	services := slices.Clone(b.Services)
	slices.Sort(services)
	services = slices.Compact(services)
	lo, hi := floorMicro(b.Start), ceilMicro(b.End)
	_, err = s.pool.Exec(ctx, s.q.book, b.ID, b.Environment, lo, hi, doc, lo, hi, services)
	if err == nil {
		return nil
	}
	switch code, constraint := pgCode(err); {
	case code == codeUniqueViolation && constraint == "bookings_pkey":
		return fmt.Errorf("postgres: booking %s: %w", b.ID, release.ErrAlreadyExists)
	case code == codeExclusionViolation:
		taken := &release.SlotTakenError{Booking: b.ID}
		// Name the booking in the way. It may be gone by now; then the error says so
		// without a name.
		var existing, service string
		qerr := s.pool.QueryRow(context.WithoutCancel(ctx), s.q.overlapping, b.Environment, services, lo, hi, b.ID).Scan(&existing, &service)
		if qerr == nil {
			taken.Existing, taken.Service = existing, service
		}
		return taken
	}
	return settle(ctx, "book "+b.ID, err, func(ctx context.Context) (bool, error) {
		var ok bool
		err := s.pool.QueryRow(ctx, s.q.booked, b.ID, doc).Scan(&ok)
		return ok, err
	})
}

// Unbook implements [release.Booker]: it deletes the booking and its slots; an
// unknown ID returns an error matching [release.ErrNotFound].
func (s *Store) Unbook(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q.unbook, id)
	if err != nil {
		return fail(ctx, "unbook "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: unbook %s: %w", id, release.ErrNotFound)
	}
	return nil
}

// Bookings implements [release.Booker]: the bookings of env (every environment when
// env is "") that overlap [from, to), ordered by start, then ID: Start < to and
// End > from, decided on the exact times (so, as in adapters/memory, from == to finds
// the bookings running at that instant). No match is an empty slice.
func (s *Store) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []calendar.Booking{}
	rows, err := s.pool.Query(ctx, s.q.bookings, env, floorMicro(from), ceilMicro(to))
	if err != nil {
		return nil, fail(ctx, "list bookings", err)
	}
	defer rows.Close()
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fail(ctx, "list bookings", err)
		}
		var b calendar.Booking
		if err := json.Unmarshal(doc, &b); err != nil {
			return nil, &release.CorruptError{What: "booking", Reason: "stored document is not a booking: " + err.Error()}
		}
		b.Start, b.End = b.Start.UTC(), b.End.UTC()
		// The query matched on whole microseconds; decide on the exact times.
		if b.Start.Before(to) && b.End.After(from) {
			out = append(out, b)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "list bookings", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
