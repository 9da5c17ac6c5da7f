package release

import (
	"context"
)

// stage is one of the engine's own capabilities wired into every transition (the
// calendar, risk, gates, dependencies, rollback, reviews). Unlike a Guard, a stage may
// change the release being committed and have effects around the commit.
type stage interface {
	name() string
	// check decides whether the transition may go and fills in next. It has no effect
	// outside p and next; a non-nil error is a refusal with a person's reason.
	check(ctx context.Context, p *Proposal, next *Release, o *fireOptions) error
	// reserve makes the effects that must hold before the commit (a booking in a
	// shared store). undo reverts them if the commit does not happen.
	reserve(ctx context.Context, p *Proposal, next *Release) (undo func(), err error)
	// after runs once the transition is committed and notified; it may fire
	// follow-up events and returns the release as it then is.
	after(ctx context.Context, p *Proposal, next Release, o *fireOptions) (Release, error)
}

// baseStage gives a stage no reserve and no after.
type baseStage struct{}

func (baseStage) reserve(context.Context, *Proposal, *Release) (func(), error) { return nil, nil }
func (baseStage) after(_ context.Context, _ *Proposal, next Release, _ *fireOptions) (Release, error) {
	return next, nil
}

// checkStages runs every stage's check and collects the refusals.
func (e *Engine) checkStages(ctx context.Context, p *Proposal, next *Release, o *fireOptions) ([]Refusal, error) {
	var refusals []Refusal
	for _, st := range e.stages {
		p.guard = st.name()
		err := st.check(ctx, p, next, o)
		if err == nil {
			continue
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		refusals = append(refusals, newRefusal(st.name(), err))
	}
	p.guard = ""
	return refusals, nil
}

// reserveStages runs every stage's reserve; on a failure it undoes what the earlier
// stages reserved and returns the failure as a refusal.
func (e *Engine) reserveStages(ctx context.Context, p *Proposal, next *Release) (undo func(), err error) {
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	for _, st := range e.stages {
		u, err := st.reserve(ctx, p, next)
		if err != nil {
			undo()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &GuardError{ID: p.Release.ID, Event: p.Event, Release: peopleName(p.Release), Refusals: []Refusal{newRefusal(st.name(), err)}}
		}
		if u != nil {
			undos = append(undos, u)
		}
	}
	return undo, nil
}
