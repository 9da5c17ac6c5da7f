package release_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/strategy"
)

// inFlight is a provider that answers after a latency and remembers the most
// queries it had in flight at once.
type inFlight struct {
	now, most, total atomic.Int64
}

func (p *inFlight) Query(ctx context.Context, _ analysis.Query) (analysis.Vector, error) {
	n := p.now.Add(1)
	defer p.now.Add(-1)
	p.total.Add(1)
	for m := p.most.Load(); n > m && !p.most.CompareAndSwap(m, n); m = p.most.Load() {
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(100 * time.Millisecond):
	}
	return analysis.Vector{{Value: 0.001}}, nil
}

// 1,000 releases roll out at once through one engine, one driver and one
// provider: the provider never has more queries in flight than the runner's
// bound, every release is verified with each of its measurements recorded once,
// and no goroutine outlives the rollouts (synctest.Test fails when a goroutine
// of the bubble is left blocked; the count outside it checks the rest).
func TestThousandConcurrentRollouts(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 rollouts through the engine; skipped with -short")
	}
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		const releases, bound, count = 1000, 16, 3
		ctx := context.Background()
		prov := &inFlight{}
		eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()))
		require.NoError(t, err)
		runner, err := analysis.NewRunner(map[string]analysis.Provider{"prom": prov}, analysis.WithMaxConcurrentQueries(bound))
		require.NoError(t, err)
		d, err := strategy.NewDriver(strategy.TrafficFunc(func(context.Context, string, strategy.Step) error { return nil }), runner)
		require.NoError(t, err)
		ids := make([]release.ID, releases)
		for i := range releases {
			r, err := eng.Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d", i), Version: "1.0.0", Environment: "prod", Author: "ana"})
			require.NoError(t, err)
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart} {
				_, err = eng.Fire(ctx, r.ID, ev, bot)
				require.NoError(t, err)
			}
			ids[i] = r.ID
		}
		ro := canary(count)
		var wg sync.WaitGroup
		errs := make([]error, releases)
		phases := make([]strategy.Phase, releases)
		for i := range releases {
			wg.Go(func() {
				res, err := eng.Rollout(ctx, ids[i], d, ro, bot)
				phases[i], errs[i] = res.Phase, err
			})
		}
		wg.Wait()
		for i := range releases {
			require.NoError(t, errs[i])
			require.Equal(t, strategy.PhaseCompleted, phases[i])
		}
		assert.LessOrEqual(t, prov.most.Load(), int64(bound), "queries in flight")
		assert.Equal(t, int64(bound), prov.most.Load(), "the bound is reached: the rollouts overlap")
		assert.Equal(t, int64(releases*count), prov.total.Load())
		for _, id := range []release.ID{ids[0], ids[releases/2], ids[releases-1]} {
			r, err := eng.Get(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, release.StateVerified, r.State)
			ev, err := eng.Evidence(ctx, id)
			require.NoError(t, err)
			metrics := 0
			for _, e := range ev {
				if e.Kind == release.EvidenceMetric {
					metrics++
				}
			}
			assert.Equal(t, count, metrics, "each measurement recorded once")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines after the rollouts")
}
