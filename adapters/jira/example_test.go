package jira_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/jira"
	"github.com/releasekit/releasekit/adapters/jira/jiratest"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A release kept in step with a Jira issue: the local test server stands in for
// the site ("https://your-site.example" in production), with Jira's simplified
// workflow (To Do, In Progress, Done).
func Example() {
	ctx := context.Background()
	site := jiratest.New(jiratest.WithProject("OPS"), jiratest.WithWorkflow("To Do", jiratest.SimpleWorkflow()))
	defer site.Close()

	store := memory.New() // any store with an outbox: memory, bolt, postgres
	jiraNotifier, err := jira.New(jira.Config{
		BaseURL:  site.URL,
		Edition:  jira.Cloud,
		Email:    "bot@your-site.example",
		APIToken: "api-token",
		Project:  "OPS",
		Transitions: map[release.State]string{ // release state → Jira status (or transition name)
			release.StateDeploying: "In Progress",
			release.StateClosed:    "Done",
			release.StateCancelled: "Done",
		},
	}, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := releasetest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), time.Minute)
	eng, err := release.New(store, release.WithNotifier(jiraNotifier), release.WithClock(clock),
		release.WithNotifyTimeout(5*time.Second), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	// In production a Dispatcher delivers what the engine could not (Jira down):
	//   d, err := dispatch.New(store, jiraNotifier, dispatch.Config{})
	//   if err != nil { ... }
	//   go d.Run(ctx)

	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "1.5.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove,
		release.EventStart, release.EventComplete, release.EventVerify, release.EventClose} {
		if r, err = eng.Fire(ctx, r.ID, ev, release.Person("rui")); err != nil {
			fmt.Println(err)
			return
		}
	}
	is := site.Issues()[0]
	fmt.Println(is.Key, is.Summary, "·", is.Status)
	fmt.Println(len(is.Comments), "comments; the first:", jira.PlainText(is.Comments[0].Body)[:31])
	v := site.Versions()[0]
	fmt.Println("fixVersion", v.Name, "released", v.Released, v.ReleaseDate)
	// Output:
	// OPS-1 Release payments 1.5.0 to prod · Done
	// 7 comments; the first: draft → planned (plan) by rui
	// fixVersion payments 1.5.0 released true 2026-12-07
}

// Approvals given in Jira Service Management become approval evidence.
func ExampleNotifier_SyncApprovals() {
	ctx := context.Background()
	site := jiratest.New()
	defer site.Close()
	store := memory.New()
	n, err := jira.New(jira.Config{BaseURL: site.URL, Email: "bot@your-site.example", APIToken: "api-token",
		Project: "REL", ApprovalRole: "cab"}, store)
	if err != nil {
		log.Fatal(err)
	}
	eng, err := release.New(store, release.WithNotifier(n), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "1.5.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("rui"))
	if err != nil {
		log.Fatal(err)
	}

	site.SetApprovals("REL-1", jiratest.Approval{ID: "7", Name: "Change Advisory Board", Approvers: []jiratest.Approver{
		{AccountID: "5b10a2844c20165700ede21g", Email: "mia@your-site.example", DisplayName: "Mia", Decision: "approved"},
		{AccountID: "5b10ac8d82e05b22cc7d4ef5", Email: "lee@your-site.example", DisplayName: "Lee", Decision: "pending"},
	}})
	res, err := n.SyncApprovals(ctx, eng, r)
	fmt.Println(res, err)
	evs, err := eng.Evidence(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(evs[0].Kind, evs[0].By.ID, evs[0].Role)
	// Output:
	// {REL-1 1 1} <nil>
	// approval mia@your-site.example cab
}
