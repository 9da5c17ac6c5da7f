package analysis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/internal/wait"
)

// Clock tells the runner the time. [release.Clock] satisfies it, so a host
// passes the engine's clock. The runner waits between measurements on a
// time.Timer (which testing/synctest fakes), or, when the clock also has a
// method After(time.Duration) <-chan time.Time, on that.
//
// [release.Clock]: https://pkg.go.dev/github.com/releasekit/releasekit/release#Clock
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Recorder stores measurements as they are taken; the engine records each as
// evidence. The runner counts a measurement only after RecordMeasurement
// returns nil. On an error the run stops and returns it; a resumed run takes
// that measurement again, under the same [Measurement.Key], so a store that
// keeps one record per key never counts it twice. RecordMeasurement is called
// from one goroutine per metric, so it must be safe for concurrent use; calls
// for one metric come in index order.
type Recorder interface {
	RecordMeasurement(ctx context.Context, m Measurement) error
}

// RecorderFunc adapts a function to [Recorder].
type RecorderFunc func(ctx context.Context, m Measurement) error

// RecordMeasurement calls f.
func (f RecorderFunc) RecordMeasurement(ctx context.Context, m Measurement) error { return f(ctx, m) }

// Runner runs analyses against a set of named providers. One Runner serves any
// number of concurrent runs; [WithMaxConcurrentQueries] bounds the queries
// they make together.
type Runner struct {
	providers map[string]Provider
	clock     Clock
	sem       chan struct{}
	timeout   time.Duration
}

// Option configures a [Runner].
type Option func(*Runner) error

// WithClock sets the clock; the default is the system clock.
func WithClock(c Clock) Option {
	return func(r *Runner) error {
		if c == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		r.clock = c
		return nil
	}
}

// WithMaxConcurrentQueries bounds how many measurements (a query and its
// baseline query) are in flight at once across every run of the runner;
// the others wait their turn. 0 means no bound.
func WithMaxConcurrentQueries(n int) Option {
	return func(r *Runner) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxConcurrentQueries(%d): use 0 for no bound or a positive number", ErrInvalidOption, n)
		}
		r.sem = nil
		if n > 0 {
			r.sem = make(chan struct{}, n)
		}
		return nil
	}
}

// WithQueryTimeout bounds each measurement (its query and baseline query); a
// measurement that takes longer is an Error measurement. 0 means no bound but
// the run's context.
func WithQueryTimeout(d time.Duration) Option {
	return func(r *Runner) error {
		if d < 0 {
			return fmt.Errorf("%w: WithQueryTimeout(%v): use 0 for no bound or a positive duration", ErrInvalidOption, d)
		}
		r.timeout = d
		return nil
	}
}

