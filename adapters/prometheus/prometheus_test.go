package prometheus_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/prometheus"
	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/analysis/providertest"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func newProvider(t *testing.T, s *testServer, opts ...prometheus.Option) *prometheus.Provider {
	t.Helper()
	p, err := prometheus.New(s.url, opts...)
	require.NoError(t, err)
	return p
}

func TestConformance(t *testing.T) {
	s := realServer(t)
	down, err := prometheus.New(fmt.Sprintf("http://127.0.0.1:%d", closedPort(t)), prometheus.WithRetries(1, 10*time.Millisecond), prometheus.WithTimeout(2*time.Second))
	require.NoError(t, err)
	providertest.Run(t, newProvider(t, s), providertest.Cases{
		One:     analysis.Query{Expr: fmt.Sprintf(`canary_weight{run=%q}`, s.exp.run)},
		Want:    10,
		Several: analysis.Query{Expr: fmt.Sprintf(`http_requests_total{run=%q}`, s.exp.run)},
		NoData:  analysis.Query{Expr: fmt.Sprintf(`http_requests_total{run=%q,track="none"}`, s.exp.run)},
		NaN:     analysis.Query{Expr: s.exp.errorRatio("idle")}, // 0/0: a service with no traffic
		Invalid: analysis.Query{Expr: `sum(rate(http_requests_total[5m]`},
		Down:    down,
	})
}

// closedPort is a port that was just free: nothing listens on it.
func closedPort(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	require.NoError(t, err)
	return p
}

// The healthy canary and the failing one are real series: their error ratios
// are what the exporter serves.
func TestErrorRatios(t *testing.T) {
	s := realServer(t)
	p := newProvider(t, s)
	for track, want := range map[string]float64{"good": 0.001, "bad": 0.2, "stable": 0.001} {
		v, err := p.Query(context.Background(), analysis.Query{Expr: s.exp.errorRatio(track)})
		require.NoError(t, err, track)
		got, err := v.Value()
		require.NoError(t, err, track)
		assert.InDelta(t, want, got, want*0.01, track)
	}
	_, err := p.Query(context.Background(), analysis.Query{Expr: fmt.Sprintf(`http_requests_total{run=%q}[5s]`, s.exp.run)})
	require.ErrorIs(t, err, analysis.ErrInvalidQuery)
	assert.Contains(t, err.Error(), "range vector")

	v, err := p.Query(context.Background(), analysis.Query{Expr: `scalar(vector(3))`})
	require.NoError(t, err)
	require.Len(t, v, 1)
	assert.Equal(t, 3.0, v[0].Value)
	assert.Nil(t, v[0].Labels)

	// An instant in the past: before the exporter existed there is no data.
	_, err = p.Query(context.Background(), analysis.Query{Expr: s.exp.errorRatio("good"), At: s.exp.start.Add(-time.Hour)})
	require.ErrorIs(t, err, analysis.ErrNoData)
}

func TestQueryRange(t *testing.T) {
	s := realServer(t)
	p := newProvider(t, s)
	end := time.Now()
	series, err := p.QueryRange(context.Background(), fmt.Sprintf(`sum by (track) (rate(http_requests_total{run=%q,code="500"}[5s])) / sum by (track) (rate(http_requests_total{run=%q}[5s]))`, s.exp.run, s.exp.run),
		prometheus.Range{Start: end.Add(-3 * time.Second), End: end, Step: time.Second})
	require.NoError(t, err)
	var tracks []string
	for _, sr := range series {
		tracks = append(tracks, sr.Labels["track"])
		if sr.Labels["track"] == "bad" {
			require.NotEmpty(t, sr.Points)
			for _, pt := range sr.Points {
				assert.InDelta(t, 0.2, pt.Value, 0.002)
				assert.False(t, pt.At.After(end.Add(time.Second)))
			}
		}
	}
	assert.Equal(t, []string{"bad", "good", "idle", "stable"}, tracks, "sorted by labels")
	_, err = p.QueryRange(context.Background(), "up", prometheus.Range{Start: end, End: end.Add(-time.Second), Step: time.Second})
	require.ErrorIs(t, err, analysis.ErrInvalidQuery)
}

// An analysis against the real server: the healthy canary passes, the failing
// one fails at its first measurement, both judged relative to the stable
// track's error ratio as well as absolutely.
func TestAnalysisOnRealSeries(t *testing.T) {
	s := realServer(t)
	r, err := analysis.NewRunner(map[string]analysis.Provider{"prometheus": newProvider(t, s)}, analysis.WithQueryTimeout(10*time.Second))
	require.NoError(t, err)
	canary := func(track string) analysis.Analysis {
		return analysis.Analysis{Name: "canary-" + track, Metrics: []analysis.Metric{{
			Name: "error-rate", Provider: "prometheus", Query: s.exp.errorRatio(track), Baseline: s.exp.errorRatio("stable"),
			Count: 3, Interval: time.Second, Success: []string{"<=0.01", "<=+50%"}, Warning: []string{"<=0.05"},
		}}}
	}
	var wg sync.WaitGroup
	results := map[string]analysis.Result{}
	var mu sync.Mutex
	for _, track := range []string{"good", "bad"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Run(context.Background(), canary(track))
			assert.NoError(t, err)
			mu.Lock()
			results[track] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	good, bad := results["good"], results["bad"]
	assert.Equal(t, analysis.PhaseSuccessful, good.Phase, good.Reason)
	assert.Len(t, good.Metrics[0].Measurements, 3)
	assert.Equal(t, analysis.PhaseFailed, bad.Phase, bad.Reason)
	require.Len(t, bad.Metrics[0].Measurements, 1)
	m := bad.Metrics[0].Measurements[0]
	assert.InDelta(t, 0.2, m.Value, 0.002)
	require.NotNil(t, m.Baseline)
	assert.InDelta(t, 0.001, *m.Baseline, 0.0001)
	assert.Contains(t, m.Reason, "misses <=0.01 and <=+50%")
}

func TestErrorsAreTyped(t *testing.T) {
	s := realServer(t)
	p := newProvider(t, s)
	_, err := p.Query(context.Background(), analysis.Query{Expr: `sum(`})
	var pe *prometheus.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bad_data", pe.Type)
	assert.Equal(t, 1, pe.Attempts, "a refused query is not retried")
	assert.True(t, errors.Is(err, analysis.ErrInvalidQuery))

	// many-to-many matching is an evaluation error: the query's fault.
	_, err = p.Query(context.Background(), analysis.Query{Expr: fmt.Sprintf(`http_requests_total{run=%q} + on(run) http_requests_total{run=%q}`, s.exp.run, s.exp.run)})
	require.ErrorIs(t, err, analysis.ErrInvalidQuery)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Query(ctx, analysis.Query{Expr: "up"})
	require.ErrorIs(t, err, context.Canceled)
}
