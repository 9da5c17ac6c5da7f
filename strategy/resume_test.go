package strategy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/strategy"
)

type outcome struct {
	phase     strategy.Phase
	weight    int
	applied   []string
	rollbacks []string
	completed []int
	measured  int
}

// drive runs ro to its end, promoting whenever it waits, crashing the store
// or the host at the calls crashes name (one per attempt), and resuming from
// the records after each crash.
func drive(t *testing.T, ro strategy.Rollout, rate float64, crashes []int) (outcome, error) {
	var out outcome
	synctest.Test(t, func(t *testing.T) {
		h, m, rb, rec := &host{}, &metrics{rate: rate}, &rollbacks{}, &store{}
		d := newDriver(t, h, m, rb)
		promote := false
		for attempt := 0; attempt < 50; attempt++ {
			h.failAt, h.calls, rec.failAt, rec.calls = 0, 0, 0, 0
			if attempt < len(crashes) {
				if c := crashes[attempt]; c > 0 {
					rec.failAt = c
				} else {
					h.failAt = -c
				}
			}
			opts := []strategy.RunOption{strategy.RecordTo(rec), rec.resume()}
			if promote {
				opts = append(opts, strategy.Promote("rui"))
			}
			res, err := d.Run(context.Background(), ro, opts...)
			promote = err == nil && res.Phase == strategy.PhasePaused
			if err == nil && (res.Phase == strategy.PhaseCompleted || res.Phase == strategy.PhaseAborted) {
				out = outcome{phase: res.Phase, weight: res.Weight, applied: slices.Compact(h.steps()), rollbacks: slices.Compact(rb.reasons), measured: len(rec.ms)}
				for _, r := range rec.records {
					if r.Event == strategy.EventCompleted {
						out.completed = append(out.completed, r.Step)
					}
				}
				return
			}
		}
		t.Fatalf("no end after 50 attempts")
	})
	return out, nil
}

// However often a rollout crashes (the store or the host failing at any call)
// and is resumed from its records, it ends as the rollout that never crashed:
// same phase and weight, the same traffic moves (a step may be applied again,
// never skipped or reordered), the same rollback, each step completed once,
// each measurement recorded once.
func TestResumeAfterCrashes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		stepGen := rapid.SampledFrom([]strategy.Step{
			strategy.SetWeight(5), strategy.SetWeight(25), strategy.SetWeight(60),
			strategy.Pause(time.Minute), strategy.AwaitPromotion(), strategy.Analyze(errorRate("check")),
		})
		var ro strategy.Rollout
		switch rapid.IntRange(0, 2).Draw(rt, "kind") {
		case 0:
			ro = strategy.Rollout{ID: "r", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: rapid.SliceOfN(stepGen, 1, 6).Draw(rt, "steps")}}}
		case 1:
			a, b := errorRate("pre"), errorRate("post")
			ro = strategy.Rollout{ID: "r", Strategy: strategy.Strategy{BlueGreen: &strategy.BlueGreen{PrePromotion: &a, PostPromotion: &b,
				ManualPromotion: rapid.Bool().Draw(rt, "manual"), ScaleDownDelay: time.Minute}}}
		default:
			a := errorRate("batch")
			ro = strategy.Rollout{ID: "r", Strategy: strategy.Strategy{Rolling: &strategy.Rolling{Replicas: rapid.IntRange(1, 9).Draw(rt, "replicas"),
				BatchSize: rapid.IntRange(1, 4).Draw(rt, "batch"), Analysis: &a, Pause: time.Minute}}}
		}
		rate := rapid.SampledFrom([]float64{0.001, 0.03, 0.2}).Draw(rt, "rate")
		crashes := rapid.SliceOfN(rapid.IntRange(-6, 12).Filter(func(c int) bool { return c != 0 }), 0, 6).Draw(rt, "crashes")

		want, _ := drive(t, ro, rate, nil)
		got, _ := drive(t, ro, rate, crashes)
		assert.Equal(rt, want.phase, got.phase, "phase")
		assert.Equal(rt, want.weight, got.weight, "weight")
		assert.Equal(rt, want.applied, got.applied, "traffic moves")
		assert.Equal(rt, want.rollbacks, got.rollbacks, "rollbacks")
		assert.Equal(rt, want.completed, got.completed, "steps completed, once each")
		assert.Equal(rt, want.measured, got.measured, "measurements")
		require.Equal(rt, fmt.Sprint(want), fmt.Sprint(got))
	})
}
