package strategy_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/strategy"
)

func canary() strategy.Rollout {
	return strategy.Rollout{ID: "payments-2.4.0", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10),
		strategy.Analyze(errorRate("canary-10")),
		strategy.SetWeight(50),
		strategy.Pause(10 * time.Minute),
		strategy.AwaitPromotion(),
	}}}}
}

func TestCanaryRunsToCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, m, rb, rec := &host{}, &metrics{rate: 0.002}, &rollbacks{}, &store{}
		d := newDriver(t, h, m, rb)
		start := time.Now()
		res, err := d.Run(context.Background(), canary(), strategy.RecordTo(rec))
		require.NoError(t, err)
		assert.Equal(t, strategy.PhasePaused, res.Phase)
		assert.Equal(t, 4, res.Step)
		assert.Equal(t, 50, res.Weight)
		assert.Equal(t, 12*time.Minute, time.Since(start), "2 intervals of analysis, then the 10-minute pause")

		res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume())
		require.NoError(t, err)
		assert.Equal(t, strategy.PhasePaused, res.Phase, "still waiting: nobody promoted")

		res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume(), strategy.Promote("rui"))
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase)
		assert.Equal(t, 100, res.Weight)
		assert.Equal(t, []string{
			"set weight: 10% of traffic to the new version",
			"set weight: 50% of traffic to the new version",
			"promote: 100% of traffic to the new version",
		}, h.steps())
		assert.Equal(t, []string{
			"0 started", "0 completed", "1 started", "1 completed", "2 started", "2 completed",
			"3 started", "3 completed", "4 started", "4 waiting", "4 promoted", "4 completed", "5 started", "5 completed",
		}, rec.events())
		assert.Len(t, rec.ms, 3)
		assert.Equal(t, "payments-2.4.0/step-1", rec.ms[0].Run)
		assert.Empty(t, rb.reasons)

		_, err = d.Run(context.Background(), canary(), rec.resume(), strategy.Promote("rui"))
		require.ErrorIs(t, err, strategy.ErrFinished)
	})
}

// The canary fails its analysis at 10%: traffic returns to the stable version,
// then the rollback hook runs, and every part is recorded.
func TestFailingAnalysisAborts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, m, rb, rec := &host{}, &metrics{rate: 0.2}, &rollbacks{}, &store{}
		d := newDriver(t, h, m, rb)
		res, err := d.Run(context.Background(), canary(), strategy.RecordTo(rec))
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, res.Phase)
		assert.Equal(t, 1, res.Step)
		assert.Equal(t, 0, res.Weight)
		assert.Contains(t, res.Reason, `analysis "canary-10" Failed: metric "error-rate": 1 of 1 measurements failed`)
		require.NotNil(t, res.Analysis)
		assert.Equal(t, 0.2, res.Analysis.Metrics[0].Measurements[0].Value)
		assert.Equal(t, []string{"set weight: 10% of traffic to the new version", "set weight: 0% of traffic to the new version"}, h.steps())
		assert.Equal(t, []string{"0 started", "0 completed", "1 started", "1 aborted", "1 restored", "1 rolledBack"}, rec.events())
		require.Len(t, rb.reasons, 1)
		assert.Contains(t, rb.reasons[0], "payments-2.4.0: analysis")

		// Resuming an aborted rollout does nothing more.
		res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume())
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, res.Phase)
		assert.Len(t, rb.reasons, 1)
		assert.Len(t, h.steps(), 2)
	})
}

