package strategy

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/internal/jsondur"
)

// Kind names a strategy.
type Kind string

// The strategies.
const (
	KindCanary    Kind = "canary"
	KindBlueGreen Kind = "blueGreen"
	KindRolling   Kind = "rolling"
)

// Kinds lists every [Kind].
func Kinds() []Kind { return []Kind{KindCanary, KindBlueGreen, KindRolling} }

// StepKind names what a [Step] does.
type StepKind string

// The step kinds. The host carries out weight, preview, scale-down and batch
// steps ([Traffic]); the driver carries out pauses and analyses itself.
const (
	// StepWeight routes Weight percent of the traffic to the new version.
	StepWeight StepKind = "setWeight"
	// StepPause waits Duration, or, when Duration is 0, until a person
	// promotes the rollout ([Promote]).
	StepPause StepKind = "pause"
	// StepAnalysis runs Analysis: a failed or errored analysis aborts the
	// rollout, an inconclusive one waits for a person.
	StepAnalysis StepKind = "analysis"
	// StepPreview (blue-green) brings the new version up behind the preview
	// endpoint, with no production traffic.
	StepPreview StepKind = "preview"
	// StepScaleDown (blue-green) waits Duration, then scales the old version
	// down; after it the rollout can no longer return to the old version.
	StepScaleDown StepKind = "scaleDown"
	// StepBatch (rolling) runs the new version on Updated of Total instances.
	StepBatch StepKind = "batch"
)

// StepKinds lists every [StepKind].
func StepKinds() []StepKind {
	return []StepKind{StepWeight, StepPause, StepAnalysis, StepPreview, StepScaleDown, StepBatch}
}

// Step is one step of a rollout. Only the fields of its Kind are set.
type Step struct {
	Kind StepKind `json:"kind"`
	// Weight is the percentage of traffic for the new version (StepWeight).
	Weight int `json:"weight,omitempty"`
	// Duration is the pause (StepPause; 0 waits for a person) or the delay
	// before scaling down (StepScaleDown). Written to JSON as "5m0s".
	Duration time.Duration `json:"duration,omitempty"`
	// Analysis is the analysis to run (StepAnalysis).
	Analysis *analysis.Analysis `json:"analysis,omitempty"`
	// Updated and Total are the instances on the new version, and all of them
	// (StepBatch).
	Updated int `json:"updated,omitempty"`
	Total   int `json:"total,omitempty"`
}

// SetWeight is a step that routes weight percent of the traffic to the new
// version.
func SetWeight(weight int) Step { return Step{Kind: StepWeight, Weight: weight} }

// Pause is a step that waits d before going on.
func Pause(d time.Duration) Step { return Step{Kind: StepPause, Duration: d} }

// AwaitPromotion is a pause that lasts until a person promotes the rollout.
func AwaitPromotion() Step { return Step{Kind: StepPause} }

// Analyze is a step that runs a and aborts the rollout when it fails.
func Analyze(a analysis.Analysis) Step { return Step{Kind: StepAnalysis, Analysis: &a} }

type plainStep Step

type stepJSON struct {
	plainStep
	Duration jsondur.D `json:"duration,omitzero"`
}

// MarshalJSON writes the step with its duration as a string such as "5m0s".
func (s Step) MarshalJSON() ([]byte, error) {
	return json.Marshal(stepJSON{plainStep(s), jsondur.D(s.Duration)})
}

// UnmarshalJSON reads a step; the duration may be a string or nanoseconds.
func (s *Step) UnmarshalJSON(b []byte) error {
	var j stepJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Step(j.plainStep)
	s.Duration = time.Duration(j.Duration)
	return nil
}

// Canary shifts traffic to the new version step by step: weights, pauses and
// analyses in the order given. After the last step the new version takes all
// the traffic.
type Canary struct {
	Steps []Step `json:"steps"`
}

