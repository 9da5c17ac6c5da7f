package memory_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) release.Store { return memory.New() }, storetest.WithTamper(memory.Tamper))
}

// TestBookingIndex: after a random mix of Books and Unbooks, enough for the index of
// one environment to split into many chunks and drop emptied ones, Bookings of every
// environment over random ranges is exactly what a scan of a model finds, in order.
func TestBookingIndex(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		s := memory.New()
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		ops := rapid.IntRange(500, 3000).Draw(t, "ops")
		base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		model := map[string]calendar.Booking{}
		var ids []string
		for i := range ops {
			if len(ids) > 0 && rng.IntN(3) == 0 {
				j := rng.IntN(len(ids))
				id := ids[j]
				ids[j] = ids[len(ids)-1]
				ids = ids[:len(ids)-1]
				if err := s.Unbook(ctx, id); err != nil {
					t.Fatal(err)
				}
				delete(model, id)
				continue
			}
			start := base.Add(time.Duration(rng.IntN(2000)) * time.Minute) // many equal starts
			b := calendar.Booking{ID: fmt.Sprintf("b%d", i), Environment: []string{"prod", "dev"}[rng.IntN(2)],
				Services: []string{fmt.Sprintf("s%d", i)}, Start: start, End: start.Add(time.Duration(1+rng.IntN(300)) * time.Minute)}
			if err := s.Book(ctx, b); err != nil {
				t.Fatal(err)
			}
			model[b.ID] = b
			ids = append(ids, b.ID)
		}
		for range 50 {
			env := []string{"prod", "dev", ""}[rng.IntN(3)]
			from := base.Add(time.Duration(rng.IntN(2400)-100) * time.Minute)
			to := from.Add(time.Duration(rng.IntN(400)) * time.Minute)
			got, err := s.Bookings(ctx, env, from, to)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, b := range model {
				if (env == "" || b.Environment == env) && b.Start.Before(to) && b.End.After(from) {
					want = append(want, b.ID)
				}
			}
			slices.SortFunc(want, func(a, b string) int {
				return cmp.Or(model[a].Start.Compare(model[b].Start), strings.Compare(a, b))
			})
			gotIDs := make([]string, len(got))
			for i, b := range got {
				gotIDs[i] = b.ID
			}
			if !slices.Equal(gotIDs, want) {
				t.Fatalf("Bookings(%q, %s, %s) = %v, want %v", env, from, to, gotIDs, want)
			}
		}
	})
}

// TestScheduleEarliestSlot: the engine reads only the bookings near the slot it
// looks for (a window from the earliest start that grows until a slot fits), yet the
// slot it books is the one the calendar finds with every stored booking restored in
// it: the earliest over the whole horizon, long bookings that start before the window
// included.
func TestScheduleEarliestSlot(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		capacity := rapid.IntRange(1, 3).Draw(t, "capacity")
		s := memory.New()
		var stored []calendar.Booking
		for i := range rapid.IntRange(0, 40).Draw(t, "bookings") {
			start := now.Add(time.Duration(rapid.IntRange(-72, 24*20).Draw(t, "start")) * time.Hour)
			length := time.Duration(rapid.SampledFrom([]int{30, 60, 240, 24 * 60, 9 * 24 * 60}).Draw(t, "minutes")) * time.Minute
			b := calendar.Booking{ID: fmt.Sprintf("stored-%d", i), Environment: "prod", Services: []string{fmt.Sprintf("svc-%d", i)},
				Start: start, End: start.Add(length)}
			if s.BookWithin(ctx, b, capacity) == nil {
				stored = append(stored, b)
			}
		}
		cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", capacity))
		if err != nil {
			t.Fatal(err)
		}
		eng, err := release.New(s, release.WithPolicy(release.AllowAll()),
			release.WithClock(release.ClockFunc(func() time.Time { return now })),
			release.WithCalendar(release.CalendarConfig{Calendar: cal, Horizon: 60 * 24 * time.Hour}))
		if err != nil {
			t.Fatal(err)
		}
		duration := time.Duration(rapid.IntRange(1, 48).Draw(t, "duration")) * 30 * time.Minute
		actor := release.Person("ana", release.RoleReleaseManager)
		r, err := eng.Create(ctx, release.Spec{Name: "new", Version: "1.0.0", Environment: "prod", Author: "bo", Duration: duration})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Fire(ctx, r.ID, release.EventPlan, actor); err != nil {
			t.Fatal(err)
		}

		all := cal.Clone()
		if err := all.Restore(stored...); err != nil {
			t.Fatal(err)
		}
		want, wantErr := all.NextSlot(calendar.Request{ID: "x", Environment: "prod", Services: []string{"new"}, Duration: duration,
			NotBefore: now, NotAfter: now.Add(60 * 24 * time.Hour)})
		got, err := eng.Fire(ctx, r.ID, release.EventSchedule, actor)
		switch {
		case wantErr != nil:
			if err == nil {
				t.Fatalf("scheduled at %s; the calendar with every booking finds no slot: %v", got.Slot.Start, wantErr)
			}
		case err != nil:
			t.Fatalf("schedule: %v; the calendar with every booking finds %s", err, want.Start)
		case !got.Slot.Start.Equal(want.Start):
			t.Fatalf("scheduled at %s, the calendar with every booking finds %s", got.Slot.Start, want.Start)
		}
	})
}
