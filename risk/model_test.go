package risk_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/risk"
)

var componentPool = []string{"api", "web", "db", "auth", "billing", "search"}

func factsGen() *rapid.Generator[risk.Facts] {
	return rapid.Custom(func(t *rapid.T) risk.Facts {
		f := risk.Facts{
			Components:   rapid.SliceOfDistinct(rapid.SampledFrom(componentPool), rapid.ID).Draw(t, "components"),
			LinesChanged: rapid.IntRange(0, 20000).Draw(t, "lines"),
			FilesChanged: rapid.IntRange(0, 500).Draw(t, "files"),
			Dependents:   rapid.IntRange(0, 100).Draw(t, "dependents"),
			Class:        rapid.SampledFrom([]change.Class{"", change.Standard, change.Normal, change.Emergency}).Draw(t, "class"),
			Schedule: risk.Schedule{
				OutsideWindow:        rapid.Bool().Draw(t, "outsideWindow"),
				InFreeze:             rapid.Bool().Draw(t, "inFreeze"),
				OutsideBusinessHours: rapid.Bool().Draw(t, "obh"),
				FreezeIn:             time.Duration(rapid.IntRange(0, 96).Draw(t, "freezeInHours")) * time.Hour,
			},
			IrreversibleSteps:   rapid.SliceOfN(rapid.StringMatching(`[a-z]{3,8}`), 0, 4).Draw(t, "irreversible"),
			FirstTimeComponents: rapid.SliceOfN(rapid.SampledFrom(componentPool), 0, 3).Draw(t, "firstTime"),
			Tests: risk.TestEvidence{
				Passed:   rapid.Bool().Draw(t, "passed"),
				Coverage: rapid.Float64Range(0, 100).Draw(t, "coverage"),
			},
		}
		f.History = map[string]risk.Outcomes{}
		for _, c := range rapid.SliceOfDistinct(rapid.SampledFrom(componentPool), rapid.ID).Draw(t, "withHistory") {
			d := rapid.IntRange(0, 50).Draw(t, "deployments")
			f.History[c] = risk.Outcomes{Deployments: d, Failures: rapid.IntRange(0, d).Draw(t, "failures")}
		}
		return f
	})
}

// worsen makes some facts worse and none better.
func worsen(t *rapid.T, f risk.Facts) risk.Facts {
	w := f
	w.Components = append(slices.Clone(f.Components), rapid.SliceOfN(rapid.SampledFrom(componentPool), 0, 3).Draw(t, "moreComponents")...)
	w.LinesChanged += rapid.IntRange(0, 5000).Draw(t, "moreLines")
	w.FilesChanged += rapid.IntRange(0, 100).Draw(t, "moreFiles")
	w.Dependents += rapid.IntRange(0, 50).Draw(t, "moreDependents")
	w.History = map[string]risk.Outcomes{}
	for c, o := range f.History {
		switch rapid.IntRange(0, 2).Draw(t, "historyChange") {
		case 1: // more of the same deployments failed
			o.Failures += rapid.IntRange(0, o.Deployments-o.Failures).Draw(t, "moreFailures")
		case 2: // new failed deployments
			x := rapid.IntRange(0, 10).Draw(t, "newFailed")
			o.Deployments += x
			o.Failures += x
		}
		w.History[c] = o
	}
	classRank := map[change.Class]int{change.Standard: 0, "": 1, change.Normal: 1, change.Emergency: 2}
	if c := rapid.SampledFrom([]change.Class{change.Standard, change.Normal, change.Emergency}).Draw(t, "worseClass"); classRank[c] > classRank[f.Class] {
		w.Class = c
	}
	w.Schedule.OutsideWindow = f.Schedule.OutsideWindow || rapid.Bool().Draw(t, "leaveWindow")
	w.Schedule.InFreeze = f.Schedule.InFreeze || rapid.Bool().Draw(t, "enterFreeze")
	w.Schedule.OutsideBusinessHours = f.Schedule.OutsideBusinessHours || rapid.Bool().Draw(t, "leaveHours")
	if rapid.Bool().Draw(t, "nearerFreeze") {
		if f.Schedule.FreezeIn <= 0 {
			w.Schedule.FreezeIn = time.Duration(rapid.IntRange(1, 96).Draw(t, "newFreezeIn")) * time.Hour
		} else {
			w.Schedule.FreezeIn = time.Duration(rapid.Int64Range(1, int64(f.Schedule.FreezeIn)).Draw(t, "closerFreezeIn"))
		}
	}
	w.IrreversibleSteps = append(slices.Clone(f.IrreversibleSteps), rapid.SliceOfN(rapid.StringMatching(`[a-z]{3,8}`), 0, 2).Draw(t, "moreIrreversible")...)
	w.FirstTimeComponents = append(slices.Clone(f.FirstTimeComponents), rapid.SliceOfN(rapid.SampledFrom(componentPool), 0, 2).Draw(t, "moreNew")...)
	w.Tests.Passed = f.Tests.Passed && rapid.Bool().Draw(t, "stillPassing")
	w.Tests.Coverage = f.Tests.Coverage - rapid.Float64Range(0, f.Tests.Coverage).Draw(t, "lessCoverage")
	return w
}

