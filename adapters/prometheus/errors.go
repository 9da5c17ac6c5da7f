package prometheus

import (
	"errors"
	"fmt"
)

// ErrInvalidOption is returned by [New] for an invalid address or option.
var ErrInvalidOption = errors.New("invalid prometheus provider option")

// Error is a failed query. It wraps one of the analysis package's sentinels
// (analysis.ErrNoData, ErrInvalidQuery, ErrUnavailable) or the context's error,
// so callers test it with errors.Is.
type Error struct {
	// Op is "query" or "query_range"; Expr is the PromQL expression.
	Op, Expr string
	// Type is the Prometheus API's error type ("bad_data", "execution",
	// "timeout", "server_error", "client_error", ...), when it gave one.
	Type string
	// Message says what went wrong.
	Message string
	// Attempts is how many times the query was tried.
	Attempts int
	// Err is the sentinel or context error.
	Err error

	transient bool
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("prometheus %s %q: %v: %s", e.Op, e.Expr, e.Err, e.Message)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the sentinel or context error.
func (e *Error) Unwrap() error { return e.Err }
