package servicenow

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
)

// Config says which instance to sync with, how to sign in, and how releases map
// onto change requests. The zero value of each mapping field is useful: no
// assignment group, no configuration items, every environment, approvals recorded
// in the change advisory board's role.
type Config struct {
	// Instance is the instance's base URL, e.g. "https://your-instance.example".
	Instance string `json:"instance"`

	// User and Password sign in with basic authentication. Token (a static OAuth
	// bearer access token) or TokenSource (one that fetches and refreshes tokens)
	// sign in with OAuth instead; TokenSource wins over Token, either over basic.
	User        string                                    `json:"user,omitempty"`
	Password    string                                    `json:"password,omitempty"`
	Token       string                                    `json:"token,omitempty"`
	TokenSource func(ctx context.Context) (string, error) `json:"-"`
	// SyncUser is the instance's user_name of the integration user, for telling
	// its own updates from other people's; default User. Set it with OAuth.
	SyncUser string `json:"sync_user,omitempty"`

	// Environments are the environments whose releases get a change request
	// (typically "prod"); empty: every environment.
	Environments []string `json:"environments,omitempty"`
	// AssignmentGroup is the sys_id of the sys_user_group that owns the change
	// requests; AssignmentGroups overrides it per release team.
	AssignmentGroup  string            `json:"assignment_group,omitempty"`
	AssignmentGroups map[string]string `json:"assignment_groups,omitempty"`
	// ConfigurationItems maps component names to cmdb_ci sys_ids, and
	// BusinessServices to business service (cmdb_ci_service) sys_ids. The change
	// request's cmdb_ci and business_service are those of the first component
	// that has one; every component and its item is listed in the description.
	ConfigurationItems map[string]string `json:"configuration_items,omitempty"`
	BusinessServices   map[string]string `json:"business_services,omitempty"`

	// ApproverRole is the role the change request's approvals are recorded in as
	// evidence ([Syncer.ReadBack]); default "change-advisory-board", the role the
	// risk policy's CAB quorum counts.
	ApproverRole string `json:"approver_role,omitempty"`
	// Approvers maps an approver's sys_user user_name to the release actor ID it
	// is recorded as; a user_name not in the map is recorded as itself.
	Approvers map[string]string `json:"approvers,omitempty"`
	// HonourWindow makes [Syncer.ReadBack] take a planned window changed in the
	// instance as the release's slot (unschedule, then schedule at its start), and
	// makes the sync leave such a window as it is.
	HonourWindow bool `json:"honour_window,omitempty"`
	// Actor is who ReadBack reschedules as; default an automation "servicenow"
	// with the developer role (the role the default policy lets schedule).
	Actor release.Actor `json:"-"`
}

// Validate reports every problem of c at once, as a *ConfigError.
func (c Config) Validate() error {
	var p []string
	if u, err := url.Parse(c.Instance); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p = append(p, fmt.Sprintf("instance %q is not an absolute http(s) URL such as https://your-instance.example", c.Instance))
	} else if u.Path != "" && u.Path != "/" {
		p = append(p, fmt.Sprintf("instance %q has a path; give the base URL only (the Table API's /api/now/table is added)", c.Instance))
	}
	if c.TokenSource == nil && c.Token == "" && (c.User == "" || c.Password == "") {
		p = append(p, "no credentials: give user and password (basic) or an OAuth token")
	}
	if (c.Token != "" || c.TokenSource != nil) && c.SyncUser == "" && c.User == "" {
		p = append(p, "with OAuth, give sync_user (the integration user's user_name) so the sync tells its own updates from people's")
	}
	for _, e := range c.Environments {
		if strings.TrimSpace(e) == "" {
			p = append(p, "environments holds an empty name")
		}
	}
	for what, m := range map[string]map[string]string{"assignment_groups": c.AssignmentGroups, "configuration_items": c.ConfigurationItems, "business_services": c.BusinessServices} {
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				p = append(p, fmt.Sprintf("%s: %q maps to an empty sys_id", what, k))
			}
		}
	}
	if c.Actor.ID != "" && c.Actor.Kind == "" {
		p = append(p, "actor has no kind (person or automation)")
	}
	slices.Sort(p)
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.ApproverRole == "" {
		c.ApproverRole = risk.RoleChangeAdvisoryBoard
	}
	if c.SyncUser == "" {
		c.SyncUser = c.User
	}
	if c.Actor.ID == "" {
		c.Actor = release.Automation("servicenow", release.RoleDeveloper)
	}
	return c
}

func (c Config) inScope(r release.Release) bool {
	return len(c.Environments) == 0 || slices.Contains(c.Environments, r.Environment)
}

// The change request state codes ("Change request states" in the Change
// Management documentation).
const (
	StateNew       = "-5"
	StateAssess    = "-4"
	StateAuthorize = "-3"
	StateScheduled = "-2"
	StateImplement = "-1"
	StateReview    = "0"
	StateClosed    = "3"
	StateCanceled  = "4"
)

// StateFor returns the change request state a release in state s is synced to:
//
//	planned                            Assess     (-4)
//	scheduled                          Authorize  (-3)  normal, emergency
//	scheduled, approved                Scheduled  (-2)  standard (pre-approved)
//	approved                           Scheduled  (-2)
//	deploying, deployed, rolling_back  Implement  (-1)
//	verified, failed, rolled_back      Review     (0)
//	closed                             Closed     (3)
//	cancelled                          Canceled   (4)
//
// A standard change skips Assess and Authorize (New, then Scheduled); an emergency
// change skips Assess. A draft has no change request: "" .
func StateFor(s release.State, c release.Class) string {
	switch s {
	case release.StatePlanned:
		switch c {
		case release.ClassStandard:
			return StateNew
		case release.ClassEmergency:
			return StateNew
		}
		return StateAssess
	case release.StateScheduled:
		if c == release.ClassStandard {
			return StateScheduled
		}
		return StateAuthorize
	case release.StateApproved:
		return StateScheduled
	case release.StateDeploying, release.StateDeployed, release.StateRollingBack:
		return StateImplement
	case release.StateVerified, release.StateFailed, release.StateRolledBack:
		return StateReview
	case release.StateClosed:
		return StateClosed
	case release.StateCancelled:
		return StateCanceled
	}
	return ""
}

// path lists, per change type, the forward states in order (the state model's
// main line); revert to New and Canceled are the other moves.
var path = map[string][]string{
	"normal":    {StateNew, StateAssess, StateAuthorize, StateScheduled, StateImplement, StateReview, StateClosed},
	"emergency": {StateNew, StateAuthorize, StateScheduled, StateImplement, StateReview, StateClosed},
	"standard":  {StateNew, StateScheduled, StateImplement, StateReview, StateClosed},
}

// typeOf is the change type of a release's class.
func typeOf(c release.Class) string {
	switch c {
	case release.ClassStandard:
		return "standard"
	case release.ClassEmergency:
		return "emergency"
	}
	return "normal"
}

// riskOf maps a risk level onto the change request's risk (1 Very High, 2 High,
// 3 Moderate, 4 Low) and impact (1 High, 2 Medium, 3 Low).
func riskOf(level string) (riskCode, impact string) {
	switch risk.Level(level) {
	case risk.Critical:
		return "1", "1"
	case risk.High:
		return "2", "1"
	case risk.Medium:
		return "3", "2"
	case risk.Low:
		return "4", "3"
	}
	return "", ""
}
