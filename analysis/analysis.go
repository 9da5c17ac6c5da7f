package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/internal/jsondur"
)

// Phase is the state of a measurement, a metric or a whole run. The values
// are those of Argo Rollouts' AnalysisPhase, plus [PhaseWarning] for a
// measurement in a metric's warning band.
type Phase string

// The phases, from best to worst after [PhaseRunning].
const (
	// PhaseRunning: a metric or run has more measurements to take.
	PhaseRunning Phase = "Running"
	// PhaseSuccessful: the measurement met the success condition; the metric
	// or run completed within every limit.
	PhaseSuccessful Phase = "Successful"
	// PhaseWarning (measurements only): the value missed the success condition
	// but met the warning condition, as a Keptn SLO warns. It counts as a
	// success for the limits and is reported.
	PhaseWarning Phase = "Warning"
	// PhaseInconclusive: neither condition held; more inconclusive
	// measurements than the metric's limit leave the run for a person to decide.
	PhaseInconclusive Phase = "Inconclusive"
	// PhaseError: the measurement could not be taken (no data, NaN, provider
	// down); more consecutive errors than the limit end the run in error.
	PhaseError Phase = "Error"
	// PhaseFailed: the failure condition held (or the success condition,
	// alone, did not); more failures than the limit fail the run.
	PhaseFailed Phase = "Failed"
)

// Phases lists every [Phase].
func Phases() []Phase {
	return []Phase{PhaseRunning, PhaseSuccessful, PhaseWarning, PhaseInconclusive, PhaseError, PhaseFailed}
}

// Valid reports whether p is one of [Phases].
func (p Phase) Valid() bool {
	switch p {
	case PhaseRunning, PhaseSuccessful, PhaseWarning, PhaseInconclusive, PhaseError, PhaseFailed:
		return true
	}
	return false
}

// Completed reports whether p is final: anything but [PhaseRunning].
func (p Phase) Completed() bool { return p != PhaseRunning && p != "" }

// worse orders the final phases of a metric or run: Successful < Inconclusive
// < Error < Failed (Argo Rollouts' order).
func (p Phase) rank() int {
	switch p {
	case PhaseSuccessful, PhaseWarning:
		return 1
	case PhaseInconclusive:
		return 2
	case PhaseError:
		return 3
	case PhaseFailed:
		return 4
	}
	return 0
}

// DefaultConsecutiveErrorLimit is the number of measurement errors in a row a
// metric tolerates when [Metric.ConsecutiveErrorLimit] is 0, as in Argo Rollouts.
const DefaultConsecutiveErrorLimit = 4

// Analysis is a verification over time: every metric is measured Count times,
// Interval apart, and each measurement judged. It is plain data: validate it
// with [Analysis.Validate], store it as JSON (durations are written as "30s"),
// run it with [Runner.Run], and replay a run's recorded measurements with
// [Evaluate].
type Analysis struct {
	// Name labels the analysis in results and recorded measurements.
	Name string `json:"name"`
	// Metrics are measured concurrently, each on its own schedule.
	Metrics []Metric `json:"metrics"`
}

