package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// ErrSlotTaken: a booking overlaps a stored booking in the same environment that
// touches one of the same services.
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
type Booker interface {
	Book(ctx context.Context, b calendar.Booking) error
	Unbook(ctx context.Context, id string) error
	Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error)
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

// ValidateBooking reports what a store cannot accept: an empty ID or environment, no
// services, an empty or inverted interval.
func ValidateBooking(b calendar.Booking) error {
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
