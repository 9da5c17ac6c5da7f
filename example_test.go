package releasekit_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// The packages together: an engine over a store, with the release calendar (a
// Tuesday/Thursday train in Berlin) and a CI gate wired into the lifecycle. schedule
// books the earliest slot, approve evaluates the gate, start waits for the slot, and
// the audit history verifies. docs/CALENDAR-COOKBOOK.md and docs/POLICY-COOKBOOK.md
// have more recipes.
func Example() {
	ctx := context.Background()
	train, err := calendar.New(calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), End: calendar.Wall(2026, time.January, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}})
	if err != nil {
		log.Fatal(err)
	}
	clock := releasetest.NewClock(time.Date(2026, time.May, 4, 7, 0, 0, 0, time.UTC), 0) // Monday 09:00 Berlin
	eng, err := release.New(memory.New(), release.WithClock(clock),
		release.WithCalendar(release.CalendarConfig{Calendar: train}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build")}},
			Evidence: func(context.Context, release.Release) (gate.Input, error) {
				return gate.Input{Checks: map[string]gate.Check{"build": {Status: gate.CheckSuccess}}}, nil
			},
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	ana := release.Person("ana", release.RoleDeveloper)
	rui := release.Person("rui", release.RoleReleaseManager)
	bot := release.Automation("deploy-bot", release.RoleDeployer)

	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID, Duration: time.Hour})
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
	berlin, err := calendar.LoadZone("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("slot:", r.Slot.Start.In(berlin).Format("Mon 15:04 MST"))
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, rui)
	if err != nil {
		log.Fatal(err)
	}

	_, err = eng.Fire(ctx, r.ID, release.EventStart, bot)
	fmt.Println("start on Monday:", release.Committed(err))
	clock.Set(r.Slot.Start)
	r, err = eng.Fire(ctx, r.ID, release.EventStart, bot)
	fmt.Println(r.State, err)
	fmt.Println(eng.Verify(ctx, r.ID))
	// Output:
	// slot: Tue 10:00 CEST
	// start on Monday: false
	// deploying <nil>
	// <nil>
}
