package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// Book implements [release.Booker]: BookWithin with no capacity.
func (s *Store) Book(ctx context.Context, b calendar.Booking) error {
	return s.BookWithin(ctx, b, 0)
}

// BookWithin implements [release.CapacityBooker]. In one read-write transaction
// (bbolt runs one at a time, so two Books can never both take the last place) it reads
// the environment's bookings that overlap b, refuses with a *release.SlotTakenError
// when one shares a service with b and, with capacity > 0, with a
// *release.CapacityError when the environment is full at some instant of b
// (release.CheckCapacity), and stores b otherwise. The bookings_by_env index is
// ordered by start and the environment's longest booking is kept, so the walk starts
// that long before b: O(log n + k) for the k bookings that start in that stretch,
// however many the environment holds. A booking that release.CheckBookable refuses
// is a *release.ValidationError (release.ErrInvalid); a stored ID is
// release.ErrAlreadyExists.
func (s *Store) BookWithin(ctx context.Context, b calendar.Booking, capacity int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := release.CheckBookable(b); err != nil {
		return err
	}
	val, err := json.Marshal(toRow(b))
	if err != nil {
		return fmt.Errorf("%w: bolt: booking %s cannot be encoded: %v", release.ErrInvalid, b.ID, err)
	}
	return s.update(ctx, func(tx *bbolt.Tx) error {
		rows := tx.Bucket(bucketBookings)
		if rows.Get([]byte(b.ID)) != nil {
			return refuse(fmt.Errorf("bolt: booking %s: %w", b.ID, release.ErrAlreadyExists))
		}
		var running []calendar.Booking
		err := overlapping(tx, b.Environment, b.Start, b.End, func(other calendar.Booking) error {
			for _, svc := range b.Services {
				if slices.Contains(other.Services, svc) {
					return &release.SlotTakenError{Booking: b.ID, Existing: other.ID, Service: svc}
				}
			}
			running = append(running, other)
			return nil
		})
		if err != nil {
			return refuse(err)
		}
		if err := release.CheckCapacity(b, capacity, running); err != nil {
			return refuse(err)
		}
		span := tx.Bucket(bucketBookingSpan)
		longest, err := getSpan(span, b.Environment)
		if err != nil {
			return refuse(err)
		}
		if d := b.End.Sub(b.Start); d > longest {
			if err := putSpan(span, b.Environment, d); err != nil {
				return err
			}
		}
		if err := tBookings.put(rows, []byte(b.ID), val); err != nil {
			return err
		}
		return tBookingsEnv.put(tx.Bucket(bucketBookingsEnv), envKey(b), appendTime(nil, b.End))
	})
}

// overlapping calls fn, in start order, with every booking of env that starts before
// to and ends after from, in tx. It seeks the bookings_by_env index to from minus the
// environment's longest booking and decodes only the bookings that overlap. An error
// of fn stops the walk and is returned.
func overlapping(tx *bbolt.Tx, env string, from, to time.Time, fn func(calendar.Booking) error) error {
	longest, err := getSpan(tx.Bucket(bucketBookingSpan), env)
	if err != nil {
		return err
	}
	rows := tx.Bucket(bucketBookings)
	prefix := envPrefix(env)
	c := tx.Bucket(bucketBookingsEnv).Cursor()
	for k, v := c.Seek(appendTime(bytes.Clone(prefix), from.Add(-longest))); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		start, end, id, err := parseEnvEntry(prefix, k, v)
		if err != nil {
			return err
		}
		if !start.Before(to) {
			break
		}
		if !end.After(from) {
			continue
		}
		if end.Sub(start) > longest {
			return &release.CorruptError{What: fmt.Sprintf("booking %q of environment %q", id, env), Reason: fmt.Sprintf("it is longer (%v) than the longest booking recorded for its environment (%v), so searches can miss it; restore the file from a backup", end.Sub(start), longest)}
		}
		bv, err := tBookings.get(rows, id)
		if err != nil {
			return err
		}
		if bv == nil {
			return &release.CorruptError{What: fmt.Sprintf("booking index key %x (bucket %s)", k, bucketBookingsEnv), Reason: fmt.Sprintf("booking %q is missing; restore the file from a backup", id)}
		}
		b, err := decodeBooking(id, bv)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// openBooking checks a stored bookings value against its checksum and decodes it.
func openBooking(key, val []byte) (calendar.Booking, error) {
	payload, err := tBookings.open(key, val)
	if err != nil {
		return calendar.Booking{}, err
	}
	return decodeBooking(key, payload)
}

// getSpan returns the longest booking recorded for env (zero when none).
func getSpan(span *bbolt.Bucket, env string) (time.Duration, error) {
	v, err := tBookingSpan.get(span, []byte(env))
	if err != nil || v == nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, tBookingSpan.damaged([]byte(env), fmt.Sprintf("the value is %d bytes long, want 8", len(v)))
	}
	return time.Duration(binary.BigEndian.Uint64(v)), nil
}

