package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// ErrSlotTaken: a booking overlaps a stored booking in the same environment that
// touches one of the same services (a *SlotTakenError), or its environment is full
// for part of its time (a *CapacityError).
var ErrSlotTaken = errors.New("release: slot taken")

// Booker is an optional interface for stores that keep calendar bookings, so that
// releases scheduled by many engines (in many replicas) never double-book a service.
//
// Contract (release/storetest checks it for stores that implement Booker):
//   - Book stores b unless a stored booking in the same environment shares a service
//     with b and overlaps [b.Start, b.End); then it stores nothing and returns a
//     *SlotTakenError (ErrSlotTaken) naming that booking. Bookings that only touch
//     (one ends when the other starts) do not overlap. Of concurrent Books that
//     overlap, at most one succeeds, whatever the timing. A booking with an ID that is
//     already stored returns ErrAlreadyExists.
//   - Unbook removes the booking with that ID; an unknown ID returns ErrNotFound.
//   - Bookings returns the stored bookings of env (all environments when env is "")
//     that overlap [from, to), ordered by start, then ID.
//
// Book knows nothing of capacity; a Booker that can also enforce an environment's
// capacity implements [CapacityBooker].
type Booker interface {
	Book(ctx context.Context, b calendar.Booking) error
	Unbook(ctx context.Context, id string) error
	Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error)
}

// CapacityBooker is an optional interface of a [Booker] (found by type assertion)
// that enforces an environment's capacity in the same atomic step as the booking, so
// that engines in many replicas never overfill an environment. [WithCalendar] passes
// the calendar's capacity for the booking's environment (calendar.Calendar.Capacity);
// the capacity is an argument rather than the store's own setting because the
// calendar, not the store, holds the rules.
//
// Contract (release/storetest checks it for stores that implement it):
//   - BookWithin(ctx, b, capacity) does what Book does, and with capacity > 0 it also
//     refuses b when at some instant of [b.Start, b.End) capacity bookings of b's
//     environment already run: then it stores nothing and returns a *CapacityError
//     (ErrSlotTaken). Bookings that only touch do not run at the same instant. It
//     counts every stored booking of the environment, whatever its services, class
//     or action, as the calendar does ([CheckCapacity] decides).
//   - The check and the insert are one atomic step: of concurrent BookWithin calls
//     whose bookings would together exceed the capacity, only as many succeed as fit,
//     whatever the timing, in any number of processes sharing the store.
//   - capacity <= 0 means no limit: BookWithin is Book.
//
// With a Booker that is not a CapacityBooker, WithCalendar books, then reads the
// environment back and frees the booking again when the environment is over
// capacity: never overfilled, but concurrent schedules may all be refused.
type CapacityBooker interface {
	Booker
	BookWithin(ctx context.Context, b calendar.Booking, capacity int) error
}

// CapacityError says that an environment already runs as many bookings as its
// capacity allows at some instant of a new booking's time.
type CapacityError struct {
	// Booking is the refused booking; Environment and Capacity are its environment's.
	Booking     string
	Environment string
	Capacity    int
	// At is the first instant of the booking's time at which the environment is full.
	At time.Time
	// Running are the IDs of the bookings that fill the environment at At, sorted.
	Running []string
}

func (e *CapacityError) Error() string {
	return fmt.Sprintf("release: booking %s does not fit: %s is full at %s (capacity %d, running %s); pick another slot or raise the capacity",
		e.Booking, e.Environment, e.At.Format(time.RFC3339), e.Capacity, strings.Join(e.Running, ", "))
}

// Unwrap returns [ErrSlotTaken].
func (e *CapacityError) Unwrap() error { return ErrSlotTaken }

// CheckCapacity reports whether b fits in its environment next to stored, the
// bookings of that environment that overlap b (others are ignored, as is a booking
// with b's ID): nil when capacity <= 0 or when fewer than capacity of them run at
// every instant of [b.Start, b.End), a *CapacityError otherwise. A [CapacityBooker]
// calls it in the atomic step that stores b. Its cost is O(n log n) in len(stored).
func CheckCapacity(b calendar.Booking, capacity int, stored []calendar.Booking) error {
	if capacity <= 0 || len(stored) < capacity {
		return nil
	}
	type edge struct {
		t time.Time
		d int // -1 (an end) sorts before +1 (a start) at the same instant
		i int
	}
	edges := make([]edge, 0, 2*len(stored))
	for i, o := range stored {
		if o.ID == b.ID || o.Environment != b.Environment || !o.Start.Before(b.End) || !o.End.After(b.Start) {
			continue
		}
		start := o.Start
		if start.Before(b.Start) {
			start = b.Start
		}
		edges = append(edges, edge{start, +1, i}, edge{o.End, -1, i})
	}
	slices.SortFunc(edges, func(x, y edge) int { return cmp.Or(x.t.Compare(y.t), cmp.Compare(x.d, y.d)) })
	running := map[int]bool{}
	for _, g := range edges {
		if g.d < 0 {
			delete(running, g.i)
			continue
		}
		running[g.i] = true
		if len(running) >= capacity {
			ids := make([]string, 0, len(running))
			for i := range running {
				ids = append(ids, stored[i].ID)
			}
			slices.Sort(ids)
			return &CapacityError{Booking: b.ID, Environment: b.Environment, Capacity: capacity, At: g.t, Running: ids}
		}
	}
	return nil
}

// SlotTakenError names the stored booking a new one collides with.
type SlotTakenError struct {
	Booking  string
	Existing string
	Service  string
}

func (e *SlotTakenError) Error() string {
	if e.Existing == "" {
		return fmt.Sprintf("release: booking %s overlaps an existing booking of the same service; pick another slot", e.Booking)
	}
	return fmt.Sprintf("release: booking %s overlaps booking %s of service %s in the same environment; pick another slot", e.Booking, e.Existing, e.Service)
}

// Unwrap returns [ErrSlotTaken].
func (e *SlotTakenError) Unwrap() error { return ErrSlotTaken }

// ValidateBooking reports what a store cannot accept.
//
// Deprecated: use [CheckBookable]; it is the same check. The name read as
// calendar.Booking.Validate, which checks much more (classes, actions, the years).
func ValidateBooking(b calendar.Booking) error { return CheckBookable(b) }

// CheckBookable reports what no [Booker] may store, as a *ValidationError
// (ErrInvalid): an empty ID or environment, no services, an empty or inverted
// interval. Booker implementations call it first, as [CheckCapacity] decides
// capacity. A booking that passes may still fail calendar.Booking.Validate, which
// checks more.
func CheckBookable(b calendar.Booking) error {
	var p []string
	if b.ID == "" {
		p = append(p, "booking ID is empty")
	}
	if b.Environment == "" {
		p = append(p, "environment is empty")
	}
	if len(b.Services) == 0 {
		p = append(p, "no services")
	}
	if !b.End.After(b.Start) {
		p = append(p, fmt.Sprintf("end %s is not after start %s", b.End.Format(time.RFC3339), b.Start.Format(time.RFC3339)))
	}
	return validation("booking", p)
}
