package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/postgres"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// fillOutbox creates n releases through e and plans each, leaving n pending
// notifications, and returns their keys.
func fillOutbox(t *testing.T, e *release.Engine, n int) []string {
	t.Helper()
	ctx := context.Background()
	keys := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", i)))
			if err == nil {
				r, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
			}
			if err != nil {
				errs <- err
				return
			}
			keys[i] = release.Notification{Release: r, Entry: release.AuditEntry{ReleaseID: r.ID, Sequence: r.Revision}}.Key()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return keys
}

// TestOutboxClaimersAcrossPools: eight stores with their own pools claim from one
// outbox at once, in small batches, with a lease longer than the test. No row is
// handed to two claimers, and together they get every row exactly once.
func TestOutboxClaimersAcrossPools(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	stores := openReplicas(t, schema, 8)
	keys := fillOutbox(t, newEngine(t, stores[0]), 120)
	now := time.Now().Add(time.Minute)

	var (
		mu     sync.Mutex
		owner  = map[string]int{}
		dups   []string
		wg     sync.WaitGroup
		failed atomic.Value
	)
	start := make(chan struct{})
	for c, s := range stores {
		wg.Go(func() {
			<-start
			for {
				got, err := s.ClaimNotifications(context.Background(), now, 0, time.Hour, 5)
				if err != nil {
					failed.Store(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, p := range got {
					k := p.Notification.Key()
					if prev, ok := owner[k]; ok {
						dups = append(dups, fmt.Sprintf("%s to claimers %d and %d", k, prev, c))
					}
					owner[k] = c
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	assert.Empty(t, dups, "rows claimed twice while leased")
	claimed := make([]string, 0, len(owner))
	perClaimer := map[int]int{}
	for k, c := range owner {
		claimed = append(claimed, k)
		perClaimer[c]++
	}
	assert.ElementsMatch(t, keys, claimed)
	t.Logf("rows per claimer: %v", perClaimer)

	// While the leases run nobody gets them again; once they end, everything is due.
	got, err := stores[1].ClaimNotifications(context.Background(), now.Add(30*time.Minute), 0, time.Hour, 1000)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = stores[2].ClaimNotifications(context.Background(), now.Add(2*time.Hour), 0, time.Hour, 1000)
	require.NoError(t, err)
	assert.Len(t, got, len(keys))
	for _, p := range got {
		assert.Equal(t, 2, p.Attempts, "second claim of %s", p.Notification.Key())
	}
}

// TestDispatchersDeliverEverything: four dispatchers over four pools deliver one
// outbox to a notifier that fails half of the time; one dispatcher is stopped in the
// middle of the run and a new one takes its place. Every notification is delivered at
// least once, the outbox ends empty, and each delivered notification verifies.
func TestDispatchersDeliverEverything(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	stores := openReplicas(t, schema, 4)
	keys := fillOutbox(t, newEngine(t, stores[0]), 60)

	var (
		mu        sync.Mutex
		delivered = map[string]int{}
		calls     atomic.Int64
		badHash   int
	)
	flaky := release.NotifierFunc(func(_ context.Context, n release.Notification) error {
		if calls.Add(1)%2 == 0 {
			return errors.New("receiver unavailable")
		}
		mu.Lock()
		if h, err := n.Entry.ComputeHash(); err != nil || h != n.Entry.Hash || n.Release.Head != n.Entry.Hash {
			badHash++
		}
		delivered[n.Key()]++
		mu.Unlock()
		return nil
	})
	cfg := dispatch.Config{Batch: 4, Lease: 300 * time.Millisecond, MinAge: time.Nanosecond,
		Interval: 5 * time.Millisecond, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}
	run := func(ctx context.Context, s *postgres.Store, wg *sync.WaitGroup) {
		d, err := dispatch.New(s, flaky, cfg)
		require.NoError(t, err)
		wg.Go(func() {
			if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("dispatcher: %v", err)
			}
		})
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	first, stopFirst := context.WithCancel(ctx)
	run(first, stores[0], &wg)
	for _, s := range stores[1:3] {
		run(ctx, s, &wg)
	}
	// Restart: stop the first dispatcher once deliveries are under way, start another.
	require.Eventually(t, func() bool { return calls.Load() >= 20 }, 10*time.Second, time.Millisecond)
	stopFirst()
	run(ctx, stores[3], &wg)

	outbox := table(schema, "outbox")
	require.Eventually(t, func() bool {
		var n int
		err := admin(t).QueryRow(context.Background(), "SELECT count(*) FROM "+outbox).Scan(&n)
		return err == nil && n == 0
	}, 20*time.Second, 10*time.Millisecond, "the outbox did not drain")
	stop()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	dup := 0
	for _, k := range keys {
		assert.GreaterOrEqual(t, delivered[k], 1, "notification %s never delivered", k)
		dup += max(delivered[k]-1, 0)
	}
	assert.Len(t, delivered, len(keys))
	assert.Zero(t, badHash, "delivered notifications whose entry does not verify")
	t.Logf("%d notifications, %d notifier calls, %d duplicate deliveries", len(keys), calls.Load(), dup)
}

// TestWithoutOutbox: a store opened WithoutOutbox commits transitions without outbox
// rows, and still passes the release.Store part of its contract; a store on the same
// schema without the option records them.
func TestWithoutOutbox(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	quiet := openStore(t, schema, postgres.WithoutOutbox())
	loud := openStore(t, schema)
	ctx := context.Background()
	count := func() int {
		var n int
		require.NoError(t, admin(t).QueryRow(ctx, "SELECT count(*) FROM "+table(schema, "outbox")).Scan(&n))
		return n
	}
	e := newEngine(t, quiet)
	r, err := e.Create(ctx, spec("checkout"))
	require.NoError(t, err)
	r, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
	require.NoError(t, err)
	assert.Zero(t, count(), "outbox rows written WithoutOutbox")
	_, err = newEngine(t, loud).Fire(ctx, r.ID, release.EventSchedule, manager)
	require.NoError(t, err)
	assert.Equal(t, 1, count())
	require.NoError(t, e.Verify(ctx, r.ID))
	stale := r.Clone()
	stale.Revision = 3
	h, err := quiet.History(ctx, r.ID)
	require.NoError(t, err)
	assert.ErrorIs(t, quiet.Update(ctx, 2, stale, h[2]), release.ErrStale, "compare-and-swap still applies")
}
