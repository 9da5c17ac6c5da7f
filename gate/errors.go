package gate

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Test for them with [errors.Is]; the typed errors below wrap
// them and carry the details.
var (
	// ErrGateFailed is wrapped by the [*GateError] of a required gate that failed.
	ErrGateFailed = errors.New("gate failed")
	// ErrGateErrored is wrapped by the [*GateError] of a required gate that
	// could not decide (timeout, panic, cancellation, misconfiguration).
	ErrGateErrored = errors.New("gate errored")
	// ErrGateWarned is wrapped by the [*GateError] of a required gate that
	// warned while [Options.WarningsBlock] is set.
	ErrGateWarned = errors.New("gate warned and warnings block")
	// ErrInvalidOptions is wrapped by every [*OptionsError].
	ErrInvalidOptions = errors.New("invalid gate options")
	// ErrInvalidStatus is returned by [ParseStatus] for an unknown status.
	ErrInvalidStatus = errors.New("invalid gate status")
	// ErrInvalidCriterion is wrapped by every [*CriterionError].
	ErrInvalidCriterion = errors.New("invalid criterion")
	// ErrReplayMismatch is returned by [Decision.Verify] when a recorded
	// decision does not replay to the same verdict or fingerprint.
	ErrReplayMismatch = errors.New("recorded decision does not replay")
)

// GateError explains why one required gate blocks the release. [Decision.Err]
// joins one GateError per blocking gate, in gate order.
type GateError struct {
	// Gate is the blocking gate's name.
	Gate string
	// Status is its status: fail, error, or warn when warnings block.
	Status Status
	// Reason is the gate's reason, followed by any rejected waivers.
	Reason string
}

// Error implements error: `gate "checks" failed: check "build" is failure`.
func (e *GateError) Error() string {
	verb := "failed"
	switch e.Status {
	case StatusError:
		verb = "errored"
	case StatusWarn:
		verb = "warned (warnings block this release)"
	}
	return fmt.Sprintf("gate %q %s: %s", e.Gate, verb, e.Reason)
}

// Unwrap returns [ErrGateFailed], [ErrGateErrored] or [ErrGateWarned].
func (e *GateError) Unwrap() error {
	switch e.Status {
	case StatusError:
		return ErrGateErrored
	case StatusWarn:
		return ErrGateWarned
	}
	return ErrGateFailed
}

// OptionsError names one invalid field of [Options].
type OptionsError struct {
	// Field is the offending field, e.g. "Parallelism".
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

// Error implements error.
func (e *OptionsError) Error() string {
	return fmt.Sprintf("gate options: %s: %s", e.Field, e.Problem)
}

// Unwrap returns [ErrInvalidOptions].
func (e *OptionsError) Unwrap() error { return ErrInvalidOptions }

// CriterionError says why a criterion string could not be parsed.
type CriterionError struct {
	// Input is the text that was parsed.
	Input string
	// Problem says what is wrong and what is expected.
	Problem string
}

// Error implements error.
func (e *CriterionError) Error() string {
	return fmt.Sprintf("criterion %q: %s", e.Input, e.Problem)
}

// Unwrap returns [ErrInvalidCriterion].
func (e *CriterionError) Unwrap() error { return ErrInvalidCriterion }

func blockingErrors(results []Result, warningsBlock bool) error {
	var errs []error
	for _, r := range results {
		if !r.Blocks(warningsBlock) {
			continue
		}
		reason := r.Reason
		if len(r.WaiverRejections) > 0 {
			reason += " (" + strings.Join(r.WaiverRejections, "; ") + ")"
		}
		errs = append(errs, &GateError{Gate: r.Gate, Status: r.Status, Reason: reason})
	}
	return errors.Join(errs...)
}
