package rollback

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrInvalidDeployment: a [Deployment] is malformed; the [*ValidationError] lists
	// every problem.
	ErrInvalidDeployment = errors.New("rollback: invalid deployment record")
	// ErrInvalidOptions: [Options] or [RunOptions] are malformed.
	ErrInvalidOptions = errors.New("rollback: invalid options")
	// ErrInvalidRunbook: a [Runbook] is malformed (built by hand or decoded from
	// JSON); [Runbook.Validate] lists every problem.
	ErrInvalidRunbook = errors.New("rollback: invalid runbook")
	// ErrInvalidReport: the [Report] a run resumes from does not belong to the runbook.
	ErrInvalidReport = errors.New("rollback: report does not match the runbook")
	// ErrUnknownComponent: a component is missing where [Plan] needs it; see
	// [*UnknownComponentError].
	ErrUnknownComponent = errors.New("rollback: unknown component")
	// ErrIrreversible: the plan would have to undo steps that cannot be undone; see
	// [*IrreversibleError].
	ErrIrreversible = errors.New("rollback: irreversible steps")
	// ErrDoesNotFit: the runbook takes longer than the window it was checked against;
	// see [*WindowError].
	ErrDoesNotFit = errors.New("rollback: runbook does not fit in the window")
	// ErrStepFailed: a run stopped because steps failed; see [*StepFailedError].
	ErrStepFailed = errors.New("rollback: step failed")
)

// ValidationError lists every problem found in one input. Kind is the sentinel it
// unwraps to ([ErrInvalidDeployment], [ErrInvalidOptions], [ErrInvalidRunbook] or
// [ErrInvalidReport]).
type ValidationError struct {
	Kind     error
	Problems []string
}

// Error lists every problem, separated by semicolons.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("%v: %s", e.Kind, strings.Join(e.Problems, "; "))
}

// Unwrap returns the sentinel Kind.
func (e *ValidationError) Unwrap() error { return e.Kind }

func validation(kind error, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Kind: kind, Problems: problems}
}

// UnknownComponentError names components that [Plan] cannot place. In says where they
// are missing: "dependency graph" (the record names components the graph lacks: add
// them with AddNode) or "deployment record" ([Options].Failed names components that
// did not start deploying).
type UnknownComponentError struct {
	Components []string
	In         string
}

// Error names the components and says how to fix the input.
func (e *UnknownComponentError) Error() string {
	hint := "add them to the graph with AddNode"
	if e.In == inRecord {
		hint = "list only components that started deploying in Options.Failed"
	}
	return fmt.Sprintf("rollback: %d component(s) not in the %s: %s; %s",
		len(e.Components), e.In, strings.Join(e.Components, ", "), hint)
}

// Unwrap returns [ErrUnknownComponent].
func (e *UnknownComponentError) Unwrap() error { return ErrUnknownComponent }

const (
	inGraph  = "dependency graph"
	inRecord = "deployment record"
)

// IrreversibleError names every step that cannot be undone, as the steps the plan
// would have held (with their IDs). Set [Options].RollForward to turn them into
// roll-forward steps, or give the migrations a down-migration and mark them
// [Action].Reversible.
type IrreversibleError struct {
	Steps []Step
}

// Error names every irreversible migration and the two ways out.
func (e *IrreversibleError) Error() string {
	names := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		names[i] = fmt.Sprintf("%s migration %s", s.Component, s.Name)
	}
	return fmt.Sprintf("rollback: %d step(s) cannot be undone: %s; set Options.RollForward to roll them forward, or add down-migrations and mark them Reversible",
		len(e.Steps), strings.Join(names, ", "))
}

// Unwrap returns [ErrIrreversible].
func (e *IrreversibleError) Unwrap() error { return ErrIrreversible }

// WindowError says by how much a runbook misses a window. Need is the runbook's
// [Runbook.Duration]; Have is End minus Start (negative when the window is inverted).
type WindowError struct {
	Start, End time.Time
	Need, Have time.Duration
}

// Error says how long the runbook needs and how long the window is.
func (e *WindowError) Error() string {
	if e.Have < 0 {
		return fmt.Sprintf("rollback: window ends (%s) before it starts (%s); give a window whose end follows its start",
			e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
	}
	return fmt.Sprintf("rollback: runbook needs %s but the window %s to %s has %s; book a longer window or split the rollback (Options.Failed)",
		formatDuration(e.Need), e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), formatDuration(e.Have))
}

// Unwrap returns [ErrDoesNotFit].
func (e *WindowError) Unwrap() error { return ErrDoesNotFit }

// FailedStep is one step that failed in a run, with the executor's error.
type FailedStep struct {
	ID  string
	Err error
}

// StepFailedError is returned by [Run] when steps failed: the run stopped after the
// wave they were in. The [Report] returned beside it says what was done and what was
// not started; resume from it with [RunOptions].Resume once the cause is fixed.
type StepFailedError struct {
	Steps []FailedStep
}

// Error names every failed step with its error.
func (e *StepFailedError) Error() string {
	parts := make([]string, len(e.Steps))
	for i, s := range e.Steps {
		parts[i] = fmt.Sprintf("%s: %v", s.ID, s.Err)
	}
	return fmt.Sprintf("rollback: %d step(s) failed, run stopped after their wave (fix the cause and resume from the report): %s",
		len(e.Steps), strings.Join(parts, "; "))
}

// Unwrap returns [ErrStepFailed] and every step's error, so errors.Is and errors.As
// see both.
func (e *StepFailedError) Unwrap() []error {
	errs := make([]error, 0, len(e.Steps)+1)
	errs = append(errs, ErrStepFailed)
	for _, s := range e.Steps {
		errs = append(errs, s.Err)
	}
	return errs
}

// PanicError is the error recorded for a step whose executor panicked.
type PanicError struct {
	Step  string
	Value any
}

// Error names the step and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("rollback: executor panicked on step %s: %v", e.Step, e.Value)
}
