package jira

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/releasekit/releasekit/release"
)

// Recorder records evidence about a release; *release.Engine implements it.
type Recorder interface {
	Record(ctx context.Context, id release.ID, ev release.Evidence, opts ...release.FireOption) (release.Release, error)
}

// ApprovalSync counts what one [Notifier.SyncApprovals] did.
type ApprovalSync struct {
	// Issue is the key of the release's issue.
	Issue string
	// Recorded counts the decisions recorded (or found recorded already, under
	// their idempotency key); Pending counts approvers who have not decided yet.
	Recorded, Pending int
}

// SyncApprovals reads the Jira Service Management approvals of release r's issue
// (GET /rest/servicedeskapi/request/{issueIdOrKey}/approval) and records every
// approver's decision as evidence through rec: "approved" as an
// [release.EvidenceApproval], "declined" as an [release.EvidenceRejection], each by
// the approver as a person (their email address, or their account id when the
// site hides emails) in [Config.ApprovalRole], with the approval's name as the
// comment. Each decision carries the idempotency key
// "jira/<issue>/approval/<approval id>/<account id>/<decision>", so calling it
// again (from a poll, or after a crash) records nothing twice.
//
// The engine's rules apply: separation of duties refuses the author's own
// approval, and an approval counts for the scope version it was recorded at (a
// decision Jira kept from before a reschedule is not recorded again). Decisions
// the engine refuses are returned together (errors.Join) after the others were
// recorded. An issue that is not a service request (404) is an *APIError naming it.
func (n *Notifier) SyncApprovals(ctx context.Context, rec Recorder, r release.Release) (ApprovalSync, error) {
	var res ApprovalSync
	if rec == nil {
		return res, fmt.Errorf("%w: SyncApprovals needs a Recorder (the Engine)", ErrInvalidConfig)
	}
	key, err := n.Issue(ctx, r)
	if err != nil {
		return res, err
	}
	res.Issue = key
	var errs []error
	for start := 0; ; {
		var page struct {
			Size       int  `json:"size"`
			IsLastPage bool `json:"isLastPage"`
			Values     []struct {
				ID            string `json:"id"`
				Name          string `json:"name"`
				FinalDecision string `json:"finalDecision"`
				Approvers     []struct {
					Approver struct {
						AccountID    string `json:"accountId"`
						Key          string `json:"key"`
						Name         string `json:"name"`
						EmailAddress string `json:"emailAddress"`
						DisplayName  string `json:"displayName"`
					} `json:"approver"`
					ApproverDecision string `json:"approverDecision"`
				} `json:"approvers"`
			} `json:"values"`
		}
		err := n.c.do(ctx, call{method: http.MethodGet, path: "/rest/servicedeskapi/request/" + url.PathEscape(key) + "/approval",
			query: url.Values{"start": {strconv.Itoa(start)}, "limit": {"50"}}, issue: key, out: &page, safe: true})
		if err != nil {
			return res, err
		}
		for _, a := range page.Values {
			for _, ap := range a.Approvers {
				who := ap.Approver.EmailAddress
				account := ap.Approver.AccountID
				if account == "" { // Data Center names users by key or name
					account = firstOf(ap.Approver.Key, ap.Approver.Name)
				}
				if who == "" {
					who = account
				}
				var kind release.EvidenceKind
				switch strings.ToLower(ap.ApproverDecision) {
				case "approved":
					kind = release.EvidenceApproval
				case "declined":
					kind = release.EvidenceRejection
				default:
					res.Pending++
					continue
				}
				if who == "" {
					errs = append(errs, fmt.Errorf("jira: issue %s: approval %s: an approver has no email address, account id or name", key, a.ID))
					continue
				}
				var roles []string
				if n.cfg.ApprovalRole != "" {
					roles = []string{n.cfg.ApprovalRole}
				}
				reason := fmt.Sprintf("%s %s in Jira Service Management (%s, approval %q)", firstOf(ap.Approver.DisplayName, who), strings.ToLower(ap.ApproverDecision), key, a.Name)
				ev := release.Evidence{Kind: kind, By: release.Person(who, roles...), Role: n.cfg.ApprovalRole, Reason: reason}
				ikey := fmt.Sprintf("jira/%s/approval/%s/%s/%s", key, a.ID, account, strings.ToLower(ap.ApproverDecision))
				if _, err := rec.Record(ctx, r.ID, ev, release.IdempotencyKey(ikey)); err != nil {
					errs = append(errs, fmt.Errorf("jira: issue %s: approval %s by %s: %w", key, a.ID, who, err))
					continue
				}
				res.Recorded++
			}
		}
		start += len(page.Values)
		if page.IsLastPage || len(page.Values) == 0 {
			break
		}
	}
	return res, errors.Join(errs...)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
