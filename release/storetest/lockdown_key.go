package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// A keyed declaration retried on another engine (a replica) returns the first
		// lockdown and writes nothing; 8 concurrent declarations with one key declare
		// one lockdown; the key with another request is ErrKeyReused; a keyed lift
		// retried returns the lift it made (not ErrStale); the history keeps each
		// entry's key and request hash through the store, and verifies.
		testCase{"Lockdown/Keys", lockdownCase(testLockdownKeys)},
	)
}

func testLockdownKeys(t *testing.T, s release.Store) {
	ctx := context.Background()
	a, b := newEngine(t, s), newEngine(t, s)
	l := release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}}
	first, err := a.Lockdown(ctx, bob, l, release.IdempotencyKey("declare-42"))
	if err != nil {
		t.Fatalf("Lockdown: %v", err)
	}
	var wg sync.WaitGroup
	got := make([]release.Lockdown, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Go(func() {
			e := a
			if i%2 == 1 {
				e = b
			}
			got[i], errs[i] = e.Lockdown(ctx, bob, l, release.IdempotencyKey("declare-42"))
		})
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i].ID != first.ID {
			t.Fatalf("retry %d = %s, %v; want the first lockdown %s", i, got[i].ID, errs[i], first.ID)
		}
	}
	other := release.Lockdown{Reason: "another incident", Environments: []string{"prod"}}
	if _, err := b.Lockdown(ctx, bob, other, release.IdempotencyKey("declare-42")); !errors.Is(err, release.ErrKeyReused) {
		t.Fatalf("the key with another lockdown = %v, want ErrKeyReused", err)
	}
	if _, err := b.Lift(ctx, first.ID, bob, "fixed", release.IdempotencyKey("declare-42")); !errors.Is(err, release.ErrKeyReused) {
		t.Fatalf("the declaration's key on a lift = %v, want ErrKeyReused", err)
	}
	lifted, err := a.Lift(ctx, first.ID, bob, "fixed", release.IdempotencyKey("lift-42"))
	if err != nil {
		t.Fatalf("Lift: %v", err)
	}
	again, err := b.Lift(ctx, first.ID, bob, "fixed", release.IdempotencyKey("lift-42"))
	if err != nil || !again.LiftedAt.Equal(lifted.LiftedAt) || again.LiftReason != "fixed" {
		t.Fatalf("retried lift = %+v, %v; want the first lift %+v", again, err, lifted)
	}
	if _, err := b.Lift(ctx, first.ID, bob, "fixed"); !errors.Is(err, release.ErrStale) {
		t.Fatalf("an unkeyed second lift = %v, want ErrStale", err)
	}
	h, err := s.(release.LockdownStore).LockdownHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Key != "declare-42" || h[1].Key != "lift-42" || len(h[0].Request) != 64 || len(h[1].Request) != 64 {
		t.Fatalf("history = %+v; want one declaration and one lift, each with its key and request hash", h)
	}
	if err := release.VerifyLockdownHistory(h); err != nil {
		t.Fatal(err)
	}
	h[1].Key = "forged"
	if err := release.VerifyLockdownHistory(h); !errors.Is(err, release.ErrTampered) {
		t.Fatalf("a history whose key was edited = %v, want ErrTampered", err)
	}
}
