package risk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/change"
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

// Class is the change class.
//
// Deprecated: use [change.Class], the one type release, calendar and risk share.
type Class = change.Class

// The change classes.
//
// Deprecated: use [change.Standard], [change.Normal] and [change.Emergency].
const (
	Standard  = change.Standard
	Normal    = change.Normal
	Emergency = change.Emergency
)

// Classes lists every change class, least urgent first.
//
// Deprecated: use [change.Classes].
func Classes() []change.Class { return change.Classes() }
