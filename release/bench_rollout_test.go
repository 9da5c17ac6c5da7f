package release_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/strategy"
)

type nopStrategyRecorder struct{}

func (nopStrategyRecorder) RecordStep(context.Context, strategy.Record) error             { return nil }
func (nopStrategyRecorder) RecordMeasurement(context.Context, analysis.Measurement) error { return nil }

// BenchmarkRollout is the engine's overhead per measurement and per step:
// Engine.Rollout on the memory store (every measurement and step an evidence
// entry with its idempotency key, hash-chained, then the lifecycle events)
// against the same strategy driver recording to a recorder that returns at once,
// timed in turn inside one loop so that load from other processes hits both
// alike. "measurement": one analysis step of 200 measurements (interval 1ns, on a
// provider that answers at once); "step": a canary of 100 weight steps. Each
// iteration rolls out a fresh release from deploying to verified (its set-up is
// not timed). The floor beside them: the driver plus as many bare Engine.Record
// calls (a metric with an idempotency key) as the rollout writes entries, so
// x-driver+records is what the wiring adds beyond recording itself (reading the
// history to resume, the lifecycle events, encoding the records).
func BenchmarkRollout(b *testing.B) {
	constant := analysis.ProviderFunc(func(context.Context, analysis.Query) (analysis.Vector, error) {
		return analysis.Vector{{Value: 0.001}}, nil
	})
	traffic := strategy.TrafficFunc(func(context.Context, string, strategy.Step) error { return nil })
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"p": constant})
	if err != nil {
		b.Fatal(err)
	}
	d, err := strategy.NewDriver(traffic, runner)
	if err != nil {
		b.Fatal(err)
	}
	const measurements, steps = 200, 100
	measured := strategy.Rollout{ID: "bench", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.Analyze(analysis.Analysis{Name: "errors", Metrics: []analysis.Metric{{Name: "errors", Provider: "p", Query: "q",
			Count: measurements, Interval: time.Nanosecond, Success: []string{"<=0.01"}}}}),
	}}}}
	var weights []strategy.Step
	for i := range steps {
		weights = append(weights, strategy.SetWeight(i*100/steps))
	}
	stepped := strategy.Rollout{ID: "bench", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: weights}}}

	for _, c := range []struct {
		name string
		ro   strategy.Rollout
		n    int
		unit string
		// records is how many evidence entries Rollout writes per unit.
		records int
	}{{"measurement", measured, measurements, "measurement", 1}, {"step", stepped, steps, "step", 2}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()))
			if err != nil {
				b.Fatal(err)
			}
			var engine, driver, record time.Duration
			for b.Loop() {
				r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana"})
				if err != nil {
					b.Fatal(err)
				}
				for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart} {
					if _, err := eng.Fire(ctx, r.ID, ev, bot); err != nil {
						b.Fatal(err)
					}
				}
				t0 := time.Now()
				res, err := eng.Rollout(ctx, r.ID, d, c.ro, bot)
				if err != nil || res.Phase != strategy.PhaseCompleted {
					b.Fatal(err, res.Reason)
				}
				t1 := time.Now()
				res, err = d.Run(ctx, c.ro, strategy.RecordTo(nopStrategyRecorder{}))
				if err != nil || res.Phase != strategy.PhaseCompleted {
					b.Fatal(err, res.Reason)
				}
				t2 := time.Now()
				m := analysis.Measurement{Run: "bench/step-0", Analysis: "errors", Metric: "errors", At: time.Now(), Provider: "p", Query: "q",
					Value: 0.001, Phase: analysis.PhaseSuccessful, Reason: "0.001 meets <=0.01"}
				for i := range c.n * c.records {
					ev := release.Evidence{Kind: release.EvidenceMetric, By: bot, Name: "errors", Value: 0.001, Source: "p", ExternalID: "bench"}
					if _, err := eng.Record(ctx, r.ID, ev, release.IdempotencyKey(r.ID.String()+"/"+strconv.Itoa(i)), release.Data(m)); err != nil {
						b.Fatal(err)
					}
				}
				engine, driver, record = engine+t1.Sub(t0), driver+t2.Sub(t1), record+time.Since(t2)
			}
			b.ReportMetric(float64(engine.Nanoseconds())/float64(b.N*c.n), "engine-ns/"+c.unit)
			b.ReportMetric(float64(driver.Nanoseconds())/float64(b.N*c.n), "driver-ns/"+c.unit)
			b.ReportMetric(float64(engine-driver)/float64(b.N*c.n), "overhead-ns/"+c.unit)
			b.ReportMetric(float64(record.Nanoseconds())/float64(b.N*c.n), "records-ns/"+c.unit)
			b.ReportMetric(float64(engine)/float64(driver), "x-driver")
			b.ReportMetric(float64(engine)/float64(driver+record), "x-driver+records")
		})
	}
}
