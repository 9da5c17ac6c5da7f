package release_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// One release across dev, staging and prod: each environment's release is promoted
// from the one verified before it, and carries its lineage.
func ExampleEngine_Promote() {
	ctx := context.Background()
	eng, err := release.New(memory.New(),
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)),
		release.WithPolicy(release.AllowAll()),
		release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}))
	if err != nil {
		log.Fatal(err)
	}
	bot := release.Automation("releasebot", release.RoleReleaseManager)
	rui := release.Person("rui", release.RoleReleaseManager)
	deploy := func(r release.Release) release.Release {
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove,
			release.EventStart, release.EventComplete, release.EventVerify} {
			r, err = eng.Fire(ctx, r.ID, ev, rui)
			if err != nil {
				log.Fatal(err)
			}
		}
		return r
	}

	dev, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "dev",
		Author: bot.ID, Duration: 30 * time.Minute, Labels: map[string]string{"ticket": "CHG-7"}})
	if err != nil {
		log.Fatal(err)
	}
	_, err = eng.Promote(ctx, dev.ID, "staging", bot)
	fmt.Println("before it is verified:", errors.Is(err, release.ErrInvalidTransition))

	dev = deploy(dev)
	_, err = eng.Promote(ctx, dev.ID, "prod", bot)
	fmt.Println(err != nil && errors.Is(err, release.ErrInvalid))

	staging, err := eng.Promote(ctx, dev.ID, "staging", bot)
	if err != nil {
		log.Fatal(err)
	}
	staging = deploy(staging)
	prod, err := eng.Promote(ctx, staging.ID, "prod", bot)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(prod.Environment, prod.Version, prod.Duration, prod.Labels["ticket"], prod.State)
	fmt.Println(prod.Predecessor == staging.ID, staging.Predecessor == dev.ID)

	hist, err := eng.History(ctx, prod.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hist[0].Event, hist[0].Actor.ID)
	// Output:
	// before it is verified: true
	// true
	// prod 2.4.0 30m0s CHG-7 draft
	// true true
	// create releasebot
}
