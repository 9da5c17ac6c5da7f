package bolt

import (
	"bytes"
	"cmp"
	"context"
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
// (bbolt runs one at a time, so two Books can never both take the last place) it walks
// the environment's bookings that start before b ends (the bookings_by_env index holds
// each one's end, so only those that also end after b starts are decoded), refuses
// with a *release.SlotTakenError when one shares a service with b and, with capacity
// > 0, with a *release.CapacityError when the environment is full at some instant of
// b (release.CheckCapacity), and stores b otherwise. The cost is linear in the
// environment's bookings that start before b.End. A booking that
// release.ValidateBooking refuses is a *release.ValidationError (release.ErrInvalid);
// a stored ID is release.ErrAlreadyExists.
func (s *Store) BookWithin(ctx context.Context, b calendar.Booking, capacity int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := release.ValidateBooking(b); err != nil {
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
		idx := tx.Bucket(bucketBookingsEnv)
		prefix := envPrefix(b.Environment)
		c := idx.Cursor()
		var running []calendar.Booking
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			start, end, id, err := parseEnvEntry(prefix, k, v)
			if err != nil {
				return refuse(err)
			}
			if !start.Before(b.End) {
				break
			}
			if !end.After(b.Start) {
				continue
			}
			bv := rows.Get(id)
			if bv == nil {
				return refuse(&release.CorruptError{What: fmt.Sprintf("booking index key %x (bucket %s)", k, bucketBookingsEnv), Reason: fmt.Sprintf("booking %q is missing; restore the file from a backup", id)})
			}
			other, err := decodeBooking(id, bv)
			if err != nil {
				return refuse(err)
			}
			for _, svc := range b.Services {
				if slices.Contains(other.Services, svc) {
					return refuse(&release.SlotTakenError{Booking: b.ID, Existing: other.ID, Service: svc})
				}
			}
			running = append(running, other)
		}
		if err := release.CheckCapacity(b, capacity, running); err != nil {
			return refuse(err)
		}
		if err := rows.Put([]byte(b.ID), val); err != nil {
			return err
		}
		return idx.Put(envKey(b), appendTime(nil, b.End))
	})
}

func parseEnvEntry(prefix, k, v []byte) (start, end time.Time, id []byte, err error) {
	rest := k[len(prefix):]
	var ok1, ok2 bool
	if len(rest) > timeKeyLen {
		start, ok1 = parseTime(rest[:timeKeyLen])
		end, ok2 = parseTime(v)
	}
	if !ok1 || !ok2 {
		return start, end, nil, &release.CorruptError{What: fmt.Sprintf("booking index key %x (bucket %s)", k, bucketBookingsEnv), Reason: "it does not hold a start, an ID and an end; restore the file from a backup"}
	}
	return start, end, rest[timeKeyLen:], nil
}

// Unbook implements [release.Booker]: it deletes the booking and its index entry;
// release.ErrNotFound when no booking has that ID.
func (s *Store) Unbook(ctx context.Context, id string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		rows := tx.Bucket(bucketBookings)
		v := rows.Get([]byte(id))
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
// environment's index entries that start before to (linear in their number); for all
// environments (env == "") it scans every booking. A booking overlaps when it starts
// before to and ends after from (so from == to lists the bookings running at that
// instant, as the reference store does). The result is ordered by start, then ID; an
// empty slice when nothing overlaps. to before from is release.ErrInvalid.
func (s *Store) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("%w: bolt: bookings from %s to %s: the end is before the start", release.ErrInvalid, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	out := []calendar.Booking{}
	overlaps := func(start, end time.Time) bool { return start.Before(to) && end.After(from) }
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		rows := tx.Bucket(bucketBookings)
		if env == "" {
			return rows.ForEach(func(k, v []byte) error {
				b, err := decodeBooking(k, v)
				if err != nil {
					return err
				}
				if overlaps(b.Start, b.End) {
					out = append(out, b)
				}
				return nil
			})
		}
		prefix := envPrefix(env)
		c := tx.Bucket(bucketBookingsEnv).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			start, end, id, err := parseEnvEntry(prefix, k, v)
			if err != nil {
				return err
			}
			if !start.Before(to) {
				break
			}
			if !overlaps(start, end) {
				continue
			}
			bv := rows.Get(id)
			if bv == nil {
				return &release.CorruptError{What: fmt.Sprintf("booking index key %x (bucket %s)", k, bucketBookingsEnv), Reason: fmt.Sprintf("booking %q is missing; restore the file from a backup", id)}
			}
			b, err := decodeBooking(id, bv)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b calendar.Booking) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
