package strategy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/internal/wait"
)

// Traffic is implemented by the host: it moves traffic and instances between
// the stable and the new version (a Kubernetes controller, a load balancer's
// API, a feature flag).
//
// Apply carries out one step of kind [StepWeight], [StepPreview],
// [StepScaleDown] or [StepBatch] for the named rollout, and returns once it is
// in effect. It must be idempotent: after a crash the driver applies the step
// it had started again. To abort, the driver applies SetWeight(0) (canary and
// blue-green) or a batch with no instance updated (rolling). A kind the host
// does not support is an error (errors.ErrUnsupported); an error stops the run,
// which the host resumes when it chooses.
type Traffic interface {
	Apply(ctx context.Context, rollout string, s Step) error
}

// TrafficFunc adapts a function to [Traffic].
type TrafficFunc func(ctx context.Context, rollout string, s Step) error

// Apply calls f.
func (f TrafficFunc) Apply(ctx context.Context, rollout string, s Step) error {
	return f(ctx, rollout, s)
}

// Event is what a [Record] says happened to a step.
type Event string

// The events, in the order they happen to a step.
const (
	// EventStarted: the driver began the step.
	EventStarted Event = "started"
	// EventWaiting: the step waits for a person (a pause until promoted, an
	// inconclusive analysis).
	EventWaiting Event = "waiting"
	// EventPromoted: a person promoted the rollout past the waiting step.
	EventPromoted Event = "promoted"
	// EventCompleted: the step is done.
	EventCompleted Event = "completed"
	// EventAborted: the rollout is aborted at this step (Reason says why, By
	// who, when a person did).
	EventAborted Event = "aborted"
	// EventRestored: all traffic is back on the stable version.
	EventRestored Event = "restored"
	// EventRolledBack: the rollback hook ran ([WithRollback]).
	EventRolledBack Event = "rolledBack"
)

// Events lists every [Event].
func Events() []Event {
	return []Event{EventStarted, EventWaiting, EventPromoted, EventCompleted, EventAborted, EventRestored, EventRolledBack}
}

// Record is one event of a rollout, as the [Recorder] stores it and [Resume]
// reads it back.
type Record struct {
	Rollout string    `json:"rollout"`
	Step    int       `json:"step"`
	Kind    StepKind  `json:"kind"`
	Event   Event     `json:"event"`
	At      time.Time `json:"at"`
	// Weight is the share of traffic (for rolling, of instances) on the new
	// version after the event, in percent.
	Weight int `json:"weight"`
	// Analysis is the analysis' phase, on the events of an analysis step that
	// ended it.
	Analysis analysis.Phase `json:"analysis,omitempty"`
	// By is the person who promoted or aborted.
	By string `json:"by,omitempty"`
	// Reason says why (an analysis' reason, a person's words).
	Reason string `json:"reason,omitempty"`
}

// Recorder stores a rollout's events and its analyses' measurements; the
// engine records both as evidence in the release's history. A step counts as
// done only once its record is stored; on an error the run stops and returns
// it, and a resumed run does the step again.
type Recorder interface {
	analysis.Recorder
	RecordStep(ctx context.Context, r Record) error
}

// Rollout is one deployment of a new version under a strategy.
type Rollout struct {
	// ID names the rollout in records, measurements (run IDs are
	// "<ID>/step-<n>") and calls to [Traffic].
	ID       string   `json:"id"`
	Strategy Strategy `json:"strategy"`
}

// Phase is the state of a rollout after [Driver.Run].
type Phase string

// The phases.
const (
	// PhaseProgressing: the run stopped part-way (its context ended, or the
	// host or recorder failed); run it again with [Resume].
	PhaseProgressing Phase = "Progressing"
	// PhasePaused: a step waits for a person; run again with [Promote] or
	// [Abort].
	PhasePaused Phase = "Paused"
	// PhaseCompleted: every step is done; the new version is stable.
	PhaseCompleted Phase = "Completed"
	// PhaseAborted: traffic is back on the stable version and the rollback
	// hook has run.
	PhaseAborted Phase = "Aborted"
)

// Result is the state of a rollout.
type Result struct {
	Rollout string `json:"rollout"`
	Phase   Phase  `json:"phase"`
	// Step is the index of the step reached (len(steps) once completed).
	Step int `json:"step"`
	// Weight is the new version's share, in percent.
	Weight int    `json:"weight"`
	Reason string `json:"reason"`
	// Analysis is the result of the analysis that paused or aborted the
	// rollout, when one did in this run.
	Analysis *analysis.Result `json:"analysis,omitempty"`
}

