package release_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A bot's scheduler: every tick it asks what is due and starts it; a release whose
// slot passed while the scheduler was away is unscheduled to be booked again.
func ExampleEngine_Due() {
	ctx := context.Background()
	nine := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	clock := releasetest.NewClock(nine, 0)
	cal, err := calendar.NewWithOptions(nil) // no rules: any slot will do
	if err != nil {
		log.Fatal(err)
	}
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	if err != nil {
		log.Fatal(err)
	}
	rui := release.Person("rui", release.RoleReleaseManager)
	bot := release.Automation("scheduler", release.RoleDeployer)
	book := func(name string, at time.Time) {
		r, err := eng.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Author: "ana", Duration: 30 * time.Minute})
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
			r, err = eng.Fire(ctx, r.ID, ev, rui, release.At(at))
			if err != nil {
				log.Fatal(err)
			}
		}
	}
	book("search", nine.Add(15*time.Minute))
	book("payments", nine.Add(30*time.Minute))
	book("ledger", nine.Add(45*time.Minute))

	for _, tick := range []time.Duration{0, 20 * time.Minute, 30 * time.Minute, 90 * time.Minute} {
		clock.Set(nine.Add(tick))
		now := clock.Now()
		due, err := eng.Due(ctx, now)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d due\n", now.Format("15:04"), len(due))
		for _, r := range due {
			if !now.Before(r.Slot.End) {
				r, err = eng.Fire(ctx, r.ID, release.EventUnschedule, rui, release.Reason("missed its slot"))
				if err != nil {
					log.Fatal(err)
				}
				fmt.Println("  missed:", r.Name, "is", r.State)
				continue
			}
			r, err := eng.Fire(ctx, r.ID, release.EventStart, bot)
			fmt.Println("  started:", r.Name, err)
		}
		if tick == 30*time.Minute {
			fmt.Println("  (the scheduler is down until 10:30)")
		}
	}
	// Output:
	// 09:00: 0 due
	// 09:20: 1 due
	//   started: search <nil>
	// 09:30: 1 due
	//   started: payments <nil>
	//   (the scheduler is down until 10:30)
	// 10:30: 1 due
	//   missed: ledger is planned
}
