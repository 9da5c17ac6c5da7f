package analysis_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/analysis"
)

func oneMetric(m analysis.Metric) analysis.Analysis {
	if m.Name == "" {
		m.Name = "m"
	}
	if m.Provider == "" {
		m.Provider = "p"
	}
	if m.Query == "" {
		m.Query = "q"
	}
	return analysis.Analysis{Name: "a", Metrics: []analysis.Metric{m}}
}

func TestJudgement(t *testing.T) {
	tests := []struct {
		why                       string
		success, warning, failure []string
		value                     any
		baseline                  any
		want                      analysis.Phase
		reasonHas                 string
	}{
		{"success holds", []string{"<=0.01"}, nil, nil, 0.005, nil, analysis.PhaseSuccessful, "meets <=0.01"},
		{"success alone misses: failed", []string{"<=0.01"}, nil, nil, 0.02, nil, analysis.PhaseFailed, "misses <=0.01"},
		{"warning band", []string{"<=0.01"}, []string{"<=0.05"}, nil, 0.03, nil, analysis.PhaseWarning, "warning level <=0.05"},
		{"below the warning band: failed", []string{"<=0.01"}, []string{"<=0.05"}, nil, 0.06, nil, analysis.PhaseFailed, "misses"},
		{"failure holds", nil, nil, []string{">=0.05"}, 0.06, nil, analysis.PhaseFailed, "failure condition >=0.05"},
		{"failure alone misses: successful", nil, nil, []string{">=0.05"}, 0.01, nil, analysis.PhaseSuccessful, "does not meet"},
		{"both, neither holds: inconclusive", []string{"<=0.01"}, nil, []string{">=0.05"}, 0.03, nil, analysis.PhaseInconclusive, "misses <=0.01 and the failure condition"},
		{"both hold: failure wins", []string{"<=1"}, nil, []string{">=0.5"}, 0.7, nil, analysis.PhaseFailed, "failure"},
		{"warning between success and failure", []string{"<=0.01"}, []string{"<=0.04"}, []string{">=0.05"}, 0.03, nil, analysis.PhaseWarning, "warning"},
		{"no condition", nil, nil, nil, 42.0, nil, analysis.PhaseSuccessful, "every value passes"},
		{"relative within 10% of baseline", []string{"<=+10%"}, nil, nil, 105.0, 100.0, analysis.PhaseSuccessful, "baseline 100"},
		{"relative beyond 10% of baseline", []string{"<=+10%"}, nil, nil, 111.0, 100.0, analysis.PhaseFailed, "(<=110)"},
		{"+Inf is a value: it fails an upper bound", []string{"<=0.5"}, nil, nil, math.Inf(1), nil, analysis.PhaseFailed, "+Inf"},
		{"NaN is an error", []string{"<=0.5"}, nil, nil, nan, nil, analysis.PhaseError, "NaN"},
		{"no data is an error", []string{"<=0.5"}, nil, nil, noData, nil, analysis.PhaseError, "no data"},
		{"several series is an error", []string{"<=0.5"}, nil, nil, several, nil, analysis.PhaseError, "2 series"},
		{"provider down is an error", []string{"<=0.5"}, nil, nil, down, nil, analysis.PhaseError, "unavailable"},
		{"baseline missing is an error", []string{"<=+10%"}, nil, nil, 1.0, noData, analysis.PhaseError, "baseline"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			answers := map[string][]any{"q": {tt.value}}
			m := analysis.Metric{Success: tt.success, Warning: tt.warning, Failure: tt.failure, FailureLimit: 5}
			if tt.baseline != nil {
				answers["b"] = []any{tt.baseline}
				m.Baseline = "b"
			}
			r := mustRunner(t, map[string]analysis.Provider{"p": newScript(answers)})
			res, err := r.Run(context.Background(), oneMetric(m))
			require.NoError(t, err)
			got := res.Metrics[0].Measurements[0]
			assert.Equal(t, tt.want, got.Phase, got.Reason)
			assert.Contains(t, got.Reason, tt.reasonHas)
		})
	}
}