// BlueGreen brings the new version up beside the old one, verifies it behind
// the preview endpoint, switches all traffic to it at once, verifies it again,
// and scales the old version down after a delay.
type BlueGreen struct {
	// PrePromotion runs against the preview, before any production traffic.
	PrePromotion *analysis.Analysis `json:"prePromotionAnalysis,omitempty"`
	// ManualPromotion waits for a person before switching the traffic; by
	// default the switch follows the pre-promotion analysis.
	ManualPromotion bool `json:"manualPromotion,omitempty"`
	// PostPromotion runs after the switch; if it fails, traffic returns to the
	// old version, which is still running.
	PostPromotion *analysis.Analysis `json:"postPromotionAnalysis,omitempty"`
	// ScaleDownDelay is how long the old version keeps running after the
	// post-promotion analysis, ready to take the traffic back.
	ScaleDownDelay time.Duration `json:"scaleDownDelay,omitempty"`
}

type plainBlueGreen BlueGreen

type blueGreenJSON struct {
	plainBlueGreen
	ScaleDownDelay jsondur.D `json:"scaleDownDelay,omitzero"`
}

// MarshalJSON writes the delay as a string such as "10m0s".
func (b BlueGreen) MarshalJSON() ([]byte, error) {
	return json.Marshal(blueGreenJSON{plainBlueGreen(b), jsondur.D(b.ScaleDownDelay)})
}

// UnmarshalJSON reads the strategy; the delay may be a string or nanoseconds.
func (b *BlueGreen) UnmarshalJSON(data []byte) error {
	var j blueGreenJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = BlueGreen(j.plainBlueGreen)
	b.ScaleDownDelay = time.Duration(j.ScaleDownDelay)
	return nil
}

// Rolling replaces the instances of the old version in batches of BatchSize,
// optionally verifying each batch with an analysis and pausing between
// batches.
type Rolling struct {
	// Replicas is the number of instances.
	Replicas int `json:"replicas"`
	// BatchSize is how many instances each batch replaces (the last may be
	// smaller).
	BatchSize int `json:"batchSize"`
	// Analysis, when set, runs after each batch.
	Analysis *analysis.Analysis `json:"analysis,omitempty"`
	// Pause is waited between batches.
	Pause time.Duration `json:"pause,omitempty"`
}

type plainRolling Rolling

type rollingJSON struct {
	plainRolling
	Pause jsondur.D `json:"pause,omitzero"`
}

// MarshalJSON writes the pause as a string such as "2m0s".
func (r Rolling) MarshalJSON() ([]byte, error) {
	return json.Marshal(rollingJSON{plainRolling(r), jsondur.D(r.Pause)})
}

// UnmarshalJSON reads the strategy; the pause may be a string or nanoseconds.
func (r *Rolling) UnmarshalJSON(data []byte) error {
	var j rollingJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Rolling(j.plainRolling)
	r.Pause = time.Duration(j.Pause)
	return nil
}

// Strategy is a deployment strategy as data: exactly one of its fields is set.
// It is validated with [Strategy.Validate], stored as JSON, turned into its
// steps with [Strategy.Steps], drawn with [Strategy.WriteMermaid], and run by
// a [Driver].
type Strategy struct {
	Canary    *Canary    `json:"canary,omitempty"`
	BlueGreen *BlueGreen `json:"blueGreen,omitempty"`
	Rolling   *Rolling   `json:"rolling,omitempty"`
}

// Kind says which strategy is set ("" when none or several are).
func (s Strategy) Kind() Kind {
	var kinds []Kind
	if s.Canary != nil {
		kinds = append(kinds, KindCanary)
	}
	if s.BlueGreen != nil {
		kinds = append(kinds, KindBlueGreen)
	}
	if s.Rolling != nil {
		kinds = append(kinds, KindRolling)
	}
	if len(kinds) != 1 {
		return ""
	}
	return kinds[0]
}

// Validate reports every problem at once, each a [*FieldError] wrapping
// [ErrInvalidStrategy], joined with [errors.Join].
func (s Strategy) Validate() error {
	_, err := s.Steps()
	return err
}

