package change

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Class is a change class in the ITIL sense. The zero value means [Normal].
type Class string

// The change classes, from least to most urgent.
const (
	// Standard is a pre-approved, low-risk, routine change.
	Standard Class = "standard"
	// Normal is a change that is assessed and approved before it runs.
	Normal Class = "normal"
	// Emergency is a change that must run now to restore or protect service, through
	// an abbreviated process.
	Emergency Class = "emergency"
)

// Classes lists every [Class], least urgent first.
func Classes() []Class { return []Class{Standard, Normal, Emergency} }

// Valid reports whether c is one of [Classes]. The zero Class is not valid, although
// every package reads it as [Normal]: check c == "" first where empty is allowed.
func (c Class) Valid() bool { return slices.Contains(Classes(), c) }

// ErrInvalidClass is what every [*ParseError] matches with errors.Is.
var ErrInvalidClass = errors.New("change: invalid class")

// ParseError says that a text is not a change class.
type ParseError struct {
	// Input is the text that was given.
	Input string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("change: %q is not a change class; use one of standard, normal or emergency (empty means normal)", e.Input)
}

// Unwrap returns [ErrInvalidClass].
func (e *ParseError) Unwrap() error { return ErrInvalidClass }

// Parse reads a change class: "standard", "normal" or "emergency", in any case, with
// surrounding space ignored. The empty string (after trimming) is [Normal], as the zero
// Class is everywhere. Anything else returns a [*ParseError].
func Parse(s string) (Class, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return Normal, nil
	}
	if c := Class(t); c.Valid() {
		return c, nil
	}
	return "", &ParseError{Input: s}
}