func TestPropertyWorseFactsNeverLowerTheScore(t *testing.T) {
	m := risk.DefaultModel()
	rapid.Check(t, func(t *rapid.T) {
		f := factsGen().Draw(t, "facts")
		w := worsen(t, f)
		a, b := m.Assess(f), m.Assess(w)
		if b.Score < a.Score {
			t.Fatalf("worse facts lowered the score from %v to %v\nbefore: %s\nafter: %s", a.Score, b.Score, a.Summary(), b.Summary())
		}
		if b.Level.Rank() < a.Level.Rank() {
			t.Fatalf("worse facts lowered the level from %s to %s", a.Level, b.Level)
		}
		before := map[string]float64{}
		for _, c := range a.Contributions {
			before[c.Factor] = c.Points
		}
		for _, c := range b.Contributions {
			if c.Points < before[c.Factor] {
				t.Fatalf("factor %s went down from %v to %v: %s", c.Factor, before[c.Factor], c.Points, c.Reason)
			}
		}
	})
}

func TestPropertyAssessmentIsBoundedDeterministicAndExplained(t *testing.T) {
	m := risk.DefaultModel()
	rapid.Check(t, func(t *rapid.T) {
		f := factsGen().Draw(t, "facts")
		a := m.Assess(f)
		require.NoError(t, a.Err)
		if a.Score < 0 || a.Score > 100 || math.IsNaN(a.Score) {
			t.Fatalf("score %v out of [0, 100]", a.Score)
		}
		if a.Level != m.Thresholds.Level(a.Score) {
			t.Fatalf("level %s does not match score %v", a.Level, a.Score)
		}
		again := m.Assess(f)
		if again.Score != a.Score || !slices.Equal(again.Contributions, a.Contributions) {
			t.Fatalf("Assess is not deterministic")
		}
		if len(a.Contributions) != len(m.Factors) {
			t.Fatalf("%d contributions for %d factors", len(a.Contributions), len(m.Factors))
		}
		var sum float64
		for i, c := range a.Contributions {
			sum += c.Points
			if c.Reason == "" {
				t.Fatalf("contribution %s has no reason", c.Factor)
			}
			if c.Points > 0 && c.Mitigation == "" {
				t.Fatalf("contribution %s adds %v points without a mitigation", c.Factor, c.Points)
			}
			if c.Points < 0 || c.Points > 100*c.Weight/100+1e-9 {
				t.Fatalf("contribution %s has %v points for weight %v", c.Factor, c.Points, c.Weight)
			}
			if i > 0 {
				p := a.Contributions[i-1]
				if p.Points < c.Points || (p.Points == c.Points && p.Factor > c.Factor) {
					t.Fatalf("contributions not sorted by points then name: %s(%v) before %s(%v)", p.Factor, p.Points, c.Factor, c.Points)
				}
			}
		}
		if math.Abs(sum-a.Score) > 1e-9 {
			t.Fatalf("points add up to %v, score is %v", sum, a.Score)
		}
	})
}

