package risk

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/gate"
)

// Role names used by [DefaultPolicy]. Roles are plain data: a host application
// may use any names its identity provider knows.
const (
	// RoleReleaseManager is the release manager role.
	RoleReleaseManager = "release-manager"
	// RoleChangeAdvisoryBoard is the change advisory board (CAB) role.
	RoleChangeAdvisoryBoard = "change-advisory-board"
	// RoleSecurity is the security reviewer role.
	RoleSecurity = "security"
)

// Gate names used by [DefaultPolicy]; they match the default names of the
// gate package's built-in gates.
const (
	// GateChecks names the CI checks gate.
	GateChecks = "checks"
	// GateObjectives names the SLO objectives gate.
	GateObjectives = "objectives"
)

// Quorum asks for at least Min distinct approvers holding Role.
//
// Deprecated: use [gate.Quorum]: a policy's approvals are the gate package's quorums,
// one type for one idea, so a requirement feeds gate.Approvals without conversion.
type Quorum = gate.Quorum

// Requirement is what a release of one risk level needs before it may go.
type Requirement struct {
	// Approvals must all be met, by distinct people.
	Approvals []gate.Quorum `json:"approvals,omitempty"`
	// Gates names the gates that must be evaluated as required gates.
	Gates []string `json:"gates,omitempty"`
	// WarningsBlock makes a warning of a required gate block the release.
	WarningsBlock bool `json:"warnings_block,omitempty"`
}

// Policy maps each risk level to its [Requirement]. It is plain data and
// JSON-serialisable; the release engine uses it to choose the gates of a
// release from its assessed level.
type Policy struct {
	// Requirements holds one requirement per level.
	Requirements map[Level]Requirement `json:"requirements"`
}

// DefaultPolicy is:
//
//	level     approvals                                            gates               warnings block
//	low       1 release-manager                                    checks              no
//	medium    1 release-manager                                    checks, objectives  no
//	high      1 release-manager + 1 change-advisory-board          checks, objectives  no
//	critical  1 release-manager + 1 change-advisory-board + 1 security  checks, objectives  yes
//
// so a high-risk release needs two approvals, one of them by the change
// advisory board, and a critical one adds security and lets no warning pass.
func DefaultPolicy() Policy {
	return Policy{Requirements: map[Level]Requirement{
		Low:    {Approvals: []gate.Quorum{{Role: RoleReleaseManager, Min: 1}}, Gates: []string{GateChecks}},
		Medium: {Approvals: []gate.Quorum{{Role: RoleReleaseManager, Min: 1}}, Gates: []string{GateChecks, GateObjectives}},
		High: {Approvals: []gate.Quorum{{Role: RoleReleaseManager, Min: 1}, {Role: RoleChangeAdvisoryBoard, Min: 1}},
			Gates: []string{GateChecks, GateObjectives}},
		Critical: {Approvals: []gate.Quorum{{Role: RoleReleaseManager, Min: 1}, {Role: RoleChangeAdvisoryBoard, Min: 1}, {Role: RoleSecurity, Min: 1}},
			Gates: []string{GateChecks, GateObjectives}, WarningsBlock: true},
	}}
}

// PolicyError names one problem with a [Policy].
type PolicyError struct {
	// Level is the level concerned ("" for the policy as a whole).
	Level Level
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *PolicyError) Error() string {
	if e.Level == "" {
		return "risk policy: " + e.Problem
	}
	return fmt.Sprintf("risk policy: level %s: %s", e.Level, e.Problem)
}

// Unwrap returns [ErrInvalidPolicy].
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// Validate reports every problem at once: a missing or unknown level, a
// quorum with Min below 1, an empty or repeated gate name, and a higher level
// that asks for less than a lower one (fewer approvals of a role, fewer
// approvals in total, a gate dropped, or warnings no longer blocking).
func (p Policy) Validate() error {
	var errs []error
	add := func(l Level, problem string) { errs = append(errs, &PolicyError{Level: l, Problem: problem}) }
	for l := range p.Requirements {
		if !l.Valid() {
			add(l, "is not a risk level: use low, medium, high or critical")
		}
	}
	for _, l := range Levels() {
		r, ok := p.Requirements[l]
		if !ok {
			add(l, "has no requirement: give every level one")
			continue
		}
		for i, q := range r.Approvals {
			if q.Min < 1 {
				add(l, fmt.Sprintf("approval quorum %d (%q) has Min %d: use at least 1", i, q.Role, q.Min))
			}
		}
		seen := map[string]bool{}
		for i, g := range r.Gates {
			switch {
			case strings.TrimSpace(g) == "":
				add(l, fmt.Sprintf("gate %d has an empty name", i))
			case seen[g]:
				add(l, fmt.Sprintf("gate %q is listed twice", g))
			}
			seen[g] = true
		}
	}
	levels := Levels()
	for i := 1; i < len(levels); i++ {
		lo, okLo := p.Requirements[levels[i-1]]
		hi, okHi := p.Requirements[levels[i]]
		if !okLo || !okHi {
			continue
		}
		for _, role := range rolesOf(lo.Approvals) {
			if need(hi.Approvals, role) < need(lo.Approvals, role) {
				add(levels[i], fmt.Sprintf("needs %d approvals of %q but %s needs %d: a higher level must not need less", need(hi.Approvals, role), role, levels[i-1], need(lo.Approvals, role)))
			}
		}
		if totalMin(hi.Approvals) < totalMin(lo.Approvals) {
			add(levels[i], fmt.Sprintf("needs %d approvals in total but %s needs %d", totalMin(hi.Approvals), levels[i-1], totalMin(lo.Approvals)))
		}
		for _, g := range lo.Gates {
			if !slices.Contains(hi.Gates, g) {
				add(levels[i], fmt.Sprintf("drops gate %q that %s requires", g, levels[i-1]))
			}
		}
		if lo.WarningsBlock && !hi.WarningsBlock {
			add(levels[i], fmt.Sprintf("lets warnings pass although %s blocks them", levels[i-1]))
		}
	}
	return errors.Join(errs...)
}

func rolesOf(qs []gate.Quorum) []string {
	var out []string
	for _, q := range qs {
		if !slices.Contains(out, q.Role) {
			out = append(out, q.Role)
		}
	}
	return out
}

func need(qs []gate.Quorum, role string) int {
	n := 0
	for _, q := range qs {
		if q.Role == role {
			n += q.Min
		}
	}
	return n
}

func totalMin(qs []gate.Quorum) int {
	n := 0
	for _, q := range qs {
		n += q.Min
	}
	return n
}

// For returns the requirement for level, or an error wrapping
// [ErrNoRequirement] (or [ErrInvalidLevel]) when there is none.
func (p Policy) For(level Level) (Requirement, error) {
	if !level.Valid() {
		return Requirement{}, fmt.Errorf("%w: %q: use low, medium, high or critical", ErrInvalidLevel, level)
	}
	r, ok := p.Requirements[level]
	if !ok {
		return Requirement{}, fmt.Errorf("%w %s: add one to the policy", ErrNoRequirement, level)
	}
	r.Approvals = slices.Clone(r.Approvals)
	r.Gates = slices.Clone(r.Gates)
	return r, nil
}
