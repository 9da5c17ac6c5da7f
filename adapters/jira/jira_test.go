package jira_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/jira/jiratest"
	"github.com/releasekit/releasekit/release"
)

func TestLifecycle(t *testing.T) {
	for _, ed := range jira.Editions() {
		t.Run(string(ed), func(t *testing.T) {
			f := setup(t, ed, nil)
			r := f.create(t)
			r, err := f.fire(t, r, release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart,
				release.EventComplete, release.EventVerify, release.EventClose)
			if err != nil {
				t.Fatalf("a notification failed: %v", err)
			}
			is := f.only(t)
			if is.Status != "Done" || is.IssueType != "Change" || is.Summary != "Release checkout 2.4.0 to prod" {
				t.Errorf("issue = status %q type %q summary %q", is.Status, is.IssueType, is.Summary)
			}
			if want := []string{"release", "releasekit-" + r.ID.String()}; strings.Join(is.Labels, ",") != strings.Join(want, ",") {
				t.Errorf("labels = %v, want %v", is.Labels, want)
			}
			desc := jira.PlainText(is.Description)
			if !strings.Contains(desc, "checkout-api 2.4.0 (was 2.3.1)") || !strings.Contains(desc, r.ID.String()) {
				t.Errorf("description = %q", desc)
			}
			if _, isString := is.Description.(string); isString != (ed == jira.DataCenter) {
				t.Errorf("description is %T on %s", is.Description, ed)
			}
			m := markers(t, is, r.ID)
			for seq := int64(2); seq <= r.Revision; seq++ {
				if m[seq] != 1 {
					t.Errorf("entry %d has %d comments, want 1", seq, m[seq])
				}
			}
			if len(is.Comments) != int(r.Revision-1) {
				t.Errorf("%d comments, want %d", len(is.Comments), r.Revision-1)
			}
			if !strings.Contains(texts(is)[0], "draft → planned (plan) by rui") {
				t.Errorf("first comment = %q", texts(is)[0])
			}
			vs := f.srv.Versions()
			if len(vs) != 1 || vs[0].Name != "checkout 2.4.0" || !vs[0].Released || vs[0].ReleaseDate != r.Reached[release.StateClosed].Format("2006-01-02") {
				t.Errorf("versions = %+v", vs)
			}
			if len(is.FixVersions) != 1 || is.FixVersions[0] != vs[0].ID {
				t.Errorf("fixVersions = %v, want [%s]", is.FixVersions, vs[0].ID)
			}
		})
	}
}

func TestRolledBackVersionIsNotReleased(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	r := f.create(t)
	f.fire(t, r, release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart,
		release.EventRollback, release.EventFinishRollback, release.EventClose)
	if is := f.only(t); is.Status != "Done" {
		t.Errorf("status %q, want Done", is.Status)
	}
	if vs := f.srv.Versions(); len(vs) != 1 || vs[0].Released {
		t.Errorf("versions = %+v, want one, not released", vs)
	}
}

func TestNoFixVersionAndUnmappedStates(t *testing.T) {
	f := setup(t, jira.DataCenter, func(c *jira.Config) {
		c.NoFixVersion = true
		c.Transitions = map[release.State]string{release.StateCancelled: "cancelled"} // a status name, any case
	})
	r := f.create(t)
	f.fire(t, r, release.EventPlan, release.EventCancel)
	is := f.only(t)
	if is.Status != "Cancelled" || len(is.Comments) != 2 || len(f.srv.Versions()) != 0 || len(is.FixVersions) != 0 {
		t.Errorf("issue %+v, versions %+v", is, f.srv.Versions())
	}
}

