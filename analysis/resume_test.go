package analysis_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/analysis"
)

// byTime answers with values[i] during the i-th interval after start, so a
// measurement taken again at the same instant gets the same answer.
func byTime(start time.Time, interval time.Duration, values []any) analysis.Provider {
	return analysis.ProviderFunc(func(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
		i := int(time.Since(start) / interval)
		s := newScript(map[string][]any{q.Expr: {values[min(i, len(values)-1)]}})
		return s.Query(ctx, q)
	})
}

// A run that crashes at any measurement and is resumed from what was recorded,
// as many times as it takes, ends exactly as the run that never crashed: same
// phase, same measurements (values, phases, instants), each recorded once; and
// replaying the records with Evaluate gives that result too.
func TestResumeMatchesAnUninterruptedRun(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		count := rapid.IntRange(1, 12).Draw(rt, "count")
		values := rapid.SliceOfN(rapid.SampledFrom([]any{0.001, 0.03, 0.5, noData, down}), count, count).Draw(rt, "values")
		a := oneMetric(analysis.Metric{
			Count: count, Interval: time.Minute, Success: []string{"<=0.01"},
			Warning:               rapid.SampledFrom([][]string{nil, {"<=0.05"}}).Draw(rt, "warning"),
			Failure:               rapid.SampledFrom([][]string{nil, {">=0.1"}}).Draw(rt, "failure"),
			FailureLimit:          rapid.IntRange(0, 3).Draw(rt, "failureLimit"),
			InconclusiveLimit:     rapid.IntRange(0, 3).Draw(rt, "inconclusiveLimit"),
			ConsecutiveErrorLimit: rapid.IntRange(0, 3).Draw(rt, "errorLimit"),
		})
		crashes := rapid.SliceOfN(rapid.IntRange(1, count), 0, 4).Draw(rt, "crashes")

		// Each run in a bubble of its own, so that its time is fake.
		run := func(crashes []int) (res analysis.Result, rec *memRecorder, err error) {
			rec = &memRecorder{}
			synctest.Test(t, func(t *testing.T) { res, err = runWithCrashes(a, values, crashes, rec) })
			return res, rec, err
		}
		want, _, err := run(nil)
		require.NoError(rt, err)
		got, rec, err := run(crashes)
		require.NoError(rt, err)
		if got.Phase != want.Phase || got.Reason != want.Reason {
			rt.Fatalf("resumed run ended %s (%s), uninterrupted %s (%s)", got.Phase, got.Reason, want.Phase, want.Reason)
		}
		wm, gm := want.Metrics[0].Measurements, got.Metrics[0].Measurements
		require.Equal(rt, len(wm), len(gm))
		for i := range wm { // instants relative to each run's start
			wm[i].At, gm[i].At = time.Time{}.Add(wm[i].At.Sub(wm[0].At)), time.Time{}.Add(gm[i].At.Sub(gm[0].At))
		}
		assert.Equal(rt, wm, gm)
		recorded := rec.all()
		assert.Len(rt, recorded, len(gm), "every measurement recorded once")
		replay, err := analysis.Evaluate(a, recorded)
		require.NoError(rt, err)
		assert.Equal(rt, got.Phase, replay.Phase)
		assert.Equal(rt, got.Reason, replay.Reason)
	})
}

// runWithCrashes runs a, the recorder failing at the call each crash names (one
// crash per attempt), and resumes from the records until the run ends.
func runWithCrashes(a analysis.Analysis, values []any, crashes []int, rec *memRecorder) (analysis.Result, error) {
	start := time.Now()
	r, err := analysis.NewRunner(map[string]analysis.Provider{"p": byTime(start, time.Minute, values)})
	if err != nil {
		return analysis.Result{}, err
	}
	for i := 0; ; i++ {
		rec.failAt, rec.calls = 0, 0
		if i < len(crashes) {
			rec.failAt = crashes[i]
		}
		res, err := r.Run(context.Background(), a, analysis.RunID("rel-1/verify"), analysis.RecordTo(rec), analysis.Resume(rec.all()))
		if err == nil || i > len(crashes) {
			return res, err
		}
	}
}

