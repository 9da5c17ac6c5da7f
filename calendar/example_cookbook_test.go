package calendar_test

// The recipes of docs/CALENDAR-COOKBOOK.md. Each example is one recipe; the cookbook
// explains them.

import (
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/depgraph"
)

// cookbookZone loads a zone the recipes use; the IANA database ships with Go's
// time/tzdata or the system.
func cookbookZone(name string) *time.Location {
	loc, err := calendar.LoadZone(name)
	if err != nil {
		panic(err) // the examples use well-known zones only
	}
	return loc
}

// printOccurrences prints a rule's occurrences in [from, to) in the rule's zone.
func printOccurrences(r calendar.Rule, from, to time.Time) {
	occ, err := r.Occurrences(from, to)
	if err != nil {
		fmt.Println(err)
		return
	}
	loc := cookbookZone(r.Zone)
	for _, o := range occ {
		fmt.Printf("%s – %s\n", o.Start.In(loc).Format("Mon 2006-01-02 15:04 MST"), o.End.In(loc).Format("Mon 15:04 MST"))
	}
}

// printConflicts prints what Check says about b, or "ok".
func printConflicts(cal *calendar.Calendar, b calendar.Booking) {
	cs := cal.Check(b)
	if len(cs) == 0 {
		fmt.Println(b.ID+":", "ok")
		return
	}
	for _, c := range cs {
		fmt.Println(b.ID+":", c.Kind, "-", c.Reason)
	}
}

// A release train: production deployments only on Tuesdays and Thursdays, 10:00–16:00
// Berlin time. A window rule scoped to prod; other environments stay open.
func Example_releaseTrain() {
	berlin := cookbookZone("Europe/Berlin")
	train := calendar.Rule{
		Name:  "release train",
		Kind:  calendar.Window,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), // a Tuesday: the first occurrence
		End:   calendar.Wall(2026, time.January, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH",
		Scope: calendar.Scope{Environments: []string{"prod"}},
	}
	printOccurrences(train, time.Date(2026, time.May, 4, 0, 0, 0, 0, berlin), time.Date(2026, time.May, 11, 0, 0, 0, 0, berlin))

	cal, err := calendar.New(train)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := func(day, hour int) time.Time { return time.Date(2026, time.May, day, hour, 0, 0, 0, berlin) }
	printConflicts(cal, calendar.Booking{ID: "tue-11", Environment: "prod", Services: []string{"checkout"}, Start: at(5, 11), End: at(5, 12)})
	printConflicts(cal, calendar.Booking{ID: "tue-15", Environment: "prod", Services: []string{"checkout"}, Start: at(5, 15), End: at(5, 17)})
	printConflicts(cal, calendar.Booking{ID: "staging-mon", Environment: "staging", Services: []string{"checkout"}, Start: at(4, 20), End: at(4, 21)})
	// Output:
	// Tue 2026-05-05 10:00 CEST – Tue 16:00 CEST
	// Thu 2026-05-07 10:00 CEST – Thu 16:00 CEST
	// tue-11: ok
	// tue-15: outside-window - the deployment window for prod closes at 2026-05-05 16:00 CEST, before the booking ends at 2026-05-05 17:00 CEST (window rules "release train"); a booking must fit wholly inside one open window: shorten the change or move it; the next window opens at 2026-05-07 10:00 CEST (rule "release train")
	// staging-mon: ok
}

// Month-end freeze: no production changes on the last two business days of every
// month. BYSETPOS=-2,-1 picks the last two of the month's weekdays (a month's
// holidays are a separate freeze, see Example_holidayFreezeFromICS).
func Example_monthEndFreeze() {
	berlin := cookbookZone("Europe/Berlin")
	monthEnd := calendar.Rule{
		Name:  "month-end freeze",
		Kind:  calendar.Freeze,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 29, 0, 0, 0), // Thu 29 Jan: the first occurrence
		End:   calendar.Wall(2026, time.January, 30, 0, 0, 0), // one whole day
		RRule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2,-1",
		Scope: calendar.Scope{Environments: []string{"prod"}},
	}
	printOccurrences(monthEnd, time.Date(2026, time.January, 1, 0, 0, 0, 0, berlin), time.Date(2026, time.June, 1, 0, 0, 0, 0, berlin))
	// Output:
	// Thu 2026-01-29 00:00 CET – Fri 00:00 CET
	// Fri 2026-01-30 00:00 CET – Sat 00:00 CET
	// Thu 2026-02-26 00:00 CET – Fri 00:00 CET
	// Fri 2026-02-27 00:00 CET – Sat 00:00 CET
	// Mon 2026-03-30 00:00 CEST – Tue 00:00 CEST
	// Tue 2026-03-31 00:00 CEST – Wed 00:00 CEST
	// Wed 2026-04-29 00:00 CEST – Thu 00:00 CEST
	// Thu 2026-04-30 00:00 CEST – Fri 00:00 CEST
	// Thu 2026-05-28 00:00 CEST – Fri 00:00 CEST
	// Fri 2026-05-29 00:00 CEST – Sat 00:00 CEST
}

