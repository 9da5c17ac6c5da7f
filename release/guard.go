package release

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Proposal is a transition the engine is about to commit, as guards see it.
type Proposal struct {
	// Release is the release as stored before the transition.
	Release Release
	Event   Event
	// To is the state the transition leads to.
	To     State
	Actor  Actor
	Reason string
	// Data is the caller's payload, or nil.
	Data json.RawMessage
	// Now is the engine clock's time of the attempt.
	Now time.Time

	guard       string
	annotations map[string]json.RawMessage
	// fence is the length of the lockdown history a start was decided on; fenced
	// says the commit must check it (LockdownStore.UpdateFenced).
	fence  int64
	fenced bool
	// history is the release's history as a stage read it while deciding (the
	// gates read the evidence), so that a refusal recorded on it is decided
	// without reading it again; nil when no stage read it.
	history []AuditEntry
}

// From is the state the transition leaves.
func (p *Proposal) From() State { return p.Release.State }

// Annotate records v (encoded as JSON) in the history entry of the transition, under
// the name of the guard that calls it; a later call by the same guard replaces it.
// Guards use it to record what they decided on (the gate results, the slot, the risk
// assessment), so the decision can be reviewed and replayed.
func (p *Proposal) Annotate(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("release: guard %s: annotation is not JSON-encodable: %w", p.guard, err)
	}
	if p.annotations == nil {
		p.annotations = map[string]json.RawMessage{}
	}
	p.annotations[p.guard] = b
	return nil
}

// Guard is consulted before a transition commits. Check returns nil to let it pass,
// or an error whose message is the reason to refuse it, written for a person ("the
// slot starts at 14:00 CET; it is 13:20"). The engine consults every guard, in the
// order given, and refuses with a *GuardError that lists every refusal.
//
// Check must not fire events on the engine (the engine is in the middle of a
// transition) and must honour ctx. A guard that cannot decide (its backend is down)
// refuses: a transition is never committed on a guess.
type Guard interface {
	Name() string
	Check(ctx context.Context, p *Proposal) error
}

type guardFunc struct {
	name string
	fn   func(ctx context.Context, p *Proposal) error
}

func (g guardFunc) Name() string                                 { return g.name }
func (g guardFunc) Check(ctx context.Context, p *Proposal) error { return g.fn(ctx, p) }

// GuardFunc makes a [Guard] from a name and a function.
func GuardFunc(name string, fn func(ctx context.Context, p *Proposal) error) Guard {
	return guardFunc{name: name, fn: fn}
}

// OnEvents wraps g so that it is consulted only for the given events.
func OnEvents(g Guard, events ...Event) Guard {
	return guardFunc{name: g.Name(), fn: func(ctx context.Context, p *Proposal) error {
		if !slices.Contains(events, p.Event) {
			return nil
		}
		return g.Check(ctx, p)
	}}
}

// Pipeline is a promotion path of environments, e.g. dev, staging, prod: a version may
// not start in an environment before the same release name and version was verified
// in the environment before it. Environments not on the path are not constrained.
type Pipeline []string

// Validate reports empty or repeated environments.
func (pl Pipeline) Validate() error {
	var probs []string
	seen := map[string]bool{}
	for i, env := range pl {
		if strings.TrimSpace(env) == "" {
			probs = append(probs, fmt.Sprintf("environment %d is empty", i))
		} else if seen[env] {
			probs = append(probs, fmt.Sprintf("environment %q appears twice", env))
		}
		seen[env] = true
	}
	return validation("pipeline", probs)
}

// Previous returns the environment before env on the path, or false when env is the
// first or not on the path.
func (pl Pipeline) Previous(env string) (string, bool) {
	i := slices.Index(pl, env)
	if i <= 0 {
		return "", false
	}
	return pl[i-1], true
}

// pipelineGuard refuses start in an environment until the version was verified in the
// previous environment of the pipeline (and has not failed or been rolled back there).
type pipelineGuard struct {
	store    Store
	pipeline Pipeline
}

func (g pipelineGuard) Name() string { return "pipeline" }

func (g pipelineGuard) Check(ctx context.Context, p *Proposal) error {
	if p.Event != EventStart {
		return nil
	}
	prev, ok := g.pipeline.Previous(p.Release.Environment)
	if !ok {
		return nil
	}
	earlier, err := g.store.List(ctx, Filter{Environment: prev, Name: p.Release.Name, Version: p.Release.Version})
	if err != nil {
		return fmt.Errorf("cannot look up %s %s in %s: %w", p.Release.Name, p.Release.Version, prev, err)
	}
	for _, r := range earlier {
		if verifiedAndStanding(r) {
			return nil
		}
	}
	return fmt.Errorf("%s %s has not been verified in %s, which comes before %s in the pipeline %s; verify it there first",
		p.Release.Name, p.Release.Version, prev, p.Release.Environment, strings.Join(g.pipeline, " -> "))
}

// verifiedAndStanding reports whether r was verified and has not failed or been rolled
// back since: it is verified now, or closed after a verification without a failure.
func verifiedAndStanding(r Release) bool {
	_, verified := r.Reached[StateVerified]
	_, failed := r.Reached[StateFailed]
	_, rolledBack := r.Reached[StateRollingBack]
	return r.State == StateVerified || r.State == StateClosed && verified && !failed && !rolledBack
}