func TestResumeWaitsForTheNextDueMeasurement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := oneMetric(analysis.Metric{Count: 4, Interval: 10 * time.Minute, Success: []string{"<1"}})
		p := newScript(map[string][]any{"q": {0.0}})
		r := mustRunner(t, map[string]analysis.Provider{"p": p})
		rec := &memRecorder{failAt: 3}
		_, err := r.Run(context.Background(), a, analysis.RecordTo(rec))
		require.Error(t, err)
		require.Len(t, rec.all(), 2)
		crash := rec.all()[1].At.Add(10 * time.Minute) // the third measurement, lost
		time.Sleep(3 * time.Minute)                    // the host restarts 3 minutes after the crash
		rec.failAt = 0
		res, err := r.Run(context.Background(), a, analysis.RecordTo(rec), analysis.Resume(rec.all()))
		require.NoError(t, err)
		assert.Equal(t, analysis.PhaseSuccessful, res.Phase)
		ms := rec.all()
		require.Len(t, ms, 4)
		assert.Equal(t, crash.Add(3*time.Minute), ms[2].At, "an overdue measurement is taken at once")
		assert.Equal(t, crash.Add(13*time.Minute), ms[3].At, "and the next one an interval later")
		assert.Equal(t, 5, p.count("q"), "2 recorded + 1 lost with the crash + 2 after the restart")
	})
}

func TestResumeOfAnEndedRunMeasuresNothing(t *testing.T) {
	a := oneMetric(analysis.Metric{Count: 3, Interval: time.Minute, Success: []string{"<1"}})
	p := newScript(map[string][]any{"q": {5.0}})
	r := mustRunner(t, map[string]analysis.Provider{"p": p})
	done := []analysis.Measurement{{Analysis: "a", Metric: "m", Index: 0, Value: 5, Phase: analysis.PhaseFailed, Reason: "x"}}
	res, err := r.Run(context.Background(), a, analysis.Resume(done))
	require.NoError(t, err)
	assert.Equal(t, analysis.PhaseFailed, res.Phase)
	assert.Equal(t, 0, p.count("q"))
}

func TestEvaluateRefusesMeasurementsThatDoNotFit(t *testing.T) {
	a := oneMetric(analysis.Metric{Count: 3, Interval: time.Minute, Success: []string{"<=0.01"}})
	ok := func(i int) analysis.Measurement {
		return analysis.Measurement{Run: "r", Analysis: "a", Metric: "m", Index: i, Value: 0.001, Phase: analysis.PhaseSuccessful}
	}
	tampered := ok(1)
	tampered.Value = 0.5 // recorded Successful, but 0.5 misses <=0.01
	nanOK := ok(1)
	nanOK.Value = nan
	other := ok(1)
	other.Run = "s"
	tests := []struct {
		why     string
		ms      []analysis.Measurement
		problem string
	}{
		{"a gap", []analysis.Measurement{ok(0), ok(2)}, "measurement 1 is missing before it"},
		{"an unknown metric", []analysis.Measurement{{Run: "r", Metric: "x", Phase: analysis.PhaseSuccessful}}, "no such metric"},
		{"another run", []analysis.Measurement{ok(0), other}, `belongs to run "s", not "r"`},
		{"a value altered after it was judged", []analysis.Measurement{ok(0), tampered}, "recorded Successful, but its value judged under the analysis' conditions is Failed"},
		{"NaN judged", []analysis.Measurement{ok(0), nanOK}, "a NaN is an Error"},
		{"beyond the count", []analysis.Measurement{ok(0), ok(1), ok(2), ok(3)}, "had already ended Successful after 3"},
		{"an unknown phase", []analysis.Measurement{{Run: "r", Metric: "m", Phase: "Great"}}, `phase "Great"`},
	}
	for _, tt := range tests {
		_, err := analysis.Evaluate(a, tt.ms)
		require.ErrorIs(t, err, analysis.ErrInvalidMeasurements, tt.why)
		var me *analysis.MeasurementError
		require.ErrorAs(t, err, &me, tt.why)
		assert.Contains(t, err.Error(), tt.problem, tt.why)
	}
	// Recorded twice (an at-least-once store): counted once.
	res, err := analysis.Evaluate(a, []analysis.Measurement{ok(0), ok(1), ok(1), ok(0)})
	require.NoError(t, err)
	assert.Len(t, res.Metrics[0].Measurements, 2)
	assert.Equal(t, analysis.PhaseRunning, res.Phase)
	assert.Equal(t, "1 of 1 metrics still measuring", res.Reason)

	// A result survives JSON.
	b, err := json.Marshal(res)
	require.NoError(t, err)
	var back analysis.Result
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, res, back)
}
