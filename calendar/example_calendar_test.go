package calendar_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/depgraph"
)

func exampleRules() []calendar.Rule {
	return []calendar.Rule{
		{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin", RRule: "FREQ=WEEKLY;BYDAY=TU,TH",
			Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), End: calendar.Wall(2026, time.January, 6, 16, 0, 0),
			Scope: calendar.Scope{Environments: []string{"prod"}}},
		{Name: "holiday freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.December, 18, 17, 0, 0), End: calendar.Wall(2027, time.January, 4, 9, 0, 0),
			AllowClasses: []change.Class{change.Emergency}},
	}
}

// Check explains every reason a booking may not run.
func ExampleCalendar_Check() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	cal, err := calendar.New(exampleRules()...)
	if err != nil {
		panic(err)
	}
	b := calendar.Booking{ID: "deploy-42", Environment: "prod", Services: []string{"checkout"},
		Start: time.Date(2026, time.December, 22, 11, 0, 0, 0, berlin), End: time.Date(2026, time.December, 22, 12, 0, 0, 0, berlin)}
	for _, c := range cal.Check(b) {
		fmt.Println(c.Kind, "-", c.Reason)
	}
	b.Class = change.Emergency
	fmt.Println("as an emergency:", len(cal.Check(b)), "conflicts")
	// Output:
	// freeze - prod is frozen from 2026-12-18 17:00 CET to 2027-01-04 09:00 CET by rule "holiday freeze"; book after it ends at 2027-01-04 09:00 CET, or use an emergency change, which the freeze allows
	// as an emergency: 0 conflicts
}

// Book refuses a conflicting booking with a *ConflictError; Cancel frees the slot.
func ExampleCalendar_Book() {
	at := func(h int) time.Time { return time.Date(2026, time.May, 5, h, 0, 0, 0, time.UTC) }
	cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", 1))
	if err != nil {
		log.Fatal(err)
	}
	if err := cal.Book(calendar.Booking{ID: "a", Environment: "prod", Start: at(10), End: at(12)}); err != nil {
		log.Fatal(err)
	}
	err = cal.Book(calendar.Booking{ID: "b", Environment: "prod", Start: at(11), End: at(13)})
	var ce *calendar.ConflictError
	fmt.Println(errors.Is(err, calendar.ErrConflict), errors.As(err, &ce) && ce.Conflicts[0].Kind == calendar.ConflictCapacity)
	if err := cal.Cancel("a"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cal.Book(calendar.Booking{ID: "b", Environment: "prod", Start: at(11), End: at(13)}))
	// Output:
	// true true
	// <nil>
}

// NextSlot finds the earliest start on the alignment grid; when there is none it says
// what blocked.
func ExampleCalendar_NextSlot() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	cal, err := calendar.NewWithOptions(exampleRules(), calendar.WithAlignment(15*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	req := calendar.Request{ID: "deploy-43", Environment: "prod", Services: []string{"checkout"}, Duration: 2 * time.Hour,
		NotBefore: time.Date(2026, time.December, 17, 14, 30, 0, 0, berlin)}
	slot, err := cal.NextSlot(req)
	fmt.Println(slot.Start.Format("Mon 2006-01-02 15:04 MST"), err)

	req.NotAfter = time.Date(2026, time.December, 31, 0, 0, 0, 0, berlin)
	_, err = cal.NextSlot(req)
	var ns *calendar.NoSlotError
	if errors.As(err, &ns) {
		fmt.Println(ns.Rules, ns.Kinds)
	}
	// Output:
	// Tue 2027-01-05 10:00 CET <nil>
	// [release train holiday freeze] [outside-window freeze]
}

// Schedule places dependent releases in waves; the plan is booked only by Apply.
func ExampleCalendar_Schedule() {
	at := func(d, h int) time.Time { return time.Date(2026, time.May, d, h, 0, 0, 0, time.UTC) }
	cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", 1), calendar.WithAlignment(time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	g := depgraph.New[string]()
	// checkout goes after payments
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	plan, err := cal.Schedule([]calendar.Request{
		{ID: "checkout", Environment: "prod", Duration: time.Hour, NotBefore: at(4, 9)},
		{ID: "payments", Environment: "prod", Duration: 2 * time.Hour, NotBefore: at(4, 9)},
		{ID: "search", Environment: "prod", Duration: time.Hour, NotBefore: at(4, 9), NotAfter: at(4, 10)},
	}, g)
	if err != nil {
		panic(err)
	}
	for _, b := range plan.Bookings {
		fmt.Println(b.ID, b.Start.Format("15:04"), b.End.Format("15:04"))
	}
	for _, u := range plan.Unplaced {
		fmt.Println("unplaced:", u.Request.ID, errors.Is(u.Err, calendar.ErrNoSlot))
	}
	fmt.Println(cal.Len(), cal.Apply(plan), cal.Len())
	// Output:
	// payments 09:00 11:00
	// checkout 11:00 12:00
	// unplaced: search true
	// 0 <nil> 2
}

// AllConflicts audits a set of bookings, for example an import, for overlaps.
func ExampleAllConflicts() {
	at := func(h int) time.Time { return time.Date(2026, time.May, 5, h, 0, 0, 0, time.UTC) }
	for _, c := range calendar.AllConflicts([]calendar.Booking{
		{ID: "a", Environment: "prod", Services: []string{"api", "db"}, Start: at(10), End: at(12)},
		{ID: "b", Environment: "prod", Services: []string{"db", "api"}, Start: at(11), End: at(13)},
		{ID: "c", Environment: "staging", Services: []string{"api"}, Start: at(11), End: at(13)},
	}) {
		fmt.Println(c.Booking, c.With, c.Services)
	}
	// Output:
	// a [b] [api db]
}
