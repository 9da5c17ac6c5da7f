package servicenow_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/adapters/servicenow"
	"github.com/releasekit/releasekit/adapters/servicenow/snowtest"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// A release's change request follows it from plan to close, and the change
// advisory board's approval given in the instance becomes evidence in the
// release's history. A snowtest server stands in for the instance
// (https://your-instance.example in production).
func Example() {
	ctx := context.Background()
	clock := release.ClockFunc(func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) })
	instance := snowtest.New(snowtest.WithUser("releasekit", "s3cret"), snowtest.WithApprovers("kim"), snowtest.WithClock(clock))
	defer instance.Close()

	store := memory.New()
	syncer, err := servicenow.New(servicenow.Config{
		Instance: instance.URL(), User: "releasekit", Password: "s3cret",
		Environments:       []string{"prod"},
		AssignmentGroup:    "a1b2c3", // the sys_id of the change's assignment group
		ConfigurationItems: map[string]string{"payments": "d4e5f6"},
	}, servicenow.WithReleases(store), servicenow.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	cal, err := calendar.New()
	if err != nil {
		log.Fatal(err)
	}
	eng, err := release.New(store, release.WithClock(clock), release.WithNotifier(syncer),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}), release.WithRisk(release.RiskConfig{}))
	if err != nil {
		log.Fatal(err)
	}
	// A dispatch.Dispatcher over the store's outbox, with the same syncer,
	// delivers what the engine could not (the instance down):
	//   d, err := dispatch.New(store, syncer, dispatch.Config{})
	//   if err != nil { ... }
	//   go d.Run(ctx)

	ana := release.Person("ana", release.RoleDeveloper)
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.1.0", Environment: "prod", Author: "ana", Duration: time.Hour,
		Components: []release.Component{{Name: "payments", Version: "2.1.0"}}})
	if err != nil {
		log.Fatal(err)
	}
	if r, err = eng.Fire(ctx, r.ID, release.EventPlan, ana); err != nil {
		log.Fatal(err)
	}
	if r, err = eng.Fire(ctx, r.ID, release.EventSchedule, ana, release.At(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))); err != nil {
		log.Fatal(err)
	}
	cr := instance.ChangesFor(r.ID.String())[0]
	fmt.Println(cr["number"], cr["type"], "state", cr["state"], "window", cr["start_date"], "–", cr["end_date"])

	// kim approves in the instance; reading back records it.
	if err := instance.Approve(cr["sys_id"], "kim", "CAB: go"); err != nil {
		log.Fatal(err)
	}
	rb, err := syncer.ReadBack(ctx, eng, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range rb.Approvals {
		fmt.Println(a.User, a.State, "recorded:", a.Recorded)
	}
	evs, err := eng.Evidence(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(evs[0].Kind, "by", evs[0].By.ID, "as", evs[0].Role)
	// Output:
	// CHG0010001 normal state -3 window 2026-03-03 10:00:00 – 2026-03-03 11:00:00
	// kim approved recorded: true
	// approval by kim as change-advisory-board
}
