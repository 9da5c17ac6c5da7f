package risk

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Level is a risk level. Levels are ordered: low < medium < high < critical.
type Level string

// The risk levels, lowest first.
const (
	Low      Level = "low"
	Medium   Level = "medium"
	High     Level = "high"
	Critical Level = "critical"
)

// Levels lists every [Level], lowest first.
func Levels() []Level { return []Level{Low, Medium, High, Critical} }

// ErrInvalidLevel is wrapped by the [*LevelError] of [ParseLevel] for an unknown
// level.
var ErrInvalidLevel = errors.New("invalid risk level")

// LevelError says that a text is not a risk level.
type LevelError struct {
	// Input is the text that was parsed.
	Input string
}

// Error implements error: `invalid risk level: "severe": use one of low, medium, high, critical`.
func (e *LevelError) Error() string {
	return fmt.Sprintf("%v: %q: use one of low, medium, high, critical", ErrInvalidLevel, e.Input)
}

// Unwrap returns [ErrInvalidLevel].
func (e *LevelError) Unwrap() error { return ErrInvalidLevel }

// ParseLevel parses a level name, ignoring case and surrounding spaces. An unknown
// name is a *[LevelError].
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if !l.Valid() {
		return "", &LevelError{Input: s}
	}
	return l, nil
}

// Valid reports whether l is one of [Levels].
func (l Level) Valid() bool { return slices.Contains(Levels(), l) }

// Rank is l's position in [Levels] (low is 0), or -1 for an invalid level.
func (l Level) Rank() int { return slices.Index(Levels(), l) }

// Class is an ITIL change class.
type Class string

// The change classes, from least to most risky.
const (
	// Standard is a pre-approved, low-risk, routine change.
	Standard Class = "standard"
	// Normal is a change that goes through the full assessment.
	Normal Class = "normal"
	// Emergency is an urgent change made with an abbreviated process.
	Emergency Class = "emergency"
)

// Classes lists every [Class], least risky first.
func Classes() []Class { return []Class{Standard, Normal, Emergency} }

// Valid reports whether c is one of [Classes].
func (c Class) Valid() bool { return slices.Contains(Classes(), c) }