func TestLimits(t *testing.T) {
	ok, bad, inc := 0.001, 0.5, 0.03
	tests := []struct {
		why       string
		metric    analysis.Metric
		values    []any
		want      analysis.Phase
		taken     int
		reasonHas string
	}{
		{"one failure, none tolerated: fails at once", analysis.Metric{Count: 5}, []any{ok, bad, ok}, analysis.PhaseFailed, 2, "more than the 0 tolerated"},
		{"failures within the limit pass", analysis.Metric{Count: 5, FailureLimit: 2}, []any{bad, ok, bad, ok, ok}, analysis.PhaseSuccessful, 5, "3 of 5 measurements succeeded (tolerated: 2 failed"},
		{"failures past the limit fail", analysis.Metric{Count: 5, FailureLimit: 1}, []any{bad, ok, bad, ok}, analysis.PhaseFailed, 3, "2 of 3 measurements failed"},
		{"errors in a row past the default limit", analysis.Metric{Count: 10}, []any{ok, down, down, down, down, down, ok}, analysis.PhaseError, 6, "5 measurements in a row"},
		{"errors broken by a success are tolerated", analysis.Metric{Count: 6, ConsecutiveErrorLimit: 1}, []any{down, ok, down, ok, down, ok}, analysis.PhaseSuccessful, 6, "3 of 6"},
		{"a tighter error limit", analysis.Metric{Count: 6, ConsecutiveErrorLimit: 1}, []any{ok, down, down}, analysis.PhaseError, 3, "2 measurements in a row"},
		{"inconclusive past the limit waits for a person", analysis.Metric{Count: 5, Failure: []string{">=0.1"}, InconclusiveLimit: 1}, []any{ok, inc, inc}, analysis.PhaseInconclusive, 3, "a person must decide"},
		{"nothing succeeded: inconclusive, not successful", analysis.Metric{Count: 3}, []any{down}, analysis.PhaseInconclusive, 3, "none of the 3 measurements succeeded"},
		{"warnings pass and are reported", analysis.Metric{Count: 3, Warning: []string{"<=0.05"}}, []any{ok, inc, ok}, analysis.PhaseSuccessful, 3, "1 of them at the warning level"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := tt.metric
				m.Interval = time.Minute
				if m.Success == nil {
					m.Success = []string{"<=0.01"}
				}
				r := mustRunner(t, map[string]analysis.Provider{"p": newScript(map[string][]any{"q": tt.values})})
				res, err := r.Run(context.Background(), oneMetric(m))
				require.NoError(t, err)
				assert.Equal(t, tt.want, res.Phase, res.Reason)
				assert.Len(t, res.Metrics[0].Measurements, tt.taken, "%v", phases(res.Metrics[0].Measurements))
				assert.Contains(t, res.Reason, tt.reasonHas)
			})
		})
	}
}

// The measurements are an interval apart by the clock, and the run takes
// (count-1) intervals of (fake) time.
func TestSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newScript(map[string][]any{"q": {0.0}})
		r := mustRunner(t, map[string]analysis.Provider{"p": p})
		start := time.Now()
		res, err := r.Run(context.Background(), oneMetric(analysis.Metric{Count: 5, Interval: time.Minute, InitialDelay: 30 * time.Second, Success: []string{"<1"}}))
		require.NoError(t, err)
		require.Equal(t, analysis.PhaseSuccessful, res.Phase)
		ms := res.Metrics[0].Measurements
		require.Len(t, ms, 5)
		for i, m := range ms {
			assert.Equal(t, i, m.Index)
			assert.Equal(t, start.Add(30*time.Second+time.Duration(i)*time.Minute), m.At, "measurement %d", i)
		}
		assert.Equal(t, 30*time.Second+4*time.Minute, time.Since(start))
		assert.Equal(t, 5, p.count("q"))
	})
}

// A failing metric ends the run: the other metric stops measuring.
func TestFailureStopsOtherMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newScript(map[string][]any{"errors": {0.0, 0.0, 0.9}, "latency": {100.0}})
		r := mustRunner(t, map[string]analysis.Provider{"p": p})
		a := analysis.Analysis{Name: "canary", Metrics: []analysis.Metric{
			{Name: "errors", Provider: "p", Query: "errors", Count: 10, Interval: time.Minute, Success: []string{"<=0.01"}},
			{Name: "latency", Provider: "p", Query: "latency", Count: 100, Interval: 10 * time.Second, Success: []string{"<=300"}},
		}}
		start := time.Now()
		res, err := r.Run(context.Background(), a)
		require.NoError(t, err)
		assert.Equal(t, analysis.PhaseFailed, res.Phase)
		assert.Contains(t, res.Reason, `metric "errors"`)
		assert.Equal(t, analysis.PhaseRunning, res.Metrics[1].Phase)
		assert.Equal(t, 2*time.Minute, time.Since(start), "the run ends at the failing measurement")
		assert.LessOrEqual(t, p.count("latency"), 13)
	})
}

func TestCancelledRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := mustRunner(t, map[string]analysis.Provider{"p": newScript(map[string][]any{"q": {0.0}})})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
		defer cancel()
		res, err := r.Run(ctx, oneMetric(analysis.Metric{Count: 10, Interval: time.Minute, Success: []string{"<1"}}))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, analysis.PhaseRunning, res.Phase)
		assert.Len(t, res.Metrics[0].Measurements, 3)
	})
}

func TestQueryTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := analysis.ProviderFunc(func(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Hour):
				return analysis.Vector{{Value: 0}}, nil
			}
		})
		r := mustRunner(t, map[string]analysis.Provider{"p": slow}, analysis.WithQueryTimeout(5*time.Second))
		res, err := r.Run(context.Background(), oneMetric(analysis.Metric{Count: 2, Interval: time.Minute, Success: []string{"<1"}}))
		require.NoError(t, err)
		assert.Equal(t, analysis.PhaseInconclusive, res.Phase)
		assert.Contains(t, res.Metrics[0].Measurements[0].Reason, "deadline exceeded")
	})
}

func TestRunRefusesBadInput(t *testing.T) {
	r := mustRunner(t, map[string]analysis.Provider{"prom": newScript(nil)})
	_, err := r.Run(context.Background(), oneMetric(analysis.Metric{Provider: "datadog"}))
	require.ErrorIs(t, err, analysis.ErrInvalidAnalysis)
	assert.Contains(t, err.Error(), `"datadog" is not a provider of this runner: use one of prom`)

	_, err = analysis.NewRunner(map[string]analysis.Provider{"p": nil}, analysis.WithMaxConcurrentQueries(-1), analysis.WithClock(nil))
	require.ErrorIs(t, err, analysis.ErrInvalidOption)
	assert.Contains(t, err.Error(), `provider "p" is nil`)
	assert.Contains(t, err.Error(), "WithMaxConcurrentQueries(-1)")
	assert.Contains(t, err.Error(), "WithClock(nil)")
}

func TestRecorderErrorStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &memRecorder{failAt: 3}
		r := mustRunner(t, map[string]analysis.Provider{"p": newScript(map[string][]any{"q": {0.0}})})
		res, err := r.Run(context.Background(), oneMetric(analysis.Metric{Count: 5, Interval: time.Minute, Success: []string{"<1"}}), analysis.RecordTo(rec))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "recording measurement 2")
		assert.Len(t, res.Metrics[0].Measurements, 2, "a measurement that was not recorded does not count")
		assert.Len(t, rec.all(), 2)
		assert.False(t, errors.Is(err, analysis.ErrInvalidAnalysis))
	})
}

func TestValidate(t *testing.T) {
	a := analysis.Analysis{Metrics: []analysis.Metric{
		{Name: "x", Provider: "p", Query: "q", Count: 3},
		{Name: "x", Count: -1, Interval: -time.Second, InitialDelay: -time.Second, FailureLimit: -1, InconclusiveLimit: -1, ConsecutiveErrorLimit: -1},
		{Name: "", Provider: "p", Query: "q", Success: []string{"<=+10%", "~3"}, Warning: []string{"<=x"}},
		{Name: "w", Provider: "p", Query: "q", Warning: []string{"<=1"}},
	}}
	err := a.Validate()
	require.ErrorIs(t, err, analysis.ErrInvalidAnalysis)
	var fe *analysis.FieldError
	require.ErrorAs(t, err, &fe)
	for _, want := range []string{
		"name: is empty",
		`metrics[0] ("x").interval: is not set but count is 3`,
		`metrics[1] ("x").name: is used by an earlier metric`,
		`metrics[1] ("x").provider: is empty`,
		`metrics[1] ("x").query: is empty`,
		`metrics[1] ("x").count: is -1`,
		`metrics[1] ("x").interval: is -1s`,
		`metrics[1] ("x").initialDelay: is -1s`,
		`metrics[1] ("x").failureLimit: is -1`,
		`metrics[1] ("x").inconclusiveLimit: is -1`,
		`metrics[1] ("x").consecutiveErrorLimit: is -1`,
		`metrics[2] ("").name: is empty`,
		`metrics[2] ("").successCondition[1]: criterion "~3"`,
		`metrics[2] ("").warningCondition[0]: criterion "<=x"`,
		`metrics[2] ("").baseline: is empty but a condition is relative`,
		`metrics[3] ("w").warningCondition: is set without a successCondition`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, 16, strings.Count(err.Error(), "\n")+1, err.Error())
	require.ErrorIs(t, analysis.Analysis{Name: "x"}.Validate(), analysis.ErrInvalidAnalysis)
}