// A write Jira applied but answered with an error is delivered again: the retry
// finds what was done and does not do it twice.
func TestAppliedButUnansweredWritesAreNotRepeated(t *testing.T) {
	for _, path := range []string{"/comment", "/transitions", "/version"} {
		t.Run(path, func(t *testing.T) {
			f := setup(t, jira.Cloud, nil)
			f.srv.Inject(jiratest.Fault{Method: "POST", Path: path, Applied: true, Status: 502, Times: 2})
			r := f.create(t)
			r, err := f.fire(t, r, release.EventPlan, release.EventSchedule)
			if err != nil {
				t.Fatalf("a notification failed: %v", err)
			}
			is := f.only(t)
			if is.Status != "Scheduled" || len(is.Comments) != 2 || len(f.srv.Versions()) != 1 {
				t.Errorf("status %q, %d comments, %d versions; want Scheduled, 2, 1", is.Status, len(is.Comments), len(f.srv.Versions()))
			}
		})
	}
}

func TestLostCreateAnswerIsFoundByTheNextDelivery(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	f.srv.Inject(jiratest.Fault{Method: "POST", Path: "/rest/api/3/issue", Applied: true})
	r := f.create(t)
	_, err := f.fire(t, r, release.EventPlan)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Path != "/rest/api/3/issue" {
		t.Fatalf("first delivery: %v, want the create's 502", err)
	}
	if _, err := f.fire(t, r, release.EventSchedule); err != nil {
		t.Fatal(err)
	}
	is := f.only(t)
	if is.Status != "Scheduled" || len(is.Comments) != 2 {
		t.Errorf("status %q, %d comments", is.Status, len(is.Comments))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	f.srv.Inject(jiratest.Fault{Path: "/transitions", Status: 429, RetryAfter: "7", Times: 2})
	r := f.create(t)
	if _, err := f.fire(t, r, release.EventPlan); err != nil {
		t.Fatal(err)
	}
	if got := f.sleeps.all(); len(got) != 2 || got[0] != 7*time.Second || got[1] != 7*time.Second {
		t.Errorf("waits = %v, want [7s 7s]", got)
	}
	if is := f.only(t); is.Status != "Planned" {
		t.Errorf("status %q", is.Status)
	}
}

func TestRetryAfterBeyondTheLimitEndsTheCall(t *testing.T) {
	f := setup(t, jira.Cloud, nil, jira.WithMaxRetryAfter(time.Minute))
	f.srv.Inject(jiratest.Fault{Status: 429, RetryAfter: "3600"})
	r := f.create(t)
	_, err := f.fire(t, r, release.EventPlan)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != time.Hour || !ae.Temporary() {
		t.Fatalf("err = %v, want a 429 asking for an hour", err)
	}
}

func TestServerErrorsAreRetriedWithBackoff(t *testing.T) {
	f := setup(t, jira.DataCenter, nil, jira.WithBackoff(time.Second, 8*time.Second))
	f.srv.Inject(jiratest.Fault{Method: "GET", Status: 500, Times: 3})
	r := f.create(t)
	if _, err := f.fire(t, r, release.EventPlan); err != nil {
		t.Fatal(err)
	}
	got := f.sleeps.all()
	if len(got) != 3 {
		t.Fatalf("waits = %v, want 3", got)
	}
	for i, d := range got {
		if ceiling := time.Second << i; d < 0 || d > ceiling {
			t.Errorf("wait %d = %v, want within [0, %v]", i, d, ceiling)
		}
	}
}

func TestTimeoutsAreRetried(t *testing.T) {
	f := setup(t, jira.Cloud, nil, jira.WithTimeout(20*time.Millisecond))
	f.srv.Inject(jiratest.Fault{Method: "GET", Hang: true, Times: 2})
	r := f.create(t)
	if _, err := f.fire(t, r, release.EventPlan); err != nil {
		t.Fatal(err)
	}
	if is := f.only(t); is.Status != "Planned" {
		t.Errorf("status %q", is.Status)
	}
}

func TestBadRequestIsTypedAndNamesTheField(t *testing.T) {
	f := setup(t, jira.Cloud, func(c *jira.Config) { c.IssueType = "Epic" })
	r := f.create(t)
	_, err := f.fire(t, r, release.EventPlan)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Fields["issuetype"] == "" || !errors.Is(err, jira.ErrAPI) || ae.Temporary() {
		t.Fatalf("err = %v, want a 400 naming issuetype", err)
	}
	if !strings.Contains(err.Error(), "field issuetype: The issue type selected is invalid.") {
		t.Errorf("message %q does not name the field", err)
	}
}

func TestBearerAndWrongCredentials(t *testing.T) {
	srv := jiratest.New(jiratest.WithBearer("pat-123"))
	defer srv.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		token  string
		status int
	}{{"pat-123", 0}, {"wrong", 401}} {
		cfg := config(srv, jira.DataCenter)
		cfg.Email, cfg.APIToken, cfg.Token = "", "", tc.token
		f := setup(t, jira.DataCenter, nil)
		n, err := jira.New(cfg, f.store, jira.WithSleep(f.sleeps.sleep))
		if err != nil {
			t.Fatal(err)
		}
		r := f.create(t)
		_, err = n.Issue(ctx, r)
		var ae *jira.APIError
		switch {
		case tc.status == 0 && err != nil:
			t.Errorf("token %s: %v", tc.token, err)
		case tc.status != 0 && (!errors.As(err, &ae) || ae.Status != tc.status || !strings.Contains(err.Error(), "token")):
			t.Errorf("token %s: %v, want %d", tc.token, err, tc.status)
		}
	}
}

