package dispatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// TestDispatcherRunDeliversEverything: with a notifier that fails every other call,
// Run keeps retrying with backoff until every transition was delivered at least once,
// then idles until its context ends. synctest runs it on a fake clock.
func TestDispatcherRunDeliversEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		store := memory.New()
		eng, err := release.New(store, release.WithPolicy(release.AllowAll())) // no notifier: the outbox fills
		if err != nil {
			t.Fatal(err)
		}
		const releases = 10
		for range releases {
			r, _ := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: "ana"})
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
				if _, err := eng.Fire(ctx, r.ID, ev, release.Person("rui")); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		calls := 0
		delivered := map[string]int{}
		n := release.NotifierFunc(func(_ context.Context, note release.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls%2 == 1 {
				return errors.New("flaky receiver")
			}
			delivered[note.Key()]++
			return nil
		})
		d, err := dispatch.New(store, n, dispatch.Config{MinAge: time.Nanosecond, Batch: 7, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- d.Run(runCtx) }()
		time.Sleep(10 * time.Minute) // fake time: many polls and retries
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(delivered) != releases*3 {
			t.Fatalf("delivered %d distinct notifications, want %d", len(delivered), releases*3)
		}
		if left, _ := store.ClaimNotifications(ctx, time.Now().Add(time.Hour), 0, time.Minute, 100); len(left) != 0 {
			t.Fatalf("%d notifications are still pending", len(left))
		}
	})
}

func TestConfigValidate(t *testing.T) {
	err := dispatch.Config{Batch: -1, Lease: -time.Second, BaseDelay: time.Minute, MaxDelay: time.Second}.Validate()
	var ve *release.ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Fatalf("Validate = %v, want 3 problems", err)
	}
	if _, err := dispatch.New(nil, nil, dispatch.Config{}); !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("New(nil, nil) = %v, want ErrInvalid", err)
	}
}
