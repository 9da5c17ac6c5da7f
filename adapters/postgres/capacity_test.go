package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// typed reports whether err is one of the errors a Book may return by contract: a
// refusal of the slot, or contention that outlasted the retries. Anything else
// (a raw driver error such as "deadlock detected (SQLSTATE 40P01)") is a defect.
func typed(err error) bool {
	return err == nil || errors.Is(err, release.ErrSlotTaken) || errors.Is(err, postgres.ErrContention)
}

// TestConcurrentBookingsNoRawErrors: 10 runs of 64 writers over 16 pools (replicas)
// booking overlapping slots of overlapping sets of services at once, the workload
// that made the exclusion constraint deadlock. Every Book returns nil or a typed
// error, no two stored bookings of one service overlap, and the successes are
// exactly what is stored.
func TestConcurrentBookingsNoRawErrors(t *testing.T) {
	t.Parallel()
	const (
		runs    = 10
		writers = 64
		pools   = 16
	)
	schema := freshSchema(t)
	stores := openReplicas(t, schema, pools)
	ctx := context.Background()
	services := []string{"api", "db", "web", "queue", "cache"}
	var raw, contention, won int
	for run := range runs {
		base := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(run) * 24 * time.Hour)
		rng := rand.New(rand.NewPCG(uint64(run), 7))
		bookings := make([]calendar.Booking, writers)
		for w := range bookings {
			svc := append([]string(nil), services...)
			rng.Shuffle(len(svc), func(i, j int) { svc[i], svc[j] = svc[j], svc[i] })
			start := base.Add(time.Duration(rng.IntN(6)) * 10 * time.Minute)
			bookings[w] = calendar.Booking{ID: fmt.Sprintf("run%d-w%d", run, w), Environment: "prod",
				Services: svc[:1+rng.IntN(3)], Start: start, End: start.Add(time.Duration(1+rng.IntN(4)) * 15 * time.Minute)}
		}
		errs := make([]error, writers)
		var wg sync.WaitGroup
		startGun := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-startGun
				errs[w] = stores[w%pools].Book(ctx, bookings[w])
			})
		}
		close(startGun)
		wg.Wait()
		ok := 0
		for w, err := range errs {
			switch {
			case err == nil:
				ok++
			case !typed(err):
				raw++
				t.Errorf("run %d, writer %d: a raw error: %v", run, w, err)
			case errors.Is(err, postgres.ErrContention):
				contention++
			}
		}
		won += ok
		stored, err := stores[0].Bookings(ctx, "prod", base, base.Add(24*time.Hour))
		require.NoError(t, err)
		assert.Len(t, stored, ok, "run %d: the successful Books are what is stored", run)
		assert.Empty(t, calendar.AllConflicts(stored), "run %d: two stored bookings of one service overlap", run)
	}
	t.Logf("%d runs x %d writers over %d pools: %d booked, %d raw errors, %d contention errors", runs, writers, pools, won, raw, contention)
}

// TestCapacityAcrossReplicas: three replicas (each its own store and pool on one
// schema) booking one slot for 12 different services at capacity 1: exactly one
// succeeds, every other one is a *release.CapacityError; then the same through 3
// engines with WithCalendar, 12 concurrent schedule fires: exactly one.
func TestCapacityAcrossReplicas(t *testing.T) {
	t.Parallel()
	const (
		replicas = 3
		writers  = 12
		rounds   = 5
	)
	schema := freshSchema(t)
	stores := openReplicas(t, schema, replicas)
	ctx := context.Background()
	for round := range rounds {
		at := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(round) * time.Hour)
		errs := race(writers, func(w int) error {
			return stores[w%replicas].BookWithin(ctx, calendar.Booking{ID: fmt.Sprintf("r%d-w%d", round, w), Environment: "prod",
				Services: []string{fmt.Sprintf("svc-%d", w)}, Start: at, End: at.Add(30 * time.Minute)}, 1)
		})
		won := capacityWins(t, round, errs)
		assert.Equal(t, 1, won, "round %d: BookWithin successes at capacity 1 across %d replicas", round, replicas)
	}

	cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", 1))
	require.NoError(t, err)
	clock := release.ClockFunc(func() time.Time { return time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC) })
	engs := make([]*release.Engine, replicas)
	for i, s := range stores {
		engs[i] = newEngine(t, s, release.WithClock(clock), release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	}
	for round := range rounds {
		ids := make([]release.ID, writers)
		for w := range ids {
			r, err := engs[0].Create(ctx, release.Spec{Name: fmt.Sprintf("r%d-svc-%d", round, w), Version: "1.0.0", Environment: "prod", Author: "ana", Duration: time.Hour})
			require.NoError(t, err)
			_, err = engs[0].Fire(ctx, r.ID, release.EventPlan, manager)
			require.NoError(t, err)
			ids[w] = r.ID
		}
		slot := time.Date(2026, 9, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(round) * 2 * time.Hour)
		errs := race(writers, func(w int) error {
			_, err := engs[w%replicas].Fire(ctx, ids[w], release.EventSchedule, manager, release.At(slot))
			return err
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, release.ErrGuardRefused):
				t.Fatalf("round %d: schedule = %v, want nil or a refusal", round, err)
			}
		}
		assert.Equal(t, 1, won, "round %d: concurrent schedules of one slot at capacity 1 across %d engines", round, replicas)
		stored, err := stores[1].Bookings(ctx, "prod", slot, slot.Add(time.Hour))
		require.NoError(t, err)
		assert.Len(t, stored, 1, "round %d: bookings stored in the slot", round)
	}
}

// race runs f(0..n-1) in n goroutines started at once and returns their errors.
func race(n int, f func(w int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range n {
		wg.Go(func() {
			<-start
			errs[w] = f(w)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// capacityWins counts the BookWithin calls of a round that succeeded; any error but a
// *release.CapacityError fails t.
func capacityWins(t *testing.T, round int, errs []error) int {
	t.Helper()
	won := 0
	for _, err := range errs {
		var ce *release.CapacityError
		switch {
		case err == nil:
			won++
		case !errors.As(err, &ce):
			t.Fatalf("round %d: BookWithin = %v, want nil or a *release.CapacityError", round, err)
		}
	}
	return won
}