// The last business day of each month, here a window for the finance team's
// releases: BYSETPOS=-1 alone.
func Example_lastBusinessDay() {
	berlin := cookbookZone("Europe/Berlin")
	lastDay := calendar.Rule{
		Name:  "finance release day",
		Kind:  calendar.Window,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 30, 9, 0, 0), // Fri 30 Jan 2026
		End:   calendar.Wall(2026, time.January, 30, 12, 0, 0),
		RRule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
		Scope: calendar.Scope{Teams: []string{"finance"}},
	}
	printOccurrences(lastDay, time.Date(2026, time.January, 1, 0, 0, 0, 0, berlin), time.Date(2026, time.July, 1, 0, 0, 0, 0, berlin))
	// Output:
	// Fri 2026-01-30 09:00 CET – Fri 12:00 CET
	// Fri 2026-02-27 09:00 CET – Fri 12:00 CET
	// Tue 2026-03-31 09:00 CEST – Tue 12:00 CEST
	// Thu 2026-04-30 09:00 CEST – Thu 12:00 CEST
	// Fri 2026-05-29 09:00 CEST – Fri 12:00 CEST
	// Tue 2026-06-30 09:00 CEST – Tue 12:00 CEST
}

// A nightly window that crosses midnight: 22:00 to 02:00 the next morning, New York
// time. End is a wall-clock time on the next day; a booking may run across midnight
// inside one occurrence, but not past 02:00.
func Example_windowAcrossMidnight() {
	ny := cookbookZone("America/New_York")
	nightly := calendar.Rule{
		Name:  "nightly window",
		Kind:  calendar.Window,
		Zone:  "America/New_York",
		Start: calendar.Wall(2026, time.June, 1, 22, 0, 0),
		End:   calendar.Wall(2026, time.June, 2, 2, 0, 0),
		RRule: "FREQ=DAILY",
	}
	cal, err := calendar.New(nightly)
	if err != nil {
		fmt.Println(err)
		return
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, time.June, day, hour, min, 0, 0, ny) }
	printConflicts(cal, calendar.Booking{ID: "23:30-00:30", Environment: "prod", Services: []string{"db"}, Start: at(3, 23, 30), End: at(4, 0, 30)})
	printConflicts(cal, calendar.Booking{ID: "01:00-03:00", Environment: "prod", Services: []string{"db"}, Start: at(4, 1, 0), End: at(4, 3, 0)})
	// Output:
	// 23:30-00:30: ok
	// 01:00-03:00: outside-window - the deployment window for prod closes at 2026-06-04 02:00 EDT, before the booking ends at 2026-06-04 03:00 EDT (window rules "nightly window"); a booking must fit wholly inside one open window: shorten the change or move it; the next window opens at 2026-06-04 22:00 EDT (rule "nightly window")
}

