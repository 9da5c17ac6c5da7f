package gate_test

import (
	"context"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// TestPeopleComparedRegardlessOfCase: the author's ID in another case or with spaces
// around it is still the author, and one person in two spellings is one approver.
func TestPeopleComparedRegardlessOfCase(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	g := gate.Approvals(gate.Quorum{Role: "approver", Min: 2})
	in := gate.Input{Author: "ana", Revision: 3, Now: now, Approvals: []gate.Approval{
		{Actor: "ANA", Roles: []string{"approver"}, At: now, Revision: 3},
		{Actor: "rui", Roles: []string{"approver"}, At: now, Revision: 3},
		{Actor: "Rui ", Roles: []string{"approver"}, At: now, Revision: 3},
		{Actor: "ｒｕｉ", Roles: []string{"approver"}, At: now, Revision: 3}, // full-width forms
		{Actor: "ＡＮＡ", Roles: []string{"approver"}, At: now, Revision: 3},
	}}
	if res := g.Evaluate(context.Background(), in); res.Status != gate.StatusFail {
		t.Fatalf("the author in capitals and one person in two spellings met a quorum of 2: %s (%s)", res.Status, res.Reason)
	}
	in.Approvals = append(in.Approvals, gate.Approval{Actor: "kim", Roles: []string{"approver"}, At: now, Revision: 3})
	if res := g.Evaluate(context.Background(), in); res.Status != gate.StatusPass {
		t.Fatalf("two distinct people who are not the author: %s (%s)", res.Status, res.Reason)
	}
}
