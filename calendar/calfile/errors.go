package calfile

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is the sentinel every [*Error] unwraps to.
var ErrInvalid = errors.New("calfile: invalid calendar file")

// Position is where something was written: a file and a 1-based line and column
// (column 0 when only the line is known).
type Position struct {
	File   string
	Line   int
	Column int
}

// String formats p as "file:line:column", or "file:line" without a column.
func (p Position) String() string {
	if p.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Problem is one thing wrong in a calendar file, where it was written.
type Problem struct {
	Pos Position
	// Msg says what is wrong and what to do, in one sentence.
	Msg string
	// Err is the underlying error, if any (a *calendar.ZoneError, a *calendar.ParseError).
	Err error
}

// Error formats p as "file:line:column: message", the form editors and CI logs link.
func (p Problem) Error() string { return p.Pos.String() + ": " + p.Msg }

// Error lists every problem of a calendar file, sorted by line and column, the calendar
// file's own first and then those of the files it includes. It
// unwraps to [ErrInvalid] and to the underlying error of each problem.
type Error struct {
	Problems []Problem
}

// Error gives one problem a line.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns [ErrInvalid] and the underlying errors of the problems.
func (e *Error) Unwrap() []error {
	out := []error{ErrInvalid}
	for _, p := range e.Problems {
		if p.Err != nil {
			out = append(out, p.Err)
		}
	}
	return out
}

// sortProblems orders problems by place: the calendar file's own first, then those of
// included files.
func sortProblems(ps []Problem, main string) {
	rank := func(p Problem) int {
		if p.Pos.File == main {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column))
	})
}
