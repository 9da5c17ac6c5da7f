package risk

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Thresholds are the scores at which each level starts: a score below Medium
// is [Low], below High is [Medium], below Critical is [High], and from
// Critical up is [Critical]. They must satisfy 0 < Medium < High < Critical ≤ 100.
type Thresholds struct {
	// Medium is the lowest score of the medium level.
	Medium float64 `json:"medium"`
	// High is the lowest score of the high level.
	High float64 `json:"high"`
	// Critical is the lowest score of the critical level.
	Critical float64 `json:"critical"`
}

// DefaultThresholds are 25, 50 and 75.
func DefaultThresholds() Thresholds { return Thresholds{Medium: 25, High: 50, Critical: 75} }

// Level maps a score onto a [Level].
func (t Thresholds) Level(score float64) Level {
	switch {
	case score >= t.Critical:
		return Critical
	case score >= t.High:
		return High
	case score >= t.Medium:
		return Medium
	}
	return Low
}

// Model turns [Facts] into an [Assessment]: each factor's severity (0–1) is
// multiplied by its weight, and the score is 100 × Σ(weight × severity) /
// Σ weight, so it lies in [0, 100] and each contribution's Points add up to
// it. Because every factor is monotone and the weights are positive, the
// score is monotone in the facts.
type Model struct {
	// Factors are evaluated in this order; names must be unique.
	Factors []Factor
	// Weights maps each factor's name to its positive weight.
	Weights map[string]float64
	// Thresholds map the score to a level.
	Thresholds Thresholds
}

// DefaultModel returns the built-in factors with weights that add up to 100
// (so a factor's weight is the most it can add to the score) and
// [DefaultThresholds]:
//
//	size 15, components 10, blast-radius 15, history 15, class 10,
//	timing 10, irreversible-steps 10, first-time-components 5, test-evidence 10
func DefaultModel() Model {
	return Model{
		Factors: []Factor{ChangeSize{}, Spread{}, BlastRadius{}, FailureHistory{}, ChangeClass{},
			Timing{}, Irreversibility{}, Novelty{}, TestGap{}},
		Weights: map[string]float64{
			string(FactorSize): 15, string(FactorComponents): 10, string(FactorBlastRadius): 15,
			string(FactorHistory): 15, string(FactorClass): 10, string(FactorTiming): 10,
			string(FactorIrreversible): 10, string(FactorNovelty): 5, string(FactorTests): 10,
		},
		Thresholds: DefaultThresholds(),
	}
}

// ModelError names one problem with a [Model].
type ModelError struct {
	// Field is the offending part, e.g. "Weights[size]".
	Field string
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *ModelError) Error() string { return fmt.Sprintf("risk model: %s: %s", e.Field, e.Problem) }

// Unwrap returns [ErrInvalidModel].
func (e *ModelError) Unwrap() error { return ErrInvalidModel }

// Validate reports every problem at once: no factors, nil factors, empty or
// duplicate names, missing, non-positive or non-finite weights, weights too large
// to add up, weights for unknown factors, and thresholds out of order.
func (m Model) Validate() error {
	var errs []error
	add := func(field, problem string) { errs = append(errs, &ModelError{Field: field, Problem: problem}) }
	if len(m.Factors) == 0 {
		add("Factors", "is empty: add at least one factor (see DefaultModel)")
	}
	names := map[string]bool{}
	for i, f := range m.Factors {
		if f == nil {
			add(fmt.Sprintf("Factors[%d]", i), "is nil")
			continue
		}
		n := f.Name()
		switch {
		case n == "":
			add(fmt.Sprintf("Factors[%d]", i), "has an empty name")
			continue
		case names[n]:
			add(fmt.Sprintf("Factors[%d]", i), fmt.Sprintf("repeats the name %q: give each factor a unique name", n))
			continue
		}
		names[n] = true
		w, ok := m.Weights[n]
		switch {
		case !ok:
			add("Weights["+n+"]", "is missing: give every factor a positive weight")
		case math.IsNaN(w) || math.IsInf(w, 0) || w <= 0:
			add("Weights["+n+"]", fmt.Sprintf("is %v: use a positive finite weight, or remove the factor", w))
		}
	}
	var total float64
	for _, n := range sortedKeys(m.Weights) {
		if w := m.Weights[n]; names[n] && w > 0 && !math.IsInf(w, 0) {
			total += w
		}
	}
	if math.IsInf(100*total, 0) {
		add("Weights", fmt.Sprintf("add up to %v, too large to score with: scale them down (the score only depends on their ratios)", total))
	}
	for _, n := range sortedKeys(m.Weights) {
		if !names[n] {
			add("Weights["+n+"]", "names no factor of the model: remove it or add the factor")
		}
	}
	t := m.Thresholds
	if !(t.Medium > 0 && t.Medium < t.High && t.High < t.Critical && t.Critical <= 100) {
		add("Thresholds", fmt.Sprintf("are medium %v, high %v, critical %v: they must satisfy 0 < medium < high < critical <= 100", t.Medium, t.High, t.Critical))
	}
	return errors.Join(errs...)
}

