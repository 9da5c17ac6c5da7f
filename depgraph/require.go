package depgraph

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// requirements holds the version requirements on edges, in insertion order.
type requirements struct {
	list []requirement
	seen map[reqKey]struct{}
}

type reqKey struct {
	dependent, dependency int32
	constraint            string
}

type requirement struct {
	dependent, dependency int32
	constraint            string
	parsed                *semver.Constraints
}

// Requirement is a version requirement on a dependency edge: Dependent needs a
// version of Dependency that satisfies Constraint.
type Requirement[K comparable] struct {
	Dependent  K
	Dependency K
	Constraint string
}

// AddRequirement records that dependent depends on dependency, as
// [Graph.AddDependency] does, and that it needs a version of dependency that
// satisfies constraint, such as ">= 1.5.0, < 2.0.0" or "^1.5". Constraints are
// parsed by github.com/Masterminds/semver/v3, whose syntax (comparisons joined
// by commas for "and" and by "||" for "or", tilde, caret, wildcards and hyphen
// ranges) they follow. As there, a pre-release version satisfies a constraint
// only if the constraint itself names a pre-release.
//
// Several requirements on the same edge all apply; adding one that is already
// there does nothing. A constraint that does not parse returns a
// [*ConstraintError] that unwraps to [ErrInvalidConstraint], and a
// self-dependency returns a [*SelfDependencyError]; either way the graph is
// unchanged.
//
// Requirements outlive their edge: [Graph.Reduce] may drop a direct edge that
// is implied by a longer chain, but the requirement stays and [Graph.Unmet]
// still checks it.
func (g *Graph[K]) AddRequirement(dependent, dependency K, constraint string) error {
	if dependent == dependency {
		return &SelfDependencyError[K]{Key: dependent}
	}
	parsed, err := semver.NewConstraint(constraint)
	if err != nil {
		return &ConstraintError[K]{Dependent: dependent, Dependency: dependency, Constraint: constraint, Err: err}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	u, v := g.node(dependent), g.node(dependency)
	g.addEdge(u, v)
	key := reqKey{u, v, constraint}
	if _, dup := g.reqs.seen[key]; dup {
		return nil
	}
	if g.reqs.seen == nil {
		g.reqs.seen = make(map[reqKey]struct{})
	}
	g.reqs.seen[key] = struct{}{}
	g.reqs.list = append(g.reqs.list, requirement{dependent: u, dependency: v, constraint: constraint, parsed: parsed})
	return nil
}

// Requirements returns every version requirement in the order they were added.
func (g *Graph[K]) Requirements() []Requirement[K] {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Requirement[K], len(g.reqs.list))
	for i, r := range g.reqs.list {
		out[i] = Requirement[K]{Dependent: g.keys[r.dependent], Dependency: g.keys[r.dependency], Constraint: r.constraint}
	}
	return out
}

// UnmetKind says why a requirement is not met.
type UnmetKind string

const (
	// Missing means the inventory has no version (or an empty one) for the dependency.
	Missing UnmetKind = "missing"
	// InvalidVersion means the inventory's version of the dependency is not a
	// semantic version.
	InvalidVersion UnmetKind = "invalid-version"
	// OutOfRange means the deployed version does not satisfy the constraint.
	OutOfRange UnmetKind = "out-of-range"
)

// UnmetKinds lists every [UnmetKind].
func UnmetKinds() []UnmetKind { return []UnmetKind{Missing, InvalidVersion, OutOfRange} }

// Unmet is one requirement that an inventory does not meet, with the reason.
type Unmet[K comparable] struct {
	// Dependent needs Dependency at a version that satisfies Constraint.
	Dependent  K
	Dependency K
	Constraint string
	// Version is the inventory's version of Dependency, "" if it has none.
	Version string
	Kind    UnmetKind
	// Reason explains in a sentence what is wrong, for people.
	Reason string
}

// String returns the reason with the requirement it is about.
func (u Unmet[K]) String() string {
	return fmt.Sprintf("%v needs %v %s: %s", u.Dependent, u.Dependency, u.Constraint, u.Reason)
}

// Unmet checks every version requirement against inventory, the versions
// deployed in an environment, and returns every requirement it does not meet,
// in the order the requirements were added. A release whose requirements are
// unmet should be held until its dependency ships. Versions are parsed
// leniently ("v1.4", "1.4.2" and "1.4.2-rc.1" all parse). Unmet returns nil
// when every requirement is met.
func (g *Graph[K]) Unmet(inventory map[K]string) []Unmet[K] {
	g.mu.Lock()
	list := g.reqs.list[:len(g.reqs.list):len(g.reqs.list)]
	keys := g.keys[:len(g.keys):len(g.keys)]
	g.mu.Unlock()
	var out []Unmet[K]
	for _, r := range list {
		dependency := keys[r.dependency]
		u := Unmet[K]{Dependent: keys[r.dependent], Dependency: dependency, Constraint: r.constraint}
		raw, ok := inventory[dependency]
		u.Version = raw
		if !ok || strings.TrimSpace(raw) == "" {
			u.Kind = Missing
			u.Reason = fmt.Sprintf("%v has no deployed version in the inventory: ship it first or add its version", dependency)
			out = append(out, u)
			continue
		}
		ver, err := semver.NewVersion(raw)
		if err != nil {
			u.Kind = InvalidVersion
			u.Reason = fmt.Sprintf("the inventory's version %q of %v is not a semantic version (%v): record it like 1.4.2", raw, dependency, err)
			out = append(out, u)
			continue
		}
		if ok, errs := r.parsed.Validate(ver); !ok {
			u.Kind = OutOfRange
			why := make([]string, 0, len(errs))
			for _, e := range errs {
				why = append(why, e.Error())
			}
			u.Reason = fmt.Sprintf("%v is deployed at %s (%s): ship a version that satisfies %s first",
				dependency, raw, strings.Join(why, "; "), r.constraint)
			out = append(out, u)
		}
	}
	return out
}
