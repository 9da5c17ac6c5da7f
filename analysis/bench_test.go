package analysis_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/gate"
)

// constant is the cheapest provider: the runner's own cost is what is left.
var constant = analysis.ProviderFunc(func(_ context.Context, _ analysis.Query) (analysis.Vector, error) {
	return analysis.Vector{{Value: 0.004}}, nil
})

// BenchmarkMeasurement is the runner's overhead per measurement: one run of
// 1,000 measurements (interval 1ns, so it never sleeps) on a provider that
// answers at once, reported per measurement. "bare" is the floor: the same
// query, Vector.Value and criterion check in a loop. "recorded" adds a
// Recorder; "baseline" a baseline query and a relative criterion.
func BenchmarkMeasurement(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	metric := analysis.Metric{Name: "errors", Provider: "p", Query: "q", Count: n, Interval: time.Nanosecond, Success: []string{"<=0.01"}, FailureLimit: n}
	r, err := analysis.NewRunner(map[string]analysis.Provider{"p": constant})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, m analysis.Metric, opts ...analysis.RunOption) {
		a := analysis.Analysis{Name: "bench", Metrics: []analysis.Metric{m}}
		b.ReportAllocs()
		for b.Loop() {
			res, err := r.Run(ctx, a, opts...)
			if err != nil || res.Phase != analysis.PhaseSuccessful {
				b.Fatal(err, res.Reason)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/measurement")
	}
	b.Run("runner", func(b *testing.B) { run(b, metric) })
	b.Run("recorded", func(b *testing.B) {
		rec := analysis.RecorderFunc(func(context.Context, analysis.Measurement) error { return nil })
		run(b, metric, analysis.RecordTo(rec), analysis.RunID("rel/verify"))
	})
	b.Run("baseline", func(b *testing.B) {
		m := metric
		m.Baseline, m.Success = "b", []string{"<=+10%"}
		run(b, m)
	})
	b.Run("bare", func(b *testing.B) {
		c, _ := gate.ParseCriterion("<=0.01")
		b.ReportAllocs()
		for b.Loop() {
			for range n {
				v, err := constant.Query(ctx, analysis.Query{Expr: "q"})
				if err != nil {
					b.Fatal(err)
				}
				x, err := v.Value()
				if err != nil || !c.Holds(x, 0) {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/measurement")
	})
}

// BenchmarkResume is the cost of reading back 1,000 recorded measurements
// (checked and re-judged) before a run goes on: what a restart pays.
func BenchmarkResume(b *testing.B) {
	const n = 1000
	a := analysis.Analysis{Name: "bench", Metrics: []analysis.Metric{{Name: "errors", Provider: "p", Query: "q", Count: n + 1, Interval: time.Nanosecond, Success: []string{"<=0.01"}}}}
	r, _ := analysis.NewRunner(map[string]analysis.Provider{"p": constant})
	var recorded []analysis.Measurement
	rec := analysis.RecorderFunc(func(_ context.Context, m analysis.Measurement) error {
		if len(recorded) == n {
			return context.Canceled // stop after n
		}
		recorded = append(recorded, m)
		return nil
	})
	_, _ = r.Run(context.Background(), a, analysis.RecordTo(rec))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := analysis.Evaluate(a, recorded); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/measurement")
}

// BenchmarkMeasurementInterleaved times the runner and the bare floor of
// BenchmarkMeasurement in turn inside one loop, so that load from other
// processes hits both alike, and reports their ratio (x-bare).
func BenchmarkMeasurementInterleaved(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	r, _ := analysis.NewRunner(map[string]analysis.Provider{"p": constant})
	a := analysis.Analysis{Name: "bench", Metrics: []analysis.Metric{{Name: "errors", Provider: "p", Query: "q", Count: n, Interval: time.Nanosecond, Success: []string{"<=0.01"}}}}
	c, _ := gate.ParseCriterion("<=0.01")
	var runner, bare time.Duration
	for b.Loop() {
		t0 := time.Now()
		if res, err := r.Run(ctx, a); err != nil || res.Phase != analysis.PhaseSuccessful {
			b.Fatal(err)
		}
		t1 := time.Now()
		for range n {
			v, _ := constant.Query(ctx, analysis.Query{Expr: "q"})
			if x, err := v.Value(); err != nil || !c.Holds(x, 0) {
				b.Fatal(err)
			}
		}
		runner, bare = runner+t1.Sub(t0), bare+time.Since(t1)
	}
	b.ReportMetric(float64(runner.Nanoseconds())/float64(b.N*n), "runner-ns/measurement")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N*n), "bare-ns/measurement")
	b.ReportMetric(float64(runner)/float64(bare), "x-bare")
}