// A person moved the issue where the release's next transition is not offered.
func TestConflictingEdit(t *testing.T) {
	t.Run("comment", func(t *testing.T) {
		var seen []*jira.ConflictError
		f := setup(t, jira.Cloud, nil, jira.WithConflictHandler(func(c *jira.ConflictError) { seen = append(seen, c) }))
		r := f.create(t)
		r, _ = f.fire(t, r, release.EventPlan, release.EventSchedule, release.EventApprove)
		key := f.only(t).Key
		f.srv.Move(key, "Blocked")
		if _, err := f.fire(t, r, release.EventStart); err != nil {
			t.Fatalf("start: %v, want the conflict noted and nil", err)
		}
		is := f.only(t)
		if is.Status != "Blocked" {
			t.Errorf("status %q: the person's edit was overwritten", is.Status)
		}
		last := texts(is)[len(is.Comments)-1]
		if !strings.Contains(last, `status "Blocked", from which Jira offers no transition named "Start deployment"`) || !strings.Contains(last, "conflict") {
			t.Errorf("last comment = %q", last)
		}
		if len(seen) != 1 || seen[0].Issue != key || seen[0].Status != "Blocked" || seen[0].State != release.StateDeploying {
			t.Errorf("conflict handler saw %+v", seen)
		}
		// A duplicate delivery adds no second note.
		h, _ := f.eng.History(context.Background(), r.ID)
		n := len(is.Comments)
		if err := f.n.Notify(context.Background(), release.Notification{Release: r, Entry: h[len(h)-1]}); err != nil {
			t.Fatal(err)
		}
		if got := len(f.only(t).Comments); got != n {
			t.Errorf("%d comments after a duplicate, want %d", got, n)
		}
		// The person puts it back; the next transition follows from there.
		f.srv.Move(key, "Deploying")
		f.fire(t, r, release.EventComplete)
		if is := f.only(t); is.Status != "Deployed" {
			t.Errorf("status %q after complete", is.Status)
		}
	})
	t.Run("fail", func(t *testing.T) {
		f := setup(t, jira.Cloud, func(c *jira.Config) { c.Conflict = jira.ConflictFail })
		r := f.create(t)
		r, _ = f.fire(t, r, release.EventPlan)
		key := f.only(t).Key
		f.srv.Move(key, "Done")
		r, err := f.fire(t, r, release.EventSchedule)
		var ce *jira.ConflictError
		if !errors.As(err, &ce) || ce.Issue != key || ce.Status != "Done" || ce.Transition != "Schedule" || ce.State != release.StateScheduled {
			t.Fatalf("err = %v, want a conflict on %s", err, key)
		}
		if got := f.eng; got == nil || r.State != release.StateScheduled {
			t.Errorf("release state %s: the conflict must not undo the transition", r.State)
		}
		f.srv.Move(key, "Planned")
		h, _ := f.eng.History(context.Background(), r.ID)
		if err := f.n.Notify(context.Background(), release.Notification{Release: r, Entry: h[len(h)-1]}); err != nil {
			t.Fatal(err)
		}
		if is := f.only(t); is.Status != "Scheduled" {
			t.Errorf("status %q after the person moved it back", is.Status)
		}
	})
}