// Steps returns the steps a [Driver] runs, in order: a canary's steps then
// SetWeight(100) when they do not end there; for blue-green Preview, the
// pre-promotion analysis, AwaitPromotion when promotion is manual,
// SetWeight(100), the post-promotion analysis and ScaleDown; for rolling one
// Batch per batch, each followed by the analysis and, but for the last, the
// pause.
func (s Strategy) Steps() ([]Step, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	checkAnalysis := func(field string, a *analysis.Analysis) {
		if a == nil {
			bad(field, "is nil: give the analysis to run")
			return
		}
		if err := a.Validate(); err != nil {
			var fe *analysis.FieldError
			for _, e := range flatten(err) {
				if errors.As(e, &fe) {
					bad(field+"."+fe.Field, "%s", fe.Problem)
				} else {
					bad(field, "%v", e)
				}
			}
		}
	}
	var steps []Step
	switch s.Kind() {
	case KindCanary:
		if len(s.Canary.Steps) == 0 {
			bad("canary.steps", "is empty: give at least one step, e.g. SetWeight(10), Analyze(a)")
		}
		for i, st := range s.Canary.Steps {
			f := fmt.Sprintf("canary.steps[%d]", i)
			switch st.Kind {
			case StepWeight:
				if st.Weight < 0 || st.Weight > 100 {
					bad(f+".weight", "is %d: a weight is a percentage, 0 to 100", st.Weight)
				}
			case StepPause:
				if st.Duration < 0 {
					bad(f+".duration", "is %v: use a positive duration, or 0 to wait for a person", st.Duration)
				}
			case StepAnalysis:
				checkAnalysis(f+".analysis", st.Analysis)
			default:
				bad(f+".kind", "is %q: a canary step sets a weight, pauses or runs an analysis", st.Kind)
			}
		}
		steps = append(steps, s.Canary.Steps...)
		if last := lastWeight(steps); last != 100 {
			steps = append(steps, SetWeight(100))
		}
	case KindBlueGreen:
		b := s.BlueGreen
		steps = append(steps, Step{Kind: StepPreview})
		if b.PrePromotion != nil {
			checkAnalysis("blueGreen.prePromotionAnalysis", b.PrePromotion)
			steps = append(steps, Analyze(*b.PrePromotion))
		}
		if b.ManualPromotion {
			steps = append(steps, AwaitPromotion())
		}
		steps = append(steps, SetWeight(100))
		if b.PostPromotion != nil {
			checkAnalysis("blueGreen.postPromotionAnalysis", b.PostPromotion)
			steps = append(steps, Analyze(*b.PostPromotion))
		}
		if b.ScaleDownDelay < 0 {
			bad("blueGreen.scaleDownDelay", "is %v: use 0 or a positive duration", b.ScaleDownDelay)
		}
		steps = append(steps, Step{Kind: StepScaleDown, Duration: b.ScaleDownDelay})
	case KindRolling:
		r := s.Rolling
		if r.Replicas <= 0 {
			bad("rolling.replicas", "is %d: give the number of instances", r.Replicas)
		}
		if r.BatchSize <= 0 {
			bad("rolling.batchSize", "is %d: give how many instances each batch replaces", r.BatchSize)
		}
		if r.Pause < 0 {
			bad("rolling.pause", "is %v: use 0 or a positive duration", r.Pause)
		}
		if r.Analysis != nil {
			checkAnalysis("rolling.analysis", r.Analysis)
		}
		if r.Replicas > 0 && r.BatchSize > 0 {
			for done := 0; done < r.Replicas; {
				done = min(done+r.BatchSize, r.Replicas)
				steps = append(steps, Step{Kind: StepBatch, Updated: done, Total: r.Replicas})
				if r.Analysis != nil {
					steps = append(steps, Analyze(*r.Analysis))
				}
				if r.Pause > 0 && done < r.Replicas {
					steps = append(steps, Pause(r.Pause))
				}
			}
		}
	default:
		bad("strategy", "sets %s: set exactly one of canary, blueGreen and rolling", describeSet(s))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return steps, nil
}

func describeSet(s Strategy) string {
	n := 0
	for _, set := range []bool{s.Canary != nil, s.BlueGreen != nil, s.Rolling != nil} {
		if set {
			n++
		}
	}
	if n == 0 {
		return "none"
	}
	return fmt.Sprintf("%d", n)
}

func lastWeight(steps []Step) int {
	w := -1
	for _, s := range steps {
		if s.Kind == StepWeight {
			w = s.Weight
		}
	}
	return w
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
