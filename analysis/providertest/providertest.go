// Package providertest is the conformance suite for [analysis.Provider]
// implementations, as release/storetest is for stores. A provider's own test
// arranges a few queries with known answers in its backend and calls
//
//	func TestConformance(t *testing.T) {
//		p := myprovider.New(...)
//		providertest.Run(t, p, providertest.Cases{
//			One: analysis.Query{Expr: `up{job="canary"}`}, Want: 1,
//			Several: analysis.Query{Expr: `up`},
//			NoData:  analysis.Query{Expr: `up{job="nothing"}`},
//		})
//	}
//
// Every case runs as a subtest and says which part of the contract it checks.
package providertest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/analysis"
)

// Cases are queries whose answers the implementer has arranged in its backend.
// One, Several and NoData are required; a case whose Expr is empty is skipped
// with a message.
type Cases struct {
	// One yields exactly one series, whose value is Want.
	One  analysis.Query
	Want float64
	// Several yields two series or more.
	Several analysis.Query
	// NoData yields no series.
	NoData analysis.Query
	// NaN yields one series whose value is NaN.
	NaN analysis.Query
	// Invalid is a query the provider refuses (bad syntax, unknown field).
	Invalid analysis.Query
	// Down, when not nil, is the same kind of provider pointed at a backend that
	// does not answer (a closed port); its queries must fail with
	// [analysis.ErrUnavailable].
	Down analysis.Provider
	// Timeout bounds each query of the suite; 0 means 30 seconds.
	Timeout time.Duration
}

