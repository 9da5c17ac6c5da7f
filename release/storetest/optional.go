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
	"github.com/releasekit/releasekit/release/dispatch"
)

func init() {
	cases = append(cases,
		// An Outbox store records one pending notification per committed transition
		// (and none for a refused Update), carrying the committed release and entry.
		testCase{"Outbox/RecordsTransitions", outboxCase(testOutboxRecords)},
		// A claimed notification is leased: not claimed again until the lease ends,
		// then claimed again with the attempt counted; fresh rows wait for minAge.
		testCase{"Outbox/Leases", outboxCase(testOutboxLeases)},
		// Ack removes a notification for good (idempotently); Retry makes it due again
		// later with the error recorded.
		testCase{"Outbox/AckRetry", outboxCase(testOutboxAckRetry)},
		// 8 dispatchers claiming at once never get the same notification.
		testCase{"Outbox/ConcurrentClaims", outboxCase(testOutboxConcurrent)},
		// An engine with a notifier acknowledges what it delivered right after the
		// commit, and leaves what failed for a Dispatcher, which delivers it.
		testCase{"Outbox/EngineAndDispatcher", outboxCase(testOutboxEngine)},
		// Bookings that share a service in one environment never overlap; touching,
		// other services and other environments are fine; Unbook frees the slot.
		testCase{"Booker/Overlap", bookerCase(testBookerOverlap)},
		// Bookings lists what overlaps a range, by start then ID, per environment.
		testCase{"Booker/List", bookerCase(testBookerList)},
		// 16 writers booking overlapping slots of one service at once: exactly one wins.
		testCase{"Booker/Concurrent", bookerCase(testBookerConcurrent)},
	)
}

func outboxCase(f func(*testing.T, release.Store, release.Outbox)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		o, ok := s.(release.Outbox)
		if !ok {
			t.Skip("the store does not implement release.Outbox")
		}
		f(t, s, o)
	}
}

func bookerCase(f func(*testing.T, release.Booker)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		b, ok := s.(release.Booker)
		if !ok {
			t.Skip("the store does not implement release.Booker")
		}
		f(t, b)
	}
}

// far is a time after every entry the test engine writes.
var far = t0.Add(24 * time.Hour)

func testOutboxRecords(t *testing.T, s release.Store, o release.Outbox) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	r1 := mustFire(t, e, r.ID, release.EventPlan, release.Data(map[string]int{"n": 1}))
	r2 := mustFire(t, e, r.ID, release.EventSchedule)
	stale := r2.Clone()
	stale.Revision = 3
	if err := s.Update(ctx, 2, stale, release.AuditEntry{ReleaseID: r.ID, Sequence: 3}); !errors.Is(err, release.ErrStale) {
		t.Fatalf("stale Update = %v, want ErrStale", err)
	}
	got, err := o.ClaimNotifications(ctx, far, 0, time.Minute, 10)
	if err != nil {
		t.Fatalf("ClaimNotifications: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("claimed %d notifications after 2 transitions and a refused Update, want 2", len(got))
	}
	for i, want := range []release.Release{r1, r2} {
		p := got[i]
		if p.Attempts != 1 {
			t.Errorf("notification %d: attempts %d, want 1", i, p.Attempts)
		}
		if p.Notification.Entry.Sequence != want.Revision || p.Notification.Entry.Hash != want.Head {
			t.Errorf("notification %d: entry %d/%s, want %d/%s (oldest due first)", i, p.Notification.Entry.Sequence, p.Notification.Entry.Hash, want.Revision, want.Head)
		}
		requireEqual(t, fmt.Sprintf("notification %d's release", i), want, p.Notification.Release)
		if h, err := p.Notification.Entry.ComputeHash(); err != nil || h != p.Notification.Entry.Hash {
			t.Errorf("notification %d: entry does not hash to its Hash (stored inexactly): %v", i, err)
		}
	}
}

func testOutboxLeases(t *testing.T, s release.Store, o release.Outbox) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	r = mustFire(t, e, r.ID, release.EventPlan)
	committed := r.UpdatedAt
	if got, _ := o.ClaimNotifications(ctx, committed.Add(10*time.Second), 30*time.Second, time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %d notifications younger than minAge, want 0", len(got))
	}
	now := committed.Add(time.Hour)
	first, err := o.ClaimNotifications(ctx, now, 30*time.Second, time.Minute, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim = %d, %v; want 1 notification", len(first), err)
	}
	if again, _ := o.ClaimNotifications(ctx, now.Add(59*time.Second), 0, time.Minute, 10); len(again) != 0 {
		t.Fatalf("claimed a notification again while its lease runs")
	}
	later, err := o.ClaimNotifications(ctx, now.Add(61*time.Second), 0, time.Minute, 10)
	if err != nil || len(later) != 1 {
		t.Fatalf("claim after the lease ended = %d, %v; want 1", len(later), err)
	}
	if later[0].Attempts != 2 {
		t.Fatalf("attempts after a second claim = %d, want 2", later[0].Attempts)
	}
}

