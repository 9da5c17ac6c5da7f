package release

import (
	"fmt"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/change"
)

// Well-known roles used by [DefaultPolicy]. Roles are plain strings: a host
// application may use its own.
const (
	RoleDeveloper      = "developer"
	RoleReleaseManager = "release-manager"
	RoleApprover       = "approver"
	RoleDeployer       = "deployer"
)

// Permission lets actors with any of Roles fire any of Events, optionally only in some
// environments, for some change classes, or for some kinds of actor. Empty
// Environments, Classes or Kinds mean all.
type Permission struct {
	Name         string
	Events       []Event
	Roles        []string
	Environments []string
	Classes      []change.Class
	Kinds        []ActorKind
}

func (p Permission) covers(e Event, r Release) bool {
	return slices.Contains(p.Events, e) &&
		(len(p.Environments) == 0 || slices.Contains(p.Environments, r.Environment)) &&
		(len(p.Classes) == 0 || slices.Contains(p.Classes, r.Class))
}

// Policy says who may fire which events. An actor may fire an event when at least one
// permission covers the event, the release's environment and class, and the actor's
// kind, and the actor has one of its roles. The zero Policy allows nothing; an Engine
// without WithPolicy uses [DefaultPolicy].
//
// Separation of duties: unless AllowSelfApproval is set, the author of a release may
// not approve it, whatever their roles. IDs are compared regardless of case
// ([SamePerson]), and IDs that could pass for another (surrounding white space,
// invisible characters) are refused; hosts pass one canonical ID per person.
type Policy struct {
	Permissions       []Permission
	AllowSelfApproval bool
}

// DefaultPolicy is the policy of an Engine built without WithPolicy:
//
//	rule     events                                                  roles
//	plan     plan, schedule, unschedule, cancel                      developer, release-manager
//	approve  approve, revoke                                         approver, release-manager
//	deploy   start, complete, verify, fail, rollback, finish_rollback deployer, release-manager
//	close    close                                                   release-manager
//	stop     declare, lift (runtime lockdowns and freezes)           release-manager
//
// in every environment, for every class and kind of actor, with separation of duties.
func DefaultPolicy() Policy {
	return Policy{Permissions: []Permission{
		{Name: "plan", Events: []Event{EventPlan, EventSchedule, EventUnschedule, EventCancel}, Roles: []string{RoleDeveloper, RoleReleaseManager}},
		{Name: "approve", Events: []Event{EventApprove, EventRevoke}, Roles: []string{RoleApprover, RoleReleaseManager}},
		{Name: "deploy", Events: []Event{EventStart, EventComplete, EventVerify, EventFail, EventRollback, EventFinishRollback}, Roles: []string{RoleDeployer, RoleReleaseManager}},
		{Name: "close", Events: []Event{EventClose}, Roles: []string{RoleReleaseManager}},
		{Name: "stop", Events: []Event{EventDeclare, EventLift}, Roles: []string{RoleReleaseManager}},
	}}
}

// AllowAll is a policy that lets every actor fire every event, and declare and lift
// lockdowns, with separation of duties still on. It suits tests and single-user tools.
func AllowAll() Policy {
	return Policy{Permissions: []Permission{{Name: "allow-all", Events: policyEvents(), Roles: nil}}}
}

// policyEvents are the events a Permission may name: the lifecycle's, and declaring
// and lifting a lockdown.
func policyEvents() []Event { return append(Events(), EventDeclare, EventLift) }

// Validate reports every problem with p at once, as a *ValidationError.
func (p Policy) Validate() error {
	var probs []string
	seen := map[string]bool{}
	for i, perm := range p.Permissions {
		name := perm.Name
		if strings.TrimSpace(name) == "" {
			probs = append(probs, fmt.Sprintf("permission %d has no name", i))
			name = fmt.Sprintf("#%d", i)
		} else if seen[name] {
			probs = append(probs, fmt.Sprintf("permission %q is defined twice", name))
		}
		seen[name] = true
		if len(perm.Events) == 0 {
			probs = append(probs, fmt.Sprintf("permission %q names no events", name))
		}
		for _, e := range perm.Events {
			if !slices.Contains(policyEvents(), e) {
				probs = append(probs, fmt.Sprintf("permission %q: %q is not an event", name, e))
			}
		}
		for _, c := range perm.Classes {
			if !c.Valid() {
				probs = append(probs, fmt.Sprintf("permission %q: %q is not a change class", name, c))
			}
		}
		for _, k := range perm.Kinds {
			if !slices.Contains(ActorKinds(), k) {
				probs = append(probs, fmt.Sprintf("permission %q: %q is not an actor kind", name, k))
			}
		}
	}
	return validation("policy", probs)
}

// Authorize returns nil when a may fire e on r, or a *ForbiddenError (ErrForbidden)
// that names the refusing rule. A permission with no Roles admits any actor.
func (p Policy) Authorize(a Actor, e Event, r Release) error {
	forbid := func(rule, format string, args ...any) error {
		return &ForbiddenError{Actor: a.ID, Event: e, Environment: r.Environment, Rule: rule, Reason: fmt.Sprintf(format, args...)}
	}
	if e == EventApprove && SamePerson(a.ID, r.Author) && !p.AllowSelfApproval {
		return forbid("separation-of-duties", "%s wrote this release and may not approve it; ask another approver", a.ID)
	}
	var refusing []string
	var needed []string
	for _, perm := range p.Permissions {
		if !perm.covers(e, r) {
			continue
		}
		if len(perm.Kinds) > 0 && !slices.Contains(perm.Kinds, a.Kind) {
			refusing = append(refusing, perm.Name)
			needed = append(needed, fmt.Sprintf("an actor of kind %v", perm.Kinds))
			continue
		}
		if len(perm.Roles) == 0 || slices.ContainsFunc(perm.Roles, a.HasRole) {
			return nil
		}
		refusing = append(refusing, perm.Name)
		needed = append(needed, "one of the roles "+strings.Join(perm.Roles, ", "))
	}
	if len(refusing) == 0 {
		return forbid("", "no permission covers %s for class %s", e, r.Class)
	}
	return forbid(strings.Join(refusing, ", "), "%s has roles [%s]; it takes %s", a.ID, strings.Join(a.Roles, ", "), strings.Join(needed, " or "))
}
