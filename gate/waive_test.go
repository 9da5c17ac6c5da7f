package gate_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// TestApprovalQuorumCannotBeWaived: no waiver lifts a failed approvals gate,
// whatever its name, wrapper or the waiver's roles; Decide says why it rejected the
// waiver, and the verdict survives a JSON round trip and a replay. A waiver of
// another gate in the same decision still works.
func TestApprovalQuorumCannotBeWaived(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	quorum := gate.Approvals(gate.Quorum{Role: "release-manager", Min: 1}, gate.Quorum{Role: "change-advisory-board", Min: 1})
	// sam alone: CAB, but no release manager.
	in := gate.Input{Author: "ana", Revision: 3, Now: now, Checks: map[string]gate.Check{"build": {Status: gate.CheckFailure}},
		Approvals: []gate.Approval{{Actor: "sam", Roles: []string{"approver", "change-advisory-board"}, At: now, Revision: 3}}}
	waiver := func(g string) gate.Waiver {
		return gate.Waiver{Gate: g, Actor: "sam", Roles: []string{"change-advisory-board"}, Reason: "alone", Expires: now.Add(time.Hour)}
	}
	for _, tc := range []struct {
		why  string
		gate gate.Gate
	}{
		{"the approvals gate under its own name", quorum},
		{"renamed as the risk policy's quorum is", gate.Named("approvals (low risk)", quorum)},
		{"renamed twice", gate.Named("cab", gate.Named("approvals (high risk)", quorum))},
		{"marked required", gate.Required(quorum)},
		{"a host's own approval gate marked unwaivable", gate.Unwaivable(gate.Func("cab sign-off", func(context.Context, gate.Input) gate.Result {
			return gate.Result{Status: gate.StatusFail, Reason: "the CAB has not signed off in the ticket system"}
		}))},
	} {
		t.Run(tc.why, func(t *testing.T) {
			if !gate.IsUnwaivable(tc.gate) {
				t.Fatalf("IsUnwaivable(%s) = false", tc.gate.Name())
			}
			gates := []gate.Gate{tc.gate, gate.Checks("build")}
			opts := gate.Options{AllowedWaiverRoles: []string{"release-manager", "change-advisory-board"},
				Waivers: []gate.Waiver{waiver(tc.gate.Name()), waiver("checks")}}
			d := gate.Evaluate(context.Background(), gates, in, opts)
			if d.Go {
				t.Fatalf("a waiver lifted %q: one person approved alone", tc.gate.Name())
			}
			res := d.Results[0]
			if !res.Unwaivable || res.Waived != nil || len(res.WaiverRejections) != 1 || !strings.Contains(res.WaiverRejections[0], "cannot be waived") {
				t.Fatalf("result %+v: want unwaivable, not waived, one rejection saying it cannot be waived", res)
			}
			if d.Results[1].Waived == nil {
				t.Fatalf("the waiver of the checks gate was not applied: %+v", d.Results[1])
			}
			if !strings.Contains(d.Err.Error(), "cannot be waived") {
				t.Fatalf("the decision's error does not say why the waiver was rejected: %v", d.Err)
			}
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var back gate.Decision
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if r := gate.Replay(back); r.Go || back.Verify() != nil {
				t.Fatalf("the recorded decision replays to go=%t (verify: %v)", r.Go, back.Verify())
			}
		})
	}
	// Decide alone, on results that say they are unwaivable, rejects the waiver too.
	d := gate.Decide([]gate.Result{{Gate: "approvals", Status: gate.StatusFail, Reason: "needs 1 of release-manager", Required: true, Unwaivable: true}},
		in, gate.Options{AllowedWaiverRoles: []string{"change-advisory-board"}, Waivers: []gate.Waiver{waiver("approvals")}})
	if d.Go {
		t.Fatal("Decide lifted an unwaivable result")
	}
}

// TestWrappersKeepUnwaivable: Named, Advisory and Required keep an approvals gate
// unwaivable, and do not make other gates unwaivable.
func TestWrappersKeepUnwaivable(t *testing.T) {
	q := gate.Approvals(gate.Quorum{Min: 1})
	for _, g := range []gate.Gate{gate.Named("x", q), gate.Advisory(q), gate.Required(gate.Advisory(q)), gate.Named("y", gate.Unwaivable(gate.Checks("build")))} {
		if !gate.IsUnwaivable(g) {
			t.Errorf("%s lost its unwaivable mark", g.Name())
		}
	}
	for _, g := range []gate.Gate{gate.Checks("build"), gate.Named("x", gate.Checks("build")), gate.Advisory(gate.RiskAtMost("high")), nil} {
		if gate.IsUnwaivable(g) {
			t.Errorf("%v became unwaivable", g)
		}
	}
	if !gate.IsAdvisory(gate.Unwaivable(gate.Advisory(q))) {
		t.Error("Unwaivable dropped the advisory mark")
	}
}

// TestWaiverSeparationOfDuties: neither the author nor the requester may waive, in
// any case or with spaces around the ID.
func TestWaiverSeparationOfDuties(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	in := gate.Input{Author: "ana", Requester: "kim", Now: now}
	checks := gate.Checks("build")
	for _, who := range []string{"ana", "ANA", " Ana ", "kim", "KIM"} {
		opts := gate.Options{AllowedWaiverRoles: []string{"release-manager"},
			Waivers: []gate.Waiver{{Gate: "checks", Actor: who, Roles: []string{"release-manager"}, Reason: "mine", Expires: now.Add(time.Hour)}}}
		if d := gate.Evaluate(context.Background(), []gate.Gate{checks}, in, opts); d.Go {
			t.Errorf("%q waived a gate of a release they wrote or requested", who)
		}
	}
	opts := gate.Options{AllowedWaiverRoles: []string{"release-manager"},
		Waivers: []gate.Waiver{{Gate: "checks", Actor: "rui", Roles: []string{"release-manager"}, Reason: "flaky, INC-42", Expires: now.Add(time.Hour)}}}
	if d := gate.Evaluate(context.Background(), []gate.Gate{checks}, in, opts); !d.Go {
		t.Fatalf("a release manager who is neither author nor requester could not waive: %v", d.Err)
	}
}
