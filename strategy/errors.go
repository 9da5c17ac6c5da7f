package strategy

import (
	"errors"
	"fmt"
)

// Sentinel errors; the typed errors below wrap them.
var (
	// ErrInvalidStrategy is wrapped by every [*FieldError].
	ErrInvalidStrategy = errors.New("invalid strategy")
	// ErrInvalidRecords is wrapped by [*RecordError]: recorded steps that do
	// not fit the rollout's strategy.
	ErrInvalidRecords = errors.New("recorded steps do not fit the rollout")
	// ErrNotWaiting is returned when [Promote] is given to a rollout that is
	// not waiting for a person.
	ErrNotWaiting = errors.New("the rollout is not waiting for a person")
	// ErrFinished is returned when [Abort] or [Promote] is given to a rollout
	// that has completed or aborted.
	ErrFinished = errors.New("the rollout has already finished")
	// ErrInvalidOption is returned by [NewDriver] for an invalid option.
	ErrInvalidOption = errors.New("invalid strategy driver option")
)

// FieldError names one invalid field of a [Strategy].
type FieldError struct {
	// Field locates the field, e.g. "canary.steps[2].weight".
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string { return fmt.Sprintf("strategy: %s: %s", e.Field, e.Problem) }

// Unwrap returns [ErrInvalidStrategy].
func (e *FieldError) Unwrap() error { return ErrInvalidStrategy }

// RecordError says why recorded steps cannot be resumed.
type RecordError struct {
	// Step is the step index the record names (-1 when none).
	Step int
	// Problem says what is wrong.
	Problem string
}

// Error implements error.
func (e *RecordError) Error() string {
	if e.Step < 0 {
		return "recorded steps: " + e.Problem
	}
	return fmt.Sprintf("recorded step %d: %s", e.Step, e.Problem)
}

// Unwrap returns [ErrInvalidRecords].
func (e *RecordError) Unwrap() error { return ErrInvalidRecords }
