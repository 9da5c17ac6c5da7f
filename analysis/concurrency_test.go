package analysis_test

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

	"github.com/releasekit/releasekit/analysis"
)

// gauge is a provider that counts the queries in flight and remembers the most.
type gauge struct {
	inFlight, most, total atomic.Int64
	latency               time.Duration
}

func (g *gauge) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	g.total.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(g.latency):
	}
	return analysis.Vector{{Value: 0.001}}, nil
}

// 1,000 analyses run at once against one provider: the provider never sees more
// queries in flight than the bound, every analysis completes, and no goroutine
// outlives the runs (synctest.Test fails on a goroutine left blocked in the
// bubble; the count outside the bubble checks the rest).
func TestThousandConcurrentAnalyses(t *testing.T) {
	before := runtime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		const analyses, bound = 1000, 32
		g := &gauge{latency: 200 * time.Millisecond}
		r := mustRunner(t, map[string]analysis.Provider{"prom": g}, analysis.WithMaxConcurrentQueries(bound))
		var wg sync.WaitGroup
		results := make([]analysis.Result, analyses)
		errs := make([]error, analyses)
		for i := range analyses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := analysis.Analysis{Name: fmt.Sprintf("canary-%d", i), Metrics: []analysis.Metric{
					{Name: "errors", Provider: "prom", Query: "errors", Baseline: "errors_stable", Count: 3, Interval: 30 * time.Second, Success: []string{"<=+10%"}},
					{Name: "latency", Provider: "prom", Query: "latency", Count: 3, Interval: 30 * time.Second, Success: []string{"<=0.3"}},
				}}
				results[i], errs[i] = r.Run(context.Background(), a, analysis.RunID(a.Name))
			}()
		}
		wg.Wait()
		for i := range analyses {
			require.NoError(t, errs[i])
			require.Equal(t, analysis.PhaseSuccessful, results[i].Phase, results[i].Reason)
		}
		assert.LessOrEqual(t, g.most.Load(), int64(bound), "queries in flight")
		assert.Equal(t, int64(bound), g.most.Load(), "the bound is reached: the runs do overlap")
		assert.Equal(t, int64(analyses*(3*2+3)), g.total.Load(), "3 measurements of a metric with a baseline (2 queries) and of one without")
	})
	// Goroutines outside the bubble (none are started there) settle back.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines after the runs")
}

// Cancelling a thousand runs part-way stops them all and leaks nothing.
func TestThousandCancelledAnalyses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gauge{latency: time.Second}
		r := mustRunner(t, map[string]analysis.Provider{"prom": g}, analysis.WithMaxConcurrentQueries(8))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		var cancelled atomic.Int64
		for range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := r.Run(ctx, oneMetric(analysis.Metric{Provider: "prom", Count: 100, Interval: time.Minute, Success: []string{"<1"}}))
				if err != nil {
					cancelled.Add(1)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int64(1000), cancelled.Load())
		assert.Equal(t, int64(0), g.inFlight.Load())
	})
}