// Holiday freezes imported from a shared .ics export (the company's holiday
// calendar): each all-day VEVENT becomes a freeze of whole days in the calendar's
// X-WR-TIMEZONE. Merge the imported rules with your own before calendar.New.
func Example_holidayFreezeFromICS() {
	export := strings.Join([]string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//Example Corp//Holidays//EN",
		"X-WR-TIMEZONE:Europe/Berlin",
		"BEGIN:VEVENT",
		"UID:unity-day-2026@example.com",
		"DTSTAMP:20260101T000000Z",
		"SUMMARY:German Unity Day",
		"DTSTART;VALUE=DATE:20261003",
		"DTEND;VALUE=DATE:20261004",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"UID:year-end-2026@example.com",
		"DTSTAMP:20260101T000000Z",
		"SUMMARY:Year-end shutdown",
		"DTSTART;VALUE=DATE:20261221",
		"DTEND;VALUE=DATE:20270104",
		"END:VEVENT",
		"END:VCALENDAR",
		"",
	}, "\r\n")
	holidays, err := calendar.ReadICS(strings.NewReader(export))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range holidays {
		fmt.Println(r.Name, "|", r.Kind, r.Zone, r.Start, "to", r.End)
	}
	// Holidays may still take emergency fixes.
	for i := range holidays {
		holidays[i].AllowClasses = []change.Class{change.Emergency}
	}
	cal, err := calendar.New(holidays...)
	if err != nil {
		fmt.Println(err)
		return
	}
	berlin := cookbookZone("Europe/Berlin")
	b := calendar.Booking{ID: "dec-22", Environment: "prod", Services: []string{"checkout"},
		Start: time.Date(2026, time.December, 22, 10, 0, 0, 0, berlin), End: time.Date(2026, time.December, 22, 11, 0, 0, 0, berlin)}
	printConflicts(cal, b)
	// Output:
	// German Unity Day | freeze Europe/Berlin 2026-10-03T00:00:00 to 2026-10-04T00:00:00
	// Year-end shutdown | freeze Europe/Berlin 2026-12-21T00:00:00 to 2027-01-04T00:00:00
	// dec-22: freeze - prod is frozen from 2026-12-21 00:00 CET to 2027-01-04 00:00 CET by rule "Year-end shutdown"; book after it ends at 2027-01-04 00:00 CET, or use an emergency change, which the freeze allows
}

// A freeze that lets emergencies and rollbacks through: AllowClasses and
// AllowActions. A normal deployment is refused; the same booking as an emergency
// change, or as a rollback, passes.
func Example_freezeWithExceptions() {
	berlin := cookbookZone("Europe/Berlin")
	cal, err := calendar.New(calendar.Rule{
		Name:         "Black Friday freeze",
		Kind:         calendar.Freeze,
		Zone:         "Europe/Berlin",
		Start:        calendar.Wall(2026, time.November, 26, 0, 0, 0),
		End:          calendar.Wall(2026, time.December, 1, 0, 0, 0),
		AllowClasses: []change.Class{change.Emergency},
		AllowActions: []calendar.Action{calendar.ActionRollback},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := calendar.Booking{Environment: "prod", Services: []string{"checkout"},
		Start: time.Date(2026, time.November, 27, 14, 0, 0, 0, berlin), End: time.Date(2026, time.November, 27, 15, 0, 0, 0, berlin)}
	b.ID = "normal"
	printConflicts(cal, b)
	b.ID, b.Class = "emergency", change.Emergency
	printConflicts(cal, b)
	b.ID, b.Class, b.Action = "rollback", change.Normal, calendar.ActionRollback
	printConflicts(cal, b)
	// Output:
	// normal: freeze - prod is frozen from 2026-11-26 00:00 CET to 2026-12-01 00:00 CET by rule "Black Friday freeze"; book after it ends at 2026-12-01 00:00 CET, or use an emergency change or a rollback, which the freeze allows
	// emergency: ok
	// rollback: ok
}

// A lockdown, for example during a major incident: nothing passes it, emergencies
// and rollbacks included. A lockdown takes no exceptions (Validate refuses them).
func Example_lockdown() {
	berlin := cookbookZone("Europe/Berlin")
	lockdown := calendar.Rule{
		Name:  "incident INC-4711 lockdown",
		Kind:  calendar.Lockdown,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.March, 3, 9, 0, 0),
		End:   calendar.Wall(2026, time.March, 3, 18, 0, 0),
		Scope: calendar.Scope{Environments: []string{"prod"}},
	}
	cal, err := calendar.New(lockdown)
	if err != nil {
		fmt.Println(err)
		return
	}
	printConflicts(cal, calendar.Booking{ID: "hotfix", Environment: "prod", Services: []string{"payments"},
		Class: change.Emergency, Action: calendar.ActionHotfix,
		Start: time.Date(2026, time.March, 3, 10, 0, 0, 0, berlin), End: time.Date(2026, time.March, 3, 10, 30, 0, 0, berlin)})

	lockdown.AllowClasses = []change.Class{change.Emergency}
	fmt.Println(lockdown.Validate() != nil)
	// Output:
	// hotfix: lockdown - prod is locked down from 2026-03-03 09:00 CET to 2026-03-03 18:00 CET by rule "incident INC-4711 lockdown"; nothing may run then, emergencies included; book after it is lifted at 2026-03-03 18:00 CET
	// true
}

// Bookings as people read them: the export names a booking by what it ships, not by
// its ID (which stays in X-RELEASEKIT-BOOKING).
func Example_bookingText() {
	from := time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)
	cal, err := calendar.NewWithOptions(nil, calendar.WithBookings(calendar.Booking{
		ID: "01a24fbb#3", Environment: "prod", Services: []string{"payments"},
		Start: from.Add(10 * time.Hour), End: from.Add(11 * time.Hour)}))
	if err != nil {
		log.Fatal(err)
	}
	var w strings.Builder
	if err := cal.WriteICS(&w, from, from.Add(24*time.Hour),
		calendar.WithBookingText(func(b calendar.Booking) (summary, description string) {
			return "payments 2.4.0 in " + b.Environment, "promoted dev → staging → prod"
		})); err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(w.String(), "\r\n") {
		if strings.HasPrefix(line, "SUMMARY:") || strings.HasPrefix(line, "DESCRIPTION:") {
			fmt.Println(line)
		}
	}
	// Output:
	// SUMMARY:payments 2.4.0 in prod
	// DESCRIPTION:promoted dev → staging → prod
}

