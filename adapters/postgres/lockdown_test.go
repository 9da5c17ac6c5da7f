package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/release"
)

// TestUpgradeLockdown: the fixture's schema, written before runtime lockdowns, is
// migrated (0005 adds the lockdown tables) and keeps lockdowns.
func TestUpgradeLockdown(t *testing.T) {
	t.Parallel()
	schema, m := loadUpgradeFixture(t)
	upgradetest.CheckLockdown(t, openStore(t, schema), m)
}

// TestReplicasLockdownRace: four engines, each over its own store and connection
// pool on one schema. In every round three of them start 6 approved releases each,
// and the fourth declares a lockdown of prod once a third of the starts are done: no start that began after the
// declaration returned commits, every release that did start is marked to halt, and
// after the lift the refused ones start. The lockdown history verifies at the end.
func TestReplicasLockdownRace(t *testing.T) {
	t.Parallel()
	const (
		replicas = 4
		perRound = 18
		rounds   = 4
	)
	schema := freshSchema(t)
	stores := openReplicas(t, schema, replicas)
	ctx := context.Background()
	clock := release.ClockFunc(func() time.Time { return time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) })
	engs := make([]*release.Engine, replicas)
	for i, s := range stores {
		e, err := release.New(s, release.WithPolicy(release.AllowAll()), release.WithClock(clock))
		require.NoError(t, err)
		engs[i] = e
	}
	bob := release.Person("bob", release.RoleReleaseManager)
	for round := range rounds {
		ids := make([]release.ID, perRound)
		for i := range ids {
			r, err := engs[i%replicas].Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d-%d", round, i), Version: "1.0.0", Environment: "prod", Author: "ana"})
			require.NoError(t, err)
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
				_, err = engs[(i+1)%replicas].Fire(ctx, r.ID, ev, bob)
				require.NoError(t, err)
			}
			ids[i] = r.ID
		}
		var declared atomic.Bool
		var done sync.WaitGroup // the first third of the starts to finish
		done.Add(perRound / 3)
		var finished atomic.Int32
		after := make([]bool, perRound)
		errs := make([]error, perRound)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				after[i] = declared.Load()
				_, errs[i] = engs[1+i%(replicas-1)].Fire(ctx, ids[i], release.EventStart, bob)
				if finished.Add(1) <= perRound/3 {
					done.Done()
				}
			})
		}
		done.Wait()
		l, err := engs[0].Lockdown(ctx, bob, release.Lockdown{Reason: fmt.Sprintf("round %d", round), Environments: []string{"prod"}})
		declared.Store(true)
		wg.Wait()
		require.NoError(t, err)
		var started int
		for i, id := range ids {
			if errs[i] != nil {
				require.True(t, errors.Is(errs[i], release.ErrGuardRefused), "start %d: %v", i, errs[i])
				continue
			}
			require.False(t, after[i], "start %d began after the lockdown was declared and committed", i)
			started++
			h, err := engs[0].History(ctx, id)
			require.NoError(t, err)
			require.Equal(t, release.EventHalt, h[len(h)-1].Event, "release %d started before the lockdown but was not marked to halt", i)
		}
		t.Logf("round %d: %d of %d starts committed before the lockdown", round, started, perRound)
		_, err = engs[2].Lift(ctx, l.ID, bob, "resolved")
		require.NoError(t, err)
		for i, id := range ids {
			if errs[i] != nil {
				_, err := engs[3].Fire(ctx, id, release.EventStart, bob)
				require.NoError(t, err, "start %d after the lift", i)
			}
		}
	}
	h, err := engs[1].LockdownHistory(ctx)
	require.NoError(t, err)
	require.Len(t, h, 2*rounds)
	require.NoError(t, release.VerifyLockdownHistory(h))
}