func testOutboxAckRetry(t *testing.T, s release.Store, o release.Outbox) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	mustFire(t, e, r.ID, release.EventPlan)
	mustFire(t, e, r.ID, release.EventSchedule)
	got, err := o.ClaimNotifications(ctx, far, 0, time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim = %d, %v; want 2", len(got), err)
	}
	k0, k1 := got[0].Notification.Key(), got[1].Notification.Key()
	if err := o.AckNotification(ctx, k0); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if err := o.AckNotification(ctx, k0); err != nil {
		t.Fatalf("a second Ack of the same key = %v, want nil", err)
	}
	if err := o.AckNotification(ctx, "no-such-key"); err != nil {
		t.Fatalf("Ack of an unknown key = %v, want nil", err)
	}
	retryAt := far.Add(time.Hour)
	if err := o.RetryNotification(ctx, k1, retryAt, "receiver said 503"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if err := o.RetryNotification(ctx, "no-such-key", retryAt, "x"); err != nil {
		t.Fatalf("Retry of an unknown key = %v, want nil", err)
	}
	if early, _ := o.ClaimNotifications(ctx, retryAt.Add(-time.Second), 0, time.Minute, 10); len(early) != 0 {
		t.Fatalf("claimed %d notifications before their retry time (or an acked one), want 0", len(early))
	}
	due, err := o.ClaimNotifications(ctx, retryAt, 0, time.Minute, 10)
	if err != nil || len(due) != 1 || due[0].Notification.Key() != k1 {
		t.Fatalf("claim at the retry time = %v, %v; want only %s", due, err, k1)
	}
	if due[0].LastError != "receiver said 503" || due[0].Attempts != 2 {
		t.Fatalf("retried notification: last error %q, attempts %d; want the recorded error and 2", due[0].LastError, due[0].Attempts)
	}
}

