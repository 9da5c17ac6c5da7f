package release_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// An incident at 11:52 on payments: what changed in prod in the two hours before,
// within what payments depends on?
func ExampleEngine_Changes() {
	ctx := context.Background()
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	clock := releasetest.NewClock(day.Add(8*time.Hour), 0)
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	g.AddNode("search")
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithRollback(release.RollbackConfig{Graph: g}))
	if err != nil {
		log.Fatal(err)
	}
	rui := release.Person("rui", release.RoleReleaseManager)
	bot := release.Automation("deploybot", release.RoleDeployer)
	ship := func(name, version, previous string, at time.Duration) {
		clock.Set(day.Add(at - time.Hour))
		r, err := eng.Create(ctx, release.Spec{Name: name, Version: version, Environment: "prod", Author: "ana",
			Components: []release.Component{{Name: name, Version: version, PreviousVersion: previous}}})
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
			r, err = eng.Fire(ctx, r.ID, ev, rui)
			if err != nil {
				log.Fatal(err)
			}
		}
		clock.Set(day.Add(at))
		for _, ev := range []release.Event{release.EventStart, release.EventComplete, release.EventVerify} {
			r, err = eng.Fire(ctx, r.ID, ev, bot)
			if err != nil {
				log.Fatal(err)
			}
			clock.Advance(10 * time.Minute)
		}
	}
	ship("ledger", "4.2.0", "4.1.0", 10*time.Hour)
	ship("payments", "2.1.0", "2.0.0", 11*time.Hour)
	ship("search", "7.0.0", "6.9.0", 11*time.Hour+15*time.Minute)
	ship("checkout", "3.5.0", "3.4.0", 11*time.Hour+30*time.Minute)

	incident := day.Add(11*time.Hour + 52*time.Minute)
	changes, err := eng.Changes(ctx, release.ChangeQuery{Environment: "prod", Service: "payments",
		From: incident.Add(-2 * time.Hour), To: incident})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range changes {
		fmt.Printf("%s %s %s: %s, requested by %s, approved by %v\n", c.At.Format("15:04"), c.Release.Name,
			c.Release.Version, c.Release.State, c.RequestedBy, c.ApprovedBy)
		fmt.Println("  to roll back:", strings.ReplaceAll(c.HowToRollBack, c.Release.ID.String(), "<id>"))
	}

	_, err = eng.Changes(ctx, release.ChangeQuery{Environment: "prod", From: incident, To: incident.Add(-time.Hour)})
	fmt.Println(err)
	// Output:
	// 11:20 payments 2.1.0: verified, requested by ana, approved by [rui]
	//   to roll back: fire rollback on release <id> (a deployer or release manager), follow the plan (est. 10m0s), then fire finish_rollback
	// 10:20 ledger 4.2.0: verified, requested by ana, approved by [rui]
	//   to roll back: fire rollback on release <id> (a deployer or release manager), follow the plan (est. 10m0s), then fire finish_rollback
	// release: invalid change query: the range is inverted: to (2026-05-04T10:52:00Z) is before from (2026-05-04T11:52:00Z); swap them
}