func TestAssessExtremes(t *testing.T) {
	calm := risk.Facts{Components: []string{"api"}, Class: change.Standard, Tests: risk.TestEvidence{Passed: true, Coverage: 90}}
	a := risk.Assess(calm)
	assert.Equal(t, 0.0, a.Score, a.Summary())
	assert.Equal(t, risk.Low, a.Level)
	for _, c := range a.Contributions {
		assert.NotEmpty(t, c.Reason)
		assert.Empty(t, c.Mitigation, "nothing to mitigate for %s", c.Factor)
	}

	storm := risk.Facts{
		Components: append(slices.Clone(componentPool), "x", "y", "z"), LinesChanged: 1e6, FilesChanged: 1e4, Dependents: 1000,
		History: map[string]risk.Outcomes{"api": {Deployments: 10, Failures: 9}}, Class: change.Emergency,
		Schedule:          risk.Schedule{InFreeze: true, OutsideWindow: true, OutsideBusinessHours: true, FreezeIn: time.Minute},
		IrreversibleSteps: []string{"drop table", "rewrite keys"}, FirstTimeComponents: []string{"a", "b", "c"},
	}
	a = risk.Assess(storm)
	assert.Equal(t, 100.0, math.Round(a.Score*1e9)/1e9, a.Summary())
	assert.Equal(t, risk.Critical, a.Level)
}

func TestFactorReasons(t *testing.T) {
	tests := []struct {
		name       string
		facts      risk.Facts
		factor     risk.FactorName
		reason     string
		mitigation string
	}{
		{"size", risk.Facts{LinesChanged: 3000, FilesChanged: 10}, risk.FactorSize, "3000 lines in 10 files", "split the release"},
		{"components", risk.Facts{Components: []string{"a", "b", "c"}}, risk.FactorComponents, "3 components change together: a, b, c", "separately"},
		{"blast", risk.Facts{Dependents: 4, DependentNames: []string{"w", "x", "y", "z"}}, risk.FactorBlastRadius, "4 components depend on the change: w, x, y, z", "canary"},
		{"history", risk.Facts{Components: []string{"api"}, History: map[string]risk.Outcomes{"api": {Deployments: 10, Failures: 2}}}, risk.FactorHistory, "api failed 2 of its last 10 deployments (20%)", "review api"},
		{"emergency", risk.Facts{Class: change.Emergency}, risk.FactorClass, "emergency change", "normal change process"},
		{"unknown class", risk.Facts{Class: "yolo"}, risk.FactorClass, `unknown change class "yolo"`, "set the class"},
		{"freeze", risk.Facts{Schedule: risk.Schedule{InFreeze: true, FreezeIn: 12 * time.Hour}}, risk.FactorTiming, "it falls in a freeze; it ends 12h0m0s before a freeze", "after the freeze"},
		{"irreversible", risk.Facts{IrreversibleSteps: []string{"drop column x"}}, risk.FactorIrreversible, "1 irreversible step: drop column x", "down-migration"},
		{"novelty", risk.Facts{FirstTimeComponents: []string{"new-svc"}}, risk.FactorNovelty, "new-svc", "dark"},
		{"no tests", risk.Facts{}, risk.FactorTests, "no passing test run", "run the test suite"},
		{"low coverage", risk.Facts{Tests: risk.TestEvidence{Passed: true, Coverage: 40}}, risk.FactorTests, "cover only 40% (target 80%)", "add tests"},
		{"many names", risk.Facts{Components: []string{"a", "b", "c", "d", "e", "f", "g"}}, risk.FactorComponents, "a, b, c, d, e and 2 more", "separately"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := risk.Assess(tt.facts)
			i := slices.IndexFunc(a.Contributions, func(c risk.Contribution) bool { return c.Factor == string(tt.factor) })
			require.GreaterOrEqual(t, i, 0)
			c := a.Contributions[i]
			assert.Greater(t, c.Points, 0.0)
			assert.Contains(t, c.Reason, tt.reason)
			assert.Contains(t, c.Mitigation, tt.mitigation)
		})
	}
}

type badFactor struct {
	name string
	sev  float64
}

func (b badFactor) Name() string                     { return b.name }
func (b badFactor) Evaluate(risk.Facts) risk.Finding { return risk.Finding{Severity: b.sev} }

func TestCustomFactorsAreClampedAndExplained(t *testing.T) {
	m := risk.Model{
		Factors:    []risk.Factor{badFactor{"over", 7}, badFactor{"nan", math.NaN()}, badFactor{"under", -1}},
		Weights:    map[string]float64{"over": 1, "nan": 1, "under": 2},
		Thresholds: risk.DefaultThresholds(),
	}
	a := m.Assess(risk.Facts{})
	require.NoError(t, a.Err)
	assert.InDelta(t, 50.0, a.Score, 1e-9, "over and nan clamp to 1, under clamps to 0")
	for _, c := range a.Contributions {
		assert.NotEmpty(t, c.Reason, c.Factor)
	}
	assert.Contains(t, a.Contributions[0].Reason, "clamped")
}

