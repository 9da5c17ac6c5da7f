package risk

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/change"
)

// Factor scores one aspect of a release's risk.
//
// Evaluate must be deterministic and monotone: making any fact worse must
// never lower the returned severity. It must not modify the facts. A model
// scales the severity by the factor's weight (see [Model]).
type Factor interface {
	// Name identifies the factor in [Model.Weights] and in contributions.
	Name() string
	// Evaluate returns the factor's finding for the facts.
	Evaluate(Facts) Finding
}

// Finding is what one [Factor] concludes.
type Finding struct {
	// Severity is in [0, 1]: 0 adds nothing, 1 adds the factor's full weight.
	Severity float64 `json:"severity"`
	// Reason says what in the facts caused the severity.
	Reason string `json:"reason"`
	// Mitigation says what would lower it; empty when the severity is 0.
	Mitigation string `json:"mitigation,omitempty"`
}

// FactorName names a built-in factor.
type FactorName string

// The names of the built-in factors.
const (
	FactorSize         FactorName = "size"                  // [ChangeSize]
	FactorComponents   FactorName = "components"            // [Spread]
	FactorBlastRadius  FactorName = "blast-radius"          // [BlastRadius]
	FactorHistory      FactorName = "history"               // [FailureHistory]
	FactorClass        FactorName = "class"                 // [ChangeClass]
	FactorTiming       FactorName = "timing"                // [Timing]
	FactorIrreversible FactorName = "irreversible-steps"    // [Irreversibility]
	FactorNovelty      FactorName = "first-time-components" // [Novelty]
	FactorTests        FactorName = "test-evidence"         // [TestGap]
)

// FactorNames lists the names of every built-in factor, in [DefaultModel]
// order.
func FactorNames() []FactorName {
	return []FactorName{FactorSize, FactorComponents, FactorBlastRadius, FactorHistory, FactorClass,
		FactorTiming, FactorIrreversible, FactorNovelty, FactorTests}
}

// saturate maps a count onto [0, 1] logarithmically, reaching 1 at atMax.
func saturate(x, atMax float64) float64 {
	if !(x > 0) {
		return 0
	}
	if atMax <= 0 {
		return 1
	}
	return min(1, math.Log1p(x)/math.Log1p(atMax))
}

func clamp01(x float64) float64 {
	if math.IsNaN(x) {
		return 1
	}
	return min(1, max(0, x))
}

// ChangeSize scores the size of the diff: lines and files changed, each
// saturating logarithmically (lines weigh 60%, files 40%).
type ChangeSize struct {
	// LinesAtMax is the line count that scores fully; 0 means 2000.
	LinesAtMax int
	// FilesAtMax is the file count that scores fully; 0 means 100.
	FilesAtMax int
}

// Name implements [Factor].
func (ChangeSize) Name() string { return string(FactorSize) }

// Evaluate implements [Factor].
func (c ChangeSize) Evaluate(f Facts) Finding {
	lm, fm := orInt(c.LinesAtMax, 2000), orInt(c.FilesAtMax, 100)
	lines, files := max(f.LinesChanged, 0), max(f.FilesChanged, 0)
	sev := 0.6*saturate(float64(lines), float64(lm)) + 0.4*saturate(float64(files), float64(fm))
	r := fmt.Sprintf("%d lines in %d files changed", lines, files)
	if sev == 0 {
		return Finding{Reason: "no lines or files changed"}
	}
	return Finding{Severity: clamp01(sev), Reason: r, Mitigation: "split the release into smaller changes"}
}

// Spread scores how many components change together.
type Spread struct {
	// ComponentsAtMax is the count that scores fully; 0 means 8.
	ComponentsAtMax int
}

// Name implements [Factor].
func (Spread) Name() string { return string(FactorComponents) }

