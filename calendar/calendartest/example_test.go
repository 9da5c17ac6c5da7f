package calendartest_test

import (
	"fmt"
	"log"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
)

// A host application's scheduler: here a naive one that books every request at its
// NotBefore, which the checkers catch as soon as a freeze or another booking is in the way.
func naivePlan(reqs []calendar.Request) *calendar.Plan {
	p := &calendar.Plan{Requests: reqs}
	for _, r := range reqs {
		p.Bookings = append(p.Bookings, calendar.Booking{ID: r.ID, Environment: r.Environment, Services: r.Services,
			Team: r.Team, Class: r.Class, Action: r.Action, Start: r.NotBefore, End: r.NotBefore.Add(r.Duration)})
	}
	return p
}

// TestHostScheduling shows how a host application property-tests its scheduling: it
// draws calendars and batches, plans them with the library's Schedule, and lets
// CheckSchedule re-derive every constraint.
func TestHostScheduling(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		reqs := calendartest.DefaultConfig().Requests(4).Draw(t, "requests")
		plan, err := cal.Schedule(reqs, nil)
		if err != nil {
			t.Fatal(err)
		}
		calendartest.CheckSchedule(t, cal, plan)
	})
}

// TestCheckersCatchANaiveScheduler makes sure the checkers can fail: the naive
// scheduler above breaks the calendar for some drawn input.
func TestCheckersCatchANaiveScheduler(t *testing.T) {
	found := false
	for seed := 0; seed < 200 && !found; seed++ {
		rapid.Check(t, func(t *rapid.T) {
			cal := calendartest.Calendar().Draw(t, "calendar")
			reqs := calendartest.DefaultConfig().Requests(4).Draw(t, "requests")
			if len(calendartest.Violations(cal, naivePlan(reqs))) > 0 {
				found = true
			}
		})
	}
	if !found {
		t.Fatal("the checkers never caught a scheduler that ignores the calendar")
	}
}

// Checking one plan outside a property test: Violations lists what is wrong.
func ExampleViolations() {
	at := func(h int) time.Time { return time.Date(2026, time.March, 10, h, 0, 0, 0, time.UTC) }
	cal, err := calendar.New(calendar.Rule{Name: "maintenance", Kind: calendar.Freeze, Zone: "UTC",
		Start: calendar.Wall(2026, time.March, 10, 9, 0, 0), End: calendar.Wall(2026, time.March, 10, 11, 0, 0)})
	if err != nil {
		log.Fatal(err)
	}
	req := calendar.Request{ID: "deploy-api", Environment: "prod", Services: []string{"api"}, Duration: 2 * time.Hour, NotBefore: at(8), NotAfter: at(12)}

	fmt.Println(len(calendartest.Violations(cal, naivePlan([]calendar.Request{{ID: "x", Environment: "prod", Duration: time.Hour, NotBefore: at(10)}}))), "violation in the naive plan")

	plan, err := cal.Schedule([]calendar.Request{req}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Bookings[0].Start.Format("15:04"), len(calendartest.Violations(cal, plan)), "violations")
	// Output:
	// 1 violation in the naive plan
	// 11:00 0 violations
}
