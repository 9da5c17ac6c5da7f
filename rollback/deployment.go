package rollback

import (
	"fmt"
	"strings"
	"time"
)

// Deployment is the record of what a release actually did: which components it moved
// from which version to which, in which wave, and how far each got. [Plan] derives the
// rollback from it. The zero value of every optional field is the safe one: a listed
// component is assumed to have started deploying, and a migration is assumed to be
// irreversible.
type Deployment struct {
	// Release names the release being rolled back (for the runbook and report).
	Release string `json:"release"`
	// Components lists every component of the release, each once.
	Components []ComponentChange `json:"components"`
}

// ComponentChange is what a deployment did to one component.
type ComponentChange struct {
	// Name identifies the component; it must be a node of the dependency graph.
	Name string `json:"name"`
	// From is the version the component ran before the release: the one a rollback
	// returns to. Empty when the release introduced the component; its rollback is
	// then a [KindRemove] step.
	From string `json:"from,omitempty"`
	// To is the version the release deployed.
	To string `json:"to"`
	// Wave is the deployment wave the component was deployed in (informational: the
	// rollback order comes from the dependency graph).
	Wave int `json:"wave"`
	// NotStarted is true when the component's deployment never began. Such a
	// component is left out of the plan: there is nothing to undo.
	NotStarted bool `json:"not_started,omitempty"`
	// Finished is true when the component's deployment completed. A component that
	// started but did not finish is half-deployed and is rolled back too; its
	// runbook entry says so.
	Finished bool `json:"finished,omitempty"`
	// Actions lists what the deployment did besides shipping To, in the order it did
	// them; each becomes a rollback step.
	Actions []Action `json:"actions,omitempty"`
}

// Started reports whether the component's deployment began (and so needs rollback).
func (c ComponentChange) Started() bool { return !c.NotStarted }

// Action is one thing a deployment did to a component besides shipping its new
// version: a migration, a feature flag, or a custom change.
type Action struct {
	// Kind says what the action was.
	Kind ActionKind `json:"kind"`
	// Name identifies it within the component: the migration's ID, the flag's key,
	// the custom change's name. Unique per component and kind.
	Name string `json:"name"`
	// Command undoes it (a down-migration, a flag command, the custom undo). Empty
	// means the command template of [Options].Commands for the step kind, or none:
	// the runbook then gives the action in words. Required for [ActionCustom].
	Command string `json:"command,omitempty"`
	// Reversible, for a migration, says that it can be reverted. A migration is
	// irreversible unless it says so: see [ErrIrreversible]. Ignored for other kinds.
	Reversible bool `json:"reversible,omitempty"`
	// RollForward, for an irreversible migration, is the command that fixes forward
	// when [Options].RollForward is set (a compensating migration, say). Empty means
	// the component's owners ship a fix.
	RollForward string `json:"roll_forward,omitempty"`
	// Duration estimates the step; zero means the default for its kind.
	Duration time.Duration `json:"duration,omitempty"`
	// Verify adds checks to the step's verification checklist.
	Verify []string `json:"verify,omitempty"`
}

// Validate reports every problem of the record at once, as a [*ValidationError]
// wrapping [ErrInvalidDeployment], or nil.
func (d Deployment) Validate() error {
	var problems []string
	seen := make(map[string]bool, len(d.Components))
	for i, c := range d.Components {
		where := fmt.Sprintf("component %d (%q)", i, c.Name)
		if strings.TrimSpace(c.Name) == "" {
			problems = append(problems, fmt.Sprintf("component %d has no name: give every component its graph name", i))
		} else if seen[c.Name] {
			problems = append(problems, fmt.Sprintf("%s is listed twice: list each component once", where))
		}
		seen[c.Name] = true
		if c.To == "" {
			problems = append(problems, fmt.Sprintf("%s has no To version: give the version the release deployed", where))
		}
		if c.Wave < 0 {
			problems = append(problems, fmt.Sprintf("%s has negative wave %d: waves count from 0", where, c.Wave))
		}
		if c.NotStarted && c.Finished {
			problems = append(problems, fmt.Sprintf("%s is both not started and finished: set at most one", where))
		}
		actions := make(map[string]bool, len(c.Actions))
		for j, a := range c.Actions {
			aw := fmt.Sprintf("%s action %d (%q)", where, j, a.Name)
			if !a.Kind.Valid() {
				problems = append(problems, fmt.Sprintf("%s has unknown kind %q: use one of %v", aw, a.Kind, ActionKinds()))
			}
			if strings.TrimSpace(a.Name) == "" {
				problems = append(problems, fmt.Sprintf("%s has no name: name the migration, flag or change", aw))
			}
			key := string(a.Kind) + "\x00" + a.Name
			if actions[key] {
				problems = append(problems, fmt.Sprintf("%s is listed twice: list each action once", aw))
			}
			actions[key] = true
			if a.Kind == ActionCustom && strings.TrimSpace(a.Command) == "" {
				problems = append(problems, fmt.Sprintf("%s is custom but has no Command: say how to undo it", aw))
			}
			if a.Duration < 0 {
				problems = append(problems, fmt.Sprintf("%s has negative duration %s", aw, a.Duration))
			}
		}
	}
	return validation(ErrInvalidDeployment, problems)
}
