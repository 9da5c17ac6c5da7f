package rollback

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Executor runs one step of a rollback: it redeploys, reverts, disables or runs the
// step's command. Execute returns nil when the step is done and an error when it is
// not; it should give up promptly when ctx is cancelled (returning an error). It is
// called from several goroutines at once, for steps of different components; the
// steps of one component are never run at the same time. [Run] calls it at most
// once per step and run, and a resumed run never calls it for a step already done,
// so an executor need not be idempotent across runs for done steps; a step that
// failed is run again on resume, so its work should be safe to repeat.
type Executor interface {
	Execute(ctx context.Context, step Step) error
}

// ExecutorFunc adapts a function to [Executor].
type ExecutorFunc func(ctx context.Context, step Step) error

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, step Step) error { return f(ctx, step) }

// RunOptions tune [Run]. The zero value runs every component of a wave at once,
// from the start, with no callback and no timestamps.
type RunOptions struct {
	// Parallelism bounds how many components run at once; zero means no bound.
	Parallelism int
	// Resume continues a run from the report an earlier run of the same runbook
	// returned: steps done there are not run again (they stay done), failed and
	// not-started steps run. The report is not modified.
	Resume *Report
	// OnProgress, when set, hears about every step started, finished, failed, or
	// skipped because it was already done. Calls come one at a time (never
	// concurrently), from the run's goroutines; keep them short.
	OnProgress func(Progress)
	// Now stamps the start and end of each step in the report. Nil leaves the
	// timestamps empty (the package never reads the system clock itself).
	Now func() time.Time
}

// Validate reports every problem of the options at once, as a [*ValidationError]
// wrapping [ErrInvalidOptions], or nil.
func (o RunOptions) Validate() error {
	var problems []string
	if o.Parallelism < 0 {
		problems = append(problems, fmt.Sprintf("Parallelism is %d: give a positive bound, or zero for none", o.Parallelism))
	}
	return validation(ErrInvalidOptions, problems)
}

// Progress is one event of a run, with the run's counts after it.
type Progress struct {
	// Kind says what happened.
	Kind ProgressKind
	// Step is the step it happened to.
	Step Step
	// Err is the step's error for [ProgressFailed].
	Err error
	// Total counts the runbook's steps; Done, Failed, Running and NotStarted add up
	// to it.
	Total, Done, Failed, Running, NotStarted int
}

// Report says what a run did, step by step in run order. It is plain data: encode it
// as JSON to persist it and pass it back as [RunOptions].Resume to continue.
type Report struct {
	// Release is the runbook's release.
	Release string `json:"release"`
	// Steps holds every step of the runbook, in run order.
	Steps []StepResult `json:"steps"`
	// Cancelled is true when the run stopped because its context was cancelled.
	Cancelled bool `json:"cancelled,omitempty"`
}

