package release

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

// ChangeQuery asks [Engine.Changes] what changed in one environment in a period.
type ChangeQuery struct {
	// Environment is the environment of the incident ("prod"); required.
	Environment string
	// From and To bound the period, [From, To); a zero To means the engine's now.
	// To before From is a *ValidationError.
	From, To time.Time
	// Service, when set, keeps only the changes within its blast radius: releases
	// of the service itself or of anything it depends on, directly or not (their
	// Name or a component's name), which is what could have broken it.
	Service string
	// Graph is the dependency graph that gives Service's dependencies; nil means
	// the graph of [WithRollback], and without one only the service itself counts.
	Graph *depgraph.Graph[string]
}

// Change is one release that changed the environment in the period, with what an
// incident responder needs to judge it and undo it.
type Change struct {
	Release Release
	// At is when it last changed the environment in the period: the time of the
	// newest of Entries.
	At time.Time
	// Entries are its deployment entries in the period (start, complete, verify,
	// fail, rollback, finish_rollback), oldest first: who did what, when.
	Entries []AuditEntry
	// RequestedBy is the release's author; ApprovedBy is who gave the Go decision
	// (the actor of the last approve) and then every approval recorded for the
	// scope it approved, in order, each name once.
	RequestedBy string
	ApprovedBy  []string
	// Rollback is the rollback plan: the one attached to the release, or one made
	// now from [WithRollback]'s graph and options; nil when there is neither (no
	// WithRollback, no components, or PlanError).
	Rollback *RollbackRecord
	// PlanError says why no plan could be made now, when one could not.
	PlanError string
	// HowToRollBack says, for a person, how to roll the release back from the state
	// it is in now.
	HowToRollBack string
}

// deployEvents are the events that change what runs in an environment.
var deployEvents = []Event{EventStart, EventComplete, EventVerify, EventFail, EventRollback, EventFinishRollback}

// Changes answers "what changed in this environment between From and To?": every
// release with a deployment entry (start, complete, verify, fail, rollback,
// finish_rollback) in [From, To), newest change first, optionally only within the
// blast radius of a service (its dependencies in the graph). Each [Change] names who
// requested and who approved it, its state, its rollback plan and how to roll it
// back now. An empty environment or a range whose To is before its From is a
// *[ValidationError] (ErrInvalid).
func (e *Engine) Changes(ctx context.Context, q ChangeQuery) ([]Change, error) {
	if q.To.IsZero() {
		q.To = e.now()
	}
	var probs []string
	if strings.TrimSpace(q.Environment) == "" {
		probs = append(probs, "the environment is empty")
	}
	if q.To.Before(q.From) {
		probs = append(probs, fmt.Sprintf("the range is inverted: to (%s) is before from (%s); swap them",
			q.To.UTC().Format(time.RFC3339), q.From.UTC().Format(time.RFC3339)))
	}
	if err := validation("change query", probs); err != nil {
		return nil, err
	}
	rb := e.rollbackStage()
	radius := e.blastRadius(q, rb)
	in := func(t time.Time) bool { return !t.Before(q.From) && t.Before(q.To) }

	var out []Change
	f := Filter{Environment: q.Environment, Limit: 1000,
		States: []State{StateDeploying, StateDeployed, StateVerified, StateFailed, StateRollingBack, StateRolledBack, StateClosed}}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		page, err := e.store.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("release: changes: list releases of %s: %w", q.Environment, err)
		}
		for _, r := range page {
			started, ok := r.Reached[StateDeploying]
			if !ok || !started.Before(q.To) || r.UpdatedAt.Before(q.From) || !radius(r) {
				continue
			}
			h, err := e.store.History(ctx, r.ID)
			if err != nil {
				return nil, fmt.Errorf("release: changes: history of %s %s: %w", r.Name, r.Version, named(r.ID, err))
			}
			c := Change{Release: r, RequestedBy: r.Author}
			for _, en := range h {
				if slices.Contains(deployEvents, en.Event) && in(en.Time) {
					c.Entries = append(c.Entries, en)
					c.At = en.Time
				}
			}
			if len(c.Entries) == 0 {
				continue
			}
			c.ApprovedBy = approvers(h)
			c.Rollback, c.PlanError = rollbackOf(r, rb)
			c.HowToRollBack = howToRollBack(r, c.Rollback, rb)
			out = append(out, c)
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(b.At.Compare(a.At), b.Release.ID.Compare(a.Release.ID))
	})
	return out, nil
}

