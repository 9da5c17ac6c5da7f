package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// benchSizes are the numbers of stored bookings the scaling benchmarks run at.
var benchSizes = []int{1000, 4000, 16000}

var benchStart = time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)

// fill books n one-hour bookings of distinct services in environment "env-0", at
// random whole hours of the span after benchStart.
func fill(b *testing.B, s *memory.Store, n int, span time.Duration) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(n), 14))
	for i := range n {
		start := benchStart.Add(time.Duration(rng.Int64N(int64(span/time.Hour))) * time.Hour)
		bk := calendar.Booking{ID: fmt.Sprintf("stored-%d", i), Environment: "env-0",
			Services: []string{fmt.Sprintf("stored-svc-%d", i)}, Start: start, End: start.Add(time.Hour)}
		if err := s.Book(ctx, bk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBook: one BookWithin (capacity 64) and one Unbook at a random hour, with n
// bookings stored in the same environment (the worst case for an index per
// environment) over n hours, so that as many bookings overlap the new one at every
// size and the figure shows what the index costs. The cost must not grow with n: the
// store scanned every booking of every environment before (issue 14).
func BenchmarkBook(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("bookings=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s := memory.New()
			span := time.Duration(n) * time.Hour
			fill(b, s, n, span)
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				start := benchStart.Add(time.Duration(rng.Int64N(int64(n))) * time.Hour)
				bk := calendar.Booking{ID: fmt.Sprintf("new-%d", i), Environment: "env-0", Services: []string{"new"}, Start: start, End: start.Add(time.Hour)}
				if err := s.BookWithin(ctx, bk, 64); err != nil {
					b.Fatal(err)
				}
				if err := s.Unbook(ctx, bk.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScheduleFire: one schedule (the earliest slot, capacity 4) and one
// unschedule through an engine with WithCalendar on the memory store, with n bookings
// of other services stored in the environment over the n hours from now (as busy near
// now at every size; the engine used to read a year of them). The per-call cost must
// stay flat as the stored bookings grow (issue 14): the engine reads only the bookings
// between now and the slot it finds.
func BenchmarkScheduleFire(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("bookings=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s := memory.New()
			fill(b, s, n, time.Duration(n)*time.Hour)
			cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("env-0", 4))
			if err != nil {
				b.Fatal(err)
			}
			eng, err := release.New(s, release.WithPolicy(release.AllowAll()),
				release.WithClock(release.ClockFunc(func() time.Time { return benchStart })),
				release.WithCalendar(release.CalendarConfig{Calendar: cal}))
			if err != nil {
				b.Fatal(err)
			}
			actor := release.Person("bench", release.RoleReleaseManager)
			ids := make([]release.ID, 16)
			for i := range ids {
				r, err := eng.Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d", i), Version: "1.0.0", Environment: "env-0", Author: "ana", Duration: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Fire(ctx, r.ID, release.EventPlan, actor); err != nil {
					b.Fatal(err)
				}
				ids[i] = r.ID
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := ids[i%len(ids)]
				if _, err := eng.Fire(ctx, id, release.EventSchedule, actor); err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Fire(ctx, id, release.EventUnschedule, actor); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkListIndexed: List by name and by component at 1,000, 10,000 and 100,000
// stored releases (storetest.BenchmarkList), beside a List that scans them all.
func BenchmarkListIndexed(b *testing.B) {
	storetest.BenchmarkList(b, func(*testing.B) release.Store { return memory.New() })
}
