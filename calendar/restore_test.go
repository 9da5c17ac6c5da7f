package calendar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

func TestRestoreSkipsRulesButCounts(t *testing.T) {
	freeze := calendar.Rule{Name: "freeze", Kind: calendar.Freeze, Zone: "UTC",
		Start: calendar.Wall(2026, 12, 20, 0, 0, 0), End: calendar.Wall(2027, 1, 4, 0, 0, 0)}
	cal, err := calendar.New(freeze)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC)
	override := calendar.Booking{ID: "hotfix", Environment: "prod", Services: []string{"pay"}, Start: at, End: at.Add(time.Hour)}
	if err := cal.Book(override); !errors.Is(err, calendar.ErrConflict) {
		t.Fatalf("Book in a freeze = %v, want ErrConflict", err)
	}
	if err := cal.Restore(override); err != nil {
		t.Fatalf("Restore of an earlier admitted booking: %v", err)
	}
	clash := override
	clash.ID = "other"
	var overlap bool
	for _, c := range cal.Check(clash) {
		overlap = overlap || c.Kind == calendar.ConflictOverlap
	}
	if !overlap {
		t.Fatalf("a restored booking does not count against overlaps: %v", cal.Check(clash))
	}
	if err := cal.Restore(clash, clash); !errors.Is(err, calendar.ErrDuplicateID) {
		t.Fatalf("Restore of a repeated ID = %v, want ErrDuplicateID", err)
	}
	if _, ok := cal.Booking("other"); ok {
		t.Fatalf("a refused Restore added a booking")
	}
	bad := override
	bad.ID, bad.End = "bad", bad.Start
	if err := cal.Restore(bad); !errors.Is(err, calendar.ErrInvalidBooking) {
		t.Fatalf("Restore of a malformed booking = %v, want ErrInvalidBooking", err)
	}
}
