package release_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

func Example() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)))
	if err != nil {
		log.Fatal(err)
	}
	dev := release.Person("ana", release.RoleDeveloper, release.RoleApprover)
	rm := release.Person("rui", release.RoleReleaseManager)

	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: dev.ID})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, dev)
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, dev)
	if err != nil {
		log.Fatal(err)
	}
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, dev) // the author may not approve
	fmt.Println(errors.Is(err, release.ErrForbidden))
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, rm, release.Reason("CAB 2026-05-04"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.State, r.Revision)

	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range hist {
		fmt.Println(e.Sequence, e.Event, e.To, e.Actor.ID)
	}
	fmt.Println(release.VerifyHistory(hist, r.Head))
	// Output:
	// true
	// approved 4
	// 1 create draft ana
	// 2 plan planned ana
	// 3 schedule scheduled ana
	// 4 approve approved rui
	// <nil>
}

func ExampleGuardFunc() {
	ctx := context.Background()
	freeze := release.OnEvents(release.GuardFunc("holiday-freeze", func(_ context.Context, p *release.Proposal) error {
		if p.Release.Environment == "prod" {
			return errors.New("prod is frozen until 2027-01-04; use an emergency change")
		}
		return nil
	}), release.EventStart)
	eng, err := release.New(memory.New(), release.WithGuard(freeze), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		r, err = eng.Fire(ctx, r.ID, ev, release.Person("rui"))
		if err != nil {
			log.Fatal(err)
		}
	}
	_, err = eng.Fire(ctx, r.ID, release.EventStart, release.Person("rui"))
	var ge *release.GuardError
	if errors.As(err, &ge) {
		fmt.Println(ge.Refusals[0].Guard+":", ge.Refusals[0].Reason)
	}
	// Output: holiday-freeze: prod is frozen until 2027-01-04; use an emergency change
}

func ExamplePolicy_Authorize() {
	p := release.DefaultPolicy()
	r := release.Release{Environment: "prod", Class: change.Normal, Author: "ana"}
	fmt.Println(p.Authorize(release.Person("rui", release.RoleReleaseManager), release.EventClose, r))
	fmt.Println(p.Authorize(release.Automation("bot", release.RoleDeployer), release.EventClose, r))
	// Output:
	// <nil>
	// release: bot may not close in prod: rule "close": bot has roles [deployer]; it takes one of the roles release-manager
}

func ExampleVerifyHistory() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("rui"))
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, release.Person("rui"), release.Reason("Tuesday train"))
	if err != nil {
		log.Fatal(err)
	}
	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}

	hist[2].Reason = "Thursday train" // an edit after the fact
	fmt.Println(release.VerifyHistory(hist, r.Head) != nil)
	fmt.Println(release.VerifyHistory(hist[:2], r.Head) != nil) // a truncated tail
	// Output:
	// true
	// true
}
