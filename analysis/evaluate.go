package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Result is the state of an analysis run: its phase, why, and every metric's
// measurements and counts.
type Result struct {
	// Run is the run's ID (see [RunID]).
	Run string `json:"run,omitempty"`
	// Analysis is the analysis' name.
	Analysis string `json:"analysis"`
	// Phase is Running while measurements remain, then the worst final phase of
	// the metrics: Failed, Error, Inconclusive or Successful. A Failed or Error
	// metric ends the run at once.
	Phase Phase `json:"phase"`
	// Reason says why the run has its phase, naming the deciding metric.
	Reason string `json:"reason"`
	// Metrics are in the order of the analysis.
	Metrics []MetricResult `json:"metrics"`
}

// MetricResult is one metric's state in a [Result].
type MetricResult struct {
	// Name is the metric's name.
	Name string `json:"name"`
	// Phase is Running until the metric ends (see [Metric]).
	Phase Phase `json:"phase"`
	// Reason says why the metric has its phase.
	Reason string `json:"reason"`
	// The number of measurements in each phase, and the errors in a row at the
	// end of Measurements.
	Successful        int `json:"successful"`
	Warning           int `json:"warning"`
	Inconclusive      int `json:"inconclusive"`
	Failed            int `json:"failed"`
	Error             int `json:"error"`
	ConsecutiveErrors int `json:"consecutiveErrors"`
	// Measurements are the metric's measurements, by index.
	Measurements []Measurement `json:"measurements"`
}

// metricState folds measurements into a MetricResult.
type metricState struct {
	plan metricPlan
	res  MetricResult
}

func newMetricState(p metricPlan) *metricState {
	return &metricState{plan: p, res: MetricResult{Name: p.Name, Phase: PhaseRunning}}
}

func (s *metricState) done() bool { return s.res.Phase != PhaseRunning }

// add counts m (which must be the next index) and settles the phase.
func (s *metricState) add(m Measurement) {
	r := &s.res
	r.Measurements = append(r.Measurements, m)
	switch m.Phase {
	case PhaseSuccessful:
		r.Successful++
	case PhaseWarning:
		r.Warning++
	case PhaseInconclusive:
		r.Inconclusive++
	case PhaseFailed:
		r.Failed++
	case PhaseError:
		r.Error++
	}
	if m.Phase == PhaseError {
		r.ConsecutiveErrors++
	} else {
		r.ConsecutiveErrors = 0
	}
	n, count := len(r.Measurements), s.plan.count()
	switch {
	case r.Failed > s.plan.FailureLimit:
		r.Phase = PhaseFailed
	case r.ConsecutiveErrors > s.plan.errorLimit():
		r.Phase = PhaseError
	case r.Inconclusive > s.plan.InconclusiveLimit:
		r.Phase = PhaseInconclusive
	case n >= count && r.Successful+r.Warning == 0:
		r.Phase = PhaseInconclusive
	case n >= count:
		r.Phase = PhaseSuccessful
	}
}

// reason says why the metric has its phase; it is written when a result is
// taken, not at every measurement.
func (s *metricState) reason() string {
	r := &s.res
	n, count := len(r.Measurements), s.plan.count()
	if n == 0 {
		return fmt.Sprintf("0 of %d measurements taken", count)
	}
	m := r.Measurements[n-1]
	last := fmt.Sprintf("; measurement %d: %s", m.Index, m.Reason)
	switch {
	case r.Phase == PhaseRunning:
		return fmt.Sprintf("%d of %d measurements taken", n, count)
	case r.Phase == PhaseFailed:
		return fmt.Sprintf("%d of %d measurements failed, more than the %d tolerated%s", r.Failed, n, s.plan.FailureLimit, last)
	case r.Phase == PhaseError:
		return fmt.Sprintf("%d measurements in a row could not be taken, more than the %d tolerated%s", r.ConsecutiveErrors, s.plan.errorLimit(), last)
	case r.Phase == PhaseInconclusive && r.Inconclusive > s.plan.InconclusiveLimit:
		return fmt.Sprintf("%d of %d measurements were inconclusive, more than the %d tolerated: a person must decide%s", r.Inconclusive, n, s.plan.InconclusiveLimit, last)
	case r.Phase == PhaseInconclusive:
		return fmt.Sprintf("none of the %d measurements succeeded (%d failed, %d inconclusive, %d errors): a person must decide%s", n, r.Failed, r.Inconclusive, r.Error, last)
	}
	reason := fmt.Sprintf("%d of %d measurements succeeded", r.Successful+r.Warning, n)
	if r.Warning > 0 {
		reason += fmt.Sprintf(", %d of them at the warning level", r.Warning)
	}
	if bad := r.Failed + r.Inconclusive + r.Error; bad > 0 {
		reason += fmt.Sprintf(" (tolerated: %d failed, %d inconclusive, %d errors)", r.Failed, r.Inconclusive, r.Error)
	}
	return reason
}

func (s *metricState) snapshot() MetricResult {
	r := s.res
	r.Reason = s.reason()
	r.Measurements = slices.Clone(r.Measurements)
	return r
}

// runState is the state of every metric of one run.
type runState struct {
	run, name string
	metrics   []*metricState
}