func testOutboxConcurrent(t *testing.T, s release.Store, o release.Outbox) {
	ctx := context.Background()
	e := newEngine(t, s)
	const rows = 24
	for i := range rows / 2 {
		r := mustCreate(t, e, spec(fmt.Sprintf("svc-%d", i), "prod"))
		mustFire(t, e, r.ID, release.EventPlan)
		mustFire(t, e, r.ID, release.EventSchedule)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rows {
				got, err := o.ClaimNotifications(ctx, far, 0, time.Hour, 2)
				if err != nil {
					t.Errorf("ClaimNotifications: %v", err)
					return
				}
				mu.Lock()
				for _, p := range got {
					seen[p.Notification.Key()]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != rows {
		t.Fatalf("claimed %d distinct notifications, want %d", len(seen), rows)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("notification %s was claimed %d times while leased", k, n)
		}
	}
}

func testOutboxEngine(t *testing.T, s release.Store, o release.Outbox) {
	ctx := context.Background()
	var mu sync.Mutex
	fail := true
	delivered := map[string]int{}
	n := release.NotifierFunc(func(_ context.Context, note release.Notification) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("receiver down")
		}
		delivered[note.Key()]++
		return nil
	})
	clock := release.ClockFunc(func() time.Time { return t0 })
	e, err := release.New(s, release.WithNotifier(n), release.WithClock(clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, e, spec("checkout", "prod"))
	if _, err := e.Fire(ctx, r.ID, release.EventPlan, bob); !errors.Is(err, release.ErrNotify) || !release.Committed(err) {
		t.Fatalf("Fire with a failing notifier = %v, want a committed ErrNotify", err)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if _, err := e.Fire(ctx, r.ID, release.EventSchedule, bob); err != nil {
		t.Fatalf("Fire: %v", err)
	}
	later := release.ClockFunc(func() time.Time { return t0.Add(time.Hour) })
	d, err := dispatch.New(o, n, dispatch.Config{Clock: later})
	if err != nil {
		t.Fatal(err)
	}
	st, err := d.RunOnce(ctx)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if st.Claimed != 1 || st.Delivered != 1 {
		t.Fatalf("dispatcher %+v: want to deliver exactly the one notification the engine could not", st)
	}
	if st, _ := d.RunOnce(ctx); st.Claimed != 0 {
		t.Fatalf("a second dispatch claimed %d notifications, want 0 (all acknowledged)", st.Claimed)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != 2 {
		t.Fatalf("delivered %v, want both transitions", delivered)
	}
}

var hour = t0.Truncate(time.Hour).Add(24 * time.Hour)

func booking(id, env string, from, to int, services ...string) calendar.Booking {
	return calendar.Booking{ID: id, Environment: env, Services: services,
		Start: hour.Add(time.Duration(from) * time.Hour), End: hour.Add(time.Duration(to) * time.Hour),
		Class: calendar.ClassNormal, Action: calendar.ActionDeploy}
}

func testBookerOverlap(t *testing.T, b release.Booker) {
	ctx := context.Background()
	if err := b.Book(ctx, booking("a", "prod", 0, 2, "payments", "ledger")); err != nil {
		t.Fatalf("Book(a): %v", err)
	}
	var taken *release.SlotTakenError
	for _, tc := range []struct {
		why  string
		b    calendar.Booking
		want error
	}{
		{"overlaps a on a shared service", booking("b", "prod", 1, 3, "ledger"), release.ErrSlotTaken},
		{"inside a", booking("c", "prod", 0, 1, "payments"), release.ErrSlotTaken},
		{"touches a's end: no overlap", booking("d", "prod", 2, 3, "payments"), nil},
		{"another service", booking("e", "prod", 0, 2, "checkout"), nil},
		{"another environment", booking("f", "staging", 0, 2, "payments"), nil},
		{"a duplicate ID", booking("a", "dev", 5, 6, "x"), release.ErrAlreadyExists},
		{"an empty interval", booking("g", "prod", 4, 4, "x"), release.ErrInvalid},
		{"no services", booking("h", "prod", 4, 5), release.ErrInvalid},
	} {
		err := b.Book(ctx, tc.b)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Book = %v, want %v", tc.why, err, tc.want)
		}
		if errors.Is(tc.want, release.ErrSlotTaken) && (!errors.As(err, &taken) || taken.Existing != "a") {
			t.Errorf("%s: the error does not name booking a: %v", tc.why, err)
		}
	}
	if err := b.Unbook(ctx, "no-such-booking"); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("Unbook(unknown) = %v, want ErrNotFound", err)
	}
	if err := b.Unbook(ctx, "a"); err != nil {
		t.Fatalf("Unbook(a): %v", err)
	}
	if err := b.Book(ctx, booking("b", "prod", 1, 2, "ledger")); err != nil {
		t.Fatalf("Book after Unbook freed the slot: %v", err)
	}
}

func testBookerList(t *testing.T, b release.Booker) {
	ctx := context.Background()
	for _, bk := range []calendar.Booking{
		booking("late", "prod", 5, 6, "a"), booking("early", "prod", 0, 1, "a"),
		booking("mid-2", "prod", 2, 4, "c"), booking("mid-1", "prod", 2, 3, "b"),
		booking("stage", "staging", 2, 3, "a"),
	} {
		if err := b.Book(ctx, bk); err != nil {
			t.Fatalf("Book(%s): %v", bk.ID, err)
		}
	}
	ids := func(env string, from, to int) []string {
		got, err := b.Bookings(ctx, env, hour.Add(time.Duration(from)*time.Hour), hour.Add(time.Duration(to)*time.Hour))
		if err != nil {
			t.Fatalf("Bookings: %v", err)
		}
		out := []string{}
		for _, bk := range got {
			out = append(out, bk.ID)
		}
		return out
	}
	for _, tc := range []struct {
		why      string
		env      string
		from, to int
		want     []string
	}{
		{"everything in prod, by start then ID", "prod", -10, 10, []string{"early", "mid-1", "mid-2", "late"}},
		{"all environments", "", -10, 10, []string{"early", "mid-1", "mid-2", "stage", "late"}},
		{"a range that ends where a booking starts excludes it", "prod", 0, 2, []string{"early"}},
		{"a range inside one booking", "prod", 3, 4, []string{"mid-2"}},
		{"nothing", "prod", 7, 9, []string{}},
	} {
		if got := ids(tc.env, tc.from, tc.to); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Bookings = %v, want %v", tc.why, got, tc.want)
		}
	}
}

func testBookerConcurrent(t *testing.T, b release.Booker) {
	ctx := context.Background()
	const writers = 16
	var wg sync.WaitGroup
	results := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- b.Book(ctx, booking(fmt.Sprintf("w%d", w), "prod", w%3, w%3+2, "payments"))
		}()
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, release.ErrSlotTaken):
			t.Fatalf("a concurrent Book failed other than with ErrSlotTaken: %v", err)
		}
	}
	got, err := b.Bookings(ctx, "prod", hour.Add(-time.Hour), hour.Add(10*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if got[i].Start.Before(got[j].End) && got[j].Start.Before(got[i].End) {
				t.Fatalf("double booking: %s and %s overlap", got[i].ID, got[j].ID)
			}
		}
	}
	if won != len(got) || won == 0 {
		t.Fatalf("%d Books succeeded but %d bookings are stored", won, len(got))
	}
}
