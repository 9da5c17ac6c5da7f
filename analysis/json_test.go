package analysis_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/analysis"
)

func TestAnalysisJSON(t *testing.T) {
	a := analysis.Analysis{Name: "canary", Metrics: []analysis.Metric{{
		Name: "error-rate", Provider: "prometheus", Query: `sum(rate(errors[1m]))`, Baseline: `sum(rate(errors_stable[1m]))`,
		Count: 5, Interval: 90 * time.Second, InitialDelay: time.Minute,
		Success: []string{"<=+10%"}, Warning: []string{"<=+25%"}, Failure: []string{">=+50%"},
		FailureLimit: 1, InconclusiveLimit: 2, ConsecutiveErrorLimit: 3,
	}}}
	b, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"canary","metrics":[{"name":"error-rate","provider":"prometheus","query":"sum(rate(errors[1m]))",
		"baseline":"sum(rate(errors_stable[1m]))","count":5,"interval":"1m30s","initialDelay":"1m0s",
		"successCondition":["<=+10%"],"warningCondition":["<=+25%"],"failureCondition":[">=+50%"],
		"failureLimit":1,"inconclusiveLimit":2,"consecutiveErrorLimit":3}]}`, string(b))
	var back analysis.Analysis
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, a, back)

	// Hand-written files may give nanoseconds, as encoding/json writes a bare Duration.
	require.NoError(t, json.Unmarshal([]byte(`{"name":"x","metrics":[{"name":"m","interval":60000000000}]}`), &back))
	assert.Equal(t, time.Minute, back.Metrics[0].Interval)
	err = json.Unmarshal([]byte(`{"name":"x","metrics":[{"name":"m","interval":"soon"}]}`), &back)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `duration "soon"`)
}

func TestMeasurementJSONKeepsNonFiniteValues(t *testing.T) {
	base := 2.5
	for _, v := range []float64{0.25, math.NaN(), math.Inf(1), math.Inf(-1)} {
		m := analysis.Measurement{Run: "r", Analysis: "a", Metric: "m", Index: 3, At: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC),
			Provider: "p", Query: "q", Value: v, Baseline: &base, Phase: analysis.PhaseFailed, Reason: "why"}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		var back analysis.Measurement
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(back.Value))
			back.Value, m.Value = 0, 0
		}
		assert.Equal(t, m, back, string(b))
	}
	var back analysis.Measurement
	require.Error(t, json.Unmarshal([]byte(`{"value":"lots"}`), &back))
}
