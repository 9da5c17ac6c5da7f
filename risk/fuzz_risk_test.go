package risk_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/risk"
)

// FuzzModelAssess fuzzes a risk model's weights and thresholds and the facts it
// scores (decoded from JSON, as a host would store them): Validate never panics and
// reports only *ModelError values (ErrInvalidModel); Assess never panics; its score
// is a finite number in [0, 100] whose level the thresholds give; an invalid model
// fails safe (score 100, critical, the error kept); a valid one yields one
// contribution per factor, each with a reason, whose points add up to the score.
// Run with:
//
//	go test -run '^$' -fuzz '^FuzzModelAssess$' -fuzztime 90s ./risk
func FuzzModelAssess(f *testing.F) {
	facts, err := json.Marshal(risk.Facts{Components: []string{"api", "db"}, LinesChanged: 800, FilesChanged: 30, Dependents: 7,
		History: map[string]risk.Outcomes{"api": {Deployments: 10, Failures: 3}}, Class: change.Emergency,
		IrreversibleSteps: []string{"drop column"}, FirstTimeComponents: []string{"db"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(15.0, 10.0, 15.0, 15.0, 10.0, 10.0, 10.0, 5.0, 10.0, 25.0, 50.0, 75.0, facts)
	f.Add(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 100.0, []byte(`{}`))
	f.Add(0.0, -1.0, math.NaN(), math.Inf(1), 1.0, 1.0, 1.0, 1.0, 1.0, 50.0, 50.0, 101.0, []byte(`{"lines_changed":-5,"history":{"x":{"deployments":1,"failures":9}}}`))
	f.Fuzz(func(t *testing.T, w0, w1, w2, w3, w4, w5, w6, w7, w8, medium, high, critical float64, factsJSON []byte) {
		var facts risk.Facts
		if json.Unmarshal(factsJSON, &facts) != nil {
			return
		}
		m := risk.DefaultModel()
		for i, w := range []float64{w0, w1, w2, w3, w4, w5, w6, w7, w8} {
			m.Weights[m.Factors[i].Name()] = w
		}
		m.Thresholds = risk.Thresholds{Medium: medium, High: high, Critical: critical}
		verr := m.Validate()
		if verr != nil {
			var me *risk.ModelError
			if !errors.Is(verr, risk.ErrInvalidModel) || !errors.As(verr, &me) {
				t.Fatalf("Validate() = %v, want *ModelError values (ErrInvalidModel)", verr)
			}
		}
		a := m.Assess(facts)
		if math.IsNaN(a.Score) || a.Score < 0 || a.Score > 100 {
			t.Fatalf("score %v is not in [0, 100] (weights %v, thresholds %+v)", a.Score, m.Weights, m.Thresholds)
		}
		if verr != nil {
			if a.Score != 100 || a.Level != risk.Critical || a.Err == nil {
				t.Fatalf("an invalid model did not fail safe: %+v", a)
			}
			return
		}
		if a.Err != nil || a.Level != m.Thresholds.Level(a.Score) {
			t.Fatalf("level %s for score %v, thresholds give %s (err %v)", a.Level, a.Score, m.Thresholds.Level(a.Score), a.Err)
		}
		if len(a.Contributions) != len(m.Factors) {
			t.Fatalf("%d contributions for %d factors", len(a.Contributions), len(m.Factors))
		}
		sum := 0.0
		for _, c := range a.Contributions {
			if c.Reason == "" || math.IsNaN(c.Points) || math.IsInf(c.Points, 0) || c.Points < 0 {
				t.Fatalf("contribution %+v has no reason or bad points", c)
			}
			sum += c.Points
		}
		if math.Abs(sum-a.Score) > 1e-6*math.Max(1, a.Score) && !(a.Score == 100 && sum > 100) {
			t.Fatalf("points add up to %v, score is %v", sum, a.Score)
		}
	})
}

// FuzzPolicyJSON decodes a risk policy (levels to required gates) from arbitrary
// JSON: Validate never panics and reports only *PolicyError values
// (ErrInvalidPolicy); for a policy it accepts, For gives a requirement for every
// level, each asking at least as much as the level below, and refuses an unknown
// level. Run with:
//
//	go test -run '^$' -fuzz '^FuzzPolicyJSON$' -fuzztime 90s ./risk
func FuzzPolicyJSON(f *testing.F) {
	b, err := json.Marshal(risk.DefaultPolicy())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"requirements":{"low":{"approvals":[{"Role":"x","Min":0}],"gates":["", "a", "a"]},"extreme":{}}}`))
	f.Add([]byte(`{"requirements":{"low":{"warnings_block":true},"medium":{},"high":{},"critical":{}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p risk.Policy
		if json.Unmarshal(b, &p) != nil {
			return
		}
		if err := p.Validate(); err != nil {
			var pe *risk.PolicyError
			if !errors.Is(err, risk.ErrInvalidPolicy) || !errors.As(err, &pe) {
				t.Fatalf("Validate() = %v, want *PolicyError values (ErrInvalidPolicy)", err)
			}
			return
		}
		prev := -1
		for _, l := range risk.Levels() {
			r, err := p.For(l)
			if err != nil {
				t.Fatalf("a valid policy has no requirement for %s: %v", l, err)
			}
			n := 0
			for _, q := range r.Approvals {
				n += q.Min
			}
			if n < prev {
				t.Fatalf("level %s needs %d approvals, fewer than the level below (%d)", l, n, prev)
			}
			prev = n
		}
		if _, err := p.For("extreme"); err == nil {
			t.Fatalf("For accepted an unknown level")
		}
	})
}
