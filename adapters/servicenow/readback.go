package servicenow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/releasekit/releasekit/release"
)

// Approval is one approver's record of a change request (sysapproval_approver),
// as [Syncer.ReadBack] found it.
type Approval struct {
	// SysID is the approval record's sys_id; User the approver's user_name; Actor
	// the release actor ID it is recorded as ([Config.Approvers]).
	SysID, User, Actor string
	// State is the record's state: requested, approved, rejected, not_required,
	// cancelled.
	State    string
	Comments string
	// Recorded is true when the approval or rejection is in the release's history
	// (recorded now or by an earlier read-back).
	Recorded bool
	// Err is why it was not recorded: a *release.ForbiddenError when the approver
	// is the release's author (separation of duties), for instance.
	Err error
}

// Readback is what [Syncer.ReadBack] found and did.
type Readback struct {
	// Change is the change number ("" when the release has no change request yet);
	// State its state code and Approval its approval field (not requested,
	// requested, approved, rejected).
	Change, State, Approval string
	Approvals               []Approval
	// Rescheduled is true when the change request's planned window was taken as
	// the release's slot ([Config.HonourWindow]); WindowErr says why it could not
	// be (the calendar refused it, say).
	Rescheduled bool
	WindowErr   error
	// Release is the release after the read-back.
	Release release.Release
}

// ReadBack reads the release's change request and brings what was decided there
// into the engine:
//
//   - every approval record (sysapproval_approver, by sysapproval = the change's
//     sys_id) that is approved or rejected becomes approval or rejection evidence
//     (release.Engine.Record) by the approver, in [Config.ApproverRole], so it
//     counts toward the CAB quorum of the release's gates. Each record's decision
//     is recorded once: the idempotency key is
//     "servicenow/<approval sys_id>/<state>/<update count>", so reading back again
//     records nothing twice, and an approver who decides again is recorded again.
//     Separation of duties still holds: an approval by the release's author is
//     refused by the engine and reported in [Approval.Err].
//   - with [Config.HonourWindow], a planned window that differs from the release's
//     slot (someone moved it in the instance) becomes the release's slot: the
//     release is unscheduled and scheduled at the window's start, as
//     [Config.Actor], each with an idempotency key. The calendar still decides: a
//     window it refuses is reported in [Readback.WindowErr], and the release is
//     left planned, without a slot, until the window or the calendar changes.
//
// Nothing is read back for closed or cancelled releases. Run it on a ticker for
// the releases waiting for approval (or from the instance's business rule calling
// the host). Errors: an *Error naming the record for calls to the instance, the
// engine's errors otherwise.
func (s *Syncer) ReadBack(ctx context.Context, eng *release.Engine, id release.ID) (Readback, error) {
	var out Readback
	r, err := eng.Get(ctx, id)
	if err != nil {
		return out, err
	}
	out.Release = r
	if !s.cfg.inScope(r) || r.State.Terminal() || r.State == release.StateDraft {
		return out, nil
	}
	found, err := s.lookup(ctx, id)
	if err != nil || len(found) == 0 {
		return out, err
	}
	cr := found[0]
	out.Change, out.State, out.Approval = cr["number"], cr["state"], cr["approval"]

	var rows []record
	if err := s.do(ctx, call{op: "read approvals of", table: "sysapproval_approver", record: cr["number"], method: http.MethodGet,
		query: url.Values{"sysparm_query": {"sysapproval=" + cr["sys_id"] + "^ORDERBYsys_created_on"},
			"sysparm_fields": {"sys_id,state,comments,sys_mod_count,approver.user_name"}, "sysparm_limit": {"1000"}}}, &rows); err != nil {
		return out, err
	}
	for _, row := range rows {
		a := Approval{SysID: row["sys_id"], User: row["approver.user_name"], State: row["state"], Comments: row["comments"]}
		a.Actor = a.User
		if m, ok := s.cfg.Approvers[a.User]; ok {
			a.Actor = m
		}
		var kind release.EvidenceKind
		switch a.State {
		case "approved":
			kind = release.EvidenceApproval
		case "rejected":
			kind = release.EvidenceRejection
		}
		if kind != "" && a.Actor != "" {
			reason := a.Comments
			if reason == "" {
				reason = fmt.Sprintf("%s in ServiceNow on %s", a.State, cr["number"])
			} else {
				reason = fmt.Sprintf("%s (ServiceNow %s)", reason, cr["number"])
			}
			ev := release.Evidence{Kind: kind, By: release.Person(a.Actor, s.cfg.ApproverRole), Role: s.cfg.ApproverRole, Reason: reason}
			key := fmt.Sprintf("servicenow/%s/%s/%s", a.SysID, a.State, row["sys_mod_count"])
			got, err := eng.Record(ctx, id, ev, release.IdempotencyKey(key))
			switch {
			case err == nil || release.Committed(err):
				a.Recorded, out.Release = true, got
			case errors.Is(err, release.ErrForbidden), errors.Is(err, release.ErrInvalid):
				a.Err = err
			default:
				return out, err
			}
		}
		out.Approvals = append(out.Approvals, a)
	}

	if s.cfg.HonourWindow {
		out.Rescheduled, out.WindowErr = s.honourWindow(ctx, eng, &out, cr)
	}
	return out, nil
}

// honourWindow takes the change request's planned window as the release's slot.
func (s *Syncer) honourWindow(ctx context.Context, eng *release.Engine, out *Readback, cr record) (bool, error) {
	r := out.Release
	if cr["start_date"] == "" {
		return false, nil
	}
	start, err := time.ParseInLocation(timeLayout, cr["start_date"], time.UTC)
	if err != nil {
		return false, &Error{Op: "read", Table: "change_request", Record: cr["number"], Field: "start_date", Err: fmt.Errorf("%q is not a date-time: %w", cr["start_date"], err)}
	}
	if r.Slot != nil && r.Slot.Start.Equal(start) {
		return false, nil
	}
	switch r.State {
	case release.StatePlanned, release.StateScheduled, release.StateApproved:
	default:
		return false, nil // deploying or later: the window is history
	}
	reason := release.Reason(fmt.Sprintf("the planned window of %s starts at %s UTC", cr["number"], cr["start_date"]))
	base := fmt.Sprintf("servicenow/window/%s/%s", cr["sys_id"], cr["sys_mod_count"])
	if r.State != release.StatePlanned {
		got, err := eng.Fire(ctx, r.ID, release.EventUnschedule, s.cfg.Actor, reason, release.IdempotencyKey(base+"/unschedule"))
		if err != nil && !release.Committed(err) {
			return false, err
		}
		out.Release = got
	}
	got, err := eng.Fire(ctx, r.ID, release.EventSchedule, s.cfg.Actor, reason, release.At(start), release.IdempotencyKey(base+"/schedule"))
	if err != nil && !release.Committed(err) {
		return false, err
	}
	out.Release = got
	return true, nil
}
