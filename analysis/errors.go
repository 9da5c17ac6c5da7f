package analysis

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Test for them with [errors.Is]; the typed errors below wrap
// them and carry the details.
var (
	// ErrNoData means a query yielded no series.
	ErrNoData = errors.New("query returned no data")
	// ErrNaN means a query's single value is NaN (for example a ratio of two
	// zero rates: no traffic).
	ErrNaN = errors.New("query returned NaN")
	// ErrSeveralSeries is wrapped by [*SeriesError]: a query that must yield
	// one value yielded several series.
	ErrSeveralSeries = errors.New("query returned several series")
	// ErrInvalidQuery means the provider refused the query itself (syntax,
	// unknown name); asking again will not help.
	ErrInvalidQuery = errors.New("invalid query")
	// ErrUnavailable means the provider could not be reached or failed to
	// answer (after its own retries).
	ErrUnavailable = errors.New("metrics provider unavailable")
	// ErrInvalidAnalysis is wrapped by every [*FieldError] that
	// [Analysis.Validate] reports.
	ErrInvalidAnalysis = errors.New("invalid analysis")
	// ErrInvalidMeasurements is wrapped by [*MeasurementError]: recorded
	// measurements that do not fit the analysis (an unknown metric, a gap, another
	// run, a phase the recorded value does not give).
	ErrInvalidMeasurements = errors.New("recorded measurements do not fit the analysis")
	// ErrInvalidOption is returned by [NewRunner] for an invalid option.
	ErrInvalidOption = errors.New("invalid analysis runner option")
)

// SeriesError reports a query that yielded several series where one value was
// needed. Narrow the query (more label matchers, or aggregate with sum or max).
type SeriesError struct {
	// Series are the label sets that came back, as [LabelString] writes them.
	Series []string
}

// Error implements error.
func (e *SeriesError) Error() string {
	shown := e.Series
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" and %d more", len(e.Series)-3)
	}
	return fmt.Sprintf("query returned %d series (%s%s) where one value is needed: narrow it with label matchers or aggregate it (sum, max)",
		len(e.Series), strings.Join(shown, ", "), more)
}

// Unwrap returns [ErrSeveralSeries].
func (e *SeriesError) Unwrap() error { return ErrSeveralSeries }

// QueryError is a failed query of one metric: which provider, which query, and
// the provider's error (which wraps one of the sentinels above).
type QueryError struct {
	// Provider is the provider's name in the runner.
	Provider string
	// Expr is the query.
	Expr string
	// Err is the provider's error.
	Err error
}

// Error implements error.
func (e *QueryError) Error() string {
	return fmt.Sprintf("%s query %q: %v", e.Provider, e.Expr, e.Err)
}

// Unwrap returns the provider's error.
func (e *QueryError) Unwrap() error { return e.Err }

// FieldError names one invalid field of an [Analysis].
type FieldError struct {
	// Field locates the field, e.g. `metrics[1] ("latency").interval`.
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string { return fmt.Sprintf("analysis: %s: %s", e.Field, e.Problem) }

// Unwrap returns [ErrInvalidAnalysis].
func (e *FieldError) Unwrap() error { return ErrInvalidAnalysis }

// MeasurementError says why recorded measurements cannot be evaluated or
// resumed against an analysis.
type MeasurementError struct {
	// Metric and Index locate the measurement ("" and -1 when none is at fault).
	Metric string
	Index  int
	// Problem says what is wrong.
	Problem string
}

// Error implements error.
func (e *MeasurementError) Error() string {
	if e.Metric == "" {
		return "recorded measurements: " + e.Problem
	}
	return fmt.Sprintf("recorded measurement %d of metric %q: %s", e.Index, e.Metric, e.Problem)
}

// Unwrap returns [ErrInvalidMeasurements].
func (e *MeasurementError) Unwrap() error { return ErrInvalidMeasurements }