// Run checks p against the [analysis.Provider] contract.
func Run(t *testing.T, p analysis.Provider, c Cases) {
	t.Helper()
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	query := func(t *testing.T, q analysis.Query) (analysis.Vector, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
		defer cancel()
		return p.Query(ctx, q)
	}
	need := func(t *testing.T, q analysis.Query, field string) {
		t.Helper()
		if q.Expr == "" {
			t.Skipf("Cases.%s is not set", field)
		}
	}

	// One series: Query returns one sample with the value arranged, and
	// Vector.Value gives it.
	t.Run("OneSeries", func(t *testing.T) {
		need(t, c.One, "One")
		v, err := query(t, c.One)
		if err != nil {
			t.Fatalf("Query(%q): %v", c.One.Expr, err)
		}
		got, err := v.Value()
		if err != nil {
			t.Fatalf("Query(%q) = %v: Value: %v", c.One.Expr, v, err)
		}
		if !near(got, c.Want) {
			t.Fatalf("Query(%q) = %v, want %v", c.One.Expr, got, c.Want)
		}
	})

	// Several series: every series comes back, sorted as Vector.Sort sorts
	// them, the same on every call; Vector.Value reports a *SeriesError.
	t.Run("SeveralSeries", func(t *testing.T) {
		need(t, c.Several, "Several")
		v, err := query(t, c.Several)
		if err != nil {
			t.Fatalf("Query(%q): %v", c.Several.Expr, err)
		}
		if len(v) < 2 {
			t.Fatalf("Query(%q) returned %d series, want 2 or more", c.Several.Expr, len(v))
		}
		sorted := slices.Clone(v)
		sorted.Sort()
		if !reflect.DeepEqual(labels(v), labels(sorted)) {
			t.Errorf("series are not in Vector.Sort order:\n got %v\nwant %v", labels(v), labels(sorted))
		}
		again, err := query(t, c.Several)
		if err != nil {
			t.Fatalf("second Query(%q): %v", c.Several.Expr, err)
		}
		if !reflect.DeepEqual(labels(v), labels(again)) {
			t.Errorf("two calls gave different series:\n%v\n%v", labels(v), labels(again))
		}
		_, err = v.Value()
		var se *analysis.SeriesError
		if !errors.As(err, &se) || !errors.Is(err, analysis.ErrSeveralSeries) || len(se.Series) != len(v) {
			t.Errorf("Value() error = %v, want a *SeriesError naming %d series", err, len(v))
		}
	})

	// No data: an error wrapping ErrNoData, not an empty vector.
	t.Run("NoData", func(t *testing.T) {
		need(t, c.NoData, "NoData")
		v, err := query(t, c.NoData)
		if !errors.Is(err, analysis.ErrNoData) {
			t.Fatalf("Query(%q) = %v, %v; want an error wrapping ErrNoData", c.NoData.Expr, v, err)
		}
		if len(v) != 0 {
			t.Errorf("Query(%q) returned %d samples with ErrNoData, want none", c.NoData.Expr, len(v))
		}
	})

	// NaN: returned as a sample; Vector.Value reports ErrNaN.
	t.Run("NaN", func(t *testing.T) {
		need(t, c.NaN, "NaN")
		v, err := query(t, c.NaN)
		if err != nil {
			t.Fatalf("Query(%q): %v (a NaN is a sample, not an error)", c.NaN.Expr, err)
		}
		if len(v) != 1 || !math.IsNaN(v[0].Value) {
			t.Fatalf("Query(%q) = %v, want one NaN sample", c.NaN.Expr, v)
		}
		if _, err := v.Value(); !errors.Is(err, analysis.ErrNaN) {
			t.Errorf("Value() error = %v, want ErrNaN", err)
		}
	})

	// A query the provider refuses: an error wrapping ErrInvalidQuery.
	t.Run("InvalidQuery", func(t *testing.T) {
		need(t, c.Invalid, "Invalid")
		_, err := query(t, c.Invalid)
		if !errors.Is(err, analysis.ErrInvalidQuery) {
			t.Fatalf("Query(%q) error = %v, want one wrapping ErrInvalidQuery", c.Invalid.Expr, err)
		}
	})

	// A backend that does not answer: an error wrapping ErrUnavailable, within
	// the timeout.
	t.Run("Unavailable", func(t *testing.T) {
		if c.Down == nil {
			t.Skip("Cases.Down is not set")
		}
		need(t, c.One, "One")
		ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
		defer cancel()
		_, err := c.Down.Query(ctx, c.One)
		if !errors.Is(err, analysis.ErrUnavailable) {
			t.Fatalf("Query on a backend that does not answer: error = %v, want one wrapping ErrUnavailable", err)
		}
	})

	// A cancelled context: an error wrapping context.Canceled, promptly.
	t.Run("CancelledContext", func(t *testing.T) {
		need(t, c.One, "One")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() { _, err := p.Query(ctx, c.One); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Query on a cancelled context: error = %v, want one wrapping context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Query on a cancelled context did not return within 5s")
		}
	})

	// The caller owns what Query returns: changing it changes nothing the
	// provider returns next.
	t.Run("CallerOwnsResult", func(t *testing.T) {
		need(t, c.Several, "Several")
		v, err := query(t, c.Several)
		if err != nil {
			t.Fatal(err)
		}
		want := labels(v)
		for i := range v {
			if v[i].Labels != nil {
				for k := range v[i].Labels {
					v[i].Labels[k] = "changed"
				}
			}
			v[i].Value = -1
		}
		again, err := query(t, c.Several)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(want, labels(again)) {
			t.Errorf("changing a returned vector changed the next answer:\n got %v\nwant %v", labels(again), want)
		}
	})

	// 16 goroutines querying at once all get the right answer (run with -race).
	t.Run("Concurrent", func(t *testing.T) {
		need(t, c.One, "One")
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 4 {
					ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
					v, err := p.Query(ctx, c.One)
					cancel()
					if err == nil {
						var got float64
						got, err = v.Value()
						if err == nil && !near(got, c.Want) {
							err = errors.New("wrong value")
						}
					}
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Query(%q): %v", c.One.Expr, err)
		}
	})
}

func labels(v analysis.Vector) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = analysis.LabelString(s.Labels)
	}
	return out
}

// near compares within a relative 1e-9 (providers may round-trip values
// through text).
func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}