// Contribution is one factor's share of an [Assessment].
type Contribution struct {
	// Factor is the factor's name.
	Factor string `json:"factor"`
	// Points is what the factor adds to the score, in score units:
	// 100 × weight × severity / Σ weights. The Points of all contributions
	// add up to the score.
	Points float64 `json:"points"`
	// Severity is the factor's severity, 0–1.
	Severity float64 `json:"severity"`
	// Weight is the factor's weight in the model.
	Weight float64 `json:"weight"`
	// Reason says what caused the points; never empty.
	Reason string `json:"reason"`
	// Mitigation says what would lower them; empty when Points is 0.
	Mitigation string `json:"mitigation,omitempty"`
}

// Assessment is the explained risk of a release.
type Assessment struct {
	// Score is the risk score, 0–100.
	Score float64 `json:"score"`
	// Level is the score's level under the model's thresholds.
	Level Level `json:"level"`
	// Contributions holds one entry per factor, the largest Points first
	// (ties by factor name).
	Contributions []Contribution `json:"contributions"`
	// Err is the model's validation error. An invalid model fails safe: the
	// assessment is Score 100, [Critical], with one contribution saying why.
	Err error `json:"-"`
}

// Summary renders the assessment in one line per contribution with points,
// for logs and notifications.
func (a Assessment) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "risk %s (%.1f/100)", a.Level, a.Score)
	for _, c := range a.Contributions {
		if c.Points == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n  %5.1f %s: %s", c.Points, c.Factor, c.Reason)
		if c.Mitigation != "" {
			fmt.Fprintf(&b, " -> %s", c.Mitigation)
		}
	}
	return b.String()
}

// Assess scores the facts. It is deterministic and monotone (worse facts never
// lower the score). Invalid facts are clamped (see [Facts.Validate]); an
// invalid model gives a fail-safe [Critical] assessment with Err set.
func (m Model) Assess(f Facts) Assessment {
	if err := m.Validate(); err != nil {
		return Assessment{Score: 100, Level: Critical, Err: err, Contributions: []Contribution{{
			Factor: "model", Points: 100, Severity: 1, Weight: 1,
			Reason:     "the risk model is invalid, so the release is treated as critical: " + err.Error(),
			Mitigation: "fix the risk model (see Model.Validate)",
		}}}
	}
	var total float64
	for _, fac := range m.Factors {
		total += m.Weights[fac.Name()]
	}
	cs := make([]Contribution, 0, len(m.Factors))
	var score float64
	for _, fac := range m.Factors {
		name := fac.Name()
		w := m.Weights[name]
		fd := fac.Evaluate(f)
		sev := clamp01(fd.Severity)
		reason := fd.Reason
		if sev != fd.Severity {
			reason = strings.TrimSpace(reason + fmt.Sprintf(" (severity %v clamped to %v)", fd.Severity, sev))
		}
		if strings.TrimSpace(reason) == "" {
			reason = fmt.Sprintf("factor %s gave no reason (severity %v)", name, sev)
		}
		pts := 100 * (w * sev) / total
		score += pts
		mit := fd.Mitigation
		if pts == 0 {
			mit = ""
		}
		cs = append(cs, Contribution{Factor: name, Points: pts, Severity: sev, Weight: w, Reason: reason, Mitigation: mit})
	}
	score = min(100, max(0, score))
	slices.SortStableFunc(cs, func(a, b Contribution) int {
		switch {
		case a.Points > b.Points:
			return -1
		case a.Points < b.Points:
			return 1
		}
		return strings.Compare(a.Factor, b.Factor)
	})
	return Assessment{Score: score, Level: m.Thresholds.Level(score), Contributions: cs}
}

// Assess scores the facts with [DefaultModel].
func Assess(f Facts) Assessment { return DefaultModel().Assess(f) }