// Notifications that arrive late and out of order leave the issue as the history
// says: a later one replays what the issue missed, an earlier one changes nothing.
func TestOutOfOrderDeliveries(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	f.srv.SetDown(true)
	r := f.create(t)
	r, err := f.fire(t, r, release.EventPlan, release.EventSchedule, release.EventApprove)
	if !errors.Is(err, release.ErrNotify) {
		t.Fatalf("err = %v, want a notify error while the site is down", err)
	}
	f.srv.SetDown(false)
	ctx := context.Background()
	h, _ := f.eng.History(ctx, r.ID)
	for _, i := range []int{3, 1, 2, 3} {
		if err := f.n.Notify(ctx, release.Notification{Release: r, Entry: h[i]}); err != nil {
			t.Fatal(err)
		}
	}
	is := f.only(t)
	if is.Status != "Approved" {
		t.Errorf("status %q", is.Status)
	}
	got := texts(is)
	for i, want := range []string{"draft → planned", "planned → scheduled", "scheduled → approved"} {
		if i >= len(got) || !strings.Contains(got[i], want) {
			t.Errorf("comment %d = %q, want %q", i, got, want)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d comments, want 3", len(got))
	}
}

func TestSearchLagIsReconciled(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	f.srv.SetSearchLag(5)
	r := f.create(t)
	f.fire(t, r, release.EventPlan, release.EventSchedule)
	if is := f.only(t); is.Status != "Scheduled" {
		t.Errorf("status %q", is.Status)
	}
}

func TestConfigValidate(t *testing.T) {
	err := jira.Config{BaseURL: "your-site", Edition: "server", Email: "a@b", Token: "t", Project: "R L",
		Conflict: "ignore", Transitions: map[release.State]string{"shipping": "Ship", release.StateClosed: " "},
		Labels: []string{"two words"}}.Validate()
	var ce *jira.ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, jira.ErrInvalidConfig) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"base_url", "edition", "auth", "project", "conflict", `"shipping" is not a release state`, "closed maps to an empty", "white space"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "a@b") {
		t.Errorf("the message shows the email: %q", err)
	}
	if _, err := jira.New(jira.Config{BaseURL: "https://your-site.example", Token: "t", Project: "REL"}, nil); !errors.Is(err, jira.ErrInvalidConfig) {
		t.Errorf("New without history: %v", err)
	}
}

