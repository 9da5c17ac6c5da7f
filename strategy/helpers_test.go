package strategy_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/strategy"
)

// host records the steps it applies; failAt makes its n-th call fail.
type host struct {
	mu      sync.Mutex
	applied []strategy.Step
	failAt  int
	calls   int
}

var errHostDown = errors.New("load balancer API down")

func (h *host) Apply(_ context.Context, rollout string, s strategy.Step) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.failAt > 0 && h.calls == h.failAt {
		return errHostDown
	}
	h.applied = append(h.applied, s)
	return nil
}

func (h *host) steps() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.applied))
	for i, s := range h.applied {
		out[i] = s.Describe()
	}
	return out
}

// store is an idempotent recorder: events keyed by step and event (waiting may
// repeat), measurements by key; failAt makes its n-th call fail.
type store struct {
	mu      sync.Mutex
	records []strategy.Record
	ms      []analysis.Measurement
	keys    map[string]bool
	failAt  int
	calls   int
}

func (s *store) fail() error {
	s.calls++
	if s.failAt > 0 && s.calls == s.failAt {
		return fmt.Errorf("store down")
	}
	return nil
}

func (s *store) RecordStep(_ context.Context, r strategy.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return err
	}
	s.records = append(s.records, r)
	return nil
}

func (s *store) RecordMeasurement(_ context.Context, m analysis.Measurement) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail(); err != nil {
		return err
	}
	if s.keys == nil {
		s.keys = map[string]bool{}
	}
	if !s.keys[m.Key()] {
		s.keys[m.Key()] = true
		s.ms = append(s.ms, m)
	}
	return nil
}

func (s *store) resume() strategy.RunOption {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strategy.Resume(append([]strategy.Record(nil), s.records...), append([]analysis.Measurement(nil), s.ms...))
}

func (s *store) events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.records))
	for i, r := range s.records {
		out[i] = fmt.Sprintf("%d %s", r.Step, r.Event)
	}
	return out
}

// metrics answers "errors" with the error rate of the track the test sets.
type metrics struct {
	mu   sync.Mutex
	rate any // a float64, or "no-data"
}

func (m *metrics) set(v any) {
	m.mu.Lock()
	m.rate = v
	m.mu.Unlock()
}

func (m *metrics) Query(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rate == "no-data" {
		return nil, analysis.ErrNoData
	}
	return analysis.Vector{{Value: m.rate.(float64)}}, nil
}

func errorRate(name string) analysis.Analysis {
	return analysis.Analysis{Name: name, Metrics: []analysis.Metric{{
		Name: "error-rate", Provider: "metrics", Query: "errors", Count: 3, Interval: time.Minute,
		Success: []string{"<=0.01"}, Failure: []string{">=0.05"},
	}}}
}

type rollbacks struct {
	mu      sync.Mutex
	reasons []string
}

func (r *rollbacks) hook(_ context.Context, rollout, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, rollout+": "+reason)
	return nil
}

func newDriver(t *testing.T, h strategy.Traffic, m *metrics, rb *rollbacks) *strategy.Driver {
	t.Helper()
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"metrics": m})
	if err != nil {
		t.Fatal(err)
	}
	d, err := strategy.NewDriver(h, runner, strategy.WithRollback(rb.hook))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
