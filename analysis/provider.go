package analysis

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// Query is one question to a metrics [Provider].
type Query struct {
	// Expr is the query in the provider's own language: PromQL for Prometheus, a
	// path into a JSON document for an HTTP probe.
	Expr string `json:"expr"`
	// At is the instant the query is evaluated at. The zero time means the
	// provider's latest data.
	At time.Time `json:"at,omitzero"`
}

// Sample is one series' value in a [Vector].
type Sample struct {
	// Labels identify the series; nil for a query that yields a bare number.
	Labels map[string]string `json:"labels,omitempty"`
	// Value is the series' value. It may be NaN or infinite: [Vector.Value]
	// reports a NaN as [ErrNaN].
	Value float64 `json:"value"`
	// At is the instant of the value, when the provider knows it.
	At time.Time `json:"at,omitzero"`
}

// Vector is what a query yields: one [Sample] per series, in the order
// [Vector.Sort] gives.
type Vector []Sample

// Provider answers metric queries: Prometheus, an HTTP JSON probe, a host's own
// monitoring system. The [github.com/releasekit/releasekit/analysis/providertest]
// suite checks an implementation against this contract:
//
//   - Query returns one Sample per series the query yields, sorted as [Vector.Sort]
//     sorts them, so the same data always gives the same vector.
//   - A query that yields no series returns an error wrapping [ErrNoData] (never an
//     empty vector with a nil error).
//   - A NaN value is returned as a sample like any other; [Vector.Value] reports it.
//   - A query the provider refuses (bad syntax, unknown field) returns an error
//     wrapping [ErrInvalidQuery]; a provider that cannot be reached or fails
//     returns an error wrapping [ErrUnavailable]. Neither is retried by the caller:
//     retries belong in the provider, which knows which failures are transient.
//   - When ctx is done, Query returns promptly with an error wrapping ctx.Err().
//   - Query is safe for concurrent use, and the caller may modify what it returns.
type Provider interface {
	Query(ctx context.Context, q Query) (Vector, error)
}

// ProviderFunc adapts a function to [Provider].
type ProviderFunc func(ctx context.Context, q Query) (Vector, error)

// Query calls f.
func (f ProviderFunc) Query(ctx context.Context, q Query) (Vector, error) { return f(ctx, q) }

// Value returns the value of a vector that holds exactly one series: an error
// wrapping [ErrNoData] when it is empty, a [*SeriesError] (wrapping
// [ErrSeveralSeries]) when it holds more than one, and an error wrapping [ErrNaN]
// when the value is NaN. Infinite values are returned as they are.
func (v Vector) Value() (float64, error) {
	switch {
	case len(v) == 0:
		return 0, ErrNoData
	case len(v) > 1:
		return 0, &SeriesError{Series: v.labelStrings()}
	case math.IsNaN(v[0].Value):
		return math.NaN(), ErrNaN
	}
	return v[0].Value, nil
}

// Sort orders the samples by [LabelString] of their labels (byte order), keeping
// the order of samples with equal labels. Providers call it before returning.
func (v Vector) Sort() {
	type keyed struct {
		key string
		s   Sample
	}
	ks := make([]keyed, len(v))
	for i, s := range v {
		ks[i] = keyed{LabelString(s.Labels), s}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i := range ks {
		v[i] = ks[i].s
	}
}

func (v Vector) labelStrings() []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = LabelString(s.Labels)
	}
	return out
}

// LabelString renders a label set as {name="value",...} with the names sorted,
// the form [Vector.Sort] orders by and errors quote.
func LabelString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteString(`="`)
		b.WriteString(labels[k])
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