// StepResult is where one step stands.
type StepResult struct {
	// ID, Component, Kind and Wave repeat the step's.
	ID        string     `json:"id"`
	Component string     `json:"component"`
	Kind      StepKind   `json:"kind"`
	Wave      int        `json:"wave"`
	Status    StepStatus `json:"status"`
	// Error is the executor's error message when Status is [StatusFailed].
	Error string `json:"error,omitempty"`
	// Attempts counts the executor's calls for this step, across resumed runs.
	Attempts int `json:"attempts,omitempty"`
	// StartedAt and FinishedAt come from [RunOptions].Now; zero without it.
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Complete reports whether every step is done.
func (r *Report) Complete() bool {
	for _, s := range r.Steps {
		if s.Status != StatusDone {
			return false
		}
	}
	return true
}

// Done returns the IDs of the steps done, in run order.
func (r *Report) Done() []string { return r.ids(StatusDone) }

// NotStarted returns the IDs of the steps not started, in run order.
func (r *Report) NotStarted() []string { return r.ids(StatusNotStarted) }

// Failed returns the steps that failed, with their errors, in run order.
func (r *Report) Failed() []StepResult {
	var out []StepResult
	for _, s := range r.Steps {
		if s.Status == StatusFailed {
			out = append(out, s)
		}
	}
	return out
}

// Result returns the result of the step with the given ID.
func (r *Report) Result(id string) (StepResult, bool) {
	for _, s := range r.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return StepResult{}, false
}

func (r *Report) ids(st StepStatus) []string {
	var out []string
	for _, s := range r.Steps {
		if s.Status == st {
			out = append(out, s.ID)
		}
	}
	return out
}

// Run executes a runbook: wave after wave, the components of a wave in parallel (at
// most [RunOptions].Parallelism at once), the steps of a component in order.
//
//   - A failing step (an error, or a panic of the executor) stops its component; the
//     rest of its wave finishes, and no later wave starts. Run then returns a
//     [*StepFailedError] (wrapping [ErrStepFailed] and each step's error).
//   - A cancelled ctx stops cleanly: no step starts after it, running steps see it
//     through their ctx, the rest stay not started, the report is marked Cancelled,
//     and the error wraps ctx.Err().
//   - With [RunOptions].Resume, steps done in the earlier report are never run again.
//
// The [Report] is returned in every case except invalid input (a runbook that fails
// [Runbook.Validate], a nil executor, bad options, or a resume report of another
// runbook: a [*ValidationError]).
func Run(ctx context.Context, rb *Runbook, exec Executor, opts RunOptions) (*Report, error) {
	if err := rb.Validate(); err != nil {
		return nil, err
	}
	if exec == nil {
		return nil, validation(ErrInvalidOptions, []string{"executor is nil: pass an Executor (or an ExecutorFunc) that runs steps"})
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := &runner{exec: exec, opts: opts, rb: rb, index: make(map[string]int)}
	r.rep.Release = rb.Release
	for _, s := range rb.Steps() {
		r.index[s.ID] = len(r.rep.Steps)
		r.steps = append(r.steps, s)
		r.rep.Steps = append(r.rep.Steps, StepResult{ID: s.ID, Component: s.Component, Kind: s.Kind, Wave: s.Wave, Status: StatusNotStarted})
	}
	if err := r.resume(opts.Resume); err != nil {
		return nil, err
	}
	r.count()

	for _, wave := range rb.Waves {
		if ctx.Err() != nil {
			break
		}
		if r.runWave(ctx, wave) {
			break
		}
	}

	rep := r.rep
	rep.Steps = append([]StepResult(nil), r.rep.Steps...)
	var errs []error
	if len(r.failures) > 0 {
		errs = append(errs, &StepFailedError{Steps: r.failures})
	}
	if err := ctx.Err(); err != nil && !rep.Complete() {
		rep.Cancelled = true
		errs = append(errs, fmt.Errorf("rollback: run cancelled, %d step(s) not started (resume from the report): %w", len(rep.NotStarted()), err))
	}
	if len(errs) == 1 {
		return &rep, errs[0]
	}
	return &rep, errors.Join(errs...)
}

type runner struct {
	exec  Executor
	opts  RunOptions
	rb    *Runbook
	steps []Step
	index map[string]int

	mu       sync.Mutex
	rep      Report
	failures []FailedStep
	done     int
	failed   int
	running  int
	waiting  int
}

func (r *runner) resume(prev *Report) error {
	if prev == nil {
		return nil
	}
	var problems []string
	if prev.Release != r.rep.Release {
		problems = append(problems, fmt.Sprintf("report is of release %q, runbook of %q: resume with the report of this runbook", prev.Release, r.rep.Release))
	}
	for _, s := range prev.Steps {
		i, ok := r.index[s.ID]
		if !ok {
			problems = append(problems, fmt.Sprintf("report has step %q the runbook lacks: resume with the report of this runbook (plan with the same inputs)", s.ID))
			continue
		}
		res := &r.rep.Steps[i]
		res.Attempts = s.Attempts
		if s.Status == StatusDone {
			res.Status, res.StartedAt, res.FinishedAt = StatusDone, s.StartedAt, s.FinishedAt
		}
	}
	return validation(ErrInvalidReport, problems)
}

func (r *runner) count() {
	for _, s := range r.rep.Steps {
		switch s.Status {
		case StatusDone:
			r.done++
		default:
			r.waiting++
		}
	}
}

// runWave runs the wave's steps not done yet and reports whether any failed.
func (r *runner) runWave(ctx context.Context, wave Wave) (failed bool) {
	var lanes [][]int
	for j, s := range wave.Steps {
		i := r.index[s.ID]
		if j == 0 || wave.Steps[j-1].Component != s.Component {
			lanes = append(lanes, nil)
		}
		if r.rep.Steps[i].Status == StatusDone {
			r.progress(ProgressSkipped, s, nil)
			continue
		}
		lanes[len(lanes)-1] = append(lanes[len(lanes)-1], i)
	}
	work := lanes[:0]
	for _, l := range lanes {
		if len(l) > 0 {
			work = append(work, l)
		}
	}
	if len(work) == 0 {
		return false
	}
	workers := len(work)
	if r.opts.Parallelism > 0 {
		workers = min(workers, r.opts.Parallelism)
	}
	jobs := make(chan []int)
	var wg sync.WaitGroup
	var anyFailed bool
	var fmu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lane := range jobs {
				if !r.runLane(ctx, lane) {
					fmu.Lock()
					anyFailed = true
					fmu.Unlock()
				}
			}
		}()
	}
feed:
	for _, lane := range work {
		select {
		case jobs <- lane:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return anyFailed
}

// runLane runs one component's steps in order; false when one failed.
func (r *runner) runLane(ctx context.Context, lane []int) bool {
	for _, i := range lane {
		if ctx.Err() != nil {
			return true
		}
		s := r.steps[i]
		r.mu.Lock()
		res := &r.rep.Steps[i]
		res.Status, res.Error, res.Attempts = StatusRunning, "", res.Attempts+1
		res.StartedAt, res.FinishedAt = r.now(), time.Time{}
		r.waiting--
		r.running++
		r.progressLocked(ProgressStarted, s, nil)
		r.mu.Unlock()

		err := r.call(ctx, s)

		r.mu.Lock()
		res.FinishedAt = r.now()
		r.running--
		if err != nil {
			res.Status, res.Error = StatusFailed, err.Error()
			r.failed++
			r.failures = append(r.failures, FailedStep{ID: s.ID, Err: err})
			r.progressLocked(ProgressFailed, s, err)
		} else {
			res.Status = StatusDone
			r.done++
			r.progressLocked(ProgressFinished, s, nil)
		}
		r.mu.Unlock()
		if err != nil {
			return false
		}
	}
	return true
}

func (r *runner) call(ctx context.Context, s Step) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Step: s.ID, Value: v}
		}
	}()
	return r.exec.Execute(ctx, s)
}

func (r *runner) now() time.Time {
	if r.opts.Now == nil {
		return time.Time{}
	}
	return r.opts.Now()
}

func (r *runner) progress(kind ProgressKind, s Step, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progressLocked(kind, s, err)
}

func (r *runner) progressLocked(kind ProgressKind, s Step, err error) {
	if r.opts.OnProgress == nil {
		return
	}
	r.opts.OnProgress(Progress{
		Kind: kind, Step: s, Err: err,
		Total: len(r.steps), Done: r.done, Failed: r.failed, Running: r.running, NotStarted: r.waiting,
	})
}
