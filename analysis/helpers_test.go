package analysis_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/releasekit/releasekit/analysis"
)

// script is a provider whose answers to each query are given in advance, one
// per call; the last answer repeats. An answer is a value, or one of the
// special strings below.
type script struct {
	mu      sync.Mutex
	answers map[string][]any
	calls   map[string]int
}

const (
	noData  = "no-data"
	several = "several"
	down    = "down"
)

func newScript(answers map[string][]any) *script {
	return &script{answers: answers, calls: map[string]int{}}
}

func (s *script) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	as, ok := s.answers[q.Expr]
	i := s.calls[q.Expr]
	s.calls[q.Expr]++
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown query %q", analysis.ErrInvalidQuery, q.Expr)
	}
	a := as[min(i, len(as)-1)]
	switch a {
	case noData:
		return nil, analysis.ErrNoData
	case several:
		return analysis.Vector{{Labels: map[string]string{"pod": "a"}, Value: 1}, {Labels: map[string]string{"pod": "b"}, Value: 2}}, nil
	case down:
		return nil, fmt.Errorf("%w: connection refused", analysis.ErrUnavailable)
	}
	return analysis.Vector{{Value: a.(float64)}}, nil
}

func (s *script) count(expr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[expr]
}

var nan = math.NaN()

// memRecorder keeps measurements by key, as an idempotent store would.
type memRecorder struct {
	mu     sync.Mutex
	ms     []analysis.Measurement
	keys   map[string]bool
	failAt int // fail the failAt-th call (1-based); 0 never
	calls  int
}

func (r *memRecorder) RecordMeasurement(_ context.Context, m analysis.Measurement) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failAt > 0 && r.calls == r.failAt {
		return fmt.Errorf("store down")
	}
	if r.keys == nil {
		r.keys = map[string]bool{}
	}
	if r.keys[m.Key()] {
		return nil
	}
	r.keys[m.Key()] = true
	r.ms = append(r.ms, m)
	return nil
}

func (r *memRecorder) all() []analysis.Measurement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]analysis.Measurement(nil), r.ms...)
}

func mustRunner(t *testing.T, providers map[string]analysis.Provider, opts ...analysis.Option) *analysis.Runner {
	t.Helper()
	r, err := analysis.NewRunner(providers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func phases(ms []analysis.Measurement) []analysis.Phase {
	out := make([]analysis.Phase, len(ms))
	for i, m := range ms {
		out[i] = m.Phase
	}
	return out
}
