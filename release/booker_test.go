package release_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

func slotAt(id, env string, from, to int) calendar.Booking {
	h := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	return calendar.Booking{ID: id, Environment: env, Services: []string{id}, Start: h.Add(time.Duration(from) * time.Hour), End: h.Add(time.Duration(to) * time.Hour)}
}

func TestCheckCapacity(t *testing.T) {
	stored := []calendar.Booking{slotAt("a", "prod", 0, 2), slotAt("b", "prod", 1, 3), slotAt("c", "prod", 3, 4), slotAt("x", "dev", 0, 9)}
	for _, tc := range []struct {
		why      string
		b        calendar.Booking
		capacity int
		running  []string // nil: fits
		at       int
	}{
		{"no limit", slotAt("n", "prod", 0, 9), 0, nil, 0},
		{"a and b run from 1 to 2", slotAt("n", "prod", 0, 9), 2, []string{"a", "b"}, 1},
		{"only c runs from 3 to 4", slotAt("n", "prod", 3, 4), 2, nil, 0},
		{"c starts when b ends: one at a time", slotAt("n", "prod", 2, 4), 2, nil, 0},
		{"one is enough at capacity 1", slotAt("n", "prod", 2, 4), 1, []string{"b"}, 2},
		{"other environments do not count", slotAt("n", "dev", 0, 1), 2, nil, 0},
		{"a booking with the same ID is the one being replaced", slotAt("a", "prod", 0, 2), 1, []string{"b"}, 1},
	} {
		err := release.CheckCapacity(tc.b, tc.capacity, stored)
		if tc.running == nil {
			if err != nil {
				t.Errorf("%s: CheckCapacity = %v, want nil", tc.why, err)
			}
			continue
		}
		var ce *release.CapacityError
		if !errors.As(err, &ce) || !errors.Is(err, release.ErrSlotTaken) {
			t.Errorf("%s: CheckCapacity = %v, want a *CapacityError (ErrSlotTaken)", tc.why, err)
			continue
		}
		if !slices.Equal(ce.Running, tc.running) || !ce.At.Equal(slotAt("", "", tc.at, tc.at+1).Start) || ce.Capacity != tc.capacity || ce.Environment != tc.b.Environment {
			t.Errorf("%s: %+v, want %v running at hour %d", tc.why, ce, tc.running, tc.at)
		}
	}
}

// CheckCapacity refuses exactly when, at some hour of the booking, at least capacity
// of the other bookings of its environment run (counted hour by hour).
func TestCheckCapacityProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 8).Draw(rt, "n")
		var stored []calendar.Booking
		for i := range n {
			from := rapid.IntRange(0, 10).Draw(rt, "from")
			stored = append(stored, slotAt(fmt.Sprint(i), rapid.SampledFrom([]string{"prod", "dev"}).Draw(rt, "env"), from, from+rapid.IntRange(1, 4).Draw(rt, "len")))
		}
		from := rapid.IntRange(0, 12).Draw(rt, "bfrom")
		b := slotAt("new", "prod", from, from+rapid.IntRange(1, 4).Draw(rt, "blen"))
		capacity := rapid.IntRange(0, 4).Draw(rt, "capacity")
		full := false
		for h := from; h < int(b.End.Sub(b.Start).Hours())+from; h++ {
			at := slotAt("", "", h, h+1).Start
			running := 0
			for _, o := range stored {
				if o.Environment == "prod" && !o.Start.After(at) && o.End.After(at) {
					running++
				}
			}
			full = full || capacity > 0 && running >= capacity
		}
		err := release.CheckCapacity(b, capacity, stored)
		if full != (err != nil) {
			rt.Fatalf("full=%v but CheckCapacity = %v", full, err)
		}
	})
}
