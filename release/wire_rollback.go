package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
)

// RollbackConfig wires rollback planning and execution into the lifecycle (see
// [WithRollback]).
type RollbackConfig struct {
	// Graph is the dependency graph of the components; nil means the release's
	// components do not depend on each other.
	Graph *depgraph.Graph[string]
	// Options tune the plans (roll forward, durations, commands, who is notified).
	// Options.Failed is set from FailedComponents.
	Options rollback.Options
	// Actions lists, per component, what the deployment did besides shipping the
	// version (migrations, feature flags), so the plan undoes them too.
	Actions func(r Release, c Component) []rollback.Action
	// Executor runs the plan's steps. With one, rollback runs the plan right after
	// it commits and then fires finish_rollback, or fail when a step failed. nil
	// means the plan is only attached: people follow the runbook and fire
	// finish_rollback themselves.
	Executor rollback.Executor
	// Run tunes execution (parallelism, a progress callback for bots).
	Run rollback.RunOptions
}

// WithRollback attaches a rollback plan, derived from the dependency graph and what
// the release deployed, when a release fails (and at rollback when none is attached
// yet), and runs it through the Executor at rollback.
//
// A release can always fail: when no plan can be made (an irreversible migration
// without roll-forward), fail records why and rollback is refused until the plan can
// be made or the release is closed.
func WithRollback(cfg RollbackConfig) Option {
	return func(e *Engine) error {
		if err := cfg.Options.Validate(); err != nil {
			return fmt.Errorf("%w: rollback options: %v", ErrInvalid, err)
		}
		if err := cfg.Run.Validate(); err != nil {
			return fmt.Errorf("%w: rollback run options: %v", ErrInvalid, err)
		}
		e.stages = append(e.stages, &rollbackStage{cfg: cfg, eng: e})
		return nil
	}
}

type rollbackStage struct {
	baseStage
	cfg RollbackConfig
	eng *Engine
}

func (*rollbackStage) name() string { return "rollback" }

// Deployment is the rollback record of what r deployed: every component from its
// previous version to its version, finished when r reached deployed.
func (s *rollbackStage) deployment(r Release) rollback.Deployment {
	_, finished := r.Reached[StateDeployed]
	d := rollback.Deployment{Release: r.Name + " " + r.Version}
	for _, c := range r.Components {
		ch := rollback.ComponentChange{Name: c.Name, From: c.PreviousVersion, To: c.Version, Finished: finished}
		if s.cfg.Actions != nil {
			ch.Actions = s.cfg.Actions(r, c)
		}
		d.Components = append(d.Components, ch)
	}
	return d
}

func (s *rollbackStage) plan(r Release, failed []string) (*rollback.Runbook, error) {
	g := s.cfg.Graph
	if g == nil {
		g = depgraph.New[string]()
	}
	g = g.Clone()
	for _, c := range r.Components {
		g.AddNode(c.Name)
	}
	opts := s.cfg.Options
	opts.Failed = failed
	return rollback.Plan(g, s.deployment(r), opts)
}

func (s *rollbackStage) check(_ context.Context, p *Proposal, next *Release, o *fireOptions) error {
	r := p.Release
	switch {
	case p.Event == EventFail && p.From() != StateRollingBack,
		p.Event == EventRollback && r.Rollback == nil:
		if len(r.Components) == 0 {
			return nil
		}
		rb, err := s.plan(r, o.failed)
		if err != nil {
			if p.Event == EventRollback {
				return fmt.Errorf("no rollback plan can be made: %w", err)
			}
			return p.Annotate(map[string]string{"plan_error": err.Error()})
		}
		b, err := json.Marshal(rb)
		if err != nil {
			return err
		}
		next.Rollback = &RollbackRecord{Plan: b, Duration: rb.Duration()}
		return p.Annotate(map[string]any{"steps": len(rb.Steps()), "duration": rb.Duration().String(), "components": rb.Components()})
	case (p.Event == EventFinishRollback || p.Event == EventFail) && len(o.report) > 0 && next.Rollback != nil:
		next.Rollback.Report = o.report
	}
	return nil
}

func (s *rollbackStage) after(ctx context.Context, p *Proposal, next Release, _ *fireOptions) (Release, error) {
	if p.Event != EventRollback || s.cfg.Executor == nil || next.Rollback == nil {
		return next, nil
	}
	var rb rollback.Runbook
	if err := json.Unmarshal(next.Rollback.Plan, &rb); err != nil {
		return next, &CorruptError{What: "rollback plan of release " + next.ID.String(), Reason: err.Error()}
	}
	opts := s.cfg.Run
	if opts.Now == nil {
		opts.Now = s.eng.now
	}
	if len(next.Rollback.Report) > 0 {
		var prev rollback.Report
		if err := json.Unmarshal(next.Rollback.Report, &prev); err == nil {
			opts.Resume = &prev
		}
	}
	rep, runErr := rollback.Run(ctx, &rb, s.cfg.Executor, opts)
	var report json.RawMessage
	if rep != nil {
		report, _ = json.Marshal(rep)
	}
	event, reason := EventFinishRollback, "rollback plan ran to completion"
	if runErr != nil {
		event, reason = EventFail, "rollback failed: "+runErr.Error()
	}
	done, err := s.eng.Fire(context.WithoutCancel(ctx), next.ID, event, p.Actor, Reason(reason), withRollbackReport(report))
	if err != nil && !Committed(err) {
		return next, fmt.Errorf("release %s: the rollback ran but %s could not be recorded: %w", next.ID, event, err)
	}
	return done, errors.Join(runErr, err)
}

// WithReviewRequired(true) makes close refuse without a post-implementation review,
// which each close passes with [WithReview]. A review given with a close is recorded
// in Release.Review either way.
func WithReviewRequired(required bool) Option {
	return func(e *Engine) error {
		e.requireReview = required
		return nil
	}
}

// WithReviews is the old name of [WithReviewRequired].
//
// Deprecated: use [WithReviewRequired]; the plural read as a per-call review.
func WithReviews(required bool) Option { return WithReviewRequired(required) }

type reviewStage struct {
	baseStage
	required bool
}

func (reviewStage) name() string { return "review" }

func (s reviewStage) check(_ context.Context, p *Proposal, next *Release, o *fireOptions) error {
	if p.Event != EventClose {
		return nil
	}
	if o.review == nil {
		if s.required {
			return errors.New("closing needs a post-implementation review: pass WithReview(Review{Outcome: …})")
		}
		return nil
	}
	if o.review.Outcome == "" {
		return errors.New("the review has no outcome")
	}
	next.Review = o.review
	return nil
}