func TestInconclusiveAnalysisWaitsForAPerson(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, decision := range []string{"promote", "abort"} {
			h, m, rb, rec := &host{}, &metrics{rate: 0.03}, &rollbacks{}, &store{}
			d := newDriver(t, h, m, rb)
			res, err := d.Run(context.Background(), canary(), strategy.RecordTo(rec))
			require.NoError(t, err)
			assert.Equal(t, strategy.PhasePaused, res.Phase)
			assert.Contains(t, res.Reason, "inconclusive")
			m.set(0.001)
			if decision == "promote" {
				res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume(), strategy.Promote("rui"))
				require.NoError(t, err)
				assert.Equal(t, strategy.PhasePaused, res.Phase, "on to the next wait")
				assert.Equal(t, 4, res.Step)
			} else {
				res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume(), strategy.Abort("rui", "error rate too close to the limit"))
				require.NoError(t, err)
				assert.Equal(t, strategy.PhaseAborted, res.Phase)
				assert.Equal(t, []string{"payments-2.4.0: error rate too close to the limit"}, rb.reasons)
				assert.Equal(t, "rui", rec.records[len(rec.records)-3].By)
			}
		}
	})
}

func TestPromoteWhenNotWaiting(t *testing.T) {
	h, rb := &host{}, &rollbacks{}
	d := newDriver(t, h, &metrics{rate: 0.0}, rb)
	ro := strategy.Rollout{ID: "r", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{strategy.SetWeight(20)}}}}
	_, err := d.Run(context.Background(), ro, strategy.Promote("rui"))
	require.ErrorIs(t, err, strategy.ErrNotWaiting)
	assert.Empty(t, h.steps())
}

func TestBlueGreen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, m, rb, rec := &host{}, &metrics{rate: 0.001}, &rollbacks{}, &store{}
		d := newDriver(t, h, m, rb)
		pre, post := errorRate("preview"), errorRate("live")
		ro := strategy.Rollout{ID: "checkout-3.1.0", Strategy: strategy.Strategy{BlueGreen: &strategy.BlueGreen{
			PrePromotion: &pre, PostPromotion: &post, ScaleDownDelay: 30 * time.Minute,
		}}}
		start := time.Now()
		res, err := d.Run(context.Background(), ro, strategy.RecordTo(rec))
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase)
		assert.Equal(t, []string{
			"preview: new version up, no production traffic",
			"promote: 100% of traffic to the new version",
			"after 30m0s, scale the old version down",
		}, h.steps())
		assert.Equal(t, 2*2*time.Minute+30*time.Minute, time.Since(start))
	})
	// A failing post-promotion analysis switches the traffic back to blue.
	synctest.Test(t, func(t *testing.T) {
		h, m, rb := &host{}, &metrics{rate: 0.001}, &rollbacks{}
		post := errorRate("live")
		post.Metrics[0].Query = "errors"
		d := newDriver(t, strategy.TrafficFunc(func(ctx context.Context, ro string, s strategy.Step) error {
			if s.Kind == strategy.StepWeight && s.Weight == 100 {
				m.set(0.3) // the new version breaks under production traffic
			}
			return h.Apply(ctx, ro, s)
		}), m, rb)
		ro := strategy.Rollout{ID: "checkout-3.1.0", Strategy: strategy.Strategy{BlueGreen: &strategy.BlueGreen{PostPromotion: &post, ScaleDownDelay: time.Hour}}}
		res, err := d.Run(context.Background(), ro)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, res.Phase)
		assert.Equal(t, []string{
			"preview: new version up, no production traffic",
			"promote: 100% of traffic to the new version",
			"set weight: 0% of traffic to the new version",
		}, h.steps())
	})
}

func TestRolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, m, rb := &host{}, &metrics{rate: 0.001}, &rollbacks{}
		d := newDriver(t, h, m, rb)
		ro := strategy.Rollout{ID: "ledger", Strategy: strategy.Strategy{Rolling: &strategy.Rolling{Replicas: 10, BatchSize: 4, Pause: 5 * time.Minute}}}
		res, err := d.Run(context.Background(), ro)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseCompleted, res.Phase)
		assert.Equal(t, 100, res.Weight)
		assert.Equal(t, []string{
			"batch: 4 of 10 instances on the new version",
			"batch: 8 of 10 instances on the new version",
			"batch: 10 of 10 instances on the new version",
		}, h.steps())

		// With an analysis after each batch, failing at the second.
		h = &host{}
		m.set(0.001)
		d = newDriver(t, strategy.TrafficFunc(func(ctx context.Context, id string, s strategy.Step) error {
			if s.Kind == strategy.StepBatch && s.Updated == 8 {
				m.set(0.5)
			}
			return h.Apply(ctx, id, s)
		}), m, rb)
		batch := errorRate("batch")
		ro.Strategy.Rolling.Analysis = &batch
		res, err = d.Run(context.Background(), ro)
		require.NoError(t, err)
		assert.Equal(t, strategy.PhaseAborted, res.Phase)
		assert.Equal(t, "batch: 0 of 10 instances on the new version", h.steps()[2])
		assert.Equal(t, 0, res.Weight)
	})
}

func TestHostFailureStopsAndResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, m, rb, rec := &host{failAt: 2}, &metrics{rate: 0.001}, &rollbacks{}, &store{}
		d := newDriver(t, h, m, rb)
		res, err := d.Run(context.Background(), canary(), strategy.RecordTo(rec))
		require.ErrorIs(t, err, errHostDown)
		assert.Equal(t, strategy.PhaseProgressing, res.Phase)
		assert.Equal(t, 2, res.Step)
		res, err = d.Run(context.Background(), canary(), strategy.RecordTo(rec), rec.resume())
		require.NoError(t, err)
		assert.Equal(t, strategy.PhasePaused, res.Phase)
		assert.Equal(t, 50, res.Weight)
		assert.Len(t, rec.ms, 3, "the completed analysis is not run again")
	})
}

func TestRecordsThatDoNotFit(t *testing.T) {
	d := newDriver(t, &host{}, &metrics{rate: 0.0}, &rollbacks{})
	ro := canary()
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	rec := func(step int, kind strategy.StepKind, ev strategy.Event) strategy.Record {
		return strategy.Record{Rollout: ro.ID, Step: step, Kind: kind, Event: ev, At: at}
	}
	tests := []struct {
		why     string
		records []strategy.Record
		problem string
	}{
		{"another rollout", []strategy.Record{{Rollout: "x", Step: 0, Kind: strategy.StepWeight, Event: strategy.EventStarted}}, `belongs to rollout "x"`},
		{"a step out of range", []strategy.Record{rec(9, strategy.StepWeight, strategy.EventStarted)}, "the strategy has 6 steps"},
		{"the wrong kind", []strategy.Record{rec(0, strategy.StepPause, strategy.EventStarted)}, "is a pause step, but step 0 of the strategy is a setWeight step"},
		{"a step skipped", []strategy.Record{rec(0, strategy.StepWeight, strategy.EventStarted), rec(2, strategy.StepWeight, strategy.EventStarted)}, "started before step 0 completed"},
		{"completed before started", []strategy.Record{rec(0, strategy.StepWeight, strategy.EventCompleted)}, "completed before the step started"},
		{"an unknown event", []strategy.Record{rec(0, strategy.StepWeight, strategy.EventStarted), rec(0, strategy.StepWeight, "exploded")}, `unknown event "exploded"`},
	}
	for _, tt := range tests {
		_, err := d.Run(context.Background(), ro, strategy.Resume(tt.records, nil))
		require.ErrorIs(t, err, strategy.ErrInvalidRecords, tt.why)
		var re *strategy.RecordError
		require.True(t, errors.As(err, &re), tt.why)
		assert.Contains(t, err.Error(), tt.problem, tt.why)
	}
}

func TestNewDriverRefusesBadOptions(t *testing.T) {
	_, err := strategy.NewDriver(nil, nil, strategy.WithClock(nil))
	require.ErrorIs(t, err, strategy.ErrInvalidOption)
	assert.Contains(t, err.Error(), "nil Traffic")
	assert.Contains(t, err.Error(), "WithClock(nil)")

	d, err := strategy.NewDriver(&host{}, nil)
	require.NoError(t, err)
	_, err = d.Run(context.Background(), canary())
	require.ErrorIs(t, err, strategy.ErrInvalidOption)
	assert.Contains(t, err.Error(), "no analysis runner")
}