// NewRunner returns a runner whose metrics name their provider among
// providers (the map is copied).
func NewRunner(providers map[string]Provider, opts ...Option) (*Runner, error) {
	r := &Runner{providers: maps.Clone(providers), clock: systemClock{}}
	var errs []error
	for name, p := range r.providers {
		if p == nil {
			errs = append(errs, fmt.Errorf("%w: provider %q is nil", ErrInvalidOption, name))
		}
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// RunOption configures one run.
type RunOption func(*runConfig)

type runConfig struct {
	id       string
	recorder Recorder
	resume   []Measurement
}

// RunID names the run; it is copied into every [Measurement] and [Result].
// Give each run of an analysis its own ID (for example the release and the
// step): a resumed run must use the ID of the run it continues.
func RunID(id string) RunOption { return func(c *runConfig) { c.id = id } }

// RecordTo sends every measurement to rec before it counts (see [Recorder]).
func RecordTo(rec Recorder) RunOption { return func(c *runConfig) { c.recorder = rec } }

// Resume continues a run from the measurements it had taken, as a store gives
// them back: they are checked and counted as [Evaluate] does, and the run takes
// only the measurements still due. The next measurement of a metric is due one
// interval after the last recorded one (at once if that time has passed); a
// metric with none recorded waits its initial delay from now. A run that had
// already ended returns its result without measuring.
func Resume(ms []Measurement) RunOption {
	return func(c *runConfig) { c.resume = slices.Clone(ms) }
}

// Run runs a to its end and returns the result: Successful, Failed, Error or
// Inconclusive. A failing analysis is a result, not an error. The error is
// non-nil when the run could not go on: an invalid analysis or unknown provider
// ([ErrInvalidAnalysis]), recorded measurements that do not fit
// ([ErrInvalidMeasurements]), a [Recorder] error, or ctx done (the result then
// says how far the run got, with phase Running).
//
// Metrics are measured concurrently. A metric that fails or errs ends the run:
// the other metrics stop, and a measurement in flight is dropped unrecorded.
func (r *Runner) Run(ctx context.Context, a Analysis, opts ...RunOption) (Result, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	plans, err := a.compile()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for i, m := range a.Metrics {
		if _, ok := r.providers[m.Provider]; !ok && strings.TrimSpace(m.Provider) != "" {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("metrics[%d] (%q).provider", i, m.Name),
				Problem: fmt.Sprintf("%q is not a provider of this runner: use one of %s", m.Provider, strings.Join(slices.Sorted(maps.Keys(r.providers)), ", "))})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Result{Run: cfg.id, Analysis: a.Name}, err
	}
	st := newRunState(cfg.id, a.Name, plans)
	if err := st.load(cfg.resume); err != nil {
		return st.result(), err
	}
	if st.ended() {
		return st.result(), nil
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		mu        sync.Mutex
		wg        sync.WaitGroup
		recordErr error
	)
	start := r.clock.Now()
	for _, ms := range st.metrics {
		if ms.done() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := ms.plan
			mu.Lock()
			next := len(ms.res.Measurements)
			due := start.Add(p.InitialDelay)
			if next > 0 {
				due = ms.res.Measurements[next-1].At.Add(p.Interval)
			}
			mu.Unlock()
			for {
				if err := wait.Until(runCtx, r.clock, due); err != nil {
					return
				}
				m, ok := r.measure(runCtx, cfg.id, a.Name, p, next)
				if !ok {
					return
				}
				if cfg.recorder != nil {
					// The caller's context, not the run's: a measurement taken is
					// recorded even when another metric has just ended the run.
					if err := cfg.recorder.RecordMeasurement(ctx, m); err != nil {
						mu.Lock()
						if recordErr == nil {
							recordErr = fmt.Errorf("recording measurement %d of metric %q: %w", m.Index, m.Metric, err)
						}
						mu.Unlock()
						stop()
						return
					}
				}
				mu.Lock()
				ms.add(m)
				ended, metricDone := st.ended(), ms.done()
				mu.Unlock()
				if ended {
					stop()
				}
				if ended || metricDone {
					return
				}
				next++
				due = m.At.Add(p.Interval)
			}
		}()
	}
	wg.Wait()
	res := st.result()
	if recordErr != nil {
		return res, recordErr
	}
	if !res.Phase.Completed() {
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// measure takes and judges measurement idx of p. ok is false when the run was
// stopped meanwhile (the measurement is dropped).
func (r *Runner) measure(ctx context.Context, run, analysis string, p metricPlan, idx int) (Measurement, bool) {
	if r.sem != nil {
		select {
		case r.sem <- struct{}{}:
			defer func() { <-r.sem }()
		case <-ctx.Done():
			return Measurement{}, false
		}
	}
	m := Measurement{Run: run, Analysis: analysis, Metric: p.Name, Index: idx, At: r.clock.Now(), Provider: p.Provider, Query: p.Query}
	qctx := ctx
	if r.timeout > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	prov := r.providers[p.Provider]
	value, err := queryValue(qctx, prov, p.Provider, p.Query)
	var baseline *float64
	if err == nil && p.Baseline != "" {
		var b float64
		b, err = queryValue(qctx, prov, p.Provider, p.Baseline)
		if err != nil {
			err = fmt.Errorf("baseline: %w", err)
		} else {
			baseline = &b
		}
	}
	if ctx.Err() != nil {
		return Measurement{}, false
	}
	if err != nil {
		m.Phase, m.Reason = PhaseError, err.Error()
		if errors.Is(err, ErrNaN) && baseline == nil {
			m.Value = value
		}
		return m, true
	}
	m.Value, m.Baseline = value, baseline
	m.Phase, m.Reason = p.judge(value, baseline)
	return m, true
}

func queryValue(ctx context.Context, p Provider, name, expr string) (float64, error) {
	v, err := p.Query(ctx, Query{Expr: expr})
	if err == nil {
		var val float64
		val, err = v.Value()
		if err == nil {
			return val, nil
		}
		if errors.Is(err, ErrNaN) {
			return val, &QueryError{Provider: name, Expr: expr, Err: err}
		}
	}
	return 0, &QueryError{Provider: name, Expr: expr, Err: err}
}
