package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

// Book implements [release.Booker]: BookWithin with no capacity.
func (s *Store) Book(ctx context.Context, b calendar.Booking) error {
	return s.BookWithin(ctx, b, 0)
}

// BookWithin implements [release.CapacityBooker]. One transaction takes a lock of
// b's environment (a transaction-scoped advisory lock on the schema and the
// environment, so Books of one environment take turns across every replica and pool),
// then, with capacity > 0, reads the environment's bookings that overlap b (through a
// GiST index on the period) and refuses with a *[release.CapacityError] when the
// environment is full at some instant of b, then inserts the booking and one slot row
// per distinct service. The slots' exclusion constraint (btree_gist over environment,
// service and the period) refuses an overlap on a shared service (SQLSTATE 23P01),
// which becomes a *[release.SlotTakenError] naming a booking it collides with; a
// stored ID becomes [release.ErrAlreadyExists]. Times are stored exactly (returned in
// UTC); capacity is counted on the times widened to whole microseconds.
//
// A transaction the database aborts as a deadlock or serialization failure wrote
// nothing and is tried again (see [MaxAttempts]); a *[ContentionError] when every
// attempt was aborted.
func (s *Store) BookWithin(ctx context.Context, b calendar.Booking, capacity int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := release.CheckBookable(b); err != nil {
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
	op := "book " + b.ID
	err = s.retry(ctx, op, func(ctx context.Context) error {
		// Read committed whatever the database's default: each statement sees what
		// committed before it, so the read after the lock sees every booking of the
		// environment. Under repeatable read the snapshot would be taken by the lock
		// statement, before the wait, and miss the booking that the lock's previous
		// holder committed.
		return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, s.q.lockEnv, s.schema, b.Environment); err != nil {
				return err
			}
			if capacity > 0 {
				running, err := s.running(ctx, tx, b.Environment, lo, hi)
				if err != nil {
					return err
				}
				widened := b
				widened.Start, widened.End = lo, hi
				if err := release.CheckCapacity(widened, capacity, running); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, s.q.book, b.ID, b.Environment, lo, hi, doc, lo, hi, services)
			return err
		})
	})
	if err == nil {
		return nil
	}
	var (
		ce *release.CapacityError
		te *ContentionError
	)
	if errors.As(err, &ce) {
		ce.Booking = b.ID
		return ce
	}
	if errors.As(err, &te) {
		return te
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
	return settle(ctx, op, err, func(ctx context.Context) (bool, error) {
		var ok bool
		err := s.pool.QueryRow(ctx, s.q.booked, b.ID, doc).Scan(&ok)
		return ok, err
	})
}

// running reads, in tx, the bookings of env that overlap [lo, hi], with their
// stored (whole-microsecond) times.
func (s *Store) running(ctx context.Context, tx pgx.Tx, env string, lo, hi time.Time) ([]calendar.Booking, error) {
	rows, err := tx.Query(ctx, s.q.running, env, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.Booking
	for rows.Next() {
		b := calendar.Booking{Environment: env}
		if err := rows.Scan(&b.ID, &b.Start, &b.End); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Unbook implements [release.Booker]: it deletes the booking and its slots; an
// unknown ID returns an error matching [release.ErrNotFound].
func (s *Store) Unbook(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var tag pgconn.CommandTag
	err := s.retry(ctx, "unbook "+id, func(ctx context.Context) error {
		var err error
		tag, err = s.pool.Exec(ctx, s.q.unbook, id)
		return err
	})
	if err != nil {
		return failOrContention(ctx, "unbook "+id, err)
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
	q, args := s.q.bookingsEnv, []any{env, floorMicro(from), ceilMicro(to)}
	if env == "" {
		q, args = s.q.bookingsAll, args[1:]
	}
	rows, err := s.pool.Query(ctx, q, args...)
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