// Evaluate implements [Factor].
func (s Spread) Evaluate(f Facts) Finding {
	n := len(f.Components)
	// One component is the normal case and adds nothing.
	sev := saturate(float64(max(n-1, 0)), float64(orInt(s.ComponentsAtMax, 8)-1))
	if sev == 0 {
		return Finding{Reason: plural(n, "component", "components") + " changed"}
	}
	return Finding{Severity: sev, Reason: fmt.Sprintf("%d components change together: %s", n, list(f.Components, 5)),
		Mitigation: "release the components separately, each in its own release"}
}

// BlastRadius scores how many components depend on the changed ones.
type BlastRadius struct {
	// DependentsAtMax is the count that scores fully; 0 means 30.
	DependentsAtMax int
}

// Name implements [Factor].
func (BlastRadius) Name() string { return string(FactorBlastRadius) }

// Evaluate implements [Factor].
func (b BlastRadius) Evaluate(f Facts) Finding {
	n := max(f.Dependents, 0)
	sev := saturate(float64(n), float64(orInt(b.DependentsAtMax, 30)))
	if sev == 0 {
		return Finding{Reason: "nothing depends on the changed components"}
	}
	r := plural(n, "component depends", "components depend") + " on the change"
	if len(f.DependentNames) > 0 {
		r += ": " + list(f.DependentNames, 5)
	}
	return Finding{Severity: sev, Reason: r, Mitigation: "roll out behind a feature flag or to a canary first, and keep the interface backward compatible"}
}

// FailureHistory scores the worst past failure rate among the changed
// components that have a history.
type FailureHistory struct {
	// RateAtMax is the failure rate that scores fully; 0 means 0.3.
	RateAtMax float64
}

// Name implements [Factor].
func (FailureHistory) Name() string { return string(FactorHistory) }

// Evaluate implements [Factor].
func (h FailureHistory) Evaluate(f Facts) Finding {
	atMax := h.RateAtMax
	if !(atMax > 0) {
		atMax = 0.3
	}
	worst, worstName, worstO := 0.0, "", Outcomes{}
	for _, c := range sortedUnique(f.Components) {
		o, ok := f.History[c]
		if !ok {
			continue
		}
		d := max(o.Deployments, 0)
		fl := min(max(o.Failures, 0), d)
		if d == 0 {
			continue
		}
		rate := float64(fl) / float64(d)
		if rate > worst {
			worst, worstName, worstO = rate, c, Outcomes{d, fl}
		}
	}
	if worst == 0 {
		return Finding{Reason: "no recorded failures for the changed components"}
	}
	return Finding{Severity: clamp01(worst / atMax),
		Reason:     fmt.Sprintf("%s failed %d of its last %d deployments (%.0f%%)", worstName, worstO.Failures, worstO.Deployments, 100*worst),
		Mitigation: "review " + worstName + "'s recent failures and fix their causes before releasing it again"}
}

// ChangeClass scores the change class: standard 0, normal 0.3, emergency 1
// (an unknown class counts as emergency, "" as normal).
type ChangeClass struct{}

// Name implements [Factor].
func (ChangeClass) Name() string { return string(FactorClass) }

// Evaluate implements [Factor].
func (ChangeClass) Evaluate(f Facts) Finding {
	switch f.Class {
	case change.Standard:
		return Finding{Reason: "a pre-approved standard change"}
	case change.Normal, "":
		return Finding{Severity: 0.3, Reason: "a normal change", Mitigation: "make the change a pre-approved standard change if it is routine"}
	case change.Emergency:
		return Finding{Severity: 1, Reason: "an emergency change with an abbreviated process", Mitigation: "follow the normal change process unless the incident demands otherwise"}
	}
	return Finding{Severity: 1, Reason: fmt.Sprintf("unknown change class %q, scored as emergency", f.Class), Mitigation: "set the class to standard, normal or emergency"}
}

// Timing scores when the release happens: in a freeze (full severity), outside
// a window (0.5), outside business hours (0.3), and ending within FreezeMargin
// of the next freeze (up to 0.4, growing as the margin shrinks); the parts add
// up and saturate at 1.
type Timing struct {
	// FreezeMargin is how close to a freeze starts to count; 0 means 48h.
	FreezeMargin time.Duration
}

// Name implements [Factor].
func (Timing) Name() string { return string(FactorTiming) }

