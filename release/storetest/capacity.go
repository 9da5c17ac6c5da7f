package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// BookWithin refuses a booking when the environment already runs capacity
		// bookings at some instant of its time (touching bookings do not count, other
		// environments do not count, every service counts), with a *CapacityError
		// naming them; capacity 0 is no limit; the service-overlap rule still holds.
		testCase{"Booker/Capacity", capacityCase(testCapacity)},
		// 12 concurrent BookWithin of the same hour for 12 different services at
		// capacity 1 (then 3): exactly 1 (then 3) succeed, every other one is a
		// *CapacityError, and no instant is over capacity, in every round.
		testCase{"Booker/CapacityConcurrent", capacityCase(testCapacityConcurrent)},
		// 12 concurrent schedule fires through two engines over the store (as two
		// replicas would be) with WithCalendar at capacity 1: for the same slot (At)
		// exactly 1 succeeds; for the earliest slot every
		// success holds its own booking and no instant is over capacity. Any Booker
		// runs it: a plain one through the engine's check after booking.
		testCase{"Calendar/ScheduleCapacity", bookerStoreCase(testScheduleCapacity)},
	)
}

func capacityCase(f func(*testing.T, release.CapacityBooker)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		b, ok := s.(release.CapacityBooker)
		if !ok {
			t.Skip("the store does not implement release.CapacityBooker")
		}
		f(t, b)
	}
}

func bookerStoreCase(f func(*testing.T, release.Store)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		if _, ok := s.(release.Booker); !ok {
			t.Skip("the store does not implement release.Booker")
		}
		f(t, s)
	}
}

func testCapacity(t *testing.T, b release.CapacityBooker) {
	ctx := context.Background()
	for _, bk := range []calendar.Booking{
		booking("a", "prod", 0, 2, "payments"),
		booking("b", "prod", 2, 4, "ledger"),
		booking("x", "staging", 0, 4, "search"),
	} {
		if err := b.BookWithin(ctx, bk, 2); err != nil {
			t.Fatalf("BookWithin(%s): %v", bk.ID, err)
		}
	}
	for _, tc := range []struct {
		why      string
		b        calendar.Booking
		capacity int
		want     error
		running  []string
	}{
		{"at most one other runs at every instant: fits capacity 2", booking("c", "prod", 1, 3, "search"), 2, nil, nil},
		{"a and c run from 1 to 2: full at capacity 2", booking("d", "prod", 1, 2, "cart"), 2, release.ErrSlotTaken, []string{"a", "c"}},
		{"c and b run from 2 to 3: full at capacity 2", booking("e", "prod", 2, 5, "cart"), 2, release.ErrSlotTaken, []string{"b", "c"}},
		{"touches the end of b and c: fits", booking("f", "prod", 4, 5, "cart"), 1, nil, nil},
		{"capacity 3 leaves room", booking("g", "prod", 1, 2, "cart"), 3, nil, nil},
		{"capacity 0 is no limit", booking("h", "prod", 1, 2, "mail"), 0, nil, nil},
		{"a shared service is refused whatever the capacity", booking("i", "prod", 3, 4, "ledger"), 10, release.ErrSlotTaken, nil},
		{"a duplicate ID", booking("a", "dev", 5, 6, "x"), 2, release.ErrAlreadyExists, nil},
		{"an empty interval", booking("j", "prod", 7, 7, "x"), 2, release.ErrInvalid, nil},
	} {
		err := b.BookWithin(ctx, tc.b, tc.capacity)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: BookWithin = %v, want %v", tc.why, err, tc.want)
			continue
		}
		if tc.running == nil {
			continue
		}
		var ce *release.CapacityError
		if !errors.As(err, &ce) {
			t.Errorf("%s: BookWithin = %v, want a *release.CapacityError", tc.why, err)
			continue
		}
		if ce.Booking != tc.b.ID || ce.Environment != "prod" || ce.Capacity != tc.capacity || !slices.Equal(ce.Running, tc.running) {
			t.Errorf("%s: %+v, want booking %s in prod at capacity %d with %v running", tc.why, ce, tc.b.ID, tc.capacity, tc.running)
		}
	}
	// a, c, g and h run from 1 to 2.
	if err := b.BookWithin(ctx, booking("d", "prod", 1, 2, "cart2"), 4); !errors.Is(err, release.ErrSlotTaken) {
		t.Fatalf("BookWithin with 4 running at capacity 4 = %v, want ErrSlotTaken", err)
	}
	if err := b.Unbook(ctx, "c"); err != nil {
		t.Fatalf("Unbook(c): %v", err)
	}
	if err := b.BookWithin(ctx, booking("d", "prod", 1, 2, "cart2"), 4); err != nil {
		t.Fatalf("BookWithin after Unbook freed room: %v", err)
	}
	if err := b.Book(ctx, booking("k", "prod", 1, 2, "more")); err != nil {
		t.Fatalf("Book knows no capacity: %v", err)
	}
}

