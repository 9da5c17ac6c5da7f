package risk

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/releasekit/releasekit/change"
)

// Facts are what is known about a release when its risk is assessed. Every
// field is oriented so that its zero value is the least risky except where
// noted (missing test evidence counts as risk), and [Model.Assess] is monotone:
// making any fact worse never lowers the score.
type Facts struct {
	// Components are the names of the components the release changes.
	Components []string `json:"components,omitempty"`
	// LinesChanged is the size of the diff in lines (added + removed).
	LinesChanged int `json:"lines_changed,omitempty"`
	// FilesChanged is the number of files changed.
	FilesChanged int `json:"files_changed,omitempty"`
	// Dependents is the blast radius: how many components depend, directly
	// or transitively, on the changed ones (depgraph's Dependents).
	Dependents int `json:"dependents,omitempty"`
	// DependentNames optionally names them, for reasons.
	DependentNames []string `json:"dependent_names,omitempty"`
	// History maps a component to its past deployment outcomes.
	History map[string]Outcomes `json:"history,omitempty"`
	// Class is the change class; "" counts as [change.Normal].
	Class change.Class `json:"class,omitempty"`
	// Schedule places the release relative to windows, freezes and
	// business hours.
	Schedule Schedule `json:"schedule"`
	// IrreversibleSteps names the steps that cannot be undone, e.g. a
	// database migration without a down-migration.
	IrreversibleSteps []string `json:"irreversible_steps,omitempty"`
	// FirstTimeComponents names the components never deployed before.
	FirstTimeComponents []string `json:"first_time_components,omitempty"`
	// Tests is the test evidence. Its zero value means "no evidence", which
	// is scored as risk.
	Tests TestEvidence `json:"tests"`
}

// Outcomes counts a component's past deployments and how many failed.
type Outcomes struct {
	// Deployments is how many deployments were made.
	Deployments int `json:"deployments"`
	// Failures is how many of them failed; at most Deployments.
	Failures int `json:"failures"`
}

// Schedule places the release in time. Each flag is true for the riskier case.
type Schedule struct {
	// OutsideWindow is true when the release is not inside a release window.
	OutsideWindow bool `json:"outside_window,omitempty"`
	// InFreeze is true when the release falls in a freeze (with an override).
	InFreeze bool `json:"in_freeze,omitempty"`
	// OutsideBusinessHours is true when fewer people are around to help.
	OutsideBusinessHours bool `json:"outside_business_hours,omitempty"`
	// FreezeIn is the time from the planned end of the release to the start
	// of the next freeze; a release that ends just before a freeze leaves no
	// room to fix forward. 0 or negative means no freeze is coming.
	FreezeIn time.Duration `json:"freeze_in,omitempty"`
}

// TestEvidence summarises the release's test results.
type TestEvidence struct {
	// Passed is true when the test suite ran and passed.
	Passed bool `json:"passed,omitempty"`
	// Coverage is the line coverage in percent, 0–100.
	Coverage float64 `json:"coverage,omitempty"`
}

// FactError names one invalid field of [Facts].
type FactError struct {
	// Field is the offending field, e.g. "History[api].Failures".
	Field string
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *FactError) Error() string { return fmt.Sprintf("risk facts: %s: %s", e.Field, e.Problem) }

// Unwrap returns [ErrInvalidFacts].
func (e *FactError) Unwrap() error { return ErrInvalidFacts }

// Validate reports every invalid fact at once. [Model.Assess] does not
// require valid facts: it clamps negative counts to 0, failures to the number
// of deployments and coverage to 0–100, and scores an unknown class as
// [change.Emergency].
func (f Facts) Validate() error {
	var errs []error
	add := func(field, problem string) { errs = append(errs, &FactError{Field: field, Problem: problem}) }
	if f.LinesChanged < 0 {
		add("LinesChanged", fmt.Sprintf("is %d: use a count of at least 0", f.LinesChanged))
	}
	if f.FilesChanged < 0 {
		add("FilesChanged", fmt.Sprintf("is %d: use a count of at least 0", f.FilesChanged))
	}
	if f.Dependents < 0 {
		add("Dependents", fmt.Sprintf("is %d: use a count of at least 0", f.Dependents))
	}
	for _, name := range sortedKeys(f.History) {
		o := f.History[name]
		if o.Deployments < 0 || o.Failures < 0 {
			add("History["+name+"]", "has a negative count")
		} else if o.Failures > o.Deployments {
			add("History["+name+"]", fmt.Sprintf("has %d failures out of %d deployments: failures cannot exceed deployments", o.Failures, o.Deployments))
		}
	}
	if f.Class != "" && !f.Class.Valid() {
		add("Class", fmt.Sprintf("is %q: use standard, normal or emergency", f.Class))
	}
	if math.IsNaN(f.Tests.Coverage) || f.Tests.Coverage < 0 || f.Tests.Coverage > 100 {
		add("Tests.Coverage", fmt.Sprintf("is %v: use a percentage between 0 and 100", f.Tests.Coverage))
	}
	return errors.Join(errs...)
}
