package release_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A bot with no storage of its own: CI results and people's approvals are recorded
// in the release's history, the gates read them at approve, and a refused approve is
// history too.
func ExampleEngine_Record() {
	ctx := context.Background()
	eng, err := release.New(memory.New(),
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)),
		release.WithPolicy(release.AllowAll()), // who may fire what is not the point here
		release.WithGates(release.GateConfig{ByEnvironment: map[string][]gate.Gate{"prod": {
			gate.Checks("build"), gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2}),
		}}}))
	if err != nil {
		log.Fatal(err)
	}
	ana := release.Person("ana", release.RoleDeveloper)
	ci := release.Automation("ci", release.RoleDeployer)
	rui, lee := release.Person("rui", release.RoleReleaseManager), release.Person("lee", release.RoleReleaseManager)

	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, ana)
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, ana)
	if err != nil {
		log.Fatal(err)
	}

	if _, err := eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build",
		Status: gate.CheckSuccess, Source: "github", ExternalID: "run-41", Commit: "9fceb02"}); err != nil {
		log.Fatal(err)
	}
	_, err = eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: ana})
	fmt.Println("author approves:", errors.Is(err, release.ErrForbidden))
	if _, err := eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: lee, Reason: "reviewed"}); err != nil {
		log.Fatal(err)
	}

	_, err = eng.Fire(ctx, r.ID, release.EventApprove, ci) // one approval of two: No-Go
	fmt.Println("automation approves with one approval:", errors.Is(err, release.ErrGuardRefused))
	if _, err := eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: rui}); err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, ci)
	fmt.Println(r.State, err)

	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range hist[3:] {
		fmt.Println(e.Sequence, e.Event, e.Actor.ID)
	}
	fmt.Println(release.VerifyHistory(hist, r.Head))
	// Output:
	// author approves: true
	// automation approves with one approval: true
	// approved <nil>
	// 4 record ci
	// 5 record lee
	// 6 decision ci
	// 7 record rui
	// 8 approve ci
	// <nil>
}

// A webhook delivered twice (a retry after a timeout) records its check once: the
// delivery ID is the idempotency key. The same key with another body is refused.
func ExampleIdempotencyKey() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	check := release.Evidence{Kind: release.EvidenceCheck, By: release.Automation("github"), Name: "build", Status: gate.CheckSuccess}

	first, err := eng.Record(ctx, r.ID, check, release.IdempotencyKey("delivery-72d4"))
	if err != nil {
		log.Fatal(err)
	}
	retry, err := eng.Record(ctx, r.ID, check, release.IdempotencyKey("delivery-72d4"))
	fmt.Println(first.Revision, retry.Revision, err)

	check.Status = gate.CheckFailure
	_, err = eng.Record(ctx, r.ID, check, release.IdempotencyKey("delivery-72d4"))
	fmt.Println(errors.Is(err, release.ErrKeyReused))
	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(hist), "entries")
	// Output:
	// 2 2 <nil>
	// true
	// 2 entries
}
