package upgradetest

import (
	"context"
	"errors"
	"testing"

	"github.com/releasekit/releasekit/release"
)

// CheckLockdown checks that a store written before runtime lockdowns keeps them once
// upgraded: it has no lockdowns; a lockdown of prod refuses the fixture's approved
// release its start in its slot; the lift lets it start; the lockdown history holds
// the declaration and the lift and verifies. s must be the upgraded fixture of m and
// implement release.LockdownStore.
func CheckLockdown(t testing.TB, s release.Store, m Manifest) {
	t.Helper()
	ctx := context.Background()
	if _, ok := s.(release.LockdownStore); !ok {
		t.Fatalf("%T does not implement release.LockdownStore", s)
	}
	clock := &Clock{now: Start}
	eng, err := Engine(s, clock)
	if err != nil {
		t.Fatalf("engine over the upgraded store: %v", err)
	}
	if ls, err := eng.Lockdowns(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("the upgraded store holds lockdowns %v (%v), want none", ls, err)
	}
	r, err := eng.Get(ctx, m.Releases["approved"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Slot == nil {
		t.Fatal("the approved release has no slot after the upgrade")
	}
	clock.Set(r.Slot.Start)
	l, err := eng.Lockdown(ctx, Manager, release.Lockdown{Reason: "incident after the upgrade", Environments: []string{Environment}})
	if err != nil {
		t.Fatalf("declare a lockdown on the upgraded store: %v", err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, Manager); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start during the lockdown = %v, want ErrGuardRefused", err)
	}
	if _, err := eng.Lift(ctx, l.ID, Manager, "resolved"); err != nil {
		t.Fatalf("lift: %v", err)
	}
	if r, err = eng.Fire(ctx, r.ID, release.EventStart, Manager); err != nil || r.State != release.StateDeploying {
		t.Fatalf("start after the lift: %s, %v", r.State, err)
	}
	h, err := eng.LockdownHistory(ctx)
	if err != nil || len(h) != 2 {
		t.Fatalf("lockdown history: %d entries, %v; want 2", len(h), err)
	}
	if err := release.VerifyLockdownHistory(h); err != nil {
		t.Fatal(err)
	}
}
