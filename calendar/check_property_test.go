package calendar_test

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
)

// Check agrees with the brute-force reference of calendartest: no conflicts exactly
// when the reference finds no violation.
func TestCheckMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		b := calendartest.Booking().Draw(t, "booking")
		got := cal.Check(b)
		want := calendartest.BookingViolations(cal, b)
		if (len(got) == 0) != (len(want) == 0) {
			t.Fatalf("Check found %d conflicts %v;\nthe reference found %d violations %v", len(got), got, len(want), want)
		}
		for _, c := range got {
			if c.Reason == "" || !c.End.After(c.Start) || c.Booking != b.ID {
				t.Fatalf("malformed conflict %+v", c)
			}
			if !c.Start.Before(b.End) || !c.End.After(b.Start) {
				t.Fatalf("conflict %+v does not touch the booking %v–%v", c, b.Start, b.End)
			}
		}
		_, taken := cal.Booking(b.ID)
		err := cal.Book(b)
		switch {
		case taken:
			if !errors.Is(err, calendar.ErrDuplicateID) {
				t.Fatalf("Book of a taken ID returned %v", err)
			}
		case len(got) == 0 && err != nil:
			t.Fatalf("Check found nothing but Book returned %v", err)
		case len(got) > 0 && !errors.Is(err, calendar.ErrConflict):
			t.Fatalf("Check found %v but Book returned %v", got, err)
		}
	})
}

// Book never admits what the reference rejects, however the bookings arrive.
func TestBookKeepsInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		for _, b := range cal.Bookings() {
			calendartest.CheckBooking(t, cal, b)
		}
		if cs := cal.Conflicts(); len(cs) > 0 {
			t.Fatalf("booked calendar has overlaps: %v", cs)
		}
	})
}

type pairKey struct{ a, b string }

func bruteOverlaps(bs []calendar.Booking) []pairKey {
	var out []pairKey
	for i := range bs {
		for j := i + 1; j < len(bs); j++ {
			x, y := bs[i], bs[j]
			if x.Environment != y.Environment || !x.Start.Before(y.End) || !y.Start.Before(x.End) {
				continue
			}
			if slices.ContainsFunc(x.Services, func(s string) bool { return slices.Contains(y.Services, s) }) {
				a, b := x.ID, y.ID
				if b < a {
					a, b = b, a
				}
				out = append(out, pairKey{a, b})
			}
		}
	}
	return out
}

func pairsOf(cs []calendar.Conflict) []pairKey {
	var out []pairKey
	for _, c := range cs {
		a, b := c.Booking, c.With[0]
		if b < a {
			a, b = b, a
		}
		out = append(out, pairKey{a, b})
	}
	return out
}

func sortPairs(ps []pairKey) []pairKey {
	slices.SortFunc(ps, func(x, y pairKey) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	return ps
}

// AllConflicts finds exactly the overlapping pairs that pairwise comparison finds.
func TestAllConflictsMatchesPairwise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bs := rapid.SliceOfN(calendartest.Booking(), 0, 40).Draw(t, "bookings")
		for i := range bs {
			bs[i].ID = fmt.Sprintf("b%02d", i)
		}
		got := calendar.AllConflicts(bs)
		for _, c := range got {
			if c.Kind != calendar.ConflictOverlap || len(c.With) != 1 || len(c.Services) == 0 || !c.End.After(c.Start) {
				t.Fatalf("malformed conflict %+v", c)
			}
		}
		want := sortPairs(bruteOverlaps(bs))
		gotPairs := sortPairs(pairsOf(got))
		if !slices.Equal(want, gotPairs) {
			t.Fatalf("pairs (-want +got):\n-%v\n+%v", want, gotPairs)
		}
	})
}