// RollbackFunc is called once traffic is back on the stable version after an
// abort; it runs the release's rollback (for example a rollback plan). It must
// be idempotent: after a crash it is called again.
type RollbackFunc func(ctx context.Context, rollout, reason string) error

// Driver runs rollouts: it carries out their steps through [Traffic], runs
// their analyses on an [analysis.Runner], records every step, aborts when an
// analysis fails, and resumes from the records after a crash. One driver
// serves any number of concurrent rollouts.
type Driver struct {
	traffic  Traffic
	runner   *analysis.Runner
	clock    analysis.Clock
	rollback RollbackFunc
}

// Option configures a [Driver].
type Option func(*Driver) error

// WithClock sets the clock for records and pauses (give the runner the same
// one); the default is the system clock.
func WithClock(c analysis.Clock) Option {
	return func(d *Driver) error {
		if c == nil {
			return fmt.Errorf("%w: WithClock(nil)", ErrInvalidOption)
		}
		d.clock = c
		return nil
	}
}

// WithRollback sets the hook called after an abort has returned the traffic.
func WithRollback(fn RollbackFunc) Option {
	return func(d *Driver) error {
		d.rollback = fn
		return nil
	}
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// NewDriver returns a driver that moves traffic with t and runs analyses on
// runner (nil when no strategy it runs has an analysis step).
func NewDriver(t Traffic, runner *analysis.Runner, opts ...Option) (*Driver, error) {
	d := &Driver{traffic: t, runner: runner, clock: systemClock{}}
	var errs []error
	if t == nil {
		errs = append(errs, fmt.Errorf("%w: a nil Traffic: the host must move the traffic", ErrInvalidOption))
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// RunOption configures one run.
type RunOption func(*runConfig)

type runConfig struct {
	recorder     Recorder
	records      []Record
	measurements []analysis.Measurement
	promoteBy    string
	abortBy      string
	abortReason  string
	abort        bool
}

// RecordTo sends every event and measurement to rec.
func RecordTo(rec Recorder) RunOption { return func(c *runConfig) { c.recorder = rec } }

// Resume continues a rollout from its records and its analyses' measurements,
// as the store gives them back (in the order they were recorded). A step that
// was started and not completed is done again; a record repeated under the
// same step and event counts once.
func Resume(records []Record, measurements []analysis.Measurement) RunOption {
	return func(c *runConfig) { c.records, c.measurements = records, measurements }
}

// Promote lets the rollout past the step that waits for a person. The run
// returns [ErrNotWaiting] when no step waits.
func Promote(by string) RunOption { return func(c *runConfig) { c.promoteBy = by } }

// Abort aborts the rollout: traffic returns to the stable version and the
// rollback hook runs.
func Abort(by, reason string) RunOption {
	return func(c *runConfig) { c.abort, c.abortBy, c.abortReason = true, by, reason }
}

// state is a rollout's progress, rebuilt from its records.
type state struct {
	steps                        []Step
	cur                          int
	startedAt                    time.Time
	started, waiting, promoted   bool
	aborted, restored, rolledBck bool
	abortStep                    int
	abortReason                  string
	weight                       int
}

func (s *state) load(id string, recs []Record) error {
	type key struct {
		step  int
		event Event
	}
	seen := map[key]bool{}
	for _, r := range recs {
		bad := func(format string, args ...any) error {
			return &RecordError{Step: r.Step, Problem: fmt.Sprintf(format, args...)}
		}
		switch {
		case r.Rollout != id:
			return bad("belongs to rollout %q, not %q", r.Rollout, id)
		case r.Step < 0 || r.Step >= len(s.steps):
			return bad("the strategy has %d steps", len(s.steps))
		case r.Kind != s.steps[r.Step].Kind:
			return bad("is a %s step, but step %d of the strategy is a %s step", r.Kind, r.Step, s.steps[r.Step].Kind)
		}
		k := key{r.Step, r.Event}
		if seen[k] && r.Event != EventWaiting {
			continue // recorded twice
		}
		seen[k] = true
		switch r.Event {
		case EventAborted:
			s.aborted, s.abortStep, s.abortReason, s.weight = true, r.Step, r.Reason, r.Weight
			continue
		case EventRestored:
			s.restored, s.weight = true, 0
			continue
		case EventRolledBack:
			s.rolledBck = true
			continue
		}
		if s.aborted {
			return bad("%s after the rollout was aborted", r.Event)
		}
		if r.Step < s.cur {
			continue // an earlier step's event, recorded again
		}
		if r.Step > s.cur {
			return bad("%s before step %d completed", r.Event, s.cur)
		}
		if !s.started && r.Event != EventStarted {
			return bad("%s before the step started", r.Event)
		}
		switch r.Event {
		case EventStarted:
			s.started, s.startedAt = true, r.At
		case EventWaiting:
			s.waiting = true
		case EventPromoted:
			s.promoted = true
		case EventCompleted:
			s.cur++
			s.started, s.waiting, s.promoted = false, false, false
			s.weight = r.Weight
		default:
			return bad("unknown event %q", r.Event)
		}
	}
	return nil
}

// Run drives the rollout from where its records leave it to the end, to a
// step that waits for a person, or to an abort. See [Phase] for what each
// result means. The error is non-nil when the run could not go on: an invalid
// strategy ([ErrInvalidStrategy]), records that do not fit
// ([ErrInvalidRecords]), [Promote] with nothing waiting ([ErrNotWaiting]),
// [Promote] or [Abort] after the end ([ErrFinished]), or a failure of the host,
// the recorder, the rollback hook or ctx (the result's phase is then
// Progressing, or Aborted with the abort unfinished).
func (d *Driver) Run(ctx context.Context, ro Rollout, opts ...RunOption) (Result, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	steps, err := ro.Strategy.Steps()
	if err != nil {
		return Result{Rollout: ro.ID, Phase: PhaseProgressing}, err
	}
	st := &state{steps: steps}
	if err := st.load(ro.ID, cfg.records); err != nil {
		return Result{Rollout: ro.ID, Phase: PhaseProgressing}, err
	}
	r := run{d: d, ro: ro, cfg: cfg, st: st}
	return r.drive(ctx)
}

type run struct {
	d   *Driver
	ro  Rollout
	cfg runConfig
	st  *state
	ana *analysis.Result
}

func (r *run) result(p Phase, reason string) Result {
	step := r.st.cur
	if r.st.aborted {
		step = r.st.abortStep
	}
	return Result{Rollout: r.ro.ID, Phase: p, Step: step, Weight: r.st.weight, Reason: reason, Analysis: r.ana}
}

func (r *run) record(ctx context.Context, step int, ev Event, mod func(*Record)) error {
	rec := Record{Rollout: r.ro.ID, Step: step, Kind: r.st.steps[step].Kind, Event: ev, At: r.d.clock.Now(), Weight: r.st.weight}
	if mod != nil {
		mod(&rec)
	}
	if r.cfg.recorder == nil {
		return nil
	}
	if err := r.cfg.recorder.RecordStep(ctx, rec); err != nil {
		return fmt.Errorf("recording step %d %s: %w", step, ev, err)
	}
	return nil
}

func (r *run) drive(ctx context.Context) (Result, error) {
	st := r.st
	finished := st.aborted || st.cur == len(st.steps)
	switch {
	case (r.cfg.abort || r.cfg.promoteBy != "") && finished:
		p := PhaseCompleted
		if st.aborted {
			p = PhaseAborted
		}
		return r.result(p, "the rollout has already finished"), ErrFinished
	case r.cfg.abort:
		return r.abort(ctx, r.cfg.abortReason, r.cfg.abortBy)
	case st.aborted:
		return r.abort(ctx, st.abortReason, "")
	case r.cfg.promoteBy != "":
		if !st.waiting || st.promoted {
			return r.result(PhaseProgressing, ""), fmt.Errorf("%w: step %d (%s) is not waiting", ErrNotWaiting, st.cur, st.steps[st.cur].Kind)
		}
		if err := r.record(ctx, st.cur, EventPromoted, func(rec *Record) { rec.By = r.cfg.promoteBy }); err != nil {
			return r.result(PhaseProgressing, err.Error()), err
		}
		st.promoted = true
	}
	for st.cur < len(st.steps) {
		i, step := st.cur, st.steps[st.cur]
		if !st.started {
			now := r.d.clock.Now()
			if err := r.record(ctx, i, EventStarted, func(rec *Record) { rec.At = now }); err != nil {
				return r.result(PhaseProgressing, err.Error()), err
			}
			st.started, st.startedAt = true, now
		}
		var completion func(*Record)
		switch step.Kind {
		case StepWeight, StepPreview, StepBatch, StepScaleDown:
			if step.Kind == StepScaleDown {
				if err := wait.Until(ctx, r.d.clock, st.startedAt.Add(step.Duration)); err != nil {
					return r.result(PhaseProgressing, "stopped waiting to scale down"), err
				}
			}
			if err := r.d.traffic.Apply(ctx, r.ro.ID, step); err != nil {
				err = fmt.Errorf("step %d (%s): %w", i, step.Kind, err)
				return r.result(PhaseProgressing, err.Error()), err
			}
			switch step.Kind {
			case StepWeight:
				st.weight = step.Weight
			case StepBatch:
				st.weight = step.Updated * 100 / step.Total
			}
		case StepPause:
			if step.Duration > 0 {
				if err := wait.Until(ctx, r.d.clock, st.startedAt.Add(step.Duration)); err != nil {
					return r.result(PhaseProgressing, "stopped during a pause"), err
				}
				break
			}
			if !st.promoted {
				return r.wait(ctx, i, "waiting for a person to promote the rollout")
			}
		case StepAnalysis:
			if st.promoted {
				break // a person accepted an inconclusive analysis
			}
			if r.d.runner == nil {
				err := fmt.Errorf("%w: step %d runs an analysis but the driver has no analysis runner", ErrInvalidOption, i)
				return r.result(PhaseProgressing, err.Error()), err
			}
			runID := r.ro.ID + "/step-" + strconv.Itoa(i)
			var resume []analysis.Measurement
			for _, m := range r.cfg.measurements {
				if m.Run == runID {
					resume = append(resume, m)
				}
			}
			aopts := []analysis.RunOption{analysis.RunID(runID), analysis.Resume(resume)}
			if r.cfg.recorder != nil {
				aopts = append(aopts, analysis.RecordTo(r.cfg.recorder))
			}
			res, err := r.d.runner.Run(ctx, *step.Analysis, aopts...)
			if err != nil {
				return r.result(PhaseProgressing, fmt.Sprintf("analysis %q: %v", step.Analysis.Name, err)), err
			}
			r.ana = &res
			switch res.Phase {
			case analysis.PhaseFailed, analysis.PhaseError:
				return r.abort(ctx, fmt.Sprintf("analysis %q %s: %s", step.Analysis.Name, res.Phase, res.Reason), "")
			case analysis.PhaseInconclusive:
				return r.wait(ctx, i, fmt.Sprintf("analysis %q is inconclusive: %s", step.Analysis.Name, res.Reason), func(rec *Record) { rec.Analysis = res.Phase })
			}
			completion = func(rec *Record) { rec.Analysis, rec.Reason = res.Phase, res.Reason }
		}
		if err := r.record(ctx, i, EventCompleted, completion); err != nil {
			return r.result(PhaseProgressing, err.Error()), err
		}
		st.cur++
		st.started, st.waiting, st.promoted = false, false, false
	}
	return r.result(PhaseCompleted, fmt.Sprintf("all %d steps completed", len(st.steps))), nil
}

// wait records that step i waits for a person (once) and pauses the run.
func (r *run) wait(ctx context.Context, i int, reason string, mods ...func(*Record)) (Result, error) {
	if !r.st.waiting {
		if err := r.record(ctx, i, EventWaiting, func(rec *Record) {
			rec.Reason = reason
			for _, m := range mods {
				m(rec)
			}
		}); err != nil {
			return r.result(PhaseProgressing, err.Error()), err
		}
		r.st.waiting = true
	}
	return r.result(PhasePaused, reason), nil
}

// abort returns the traffic to the stable version and runs the rollback hook,
// recording each part so that a crash part-way is finished on resume.
func (r *run) abort(ctx context.Context, reason, by string) (Result, error) {
	st := r.st
	if !st.aborted {
		step := min(st.cur, len(st.steps)-1)
		if err := r.record(ctx, step, EventAborted, func(rec *Record) { rec.Reason, rec.By = reason, by }); err != nil {
			return r.result(PhaseProgressing, err.Error()), err
		}
		st.aborted, st.abortStep, st.abortReason = true, step, reason
	}
	fail := func(err error) (Result, error) {
		return r.result(PhaseAborted, reason+" (abort unfinished: "+err.Error()+")"), err
	}
	if !st.restored {
		stable := SetWeight(0)
		if r.ro.Strategy.Kind() == KindRolling {
			stable = Step{Kind: StepBatch, Updated: 0, Total: r.ro.Strategy.Rolling.Replicas}
		}
		if err := r.d.traffic.Apply(ctx, r.ro.ID, stable); err != nil {
			return fail(fmt.Errorf("returning traffic to the stable version: %w", err))
		}
		st.weight = 0
		if err := r.record(ctx, st.abortStep, EventRestored, nil); err != nil {
			return fail(err)
		}
		st.restored = true
	}
	if r.d.rollback != nil && !st.rolledBck {
		if err := r.d.rollback(ctx, r.ro.ID, reason); err != nil {
			return fail(fmt.Errorf("rollback: %w", err))
		}
		if err := r.record(ctx, st.abortStep, EventRolledBack, nil); err != nil {
			return fail(err)
		}
		st.rolledBck = true
	}
	return r.result(PhaseAborted, reason), nil
}
