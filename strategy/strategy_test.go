package strategy_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/strategy"
)

func TestValidate(t *testing.T) {
	broken := analysis.Analysis{Name: "broken", Metrics: []analysis.Metric{{Name: "m", Provider: "p", Query: "q", Success: []string{"~1"}}}}
	tests := []struct {
		why      string
		s        strategy.Strategy
		problems []string
	}{
		{"nothing set", strategy.Strategy{}, []string{"strategy: sets none"}},
		{"two set", strategy.Strategy{Canary: &strategy.Canary{}, Rolling: &strategy.Rolling{}}, []string{"strategy: sets 2"}},
		{"empty canary", strategy.Strategy{Canary: &strategy.Canary{}}, []string{"canary.steps: is empty"}},
		{"bad canary steps", strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
			strategy.SetWeight(120), strategy.Pause(-time.Second), {Kind: strategy.StepBatch}, {Kind: strategy.StepAnalysis}, strategy.Analyze(broken),
		}}}, []string{
			"canary.steps[0].weight: is 120", "canary.steps[1].duration: is -1s", `canary.steps[2].kind: is "batch"`,
			"canary.steps[3].analysis: is nil", `canary.steps[4].analysis.metrics[0] ("m").successCondition[0]: criterion "~1"`,
		}},
		{"bad blue-green", strategy.Strategy{BlueGreen: &strategy.BlueGreen{PrePromotion: &broken, ScaleDownDelay: -time.Minute}}, []string{
			"blueGreen.prePromotionAnalysis.metrics[0]", "blueGreen.scaleDownDelay: is -1m0s",
		}},
		{"bad rolling", strategy.Strategy{Rolling: &strategy.Rolling{Pause: -1}}, []string{
			"rolling.replicas: is 0", "rolling.batchSize: is 0", "rolling.pause: is -1ns",
		}},
	}
	for _, tt := range tests {
		err := tt.s.Validate()
		require.ErrorIs(t, err, strategy.ErrInvalidStrategy, tt.why)
		for _, p := range tt.problems {
			assert.Contains(t, err.Error(), p, tt.why)
		}
		assert.Len(t, strings.Split(err.Error(), "\n"), len(tt.problems), "%s: every problem once:\n%v", tt.why, err)
	}
}

func TestSteps(t *testing.T) {
	a := errorRate("check")
	steps, err := strategy.Strategy{Rolling: &strategy.Rolling{Replicas: 5, BatchSize: 2, Analysis: &a, Pause: time.Minute}}.Steps()
	require.NoError(t, err)
	var got []string
	for _, s := range steps {
		got = append(got, s.Describe())
	}
	assert.Equal(t, []string{
		"batch: 2 of 5 instances on the new version", "analysis check (error-rate)", "pause 1m0s",
		"batch: 4 of 5 instances on the new version", "analysis check (error-rate)", "pause 1m0s",
		"batch: 5 of 5 instances on the new version", "analysis check (error-rate)",
	}, got)

	steps, err = strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{strategy.SetWeight(100), strategy.Analyze(a)}}}.Steps()
	require.NoError(t, err)
	assert.Len(t, steps, 2, "a canary that already ends at 100% gets no extra step")
}

func TestStrategyJSON(t *testing.T) {
	pre := errorRate("preview")
	for _, s := range []strategy.Strategy{
		canary().Strategy,
		{BlueGreen: &strategy.BlueGreen{PrePromotion: &pre, ManualPromotion: true, ScaleDownDelay: 10 * time.Minute}},
		{Rolling: &strategy.Rolling{Replicas: 6, BatchSize: 2, Pause: 90 * time.Second, Analysis: &pre}},
	} {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		var back strategy.Strategy
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		assert.Equal(t, s, back, string(b))
	}
	b, _ := json.Marshal(canary().Strategy)
	assert.Contains(t, string(b), `{"kind":"pause","duration":"10m0s"}`)
	assert.Contains(t, string(b), `"interval":"1m0s"`)
}
