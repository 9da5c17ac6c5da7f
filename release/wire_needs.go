package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// DependencyConfig wires cross-release dependencies into the lifecycle (see
// [WithDependencies]).
type DependencyConfig struct {
	// RequireVerified asks for the needed releases to be verified, not only deployed.
	RequireVerified bool
}

// WithDependencies makes start refuse until every release the release needs
// (Spec.Needs) is deployed, or verified with RequireVerified, in the same environment,
// in a version that meets the need's constraint, and has not failed or been rolled
// back since. Scheduling places a release after the slots of what it needs when
// WithCalendar is on too.
func WithDependencies(cfg DependencyConfig) Option {
	return func(e *Engine) error {
		e.stages = append(e.stages, &needsStage{cfg: cfg, store: e.store})
		return nil
	}
}

type needsStage struct {
	baseStage
	cfg   DependencyConfig
	store Store
}

func (*needsStage) name() string { return "dependencies" }

func (s *needsStage) check(ctx context.Context, p *Proposal, _ *Release, _ *fireOptions) error {
	r := p.Release
	if p.Event != EventStart || len(r.Needs) == 0 {
		return nil
	}
	want := "deployed"
	if s.cfg.RequireVerified {
		want = "verified"
	}
	var missing []string
	var met []string
	for _, n := range r.Needs {
		found, err := s.store.List(ctx, Filter{Environment: r.Environment, Name: n.Name})
		if err != nil {
			return fmt.Errorf("cannot look up %s in %s: %w", n.Name, r.Environment, err)
		}
		var seen []string
		ok := false
		for _, f := range found {
			seen = append(seen, f.Version+" "+string(f.State))
			if satisfies(f.Version, n.Version) && s.standing(f) {
				ok = true
				met = append(met, n.Name+" "+f.Version)
				break
			}
		}
		if !ok {
			also := ""
			if len(seen) > 0 {
				also = " (there: " + strings.Join(seen, ", ") + ")"
			}
			missing = append(missing, fmt.Sprintf("%s %s in %s, which it is not%s", needString(n), want, r.Environment, also))
		}
	}
	if len(missing) > 0 {
		return errors.New("it needs " + strings.Join(missing, "; and ") + "; deploy that first")
	}
	return p.Annotate(map[string]any{"met": met})
}

// standing reports whether f counts as in place: deployed (or verified) and not
// failed, rolled back or cancelled since.
func (s *needsStage) standing(f Release) bool {
	if s.cfg.RequireVerified {
		return verifiedAndStanding(f)
	}
	switch f.State {
	case StateDeployed, StateVerified:
		return true
	case StateClosed:
		_, failed := f.Reached[StateFailed]
		_, back := f.Reached[StateRollingBack]
		_, deployed := f.Reached[StateDeployed]
		return deployed && !failed && !back
	}
	return false
}

// satisfies reports whether version meets constraint; an empty constraint accepts
// every version, and a version that is not semantic meets only an exact match.
func satisfies(version, constraint string) bool {
	if strings.TrimSpace(constraint) == "" {
		return true
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return strings.TrimSpace(constraint) == version
	}
	return c.Check(v)
}

func needString(n Need) string {
	if n.Version == "" {
		return n.Name
	}
	return n.Name + " " + n.Version
}