// Metric is one measured quantity of an [Analysis], in the manner of an Argo
// Rollouts AnalysisTemplate metric. Conditions are lists of [gate.Criterion]
// strings (all must hold), absolute such as "<=0.01" or relative to the
// baseline such as "<=+10%".
//
// A measurement is judged in this order: Failed when the failure condition
// holds; Successful when the success condition holds; Warning when the warning
// condition holds; otherwise Inconclusive when both a success and a failure
// condition are given, Failed when only a success condition is given, and
// Successful when only a failure condition (or none) is given. A measurement
// that cannot be taken (no data, NaN, several series, provider error) is an
// Error.
//
// The metric ends Failed as soon as more measurements failed than FailureLimit,
// in Error as soon as more errors in a row than ConsecutiveErrorLimit happened,
// Inconclusive as soon as more were inconclusive than InconclusiveLimit. When
// all Count measurements are taken within the limits it is Successful, unless
// none of them succeeded (only errors, inconclusive or tolerated failures),
// which is Inconclusive: unlike Argo Rollouts, a metric that never measured a
// good value does not pass.
type Metric struct {
	// Name identifies the metric within the analysis; it must be unique.
	Name string `json:"name"`
	// Provider names the [Provider] in the [Runner] that answers Query.
	Provider string `json:"provider"`
	// Query is the measured value, in the provider's language. It must yield
	// one series.
	Query string `json:"query"`
	// Baseline is an optional second query, run at each measurement, whose
	// value relative criteria compare with (for example the stable version's
	// error rate). Required when a condition is relative.
	Baseline string `json:"baseline,omitempty"`
	// Count is how many measurements to take; 0 means 1.
	Count int `json:"count,omitempty"`
	// Interval is the time from the start of one measurement to the start of
	// the next; required when Count is more than 1.
	Interval time.Duration `json:"interval,omitempty"`
	// InitialDelay is waited before the first measurement.
	InitialDelay time.Duration `json:"initialDelay,omitempty"`
	// Success is the success condition (Keptn's pass level).
	Success []string `json:"successCondition,omitempty"`
	// Warning is the warning condition, judged when Success does not hold
	// (Keptn's warning level). It needs a Success condition.
	Warning []string `json:"warningCondition,omitempty"`
	// Failure is the failure condition.
	Failure []string `json:"failureCondition,omitempty"`
	// FailureLimit is how many failed measurements are tolerated (0: none).
	FailureLimit int `json:"failureLimit,omitempty"`
	// InconclusiveLimit is how many inconclusive measurements are tolerated
	// (0: none).
	InconclusiveLimit int `json:"inconclusiveLimit,omitempty"`
	// ConsecutiveErrorLimit is how many errors in a row are tolerated; 0 means
	// [DefaultConsecutiveErrorLimit].
	ConsecutiveErrorLimit int `json:"consecutiveErrorLimit,omitempty"`
}

// metricJSON is Metric with durations written as strings: its own fields
// shadow the embedded ones of the same JSON name.
type metricJSON struct {
	plainMetric
	Interval     jsondur.D `json:"interval,omitzero"`
	InitialDelay jsondur.D `json:"initialDelay,omitzero"`
}

type plainMetric Metric

// MarshalJSON writes the metric with its durations as strings such as "30s".
func (m Metric) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricJSON{plainMetric(m), jsondur.D(m.Interval), jsondur.D(m.InitialDelay)})
}

// UnmarshalJSON reads a metric; durations may be strings ("30s") or numbers of
// nanoseconds.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var j metricJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Metric(j.plainMetric)
	m.Interval, m.InitialDelay = time.Duration(j.Interval), time.Duration(j.InitialDelay)
	return nil
}

// count is the number of measurements, at least 1.
func (m Metric) count() int { return max(m.Count, 1) }

func (m Metric) errorLimit() int {
	if m.ConsecutiveErrorLimit == 0 {
		return DefaultConsecutiveErrorLimit
	}
	return m.ConsecutiveErrorLimit
}

// Validate reports every problem of the analysis at once, each as a
// [*FieldError] wrapping [ErrInvalidAnalysis], joined with [errors.Join]; nil
// means the analysis can run. Providers are checked by [Runner.Run], which
// knows them.
func (a Analysis) Validate() error {
	_, err := a.compile()
	return err
}

type metricPlan struct {
	Metric
	success, warning, failure []gate.Criterion
	relative                  bool
}