func testCapacityConcurrent(t *testing.T, b release.CapacityBooker) {
	ctx := context.Background()
	const writers = 12
	for round, capacity := range []int{1, 1, 1, 1, 3, 3} {
		from := 10 * round
		var wg sync.WaitGroup
		errs := make([]error, writers)
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[w] = b.BookWithin(ctx, booking(fmt.Sprintf("r%d-w%d", round, w), "prod", from, from+1, fmt.Sprintf("svc-%d", w)), capacity)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ce *release.CapacityError
			switch {
			case err == nil:
				won++
			case !errors.As(err, &ce):
				t.Fatalf("round %d: a concurrent BookWithin failed other than with a *release.CapacityError: %v", round, err)
			}
		}
		if won != capacity {
			t.Errorf("round %d: %d of %d concurrent bookings of one hour succeeded at capacity %d, want exactly %d", round, won, writers, capacity, capacity)
		}
		got, err := b.Bookings(ctx, "prod", hour.Add(time.Duration(from)*time.Hour), hour.Add(time.Duration(from+1)*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != won {
			t.Errorf("round %d: %d bookings stored, %d succeeded", round, len(got), won)
		}
	}
}

// barrier holds every caller of wait until n have called it (or a second has
// passed), then lets them all go.
type barrier struct {
	mu      sync.Mutex
	n, seen int
	open    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) wait() {
	b.mu.Lock()
	b.seen++
	if b.seen == b.n {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(time.Second):
	}
}

// viewBarrier is a store whose Bookings (the engine's read of the calendar before it
// books) waits at a barrier: every concurrent schedule has read the bookings before
// any of them books, the widest race between the check and the booking.
type viewBarrier struct {
	release.Store
	booker  release.Booker
	barrier *barrier
}

func (v *viewBarrier) Book(ctx context.Context, b calendar.Booking) error {
	return v.booker.Book(ctx, b)
}

func (v *viewBarrier) Unbook(ctx context.Context, id string) error { return v.booker.Unbook(ctx, id) }

func (v *viewBarrier) Bookings(ctx context.Context, env string, from, to time.Time) ([]calendar.Booking, error) {
	out, err := v.booker.Bookings(ctx, env, from, to)
	v.barrier.wait()
	return out, err
}

// capViewBarrier is a viewBarrier over a CapacityBooker.
type capViewBarrier struct{ *viewBarrier }

func (v capViewBarrier) BookWithin(ctx context.Context, b calendar.Booking, capacity int) error {
	return v.booker.(release.CapacityBooker).BookWithin(ctx, b, capacity)
}

// withViewBarrier wraps s in a viewBarrier for n callers, keeping it a CapacityBooker
// when it is one.
func withViewBarrier(s release.Store, n int) release.Store {
	v := &viewBarrier{Store: s, booker: s.(release.Booker), barrier: newBarrier(n)}
	if _, ok := s.(release.CapacityBooker); ok {
		return capViewBarrier{v}
	}
	return v
}

func testScheduleCapacity(t *testing.T, s release.Store) {
	ctx := context.Background()
	const writers = 12
	cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", 1))
	if err != nil {
		t.Fatal(err)
	}
	calendarOpt := release.WithCalendar(release.CalendarConfig{Calendar: cal})
	eng := newEngine(t, s, calendarOpt)
	plan := func(prefix string) []release.ID {
		ids := make([]release.ID, writers)
		for w := range ids {
			sp := spec(fmt.Sprintf("%s-%d", prefix, w), "prod")
			sp.Needs = nil
			r := mustCreate(t, eng, sp)
			mustFire(t, eng, r.ID, release.EventPlan)
			ids[w] = r.ID
		}
		return ids
	}
	// twoEngines are two engines over s (through a view barrier for every writer
	// when barrier is set), as two replicas of a host would be.
	twoEngines := func(barrier bool) []*release.Engine {
		over := s
		if barrier {
			over = withViewBarrier(s, writers)
		}
		return []*release.Engine{newEngine(t, over, calendarOpt), newEngine(t, over, calendarOpt)}
	}
	fireAll := func(engs []*release.Engine, ids []release.ID, opts ...release.FireOption) []error {
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[w] = engs[w%len(engs)].Fire(ctx, id, release.EventSchedule, bob, opts...)
			}()
		}
		close(start)
		wg.Wait()
		return errs
	}
	bk := s.(release.Booker)
	overCapacity := func(why string) int {
		t.Helper()
		stored, err := bk.Bookings(ctx, "prod", t0.Add(-time.Hour), t0.Add(365*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range stored {
			if err := release.CheckCapacity(b, 1, stored); err != nil {
				t.Errorf("%s: the environment is over capacity 1: %v", why, err)
				break
			}
		}
		return len(stored)
	}

	// The same slot for all, in several rounds: exactly one wins each. In every
	// other round all 12 read the calendar before any of them books.
	_, exact := s.(release.CapacityBooker)
	first := 0
	for round := range 6 {
		slot := t0.Add(time.Duration(48+round) * time.Hour)
		won := 0
		for _, err := range fireAll(twoEngines(round%2 == 0), plan(fmt.Sprintf("same-slot-%d", round)), release.At(slot)) {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, release.ErrGuardRefused):
				t.Fatalf("a concurrent schedule failed other than with a refusal: %v", err)
			}
		}
		if won != 1 && (exact || won > 1) {
			t.Errorf("round %d: %d of %d concurrent schedules of the same slot succeeded at capacity 1, want exactly 1 (at most 1 with a Booker that is not a CapacityBooker)", round, won, writers)
		}
		first += won
	}
	if n := overCapacity("the same slots"); n != first {
		t.Errorf("%d bookings stored after the same-slot schedules, want %d", n, first)
	}

	// The earliest slot: a release that saw the others gets a later slot, one that
	// did not may lose; never two at once.
	ids := plan("earliest")
	won := 0
	for _, err := range fireAll(twoEngines(true), ids) {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, release.ErrGuardRefused):
			t.Fatalf("a concurrent schedule failed other than with a refusal: %v", err)
		}
	}
	if won == 0 && exact {
		t.Errorf("none of %d concurrent schedules for the earliest slot succeeded", writers)
	}
	if n := overCapacity("the earliest slots"); n != first+won {
		t.Errorf("%d bookings stored, want %d (one per successful schedule)", n, first+won)
	}
	for _, id := range ids {
		r, err := eng.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if (r.State == release.StateScheduled) != (r.Slot != nil) {
			t.Errorf("release %s is %s with slot %+v", id, r.State, r.Slot)
		}
	}
}