// Scoping: a rule applies only to the environments, services and teams its Scope
// names (each list empty means all; every non-empty list must match).
func Example_scope() {
	berlin := cookbookZone("Europe/Berlin")
	cal, err := calendar.New(calendar.Rule{
		Name:  "payments quiet period",
		Kind:  calendar.Freeze,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.April, 1, 0, 0, 0),
		End:   calendar.Wall(2026, time.April, 3, 0, 0, 0),
		Scope: calendar.Scope{Environments: []string{"prod"}, Services: []string{"payments", "ledger"}, Teams: []string{"payments-team"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	at := func(h int) time.Time { return time.Date(2026, time.April, 1, h, 0, 0, 0, berlin) }
	for _, b := range []calendar.Booking{
		{ID: "payments-prod", Environment: "prod", Services: []string{"payments"}, Team: "payments-team"},
		{ID: "payments-staging", Environment: "staging", Services: []string{"payments"}, Team: "payments-team"},
		{ID: "search-prod", Environment: "prod", Services: []string{"search"}, Team: "payments-team"},
		{ID: "ledger-by-other-team", Environment: "prod", Services: []string{"ledger"}, Team: "core"},
	} {
		b.Start, b.End = at(10), at(11)
		fmt.Println(b.ID, "frozen:", len(cal.Check(b)) > 0)
	}
	// Output:
	// payments-prod frozen: true
	// payments-staging frozen: false
	// search-prod frozen: false
	// ledger-by-other-team frozen: false
}

// What happens on DST days (docs/DST.md has the full contract): a window is wall-clock
// time, so "09:00–17:00" stays 09:00–17:00 on the day clocks change; a night window
// across the change is an hour shorter (spring) or longer (autumn) in real time. A
// rule with Duration instead of End lasts exactly that long.
func Example_dstDays() {
	berlin := cookbookZone("Europe/Berlin")
	nightly := calendar.Rule{
		Name:  "nightly maintenance",
		Kind:  calendar.Window,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, time.March, 28, 1, 0, 0),
		End:   calendar.Wall(2026, time.March, 28, 4, 0, 0),
		RRule: "FREQ=DAILY",
	}
	show := func(r calendar.Rule, from time.Time, days int) {
		occ, err := r.Occurrences(from, from.AddDate(0, 0, days))
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, o := range occ {
			fmt.Printf("%s – %s  %v\n", o.Start.In(berlin).Format("Jan 02 15:04 MST"), o.End.In(berlin).Format("15:04 MST"), o.End.Sub(o.Start))
		}
	}
	spring := time.Date(2026, time.March, 28, 0, 0, 0, 0, berlin)
	show(nightly, spring, 2)
	autumn := time.Date(2026, time.October, 24, 0, 0, 0, 0, berlin)
	show(nightly, autumn, 2)

	exact := nightly
	exact.End, exact.Duration = calendar.WallTime{}, 3*time.Hour
	show(exact, spring, 2)
	// Output:
	// Mar 28 01:00 CET – 04:00 CET  3h0m0s
	// Mar 29 01:00 CET – 04:00 CEST  2h0m0s
	// Oct 24 01:00 CEST – 04:00 CEST  3h0m0s
	// Oct 25 01:00 CEST – 04:00 CET  4h0m0s
	// Mar 28 01:00 CET – 04:00 CET  3h0m0s
	// Mar 29 01:00 CET – 05:00 CEST  3h0m0s
}

// Capacity and the earliest slot: at most two concurrent deployments in prod, slots
// on a 30-minute grid, inside the release train. NextSlot says when the earliest
// feasible slot starts; a full environment pushes it later.
func Example_capacityAndEarliestSlot() {
	berlin := cookbookZone("Europe/Berlin")
	train := calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), End: calendar.Wall(2026, time.January, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}}
	cal, err := calendar.NewWithOptions([]calendar.Rule{train},
		calendar.WithCapacity("prod", 2), calendar.WithAlignment(30*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	tue := func(h int) time.Time { return time.Date(2026, time.May, 5, h, 0, 0, 0, berlin) }
	for i, svc := range []string{"search", "profile"} {
		if err := cal.Book(calendar.Booking{ID: fmt.Sprintf("busy-%d", i), Environment: "prod", Services: []string{svc}, Start: tue(10), End: tue(14)}); err != nil {
			fmt.Println(err)
		}
	}
	req := calendar.Request{ID: "checkout-2.4", Environment: "prod", Services: []string{"checkout"},
		Duration: 90 * time.Minute, NotBefore: time.Date(2026, time.May, 4, 9, 0, 0, 0, berlin)}
	slot, err := cal.NextSlot(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(slot.Start.Format("Mon 15:04"), "–", slot.End.Format("15:04 MST"))

	req.Duration = 3 * time.Hour // does not fit before 16:00 on Tuesday any more
	slot, err = cal.NextSlot(req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(slot.Start.Format("Mon 15:04"), "–", slot.End.Format("15:04 MST"))

	req.NotAfter = time.Date(2026, time.May, 5, 23, 0, 0, 0, berlin)
	_, err = cal.NextSlot(req)
	var ns *calendar.NoSlotError
	fmt.Println(errors.As(err, &ns), ns.Kinds, ns.Bookings)
	// Output:
	// Tue 14:00 – 15:30 CEST
	// Thu 10:00 – 13:00 CEST
	// true [outside-window capacity] [busy-0 busy-1]
}

// Batch scheduling with dependencies: the services' graph says what must ship first;
// DependsOn adds dependencies of the batch, Soak waits after a dependency. Schedule
// places what it can, says why it could not place the rest, and changes nothing
// until Apply books the plan.
func Example_batchScheduling() {
	berlin := cookbookZone("Europe/Berlin")
	train := calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), End: calendar.Wall(2026, time.January, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH"}
	cal, err := calendar.NewWithOptions([]calendar.Rule{train}, calendar.WithCapacity("prod", 1), calendar.WithAlignment(30*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	g := depgraph.New[string]()
	// checkout needs payments first
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}

	monday := time.Date(2026, time.May, 4, 9, 0, 0, 0, berlin)
	plan, err := cal.Schedule([]calendar.Request{
		{ID: "checkout", Environment: "prod", Services: []string{"checkout"}, Duration: time.Hour, NotBefore: monday, Soak: time.Hour},
		{ID: "payments", Environment: "prod", Services: []string{"payments"}, Duration: 2 * time.Hour, NotBefore: monday},
		{ID: "ledger", Environment: "prod", Services: []string{"ledger"}, Duration: 3 * time.Hour, NotBefore: monday},
		{ID: "search", Environment: "prod", Services: []string{"search"}, Duration: 8 * time.Hour, NotBefore: monday},
	}, g)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range plan.Bookings {
		fmt.Println(b.ID, b.Start.In(berlin).Format("Mon 15:04"), "–", b.End.In(berlin).Format("15:04"))
	}
	for _, u := range plan.Unplaced {
		fmt.Println("unplaced:", u.Request.ID, errors.Is(u.Err, calendar.ErrNoSlot))
	}
	fmt.Println(cal.Len(), cal.Apply(plan), cal.Len())
	// Output:
	// ledger Tue 10:00 – 13:00
	// payments Tue 13:00 – 15:00
	// checkout Thu 10:00 – 11:00
	// unplaced: search true
	// 0 <nil> 3
}