func TestModelValidate(t *testing.T) {
	require.NoError(t, risk.DefaultModel().Validate())
	bad := risk.Model{
		Factors:    []risk.Factor{risk.ChangeSize{}, risk.ChangeSize{}, nil, badFactor{"", 0}, risk.Novelty{}, risk.Spread{}},
		Weights:    map[string]float64{"size": 1, "first-time-components": -2, "ghost": 1},
		Thresholds: risk.Thresholds{Medium: 50, High: 40, Critical: 90},
	}
	err := bad.Validate()
	require.ErrorIs(t, err, risk.ErrInvalidModel)
	for _, want := range []string{"Factors[1]: repeats the name", "Factors[2]: is nil", "Factors[3]: has an empty name",
		"Weights[first-time-components]: is -2", "Weights[components]: is missing", "Weights[ghost]: names no factor", "Thresholds"} {
		assert.Contains(t, err.Error(), want, "every problem is reported at once")
	}
	a := bad.Assess(risk.Facts{})
	assert.Equal(t, risk.Critical, a.Level, "an invalid model fails safe")
	assert.Equal(t, 100.0, a.Score)
	assert.ErrorIs(t, a.Err, risk.ErrInvalidModel)
	require.Len(t, a.Contributions, 1)
	assert.Contains(t, a.Contributions[0].Reason, "invalid")

	assert.Error(t, risk.Model{Thresholds: risk.DefaultThresholds()}.Validate(), "no factors")
}

func TestLevels(t *testing.T) {
	for i, l := range risk.Levels() {
		got, err := risk.ParseLevel(" " + string(l) + " ")
		require.NoError(t, err)
		assert.Equal(t, l, got)
		assert.Equal(t, i, l.Rank())
	}
	got, err := risk.ParseLevel("HIGH")
	require.NoError(t, err)
	assert.Equal(t, risk.High, got)
	_, err = risk.ParseLevel("severe")
	assert.ErrorIs(t, err, risk.ErrInvalidLevel)
	var le *risk.LevelError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "severe", le.Input)
	assert.Contains(t, err.Error(), "low, medium, high, critical")
	assert.Equal(t, -1, risk.Level("x").Rank())
	th := risk.DefaultThresholds()
	for _, tt := range []struct {
		score float64
		want  risk.Level
	}{{0, risk.Low}, {24.99, risk.Low}, {25, risk.Medium}, {50, risk.High}, {74.9, risk.High}, {75, risk.Critical}, {100, risk.Critical}} {
		assert.Equal(t, tt.want, th.Level(tt.score), "score %v", tt.score)
	}
	assert.Len(t, change.Classes(), 3)
	assert.Len(t, risk.FactorNames(), len(risk.DefaultModel().Factors))
}

func TestFactsValidate(t *testing.T) {
	require.NoError(t, risk.Facts{}.Validate())
	err := risk.Facts{LinesChanged: -1, FilesChanged: -1, Dependents: -3, Class: "yolo",
		History: map[string]risk.Outcomes{"a": {Deployments: 1, Failures: 2}, "b": {Deployments: -1}},
		Tests:   risk.TestEvidence{Coverage: 120}}.Validate()
	require.ErrorIs(t, err, risk.ErrInvalidFacts)
	for _, want := range []string{"LinesChanged", "FilesChanged", "Dependents", "Class", "History[a]", "History[b]", "Tests.Coverage"} {
		assert.Contains(t, err.Error(), want)
	}
	// Invalid facts are clamped, never a panic or an out-of-range score.
	a := risk.Assess(risk.Facts{LinesChanged: -5, History: map[string]risk.Outcomes{"a": {Deployments: 1, Failures: 9}}, Components: []string{"a"}, Tests: risk.TestEvidence{Passed: true, Coverage: math.NaN()}})
	assert.GreaterOrEqual(t, a.Score, 0.0)
	assert.LessOrEqual(t, a.Score, 100.0)
}

func ExampleAssessment_Summary() {
	a := risk.Assess(risk.Facts{
		Components: []string{"db"}, IrreversibleSteps: []string{"drop column users.legacy"},
		Class: change.Standard, Tests: risk.TestEvidence{Passed: true, Coverage: 85},
	})
	fmt.Println(a.Summary())
	// Output:
	// risk low (7.0/100)
	//     7.0 irreversible-steps: 1 irreversible step: drop column users.legacy -> add a down-migration or split the step into reversible expand and contract phases
}