func TestApprovalsBecomeEvidence(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	ctx := context.Background()
	r := f.create(t)
	r, _ = f.fire(t, r, release.EventPlan, release.EventSchedule)
	key := f.only(t).Key
	f.srv.SetApprovals(key,
		jiratest.Approval{ID: "1", Name: "CAB", Approvers: []jiratest.Approver{
			{AccountID: "acc-1", Email: "mia@your-site.example", DisplayName: "Mia", Decision: "approved"},
			{AccountID: "acc-2", Email: "ana", DisplayName: "Ana", Decision: "approved"}, // the author
			{AccountID: "acc-3", DisplayName: "Lee", Decision: "pending"},
		}},
		jiratest.Approval{ID: "2", Name: "Security", Approvers: []jiratest.Approver{
			{AccountID: "acc-4", DisplayName: "Sam", Decision: "declined"},
		}})
	res, err := f.n.SyncApprovals(ctx, f.eng, r)
	if !errors.Is(err, release.ErrForbidden) || !strings.Contains(err.Error(), "approval 1 by ana") {
		t.Errorf("err = %v, want the author's approval refused", err)
	}
	if res.Issue != key || res.Recorded != 2 || res.Pending != 1 {
		t.Errorf("result = %+v", res)
	}
	evs, _ := f.eng.Evidence(ctx, r.ID)
	if len(evs) != 2 || evs[0].Kind != release.EvidenceApproval || evs[0].By.ID != "mia@your-site.example" || evs[0].Role != release.RoleApprover ||
		evs[1].Kind != release.EvidenceRejection || evs[1].By.ID != "acc-4" || !strings.Contains(evs[1].Reason, `Security`) {
		t.Fatalf("evidence = %+v", evs)
	}
	// Polling again records nothing twice.
	if res, _ := f.n.SyncApprovals(ctx, f.eng, r); res.Recorded != 2 {
		t.Errorf("second sync = %+v", res)
	}
	if evs, _ := f.eng.Evidence(ctx, r.ID); len(evs) != 2 {
		t.Errorf("%d pieces of evidence after a second sync, want 2", len(evs))
	}
	// The approvals were commented on the issue like every other entry.
	if m := markers(t, f.only(t), r.ID); len(m) != 4 {
		t.Errorf("comments by entry = %v, want 4 entries", m)
	}
}

func TestApprovalsOfAnIssueThatIsNoRequest(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	r := f.create(t)
	f.fire(t, r, release.EventPlan)
	_, err := f.n.SyncApprovals(context.Background(), f.eng, r)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Issue != f.only(t).Key {
		t.Errorf("err = %v, want a 404 naming the issue", err)
	}
}

// A person deleted the issue: the next delivery after the failure finds none and
// creates a new one, which catches up with the whole history.
func TestDeletedIssueIsCreatedAgain(t *testing.T) {
	f := setup(t, jira.DataCenter, nil)
	r := f.create(t)
	r, _ = f.fire(t, r, release.EventPlan)
	old := f.only(t).Key
	req, _ := http.NewRequest(http.MethodDelete, f.srv.URL+"/rest/api/2/issue/"+old, nil)
	req.SetBasicAuth("bot@your-site.example", "api-token")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %v", resp, err)
	}
	_, err := f.fire(t, r, release.EventSchedule)
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Issue != old {
		t.Fatalf("err = %v, want a 404 naming %s", err, old)
	}
	if _, err := f.fire(t, r, release.EventApprove); err != nil {
		t.Fatal(err)
	}
	is := f.only(t)
	if is.Key == old || is.Status != "Approved" || len(is.Comments) != 3 {
		t.Errorf("issue %s in %q with %d comments; want a new one, Approved, 3", is.Key, is.Status, len(is.Comments))
	}
}

// A transition whose screen requires a field is no conflict: the error names the
// field, and the outbox retries it once the workflow is fixed.
func TestTransitionRefusedForARequiredField(t *testing.T) {
	wf := jiratest.SimpleWorkflow()
	wf[2].Require = []string{"resolution"}
	srv := jiratest.New(jiratest.WithWorkflow("To Do", wf))
	defer srv.Close()
	f := setup(t, jira.Cloud, nil)
	cfg := config(srv, jira.Cloud)
	cfg.Transitions = map[release.State]string{release.StateCancelled: "Done"}
	n, err := jira.New(cfg, f.store, jira.WithSleep(f.sleeps.sleep))
	if err != nil {
		t.Fatal(err)
	}
	r := f.create(t)
	r, _ = f.fire(t, r, release.EventPlan, release.EventCancel)
	h, _ := f.eng.History(context.Background(), r.ID)
	err = n.Notify(context.Background(), release.Notification{Release: r, Entry: h[len(h)-1]})
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Fields["resolution"] == "" || errors.Is(err, jira.ErrStale) {
		t.Fatalf("err = %v, want a 400 naming resolution", err)
	}
	if !strings.Contains(err.Error(), "(issue REL-1)") || !strings.Contains(err.Error(), "field resolution: Field 'resolution' is required.") {
		t.Errorf("message %q names neither the issue nor the field", err)
	}
}

