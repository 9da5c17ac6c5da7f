package release_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
)

// quorumEngine is an engine whose risk policy asks for one release manager at low
// and medium risk and adds the change advisory board at high, with a checks gate,
// and lets release managers and the board waive.
func quorumEngine(t *testing.T, env []gate.Gate) (wired, release.Release) {
	t.Helper()
	rm := risk.Quorum{Role: release.RoleReleaseManager, Min: 1}
	cab := risk.Quorum{Role: risk.RoleChangeAdvisoryBoard, Min: 1}
	pol := risk.Policy{Requirements: map[risk.Level]risk.Requirement{
		risk.Low: {Approvals: []risk.Quorum{rm}}, risk.Medium: {Approvals: []risk.Quorum{rm}},
		risk.High: {Approvals: []risk.Quorum{rm, cab}}, risk.Critical: {Approvals: []risk.Quorum{rm, cab}},
	}}
	w := newWired(t, nil,
		release.WithRisk(release.RiskConfig{}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": env},
			Policy:        &pol,
			Options:       gate.Options{AllowedWaiverRoles: []string{release.RoleReleaseManager, risk.RoleChangeAdvisoryBoard}},
		}))
	r := w.create(t, "checkout", "2.0.0")
	w.fire(t, r.ID, release.EventPlan)
	r = w.fire(t, r.ID, release.EventSchedule)
	return w, r
}

var (
	sam = release.Person("sam", release.RoleApprover, risk.RoleChangeAdvisoryBoard)
	kim = release.Person("kim", release.RoleReleaseManager)
)

// TestNoWaiverLiftsAQuorum: one person cannot approve alone by waiving the quorum
// that asks for someone else, whether the quorum comes from the risk policy or from
// the environment's gates, whoever waives and in whatever spelling.
func TestNoWaiverLiftsAQuorum(t *testing.T) {
	ctx := context.Background()
	expires := monday.Add(24 * time.Hour)
	waive := func(g, by string, roles ...string) release.FireOption {
		return release.Waive(gate.Waiver{Gate: g, Actor: by, Roles: roles, Reason: "alone", Expires: expires})
	}
	for _, tc := range []struct {
		why   string
		env   []gate.Gate
		actor release.Actor
		opts  []release.FireOption
	}{
		{"sam (CAB) waives the policy's quorum of a release manager", nil, sam,
			[]release.FireOption{waive("approvals (low risk)", "sam", risk.RoleChangeAdvisoryBoard)}},
		{"sam waives it in capitals", nil, sam,
			[]release.FireOption{waive("approvals (low risk)", "SAM", risk.RoleChangeAdvisoryBoard)}},
		{"a release manager waives the quorum the environment asks for", []gate.Gate{gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2})}, kim,
			[]release.FireOption{waive("approvals", "kim", release.RoleReleaseManager)}},
		{"the environment's quorum under another name", []gate.Gate{gate.Named("two managers", gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2}))}, kim,
			[]release.FireOption{waive("two managers", "kim", release.RoleReleaseManager)}},
		{"someone else waives for the approver", []gate.Gate{gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2})}, kim,
			[]release.FireOption{waive("approvals", "rui", release.RoleReleaseManager)}},
		{"the author waives", nil, sam,
			[]release.FireOption{waive("approvals (low risk)", "Ana", release.RoleReleaseManager)}},
	} {
		t.Run(tc.why, func(t *testing.T) {
			w, r := quorumEngine(t, tc.env)
			_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, tc.actor, tc.opts...)
			refusedBy(t, err, "gates", "No-Go")
			if !strings.Contains(err.Error(), "cannot be waived") && !strings.Contains(err.Error(), "separation of duties") {
				t.Fatalf("the refusal does not say why the waiver was rejected: %v", err)
			}
			if got, _ := w.eng.Get(ctx, r.ID); got.State != release.StateScheduled {
				t.Fatalf("the release is %s after a refused approve", got.State)
			}
		})
	}
	// The same engine lets a waiver lift a gate that is not a quorum.
	w, r := quorumEngine(t, []gate.Gate{gate.Checks("build")})
	got, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim, waive("checks", "kim", release.RoleReleaseManager))
	if err != nil || got.State != release.StateApproved {
		t.Fatalf("a release manager approving with a waiver of the checks gate: %v", err)
	}
}

// TestAutomationNeverCountsAsApprover: an automation holding the release manager's
// role may fire approve, but it does not count towards a quorum; once a person's
// approval is there, its approve goes through.
func TestAutomationNeverCountsAsApprover(t *testing.T) {
	ctx := context.Background()
	robot := release.Automation("merge-bot", release.RoleReleaseManager)
	var approvals []gate.Approval
	w := newWired(t, nil, release.WithGates(release.GateConfig{
		ByEnvironment: map[string][]gate.Gate{"prod": {gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 1})}},
		Evidence: func(context.Context, release.Release) (gate.Input, error) {
			return gate.Input{Approvals: approvals}, nil
		},
	}))
	r := w.create(t, "checkout", "2.0.0")
	w.fire(t, r.ID, release.EventPlan)
	r = w.fire(t, r.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, robot)
	refusedBy(t, err, "gates", "needs 1 of release-manager")
	approvals = []gate.Approval{{Actor: "kim", Roles: []string{release.RoleReleaseManager}, At: monday, Revision: r.Revision}}
	got, err := w.eng.Fire(ctx, r.ID, release.EventApprove, robot)
	if err != nil || got.State != release.StateApproved {
		t.Fatalf("the automation's approve after kim approved: %v", err)
	}
}