// putSpan records d as the longest booking of env.
func putSpan(span *bbolt.Bucket, env string, d time.Duration) error {
	return tBookingSpan.put(span, []byte(env), binary.BigEndian.AppendUint64(nil, uint64(d)))
}

func parseEnvEntry(prefix, k, v []byte) (start, end time.Time, id []byte, err error) {
	rest := k[len(prefix):]
	var ok1, ok2 bool
	payload, err := tBookingsEnv.open(k, v)
	if err != nil {
		return start, end, nil, err
	}
	if len(rest) > timeKeyLen {
		start, ok1 = parseTime(rest[:timeKeyLen])
		end, ok2 = parseTime(payload)
	}
	if !ok1 || !ok2 || !end.After(start) {
		return start, end, nil, &release.CorruptError{What: fmt.Sprintf("booking index key %x (bucket %s)", k, bucketBookingsEnv), Reason: "it does not hold a start, an ID and a later end; restore the file from a backup"}
	}
	return start, end, rest[timeKeyLen:], nil
}

// Unbook implements [release.Booker]: it deletes the booking and its index entry;
// release.ErrNotFound when no booking has that ID. The environment's longest booking
// stays recorded (a bound, not an exact length).
func (s *Store) Unbook(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		rows := tx.Bucket(bucketBookings)
		v, err := tBookings.get(rows, []byte(id))
		if err != nil {
			return refuse(err)
		}
		if v == nil {
			return refuse(fmt.Errorf("bolt: booking %q: %w", id, release.ErrNotFound))
		}
		b, err := decodeBooking([]byte(id), v)
		if err != nil {
			return refuse(err)
		}
		if err := tx.Bucket(bucketBookingsEnv).Delete(envKey(b)); err != nil {
			return err
		}
		return rows.Delete([]byte(id))
	})
}

// Bookings implements [release.Booker]. For one environment it walks that
// environment's index from the start of the range minus its longest booking (O(log n
// + k), see BookWithin); for all environments (env == "") it scans every booking. A
// booking overlaps when it starts before to and ends after from (so from == to lists
// the bookings running at that instant, as the reference store does). The result is
// ordered by start, then ID; an empty slice when nothing overlaps. to before from is
// release.ErrInvalid.
func (s *Store) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("%w: bolt: bookings from %s to %s: the end is before the start", release.ErrInvalid, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	out := []calendar.Booking{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if env != "" {
			return overlapping(tx, env, from, to, func(b calendar.Booking) error {
				out = append(out, b)
				return nil
			})
		}
		return tx.Bucket(bucketBookings).ForEach(func(k, v []byte) error {
			b, err := openBooking(k, v)
			if err != nil {
				return err
			}
			if b.Start.Before(to) && b.End.After(from) {
				out = append(out, b)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b calendar.Booking) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
