package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// Engine.Changes lists the releases deployed, failed or rolled back in an
		// environment in [From, To), newest change first, within a service's blast
		// radius when asked; each names its author, its approvers (the approve and
		// the approvals recorded for its scope), and how to roll it back from its
		// state. An inverted range is a *ValidationError.
		testCase{"Changes/Incident", testChangesIncident},
	)
}

func testChangesIncident(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	deploy := func(name, env string, extra ...release.Event) (release.Release, time.Time) {
		sp := spec(name, env)
		sp.Needs = nil
		r := mustCreate(t, e, sp)
		mustFire(t, e, r.ID, release.EventPlan)
		mustFire(t, e, r.ID, release.EventSchedule)
		if _, err := e.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: carol}); err != nil {
			t.Fatal(err)
		}
		mustFire(t, e, r.ID, release.EventApprove)
		r = mustFire(t, e, r.ID, release.EventStart)
		started := r.UpdatedAt
		for _, ev := range append([]release.Event{release.EventComplete}, extra...) {
			r = mustFire(t, e, r.ID, ev)
		}
		return r, started
	}
	ledger, from := deploy("ledger", "prod", release.EventVerify)
	_, _ = deploy("ledger", "staging", release.EventVerify) // another environment
	payments, _ := deploy("payments", "prod", release.EventFail, release.EventRollback, release.EventFinishRollback)
	search, _ := deploy("search", "prod", release.EventVerify, release.EventClose)
	to := search.UpdatedAt.Add(time.Second)

	all, err := e.Changes(ctx, release.ChangeQuery{Environment: "prod", From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	names := func(cs []release.Change) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Release.Name)
		}
		return strings.Join(n, ",")
	}
	if got := names(all); got != "search,payments,ledger" {
		t.Fatalf("Changes in prod: %s, want search,payments,ledger (newest first)", got)
	}
	for _, c := range all {
		if c.RequestedBy != "ana" || strings.Join(c.ApprovedBy, ",") != "bob,carol" || c.HowToRollBack == "" || len(c.Entries) == 0 ||
			!c.At.Equal(c.Entries[len(c.Entries)-1].Time) {
			t.Errorf("%s: requested by %q, approved by %v, %d entries at %v, how to roll back %q", c.Release.Name, c.RequestedBy, c.ApprovedBy, len(c.Entries), c.At, c.HowToRollBack)
		}
	}
	if !strings.Contains(all[1].HowToRollBack, "rolled back already") || !strings.Contains(all[2].HowToRollBack, "fire rollback on release "+ledger.ID.String()) ||
		!strings.Contains(all[0].HowToRollBack, "closed") {
		t.Errorf("how to roll back: %q", []string{all[0].HowToRollBack, all[1].HowToRollBack, all[2].HowToRollBack})
	}
	if all[1].Release.ID != payments.ID || len(all[1].Entries) != 5 {
		t.Errorf("payments has %d deployment entries, want start, complete, fail, rollback, finish_rollback", len(all[1].Entries))
	}

	// Only what payments depends on (the ledger) and payments itself.
	g := depgraph.New[string]()
	if err := g.AddDependency("payments-api", "ledger-api"); err != nil {
		t.Fatal(err)
	}
	g.AddNode("search-api")
	radius, err := e.Changes(ctx, release.ChangeQuery{Environment: "prod", From: from, To: to, Service: "payments-api", Graph: g})
	if err != nil || names(radius) != "payments,ledger" {
		t.Fatalf("Changes within payments-api's blast radius: %s (%v), want payments,ledger", names(radius), err)
	}
	// A period that ends before the ledger started shows nothing.
	if none, err := e.Changes(ctx, release.ChangeQuery{Environment: "prod", From: from.Add(-time.Hour), To: from}); err != nil || len(none) != 0 {
		t.Fatalf("Changes before any deployment: %s (%v)", names(none), err)
	}
	_, err = e.Changes(ctx, release.ChangeQuery{Environment: "prod", From: to, To: from})
	var ve *release.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("an inverted range: %v, want a *ValidationError", err)
	}
}
