package strategy_test

import (
	"context"
	"testing"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/strategy"
)

type nopRecorder struct{}

func (nopRecorder) RecordStep(context.Context, strategy.Record) error             { return nil }
func (nopRecorder) RecordMeasurement(context.Context, analysis.Measurement) error { return nil }

// BenchmarkStep is the driver's overhead per step: a canary of 100 weight
// steps (host and recorder return at once), reported per step; "analysis"
// makes every other step a one-measurement analysis on a provider that
// answers at once; "resume" is a run that finds all 100 steps recorded.
func BenchmarkStep(b *testing.B) {
	const n = 100
	nop := strategy.TrafficFunc(func(context.Context, string, strategy.Step) error { return nil })
	constant := analysis.ProviderFunc(func(context.Context, analysis.Query) (analysis.Vector, error) {
		return analysis.Vector{{Value: 0.001}}, nil
	})
	runner, _ := analysis.NewRunner(map[string]analysis.Provider{"p": constant})
	d, _ := strategy.NewDriver(nop, runner)
	check := analysis.Analysis{Name: "check", Metrics: []analysis.Metric{{Name: "errors", Provider: "p", Query: "q", Success: []string{"<=0.01"}}}}
	rollout := func(withAnalysis bool) strategy.Rollout {
		var steps []strategy.Step
		for i := range n {
			if withAnalysis && i%2 == 1 {
				steps = append(steps, strategy.Analyze(check))
				continue
			}
			steps = append(steps, strategy.SetWeight(i*100/n))
		}
		return strategy.Rollout{ID: "bench", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: steps}}}
	}
	run := func(b *testing.B, ro strategy.Rollout, opts ...strategy.RunOption) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := d.Run(context.Background(), ro, opts...)
			if err != nil || res.Phase != strategy.PhaseCompleted {
				b.Fatal(err, res.Reason)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/step")
	}
	b.Run("weight", func(b *testing.B) { run(b, rollout(false), strategy.RecordTo(nopRecorder{})) })
	b.Run("analysis", func(b *testing.B) { run(b, rollout(true), strategy.RecordTo(nopRecorder{})) })
	b.Run("resume", func(b *testing.B) {
		ro := rollout(false)
		var recs []strategy.Record
		rec := recorderFunc(func(r strategy.Record) { recs = append(recs, r) })
		if _, err := d.Run(context.Background(), ro, strategy.RecordTo(rec)); err != nil {
			b.Fatal(err)
		}
		run(b, ro, strategy.Resume(recs, nil))
	})
}

type recorderFunc func(strategy.Record)

func (f recorderFunc) RecordStep(_ context.Context, r strategy.Record) error { f(r); return nil }
func (f recorderFunc) RecordMeasurement(context.Context, analysis.Measurement) error {
	return nil
}
