package depgraph

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrCycle means the graph has a dependency cycle, so its nodes cannot be
	// put in release order. [*CycleError] unwraps to it.
	ErrCycle = errors.New("depgraph: dependency cycle")
	// ErrSelfDependency means a key was made to depend on itself.
	// [*SelfDependencyError] unwraps to it.
	ErrSelfDependency = errors.New("depgraph: self-dependency")
	// ErrInvalidConstraint means a version requirement could not be parsed.
	// [*ConstraintError] unwraps to it.
	ErrInvalidConstraint = errors.New("depgraph: invalid version constraint")
	// ErrInvalidWeight means a weight function returned a negative duration,
	// or the weights along a chain overflow a time.Duration. [*WeightError]
	// unwraps to it.
	ErrInvalidWeight = errors.New("depgraph: invalid weight")
	// ErrNilWeight means [Graph.CriticalPath] was called without a weight function.
	ErrNilWeight = errors.New("depgraph: nil weight function: pass a func(K) time.Duration")
)

// CycleError reports a dependency cycle. Cycle is a path through the graph
// along dependency edges that starts and ends at the same key: each key depends
// on the next one.
type CycleError[K comparable] struct {
	Cycle []K
}

// Error names the cycle as "checkout -> payments -> ledger -> checkout".
func (e *CycleError[K]) Error() string {
	return fmt.Sprintf("depgraph: dependency cycle %s: remove one of these dependencies so the services can be released in order",
		formatPath(e.Cycle))
}

// Unwrap returns [ErrCycle].
func (e *CycleError[K]) Unwrap() error { return ErrCycle }

func formatPath[K comparable](path []K) string {
	var b strings.Builder
	for i, k := range path {
		if i > 0 {
			b.WriteString(" -> ")
		}
		fmt.Fprint(&b, k)
	}
	return b.String()
}

// SelfDependencyError reports an attempt to make Key depend on itself.
type SelfDependencyError[K comparable] struct {
	Key K
}

// Error says which key was involved and what to do.
func (e *SelfDependencyError[K]) Error() string {
	return fmt.Sprintf("depgraph: %v cannot depend on itself: drop the dependency, or split the service into two keys", e.Key)
}

// Unwrap returns [ErrSelfDependency].
func (e *SelfDependencyError[K]) Unwrap() error { return ErrSelfDependency }

// ConstraintError reports a version requirement that could not be parsed.
// Err is the parser's own error.
type ConstraintError[K comparable] struct {
	Dependent  K
	Dependency K
	Constraint string
	Err        error
}

// Error quotes the constraint and the parser's complaint.
func (e *ConstraintError[K]) Error() string {
	return fmt.Sprintf("depgraph: requirement of %v on %v: cannot parse version constraint %q: %v (write it like \">= 1.5.0, < 2.0.0\")",
		e.Dependent, e.Dependency, e.Constraint, e.Err)
}

// Unwrap returns [ErrInvalidConstraint] and the parser's error.
func (e *ConstraintError[K]) Unwrap() []error { return []error{ErrInvalidConstraint, e.Err} }

// WeightError reports a weight that [Graph.CriticalPath] cannot use.
type WeightError[K comparable] struct {
	Key    K
	Weight time.Duration
	// Overflow is true when the weight is valid on its own but the chain
	// ending at Key is longer than a time.Duration can hold.
	Overflow bool
}

// Error says which key had which weight.
func (e *WeightError[K]) Error() string {
	if e.Overflow {
		return fmt.Sprintf("depgraph: the chain ending at %v is longer than a time.Duration can hold: use smaller weights", e.Key)
	}
	return fmt.Sprintf("depgraph: weight of %v is %v: weights must not be negative", e.Key, e.Weight)
}

// Unwrap returns [ErrInvalidWeight].
func (e *WeightError[K]) Unwrap() error { return ErrInvalidWeight }