func (a Analysis) compile() ([]metricPlan, error) {
	var errs []error
	bad := func(field, problem string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(problem, args...)})
	}
	if strings.TrimSpace(a.Name) == "" {
		bad("name", "is empty: name the analysis so its measurements can be told apart")
	}
	if len(a.Metrics) == 0 {
		bad("metrics", "is empty: give at least one metric to measure")
	}
	seen := map[string]bool{}
	plans := make([]metricPlan, 0, len(a.Metrics))
	for i, m := range a.Metrics {
		where := fmt.Sprintf("metrics[%d] (%q)", i, m.Name)
		p := metricPlan{Metric: m}
		switch {
		case strings.TrimSpace(m.Name) == "":
			bad(where+".name", "is empty: name the metric")
		case seen[m.Name]:
			bad(where+".name", "is used by an earlier metric: metric names must be unique")
		}
		seen[m.Name] = true
		if strings.TrimSpace(m.Provider) == "" {
			bad(where+".provider", "is empty: name the provider that answers the query")
		}
		if strings.TrimSpace(m.Query) == "" {
			bad(where+".query", "is empty: write the query that yields the measured value")
		}
		if m.Count < 0 {
			bad(where+".count", "is %d: use a positive count, or 0 for one measurement", m.Count)
		}
		if m.Interval < 0 {
			bad(where+".interval", "is %v: use a positive duration", m.Interval)
		}
		if m.Count > 1 && m.Interval <= 0 {
			bad(where+".interval", "is not set but count is %d: say how far apart the measurements are", m.Count)
		}
		if m.InitialDelay < 0 {
			bad(where+".initialDelay", "is %v: use 0 or a positive duration", m.InitialDelay)
		}
		for _, l := range []struct {
			field string
			v     int
		}{{"failureLimit", m.FailureLimit}, {"inconclusiveLimit", m.InconclusiveLimit}, {"consecutiveErrorLimit", m.ConsecutiveErrorLimit}} {
			if l.v < 0 {
				bad(where+"."+l.field, "is %d: a limit counts what is tolerated, 0 or more", l.v)
			}
		}
		parse := func(field string, in []string) []gate.Criterion {
			var out []gate.Criterion
			for j, s := range in {
				c, err := gate.ParseCriterion(s)
				if err != nil {
					bad(fmt.Sprintf("%s.%s[%d]", where, field, j), "%v", err)
					continue
				}
				p.relative = p.relative || c.Relative
				out = append(out, c)
			}
			return out
		}
		p.success = parse("successCondition", m.Success)
		p.warning = parse("warningCondition", m.Warning)
		p.failure = parse("failureCondition", m.Failure)
		if len(m.Warning) > 0 && len(m.Success) == 0 {
			bad(where+".warningCondition", "is set without a successCondition: a warning level sits below a success level")
		}
		if p.relative && strings.TrimSpace(m.Baseline) == "" {
			bad(where+".baseline", "is empty but a condition is relative to the baseline: write the baseline query or use absolute thresholds")
		}
		plans = append(plans, p)
	}
	return plans, errors.Join(errs...)
}

// phase judges a measured value (see [Metric] for the order).
func (p metricPlan) phase(value float64, baseline *float64) Phase {
	b := 0.0
	if baseline != nil {
		b = *baseline
	}
	switch {
	case len(p.failure) > 0 && allHold(p.failure, value, b):
		return PhaseFailed
	case len(p.success) > 0 && allHold(p.success, value, b):
		return PhaseSuccessful
	case len(p.warning) > 0 && allHold(p.warning, value, b):
		return PhaseWarning
	case len(p.success) > 0 && len(p.failure) > 0:
		return PhaseInconclusive
	case len(p.success) > 0:
		return PhaseFailed
	}
	return PhaseSuccessful
}

// judge gives the phase of a measured value and a reason a person can read.
func (p metricPlan) judge(value float64, baseline *float64) (Phase, string) {
	ph := p.phase(value, baseline)
	b := 0.0
	val := fmtFloat(value)
	if baseline != nil {
		b = *baseline
		val += " (baseline " + fmtFloat(b) + ")"
	}
	switch {
	case ph == PhaseFailed && len(p.failure) > 0 && allHold(p.failure, value, b):
		return ph, val + " meets the failure condition " + joinCriteria(p.failure, b)
	case ph == PhaseSuccessful && len(p.success) > 0:
		return ph, val + " meets " + joinCriteria(p.success, b)
	case ph == PhaseWarning:
		return ph, val + " misses " + joinCriteria(p.success, b) + " but meets the warning level " + joinCriteria(p.warning, b)
	case ph == PhaseInconclusive:
		return ph, val + " misses " + joinCriteria(p.success, b) + " and the failure condition " + joinCriteria(p.failure, b)
	case ph == PhaseFailed:
		return ph, val + " misses " + joinCriteria(p.success, b)
	case len(p.failure) > 0:
		return ph, val + " does not meet the failure condition " + joinCriteria(p.failure, b)
	}
	return ph, val + " (no condition: every value passes)"
}

func allHold(cs []gate.Criterion, v, base float64) bool {
	for _, c := range cs {
		if !c.Holds(v, base) {
			return false
		}
	}
	return true
}

func joinCriteria(cs []gate.Criterion, base float64) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
		if c.Relative {
			s[i] += " (" + string(c.Op) + fmtFloat(c.Threshold(base)) + ")"
		}
	}
	return strings.Join(s, " and ")
}

func fmtFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}