func newRunState(run, name string, plans []metricPlan) *runState {
	s := &runState{run: run, name: name}
	for _, p := range plans {
		s.metrics = append(s.metrics, newMetricState(p))
	}
	return s
}

// ended reports whether the run is over: a metric failed or errored, or every
// metric ended.
func (s *runState) ended() bool {
	all := true
	for _, m := range s.metrics {
		if m.res.Phase == PhaseFailed || m.res.Phase == PhaseError {
			return true
		}
		all = all && m.done()
	}
	return all
}

func (s *runState) result() Result {
	r := Result{Run: s.run, Analysis: s.name, Phase: PhaseRunning}
	var worst *MetricResult
	running := 0
	for _, m := range s.metrics {
		r.Metrics = append(r.Metrics, m.snapshot())
	}
	for i := range r.Metrics {
		mr := &r.Metrics[i]
		if mr.Phase == PhaseRunning {
			running++
			continue
		}
		if worst == nil || mr.Phase.rank() > worst.Phase.rank() {
			worst = mr
		}
	}
	switch {
	case worst != nil && (worst.Phase == PhaseFailed || worst.Phase == PhaseError):
		r.Phase = worst.Phase
		r.Reason = fmt.Sprintf("metric %q: %s", worst.Name, worst.Reason)
	case running > 0:
		r.Reason = fmt.Sprintf("%d of %d metrics still measuring", running, len(r.Metrics))
	case worst.Phase == PhaseInconclusive:
		r.Phase = PhaseInconclusive
		r.Reason = fmt.Sprintf("metric %q: %s", worst.Name, worst.Reason)
	default:
		r.Phase = PhaseSuccessful
		parts := make([]string, len(r.Metrics))
		for i, m := range r.Metrics {
			parts[i] = fmt.Sprintf("%s: %s", m.Name, m.Reason)
		}
		r.Reason = "every metric passed (" + strings.Join(parts, "; ") + ")"
	}
	return r
}

// load folds recorded measurements into the state, checking that they fit:
// each names a metric of the analysis, belongs to this run, follows the
// previous one of its metric without a gap, comes before the metric ended, and
// (unless it is an Error) has the phase its value gives under the analysis'
// conditions. A measurement recorded twice under the same index is counted
// once (the first is kept).
func (s *runState) load(ms []Measurement) error {
	byMetric := map[string]*metricState{}
	for _, m := range s.metrics {
		byMetric[m.plan.Name] = m
	}
	sorted := slices.Clone(ms)
	slices.SortStableFunc(sorted, func(a, b Measurement) int { return a.Index - b.Index })
	for _, m := range sorted {
		st, ok := byMetric[m.Metric]
		bad := func(format string, args ...any) error {
			return &MeasurementError{Metric: m.Metric, Index: m.Index, Problem: fmt.Sprintf(format, args...)}
		}
		switch {
		case !ok:
			return bad("the analysis %q has no such metric", s.name)
		case m.Run != s.run:
			return bad("belongs to run %q, not %q", m.Run, s.run)
		case m.Analysis != "" && m.Analysis != s.name:
			return bad("belongs to analysis %q, not %q", m.Analysis, s.name)
		}
		next := len(st.res.Measurements)
		switch {
		case m.Index < next:
			continue // recorded twice: counted once
		case m.Index > next:
			return bad("measurement %d is missing before it", next)
		case st.done():
			return bad("the metric had already ended %s after %d measurements", st.res.Phase, next)
		}
		if err := st.plan.check(m); err != nil {
			return bad("%v", err)
		}
		st.add(m)
	}
	return nil
}

// check re-judges a recorded measurement.
func (p metricPlan) check(m Measurement) error {
	switch m.Phase {
	case PhaseError:
		return nil
	case PhaseSuccessful, PhaseWarning, PhaseInconclusive, PhaseFailed:
	default:
		return fmt.Errorf("phase %q is not a measurement's phase", m.Phase)
	}
	if math.IsNaN(m.Value) {
		return fmt.Errorf("value NaN is judged %s; a NaN is an Error", m.Phase)
	}
	if p.relative && m.Baseline == nil {
		return fmt.Errorf("has no baseline but the metric's conditions are relative")
	}
	if got := p.phase(m.Value, m.Baseline); got != m.Phase {
		return fmt.Errorf("recorded %s, but its value judged under the analysis' conditions is %s", m.Phase, got)
	}
	return nil
}

// Evaluate replays recorded measurements of one run of a: it checks that they
// fit the analysis (see [MeasurementError]), re-judges every value under a's
// conditions, and returns the run's state, which is what [Runner.Run] would
// report after taking exactly those measurements. Use it to audit a recorded
// run, or to show the state of a run in progress. The run ID is taken from the
// measurements (all must share it).
func Evaluate(a Analysis, ms []Measurement) (Result, error) {
	plans, err := a.compile()
	if err != nil {
		return Result{}, err
	}
	run := ""
	if len(ms) > 0 {
		run = ms[0].Run
	}
	s := newRunState(run, a.Name, plans)
	if err := s.load(ms); err != nil {
		return s.result(), err
	}
	return s.result(), nil
}
