// Package calendartest is for host applications (and this module) that property-test
// their own scheduling on top of package calendar: QA and platform engineers who want
// to know that whatever their delivery platform books never breaks a freeze, a
// window, a capacity limit or a dependency.
//
// It has two halves:
//
//   - rapid generators of valid rules, bookings, requests, batches and whole
//     calendars ([Rule], [Booking], [Request], [Calendar], and [Config] to bound them),
//     over a short range around the 2026 DST transitions of [Zones];
//   - invariant checkers that re-derive every constraint by brute force, independently
//     of the calendar's indexes: [CheckBooking], [CheckSchedule], and [Violations] and
//     [BookingViolations] for use outside a test.
//
// A host application's property test draws a calendar and a batch, runs its own
// scheduling code, and checks the result:
//
//	func TestOurSchedulerKeepsTheCalendar(t *testing.T) {
//		rapid.Check(t, func(t *rapid.T) {
//			cal := calendartest.Calendar().Draw(t, "calendar")
//			reqs := calendartest.DefaultConfig().Requests(5).Draw(t, "requests")
//			plan, err := ourplatform.Plan(cal, reqs) // the code under test
//			if err != nil {
//				t.Fatal(err)
//			}
//			calendartest.CheckSchedule(t, cal, plan)
//		})
//	}
package calendartest