// Evaluate implements [Factor].
func (t Timing) Evaluate(f Facts) Finding {
	margin := t.FreezeMargin
	if margin <= 0 {
		margin = 48 * time.Hour
	}
	s := f.Schedule
	var sev float64
	var why, fix []string
	if s.InFreeze {
		sev += 1
		why = append(why, "it falls in a freeze")
		fix = append(fix, "schedule it after the freeze")
	}
	if s.OutsideWindow {
		sev += 0.5
		why = append(why, "it is outside a release window")
		fix = append(fix, "book a slot in a release window")
	}
	if s.OutsideBusinessHours {
		sev += 0.3
		why = append(why, "it is outside business hours")
		fix = append(fix, "release during business hours when the team is around")
	}
	if s.FreezeIn > 0 && s.FreezeIn < margin {
		sev += 0.4 * (1 - float64(s.FreezeIn)/float64(margin))
		why = append(why, fmt.Sprintf("it ends %v before a freeze", s.FreezeIn))
		fix = append(fix, "release earlier to leave time to fix forward before the freeze")
	}
	if sev == 0 {
		return Finding{Reason: "inside a release window, in business hours, clear of freezes"}
	}
	return Finding{Severity: clamp01(sev), Reason: strings.Join(why, "; "), Mitigation: strings.Join(fix, "; ")}
}

// Irreversibility scores steps that cannot be undone: one step is 0.7, each
// further step adds 0.3.
type Irreversibility struct{}

// Name implements [Factor].
func (Irreversibility) Name() string { return string(FactorIrreversible) }

// Evaluate implements [Factor].
func (Irreversibility) Evaluate(f Facts) Finding {
	n := len(f.IrreversibleSteps)
	if n == 0 {
		return Finding{Reason: "every step can be rolled back"}
	}
	return Finding{Severity: clamp01(0.4 + 0.3*float64(n)),
		Reason:     plural(n, "irreversible step", "irreversible steps") + ": " + list(f.IrreversibleSteps, 5),
		Mitigation: "add a down-migration or split the step into reversible expand and contract phases"}
}

// Novelty scores components deployed for the first time: one is 0.5, each
// further one adds 0.25.
type Novelty struct{}

// Name implements [Factor].
func (Novelty) Name() string { return string(FactorNovelty) }

// Evaluate implements [Factor].
func (Novelty) Evaluate(f Facts) Finding {
	n := len(f.FirstTimeComponents)
	if n == 0 {
		return Finding{Reason: "every component has been deployed before"}
	}
	return Finding{Severity: clamp01(0.25 + 0.25*float64(n)),
		Reason:     plural(n, "component", "components") + " deployed for the first time: " + list(f.FirstTimeComponents, 5),
		Mitigation: "deploy new components dark first and route traffic gradually"}
}

// TestGap scores missing test evidence: failing or absent tests score fully;
// passing tests score 0.8 × the coverage shortfall below CoverageTarget.
type TestGap struct {
	// CoverageTarget is the coverage in percent that scores 0; 0 means 80.
	CoverageTarget float64
}

// Name implements [Factor].
func (TestGap) Name() string { return string(FactorTests) }

// Evaluate implements [Factor].
func (t TestGap) Evaluate(f Facts) Finding {
	target := t.CoverageTarget
	if !(target > 0) {
		target = 80
	}
	if !f.Tests.Passed {
		return Finding{Severity: 1, Reason: "no passing test run is recorded", Mitigation: "run the test suite and record a passing run"}
	}
	cov := f.Tests.Coverage
	if math.IsNaN(cov) {
		cov = 0
	}
	cov = min(max(cov, 0), 100)
	gap := clamp01((target - cov) / target)
	if gap == 0 {
		return Finding{Reason: fmt.Sprintf("tests pass with %.0f%% coverage", cov)}
	}
	return Finding{Severity: 0.8 * gap, Reason: fmt.Sprintf("tests pass but cover only %.0f%% (target %.0f%%)", cov, target),
		Mitigation: "add tests for the changed code"}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func list(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
