package release_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// One release across dev, staging and prod: each environment's release is promoted
// from the one verified before it, and carries its lineage.
func ExampleEngine_Promote() {
	ctx := context.Background()
	eng, _ := release.New(memory.New(),
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)),
		release.WithPolicy(release.AllowAll()),
		release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}))
	bot := release.Automation("releasebot", release.RoleReleaseManager)
	rui := release.Person("rui", release.RoleReleaseManager)
	deploy := func(r release.Release) release.Release {
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove,
			release.EventStart, release.EventComplete, release.EventVerify} {
			r, _ = eng.Fire(ctx, r.ID, ev, rui)
		}
		return r
	}

	dev, _ := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "dev",
		Author: bot.ID, Duration: 30 * time.Minute, Labels: map[string]string{"ticket": "CHG-7"}})
	_, err := eng.Promote(ctx, dev.ID, "staging", bot)
	fmt.Println("before it is verified:", errors.Is(err, release.ErrInvalidTransition))

	dev = deploy(dev)
	_, err = eng.Promote(ctx, dev.ID, "prod", bot)
	fmt.Println(err != nil && errors.Is(err, release.ErrInvalid))

	staging, _ := eng.Promote(ctx, dev.ID, "staging", bot)
	staging = deploy(staging)
	prod, _ := eng.Promote(ctx, staging.ID, "prod", bot)
	fmt.Println(prod.Environment, prod.Version, prod.Duration, prod.Labels["ticket"], prod.State)
	fmt.Println(prod.Predecessor == staging.ID, staging.Predecessor == dev.ID)

	hist, _ := eng.History(ctx, prod.ID)
	fmt.Println(hist[0].Event, hist[0].Actor.ID)
	// Output:
	// before it is verified: true
	// true
	// prod 2.4.0 30m0s CHG-7 draft
	// true true
	// create releasebot
}