// Two replicas look up (and so create) one release's issue at once, each with a
// notifier of its own: whichever creates first, one issue remains and both
// answer its key.
func TestTwoReplicasMakeOneIssue(t *testing.T) {
	f := setup(t, jira.Cloud, nil)
	ctx := context.Background()
	for round := range 20 {
		f.srv.SetDown(true)
		r := f.create(t)
		r, _ = f.fire(t, r, release.EventPlan)
		f.srv.SetDown(false)
		keys := make(chan string, 2)
		for range 2 {
			n, err := jira.New(f.cfg, f.store, jira.WithSleep(f.sleeps.sleep))
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				key, err := n.Issue(ctx, r)
				if err != nil {
					t.Error(err)
				}
				keys <- key
			}()
		}
		a, b := <-keys, <-keys
		var mine []string
		for _, is := range f.srv.Issues() {
			if slices.Contains(is.Labels, "releasekit-"+r.ID.String()) {
				mine = append(mine, is.Key)
			}
		}
		if len(mine) != 1 || a != mine[0] || b != mine[0] {
			t.Fatalf("round %d: issues %v, the replicas answered %s and %s", round, mine, a, b)
		}
	}
	deleted := 0
	for _, q := range f.srv.Requests() {
		if q.Method == http.MethodDelete {
			deleted++
		}
	}
	t.Logf("%d of 20 rounds made a second issue and deleted it again", deleted)
}

// historyFunc serves a history the test writes by hand.
type historyFunc func() []release.AuditEntry

func (h historyFunc) History(context.Context, release.ID) ([]release.AuditEntry, error) {
	return h(), nil
}

// The plan comment carries the risk assessment, the schedule comment the booked slot.
func TestCommentsCarryRiskAndSlot(t *testing.T) {
	srv := jiratest.New()
	defer srv.Close()
	id, _ := release.ParseID("0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d")
	at := t0
	entry := func(seq int64, ev release.Event, from, to release.State, sn *release.Snapshot) release.AuditEntry {
		return release.AuditEntry{ReleaseID: id, Sequence: seq, Event: ev, From: from, To: to, Actor: rui, Time: at, Snapshot: sn}
	}
	h := []release.AuditEntry{
		entry(1, release.EventCreate, "", release.StateDraft, &release.Snapshot{}),
		entry(2, release.EventPlan, release.StateDraft, release.StatePlanned, &release.Snapshot{Risk: &release.RiskSummary{Score: 42, Level: "medium"}}),
		entry(3, release.EventSchedule, release.StatePlanned, release.StateScheduled, &release.Snapshot{Slot: &release.Slot{Start: t0.Add(24 * time.Hour), End: t0.Add(25 * time.Hour)}}),
	}
	n, err := jira.New(config(srv, jira.DataCenter), historyFunc(func() []release.AuditEntry { return h }))
	if err != nil {
		t.Fatal(err)
	}
	r := release.Release{ID: id, Name: "checkout", Version: "2.4.0", Environment: "prod", State: release.StateScheduled, Revision: 3}
	if err := n.Notify(context.Background(), release.Notification{Release: r, Entry: h[2]}); err != nil {
		t.Fatal(err)
	}
	is := srv.Issues()[0]
	got := texts(is)
	if len(got) != 2 || !strings.Contains(got[0], "Risk: medium (42/100).") || !strings.Contains(got[1], "Slot: 2026-12-08 09:00 UTC to 2026-12-08 10:00 UTC.") {
		t.Errorf("comments = %q", got)
	}
	if is.Status != "Scheduled" {
		t.Errorf("status %q", is.Status)
	}
}
