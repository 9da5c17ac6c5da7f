package release_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/rollback"
)

// New takes the store, which it needs, and options for everything else. A bad
// option is an error, never a panic.
func ExampleNew() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), // or bolt.Open for a store that survives a restart
		release.WithPolicy(release.AllowAll()), // who may fire what: see release.Policy
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Name, r.Version, "in", r.Environment, "is", r.State)

	_, err = release.New(memory.New(), release.WithCalendar(release.CalendarConfig{})) // no calendar given
	fmt.Println(errors.Is(err, release.ErrInvalid), err)
	// Output:
	// checkout 2.4.0 in prod is draft
	// true release: invalid input: WithCalendar needs a Calendar
}

// Fire moves a release along its lifecycle, one event at a time, as an actor. A
// refusal is a typed error that says why; ExpectRevision turns a decision made on
// an old read into ErrStale rather than a lost update.
func ExampleEngine_Fire() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)))
	if err != nil {
		log.Fatal(err)
	}
	ana := release.Person("ana", release.RoleDeveloper)
	rui := release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		if r, err = eng.Fire(ctx, r.ID, ev, ana); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(r.State, "at revision", r.Revision)

	_, err = eng.Fire(ctx, r.ID, release.EventStart, rui) // not approved yet
	var te *release.TransitionError
	fmt.Println(errors.As(err, &te), te.Available)

	approved, err := eng.Fire(ctx, r.ID, release.EventApprove, rui, release.ExpectRevision(r.Revision))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(approved.State, "at revision", approved.Revision)

	// A second decision on the same old read loses: the release moved on.
	_, err = eng.Fire(ctx, r.ID, release.EventRevoke, rui, release.ExpectRevision(r.Revision))
	fmt.Println(errors.Is(err, release.ErrStale))
	// Output:
	// scheduled at revision 3
	// true [unschedule approve cancel]
	// approved at revision 4
	// true
}

// WithCalendar books every scheduled release into a slot the calendar allows and
// refuses to start one outside it.
func ExampleWithCalendar() {
	ctx := context.Background()
	monday := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	clock := releasetest.NewClock(monday, 0)
	cal, err := calendar.New(calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=TU,TH"})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	if err != nil {
		log.Fatal(err)
	}
	rui := release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana",
		Duration: 45 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		if r, err = eng.Fire(ctx, r.ID, ev, rui); err != nil { // schedule books the earliest slot
			log.Fatal(err)
		}
	}
	fmt.Println("slot:", r.Slot.Start.Format(time.RFC3339), "to", r.Slot.End.Format("15:04")) // Tuesday 10:00 in Berlin

	_, err = eng.Fire(ctx, r.ID, release.EventStart, rui) // Monday: too early
	fmt.Println("start on Monday refused:", errors.Is(err, release.ErrGuardRefused))

	clock.Set(r.Slot.Start)
	if r, err = eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.State)
	// Output:
	// slot: 2026-05-05T08:00:00Z to 08:45
	// start on Monday refused: true
	// deploying
}

// WithRollback derives a rollback plan from the dependency graph when a release
// fails, and runs it through the host's executor at rollback: dependents first.
func ExampleWithRollback() {
	ctx := context.Background()
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil { // checkout needs payments
		log.Fatal(err)
	}
	exec := rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
		fmt.Println("run:", s.ID)
		return nil
	})
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()),
		release.WithClock(releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)),
		release.WithRollback(release.RollbackConfig{Graph: g, Executor: exec}))
	if err != nil {
		log.Fatal(err)
	}
	bot := release.Automation("deploybot", release.RoleDeployer)
	r, err := eng.Create(ctx, release.Spec{Name: "shop", Version: "7.0.0", Environment: "prod", Author: "ana",
		Components: []release.Component{
			{Name: "payments", Version: "3.1.0", PreviousVersion: "3.0.2"},
			{Name: "checkout", Version: "2.4.0", PreviousVersion: "2.3.9"},
		}})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove,
		release.EventStart, release.EventComplete, release.EventFail, release.EventRollback} {
		if r, err = eng.Fire(ctx, r.ID, ev, bot); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(r.State)
	// Output:
	// run: w1/checkout/redeploy
	// run: w2/payments/redeploy
	// rolled_back
}

// A store that keeps releases as bytes writes EncodeRelease's and reads them with
// DecodeRelease, which refuses a row no store can have written.
func ExampleEncodeRelease() {
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	r := release.Release{ID: release.ID{1}, Name: "checkout", Version: "2.4.0", Environment: "prod",
		Class: change.Normal, Author: "ana", State: release.StateDraft, Revision: 1, Head: "3f1c…",
		CreatedAt: at, UpdatedAt: at, Labels: map[string]string{"team": "payments"}}
	b, err := release.EncodeRelease(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	back, err := release.DecodeRelease(b)
	fmt.Println(back.Name, back.Labels["team"], err)

	r.State = "bogus"
	b, _ = release.EncodeRelease(r)
	_, err = release.DecodeRelease(b)
	fmt.Println(errors.Is(err, release.ErrCorrupt))
	// Output:
	// {"id":"01000000-0000-0000-0000-000000000000","name":"checkout","version":"2.4.0","environment":"prod","class":"normal","author":"ana","labels":{"team":"payments"},"state":"draft","revision":1,"head":"3f1c…","created_at":"2026-05-04T09:00:00Z","updated_at":"2026-05-04T09:00:00Z"}
	// checkout payments <nil>
	// true
}