// rollbackStage is the engine's rollback stage, nil without WithRollback.
func (e *Engine) rollbackStage() *rollbackStage {
	for _, st := range e.stages {
		if rb, ok := st.(*rollbackStage); ok {
			return rb
		}
	}
	return nil
}

// blastRadius returns whether a release is within q's service's blast radius.
func (e *Engine) blastRadius(q ChangeQuery, rb *rollbackStage) func(Release) bool {
	if q.Service == "" {
		return func(Release) bool { return true }
	}
	g := q.Graph
	if g == nil && rb != nil {
		g = rb.cfg.Graph
	}
	set := map[string]bool{q.Service: true}
	if g != nil {
		for _, d := range g.Dependencies(q.Service) {
			set[d] = true
		}
	}
	return func(r Release) bool {
		return set[r.Name] || slices.ContainsFunc(r.Components, func(c Component) bool { return set[c.Name] })
	}
}

// approvers is who approved: the actor of the last approve, then the approvals
// recorded for the scope that approve approved.
func approvers(h []AuditEntry) []string {
	var out []string
	add := func(id string) {
		if !slices.ContainsFunc(out, func(o string) bool { return SamePerson(o, id) }) {
			out = append(out, id)
		}
	}
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Event != EventApprove {
			continue
		}
		add(h[i].Actor.ID)
		if h[i].Snapshot != nil {
			for _, a := range standingOf(h[:i], h[i].Snapshot.Scope).approvals {
				add(a.Actor)
			}
		}
		break
	}
	return out
}

// rollbackOf is r's rollback plan: attached, or made now.
func rollbackOf(r Release, rb *rollbackStage) (*RollbackRecord, string) {
	if r.Rollback != nil {
		c := r.Clone()
		return c.Rollback, ""
	}
	if rb == nil || len(r.Components) == 0 {
		return nil, ""
	}
	plan, err := rb.plan(r, nil)
	if err != nil {
		return nil, err.Error()
	}
	b, err := json.Marshal(plan)
	if err != nil {
		return nil, err.Error()
	}
	return &RollbackRecord{Plan: b, Duration: plan.Duration()}, ""
}

// howToRollBack says how to roll r back from where it is now.
func howToRollBack(r Release, plan *RollbackRecord, rb *rollbackStage) string {
	previous := func() string {
		var vs []string
		for _, c := range r.Components {
			if c.PreviousVersion != "" {
				vs = append(vs, c.Name+" "+c.PreviousVersion)
			}
		}
		if len(vs) == 0 {
			return "the versions that ran before " + r.Version
		}
		return strings.Join(vs, ", ")
	}
	switch r.State {
	case StateRollingBack:
		return "it is being rolled back; fire finish_rollback once the plan's steps are done (fail if they cannot be)"
	case StateRolledBack:
		return "it is rolled back already: " + previous() + " run again"
	case StateClosed:
		if _, rolled := r.Reached[StateRolledBack]; rolled {
			return "it was rolled back before it closed: " + previous() + " run again"
		}
		return "it is closed, so the engine can no longer roll it back: ship " + previous() + " as a new release (class emergency to pass freezes)"
	}
	how := fmt.Sprintf("fire rollback on release %s (a deployer or release manager)", r.ID)
	switch {
	case plan != nil && rb != nil && rb.cfg.Executor != nil:
		how += fmt.Sprintf(": the executor runs the plan (est. %s) and fires finish_rollback", plan.Duration)
	case plan != nil:
		how += fmt.Sprintf(", follow the plan (est. %s), then fire finish_rollback", plan.Duration)
	default:
		how += ", redeploy " + previous() + ", then fire finish_rollback"
	}
	return how
}
