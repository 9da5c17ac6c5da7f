package bolt_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/release"
)

// TestUpgradeLockdown: the fixture written before runtime lockdowns gets the
// lockdowns bucket when opened, keeps lockdowns, and checks clean after them.
func TestUpgradeLockdown(t *testing.T) {
	path, m := UpgradeFixture(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open the fixture: %v", err)
	}
	defer s.Close()
	upgradetest.CheckLockdown(t, s, m)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("Check after a lockdown: %v", err)
	}
}

// TestLockdownTampered: a lockdown entry edited in the file with its checksum
// recomputed (its reason, and the environments it covers) is found by Check as a
// history that does not verify, and a start refuses to go on a history it cannot
// trust rather than ignore the lockdown.
func TestLockdownTampered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	eng, err := release.New(s, release.WithClock(release.ClockFunc(func() time.Time { return now })), release.WithPolicy(release.AllowAll()))
	if err != nil {
		t.Fatal(err)
	}
	rm := release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		if _, err := eng.Fire(ctx, r.ID, ev, rm); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eng.Lockdown(ctx, rm, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check before the edit: %v", err)
	}
	if err := bolt.EditLockdown(s, 1, func(e *release.LockdownEntry) { e.Lockdown.Environments = []string{"dev"} }); err != nil {
		t.Fatal(err)
	}
	err = s.Check(ctx)
	var he *release.LockdownHistoryError
	if !errors.As(err, &he) || !errors.Is(err, release.ErrTampered) {
		t.Fatalf("Check after the edit = %v, want a *LockdownHistoryError", err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventStart, rm); !errors.Is(err, release.ErrGuardRefused) || !errors.Is(err, release.ErrTampered) {
		t.Fatalf("start on an edited lockdown history = %v, want a refusal that says it does not verify", err)
	}
}
