package calendar_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

// TestBookingIndexAgreesWithAScan: however bookings are booked (random order, lengths
// from a minute to 300 days, some cancelled again), Check finds exactly the bookings a
// scan of all of them finds overlapping the probe, and Bookings lists every one in
// order. Hundreds of bookings of one length make the index split its runs.
func TestBookingIndexAgreesWithAScan(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 1300).Draw(t, "bookings")
		lengths := []time.Duration{time.Minute, 45 * time.Minute, time.Hour, 5 * time.Hour, 3 * 24 * time.Hour, 300 * 24 * time.Hour}
		cal, err := calendar.New()
		if err != nil {
			t.Fatal(err)
		}
		var all []calendar.Booking
		services := make([]string, n)
		for i := range n {
			services[i] = fmt.Sprintf("s%04d", i)
			start := base.Add(time.Duration(rapid.IntRange(0, 365*24*4).Draw(t, "quarter")) * 15 * time.Minute)
			l := lengths[rapid.IntRange(0, len(lengths)-1).Draw(t, "length")]
			if rapid.IntRange(0, 9).Draw(t, "mostly one hour") > 0 {
				l = time.Hour
			}
			b := calendar.Booking{ID: fmt.Sprintf("b%04d", i), Environment: "prod", Services: services[i : i+1], Start: start, End: start.Add(l)}
			if err := cal.Book(b); err != nil {
				t.Fatalf("Book: %v", err)
			}
			all = append(all, b)
		}
		for range rapid.IntRange(0, n/2).Draw(t, "cancels") {
			i := rapid.IntRange(0, len(all)-1).Draw(t, "cancel")
			if err := cal.Cancel(all[i].ID); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			all = slices.Delete(all, i, i+1)
		}
		if got := cal.Len(); got != len(all) {
			t.Fatalf("Len %d, want %d", got, len(all))
		}
		for range 5 {
			ps := base.Add(time.Duration(rapid.IntRange(-24, 366*24).Draw(t, "probe hour")) * time.Hour)
			probe := calendar.Booking{ID: "probe", Environment: "prod", Services: services, Start: ps,
				End: ps.Add(time.Duration(rapid.IntRange(1, 24*10).Draw(t, "probe hours")) * time.Hour)}
			var want, got []string
			for _, b := range all {
				if b.Start.Before(probe.End) && b.End.After(probe.Start) {
					want = append(want, b.ID)
				}
			}
			for _, c := range cal.Check(probe) {
				if c.Kind == calendar.ConflictOverlap {
					got = append(got, c.With...)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Fatalf("probe %v–%v: Check finds %v, a scan %v", probe.Start, probe.End, got, want)
			}
		}
	})
}
