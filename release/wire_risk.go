package release

import (
	"context"
	"fmt"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/risk"
)

// RiskConfig wires risk assessment into the lifecycle (see [WithRisk]).
type RiskConfig struct {
	// Model scores the facts; nil means risk.DefaultModel().
	Model *risk.Model
	// Facts gathers what is known about a release (size, history, tests…). nil
	// means the facts the release itself holds: its components and class, the
	// scheduling facts, and the blast radius from Graph.
	Facts func(ctx context.Context, r Release) (risk.Facts, error)
	// Graph is the dependency graph of the components; with it the engine fills in
	// the blast radius (the components that depend on the release's ones).
	Graph *depgraph.Graph[string]
}

// WithRisk assesses every release when it is planned: the score, level and reasons
// are stored in Release.Risk and the whole assessment is recorded in the history.
// With WithGates, the level selects the required gates by the risk policy.
func WithRisk(cfg RiskConfig) Option {
	return func(e *Engine) error {
		if cfg.Model == nil {
			m := risk.DefaultModel()
			cfg.Model = &m
		}
		if err := cfg.Model.Validate(); err != nil {
			return fmt.Errorf("%w: risk model: %v", ErrInvalid, err)
		}
		e.stages = append(e.stages, &riskStage{cfg: cfg})
		return nil
	}
}

type riskStage struct {
	baseStage
	cfg RiskConfig
}

func (*riskStage) name() string { return "risk" }

func (s *riskStage) check(ctx context.Context, p *Proposal, next *Release, _ *fireOptions) error {
	if p.Event != EventPlan {
		return nil
	}
	f, err := s.facts(ctx, p.Release)
	if err != nil {
		return fmt.Errorf("cannot gather the risk facts: %w", err)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("the risk facts are not valid: %w", err)
	}
	a := s.cfg.Model.Assess(f)
	if a.Err != nil {
		return fmt.Errorf("the risk model failed: %w", a.Err)
	}
	sum := &RiskSummary{Score: a.Score, Level: string(a.Level)}
	for _, c := range a.Contributions {
		if c.Points <= 0 {
			continue
		}
		line := fmt.Sprintf("%s (+%.1f)", c.Reason, c.Points)
		if c.Mitigation != "" {
			line += "; to lower it: " + c.Mitigation
		}
		sum.Reasons = append(sum.Reasons, line)
	}
	next.Risk = sum
	return p.Annotate(map[string]any{"facts": f, "assessment": a})
}

func (s *riskStage) facts(ctx context.Context, r Release) (risk.Facts, error) {
	if s.cfg.Facts != nil {
		return s.cfg.Facts(ctx, r)
	}
	f := risk.Facts{Class: r.Class}
	for _, c := range r.Components {
		f.Components = append(f.Components, c.Name)
		if c.PreviousVersion == "" {
			f.FirstTimeComponents = append(f.FirstTimeComponents, c.Name)
		}
	}
	if s.cfg.Graph != nil {
		seen := map[string]bool{}
		for _, c := range f.Components {
			seen[c] = true
		}
		for _, c := range f.Components {
			for _, d := range s.cfg.Graph.Dependents(c) {
				if !seen[d] {
					seen[d] = true
					f.DependentNames = append(f.DependentNames, d)
				}
			}
		}
		f.Dependents = len(f.DependentNames)
	}
	return f, nil
}
