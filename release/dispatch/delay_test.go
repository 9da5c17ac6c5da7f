package dispatch_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
	"github.com/releasekit/releasekit/release/releasetest"
)

// rateLimited is a notifier error that asks for a delay, as a receiver's 429 with
// Retry-After does.
type rateLimited struct{ wait time.Duration }

func (e rateLimited) Error() string             { return fmt.Sprintf("rate limited for %v", e.wait) }
func (e rateLimited) RetryDelay() time.Duration { return e.wait }

// A failure whose error asks for a delay (wrapped or not) is retried no sooner; one
// that asks for less than the backoff waits the backoff.
func TestDispatcherHonoursRetryDelay(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	clock := releasetest.NewClock(at, 0)
	store := memory.New()
	eng, err := release.New(store, release.WithPolicy(release.AllowAll()), release.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana")); err != nil { // no notifier: the outbox keeps it
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want time.Duration
	}{
		{fmt.Errorf("deliver: %w", rateLimited{10 * time.Minute}), 10 * time.Minute},
		{rateLimited{time.Millisecond}, time.Second}, // the backoff is longer
	} {
		n := release.NotifierFunc(func(context.Context, release.Notification) error { return tc.err })
		d, err := dispatch.New(store, n, dispatch.Config{Clock: clock, MinAge: time.Nanosecond, BaseDelay: time.Second, MaxDelay: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if st, err := d.RunOnce(ctx); err != nil || st.Failed != 1 {
			t.Fatalf("RunOnce = %+v, %v; want one failure", st, err)
		}
		now := clock.Now()
		if due, _ := store.ClaimNotifications(ctx, now.Add(tc.want-time.Nanosecond), 0, time.Nanosecond, 10); len(due) != 0 && tc.want > time.Second {
			t.Fatalf("%v: claimed again before the %v asked for", tc.err, tc.want)
		}
		if due, _ := store.ClaimNotifications(ctx, now.Add(tc.want), 0, time.Nanosecond, 10); len(due) != 1 {
			t.Fatalf("%v: not due again after %v", tc.err, tc.want)
		}
	}
}
