package calendar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// at parses "2006-01-02 15:04" in loc (only for times that exist once in loc).
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return tm
}

func kinds(cs []calendar.Conflict) []calendar.ConflictKind {
	var out []calendar.ConflictKind
	for _, c := range cs {
		out = append(out, c.Kind)
	}
	return out
}

// Weekday release train in Berlin, Tue and Thu 10:00-16:00, plus a holiday freeze and
// a lockdown, all on prod.
func trainRules() []calendar.Rule {
	return []calendar.Rule{
		{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.January, 6, 10, 0, 0), End: calendar.Wall(2026, time.January, 6, 16, 0, 0),
			RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}},
		{Name: "holiday freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.December, 18, 17, 0, 0), End: calendar.Wall(2027, time.January, 4, 9, 0, 0),
			Scope:        calendar.Scope{Environments: []string{"prod"}},
			AllowClasses: []calendar.Class{calendar.ClassEmergency}, AllowActions: []calendar.Action{calendar.ActionRollback}},
		{Name: "datacenter move", Kind: calendar.Lockdown, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.June, 2, 12, 0, 0), End: calendar.Wall(2026, time.June, 2, 14, 0, 0),
			Scope: calendar.Scope{Environments: []string{"prod"}}},
		{Name: "payments freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.June, 4, 10, 0, 0), End: calendar.Wall(2026, time.June, 4, 12, 0, 0),
			Scope: calendar.Scope{Services: []string{"payments"}}},
		{Name: "team freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, time.June, 9, 10, 0, 0), End: calendar.Wall(2026, time.June, 9, 12, 0, 0),
			Scope: calendar.Scope{Teams: []string{"core"}}},
	}
}

func TestCheckRules(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	cal, err := calendar.New(trainRules()...)
	require.NoError(t, err)
	b := func(env, start, end string, mod ...func(*calendar.Booking)) calendar.Booking {
		bk := calendar.Booking{ID: "b", Environment: env, Services: []string{"api"}, Start: at(t, berlin, start), End: at(t, berlin, end)}
		for _, m := range mod {
			m(&bk)
		}
		return bk
	}
	emergency := func(b *calendar.Booking) { b.Class = calendar.ClassEmergency }
	rollback := func(b *calendar.Booking) { b.Action = calendar.ActionRollback }
	hotfix := func(b *calendar.Booking) { b.Action = calendar.ActionHotfix }
	payments := func(b *calendar.Booking) { b.Services = []string{"web", "payments"} }
	core := func(b *calendar.Booking) { b.Team = "core" }
	tests := []struct {
		name   string
		b      calendar.Booking
		want   []calendar.ConflictKind
		reason string
	}{
		{"inside a Tuesday window", b("prod", "2026-06-09 10:00", "2026-06-09 16:00"), nil,
			"a booking filling the whole window fits: the window is half-open"},
		{"Wednesday is outside the train", b("prod", "2026-06-10 10:00", "2026-06-10 11:00"),
			[]calendar.ConflictKind{calendar.ConflictOutsideWindow}, "prod has window rules, and none is open on Wednesday"},
		{"running past the window's end", b("prod", "2026-06-09 15:00", "2026-06-09 17:00"),
			[]calendar.ConflictKind{calendar.ConflictOutsideWindow}, "duration-aware: the booking must fit wholly inside the window"},
		{"staging has no windows", b("staging", "2026-06-10 03:00", "2026-06-10 04:00"), nil,
			"an environment no window rule covers is always open"},
		{"holiday freeze", b("prod", "2026-12-22 10:00", "2026-12-22 11:00"),
			[]calendar.ConflictKind{calendar.ConflictFreeze}, "a freeze beats the window"},
		{"ending inside the freeze", b("prod", "2026-12-17 15:00", "2026-12-17 17:30", func(b *calendar.Booking) {}),
			[]calendar.ConflictKind{calendar.ConflictOutsideWindow}, "Dec 17 is a Thursday: the window closes at 16:00 first"},
		{"emergency passes the freeze", b("prod", "2026-12-22 10:00", "2026-12-22 11:00", emergency), nil,
			"the holiday freeze allows emergency changes"},
		{"rollback passes the freeze", b("prod", "2026-12-22 10:00", "2026-12-22 11:00", rollback), nil,
			"the holiday freeze allows rollbacks"},
		{"hotfix does not pass", b("prod", "2026-12-22 10:00", "2026-12-22 11:00", hotfix),
			[]calendar.ConflictKind{calendar.ConflictFreeze}, "hotfix is not among the allowed actions"},
		{"lockdown stops emergencies", b("prod", "2026-06-02 11:00", "2026-06-02 13:00", emergency),
			[]calendar.ConflictKind{calendar.ConflictLockdown}, "nothing passes a lockdown"},
		{"service-scoped freeze hits payments", b("prod", "2026-06-04 11:00", "2026-06-04 12:00", payments),
			[]calendar.ConflictKind{calendar.ConflictFreeze}, "one of the booking's services is in the freeze's scope"},
		{"service-scoped freeze spares api", b("prod", "2026-06-04 11:00", "2026-06-04 12:00"), nil,
			"api is not in the freeze's scope"},
		{"team-scoped freeze hits core", b("prod", "2026-06-09 11:00", "2026-06-09 12:00", core),
			[]calendar.ConflictKind{calendar.ConflictFreeze}, "the booking's team is in the freeze's scope"},
		{"team-scoped freeze spares others", b("prod", "2026-06-09 11:00", "2026-06-09 12:00"), nil,
			"a booking without the team does not match"},
		{"touching the freeze's end", b("prod", "2027-01-05 10:00", "2027-01-05 11:00"), nil,
			"the freeze ended on Jan 4 09:00"},
		{"freeze and outside window at once", b("prod", "2026-12-19 10:00", "2026-12-19 11:00"),
			[]calendar.ConflictKind{calendar.ConflictFreeze, calendar.ConflictOutsideWindow}, "every conflict is reported, not only the first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Check(tt.b)
			assert.Equal(t, tt.want, kinds(got), "%s; conflicts: %v", tt.reason, got)
			for _, c := range got {
				assert.NotEmpty(t, c.Reason)
				assert.NotEmpty(t, c.Rule, "a rule conflict names its rule")
				assert.True(t, c.End.After(c.Start), "conflict interval %v–%v", c.Start, c.End)
			}
		})
	}
}

func TestFreezeReasonIsActionable(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	cal, err := calendar.New(trainRules()...)
	require.NoError(t, err)
	got := cal.Check(calendar.Booking{ID: "x", Environment: "prod", Start: at(t, berlin, "2026-12-22 10:00"), End: at(t, berlin, "2026-12-22 11:00")})
	require.Len(t, got, 1)
	assert.Equal(t, `prod is frozen from 2026-12-18 17:00 CET to 2027-01-04 09:00 CET by rule "holiday freeze"; book after it ends at 2027-01-04 09:00 CET, or use an emergency change or a rollback, which the freeze allows`, got[0].Reason)
	assert.Equal(t, "holiday freeze", got[0].Rule)
	assert.Equal(t, at(t, berlin, "2026-12-18 17:00").UTC(), got[0].Start.UTC())
	assert.Equal(t, at(t, berlin, "2027-01-04 09:00").UTC(), got[0].End.UTC())
}

func TestAdjacentWindowsMerge(t *testing.T) {
	utc := time.UTC
	// Two daily windows that touch at midnight: 18:00-24:00 and 00:00-06:00.
	cal, err := calendar.New(
		calendar.Rule{Name: "evening", Kind: calendar.Window, Zone: "UTC", Start: calendar.Wall(2026, 1, 1, 18, 0, 0), End: calendar.Wall(2026, 1, 2, 0, 0, 0), RRule: "FREQ=DAILY"},
		calendar.Rule{Name: "night", Kind: calendar.Window, Zone: "UTC", Start: calendar.Wall(2026, 1, 1, 0, 0, 0), End: calendar.Wall(2026, 1, 1, 6, 0, 0), RRule: "FREQ=DAILY"},
	)
	require.NoError(t, err)
	across := calendar.Booking{ID: "a", Environment: "prod", Start: at(t, utc, "2026-02-10 22:00"), End: at(t, utc, "2026-02-11 02:00")}
	assert.Empty(t, cal.Check(across), "touching windows merge into one open interval from 18:00 to 06:00")
	tooLong := across
	tooLong.End = at(t, utc, "2026-02-11 07:00")
	got := cal.Check(tooLong)
	require.Equal(t, []calendar.ConflictKind{calendar.ConflictOutsideWindow}, kinds(got))
	assert.Equal(t, at(t, utc, "2026-02-11 06:00"), got[0].Start.UTC(), "the gap starts where the merged window closes")
	assert.Equal(t, at(t, utc, "2026-02-11 07:00"), got[0].End.UTC(), "the gap is clipped to the booking")
	assert.Equal(t, "evening", got[0].Rule, "the rule that opens next is named")
}

func TestCheckBookings(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.NewWithOptions(nil, calendar.WithCapacity("prod", 2))
	require.NoError(t, err)
	mk := func(id, start, end string, svc ...string) calendar.Booking {
		return calendar.Booking{ID: id, Environment: "prod", Services: svc, Start: at(t, utc, start), End: at(t, utc, end)}
	}
	require.NoError(t, cal.Book(mk("a", "2026-05-01 10:00", "2026-05-01 12:00", "api")))
	require.NoError(t, cal.Book(mk("b", "2026-05-01 11:00", "2026-05-01 13:00", "web")))
	tests := []struct {
		name   string
		b      calendar.Booking
		want   []calendar.ConflictKind
		reason string
	}{
		{"shares a service", mk("x", "2026-05-01 09:00", "2026-05-01 10:30", "api", "db"), []calendar.ConflictKind{calendar.ConflictOverlap},
			"api is changed by a from 10:00"},
		{"touches the end", mk("x", "2026-05-01 12:00", "2026-05-01 12:30", "api"), []calendar.ConflictKind{calendar.ConflictCapacity},
			"no overlap with a (half-open), but b runs 11-13 and ... only one other: capacity 2 not reached"},
		{"third concurrent", mk("x", "2026-05-01 11:30", "2026-05-01 11:45", "db"), []calendar.ConflictKind{calendar.ConflictCapacity},
			"a and b both run at 11:30 and prod's capacity is 2"},
		{"other environment", mk("x", "2026-05-01 11:30", "2026-05-01 11:45", "api"), nil, "placeholder replaced below"},
		{"same ID re-checked", mk("a", "2026-05-01 10:00", "2026-05-01 12:00", "api"), nil,
			"a booking is checked as the replacement of the one with its ID"},
	}
	tests[1].want = nil
	tests[1].reason = "touching a's end is no overlap, and only b runs then: capacity 2 is not reached"
	tests[3].b.Environment = "staging"
	tests[3].reason = "overlap and capacity are per environment"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Check(tt.b)
			assert.Equal(t, tt.want, kinds(got), "%s; conflicts: %v", tt.reason, got)
		})
	}
	got := cal.Check(mk("x", "2026-05-01 11:30", "2026-05-01 11:45", "api"))
	require.Equal(t, []calendar.ConflictKind{calendar.ConflictOverlap, calendar.ConflictCapacity}, kinds(got))
	assert.Equal(t, []string{"a"}, got[0].With)
	assert.Equal(t, []string{"api"}, got[0].Services)
	assert.Equal(t, []string{"a", "b"}, got[1].With)
	assert.Equal(t, at(t, utc, "2026-05-01 11:30"), got[1].Start.UTC())
	assert.Equal(t, at(t, utc, "2026-05-01 11:45"), got[1].End.UTC())
}

func TestBookAndCancel(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.New()
	require.NoError(t, err)
	a := calendar.Booking{ID: "a", Environment: "prod", Services: []string{"api"}, Start: at(t, utc, "2026-05-01 10:00"), End: at(t, utc, "2026-05-01 12:00")}
	require.NoError(t, cal.Book(a))
	a.Services[0] = "mutated"
	got, ok := cal.Booking("a")
	require.True(t, ok)
	assert.Equal(t, []string{"api"}, got.Services, "the calendar keeps its own copy")

	err = cal.Book(a)
	require.ErrorIs(t, err, calendar.ErrDuplicateID)
	a.Services[0] = "api" // the same booking again also overlaps itself: the taken ID is the error
	err = cal.Book(a)
	require.ErrorIs(t, err, calendar.ErrDuplicateID)
	assert.NotErrorIs(t, err, calendar.ErrConflict)

	c := calendar.Booking{ID: "c", Environment: "prod", Services: []string{"api"}, Start: at(t, utc, "2026-05-01 11:00"), End: at(t, utc, "2026-05-01 13:00")}
	err = cal.Book(c)
	require.ErrorIs(t, err, calendar.ErrConflict)
	var ce *calendar.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "c", ce.Booking)
	require.Len(t, ce.Conflicts, 1)
	assert.Contains(t, err.Error(), `booking "a" already changes api in prod`)

	require.ErrorIs(t, cal.Cancel("nope"), calendar.ErrNotFound)
	require.NoError(t, cal.Cancel("a"))
	require.NoError(t, cal.Book(c), "after cancelling a, c fits")
	assert.Equal(t, []string{"c"}, ids(cal.Bookings()))
}

func ids(bs []calendar.Booking) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

func TestInvalidBookings(t *testing.T) {
	utc := time.UTC
	ok := calendar.Booking{ID: "a", Environment: "prod", Start: at(t, utc, "2026-05-01 10:00"), End: at(t, utc, "2026-05-01 12:00")}
	tests := []struct {
		name   string
		mod    func(*calendar.Booking)
		reason string
	}{
		{"empty ID", func(b *calendar.Booking) { b.ID = "" }, "bookings are found by ID"},
		{"empty environment", func(b *calendar.Booking) { b.Environment = "" }, "capacity and overlap are per environment"},
		{"end before start", func(b *calendar.Booking) { b.End = b.Start.Add(-time.Hour) }, "no negative intervals"},
		{"empty interval", func(b *calendar.Booking) { b.End = b.Start }, "End must be after Start"},
		{"zero start", func(b *calendar.Booking) { b.Start = time.Time{} }, "a zero time is a forgotten field"},
		{"unknown class", func(b *calendar.Booking) { b.Class = "urgent" }, "typos must not pass freezes silently"},
		{"unknown action", func(b *calendar.Booking) { b.Action = "redeploy" }, "typos must not pass freezes silently"},
		{"empty service", func(b *calendar.Booking) { b.Services = []string{""} }, "an empty service name matches nothing"},
		{"far future", func(b *calendar.Booking) { b.End = time.Date(3000, 1, 1, 0, 0, 0, 0, utc) }, "outside the supported range"},
	}
	cal, err := calendar.New()
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ok
			tt.mod(&b)
			err := calendar.ValidateBooking(b)
			require.ErrorIs(t, err, calendar.ErrInvalidBooking, tt.reason)
			var be *calendar.BookingError
			require.ErrorAs(t, err, &be)
			assert.Len(t, be.Problems, 1, "exactly this problem: %v", be.Problems)
			assert.ErrorIs(t, cal.Book(b), calendar.ErrInvalidBooking)
			assert.Equal(t, []calendar.ConflictKind{calendar.ConflictInvalid}, kinds(cal.Check(b)))
		})
	}
	require.NoError(t, calendar.ValidateBooking(ok))
	err = calendar.ValidateBooking(calendar.Booking{})
	var be *calendar.BookingError
	require.ErrorAs(t, err, &be)
	assert.Len(t, be.Problems, 4, "every problem at once: %v", be.Problems)
}

func TestNewReportsEveryProblem(t *testing.T) {
	good := calendar.Rule{Name: "w", Kind: calendar.Window, Zone: "UTC", Start: calendar.Wall(2026, 1, 1, 10, 0, 0), End: calendar.Wall(2026, 1, 1, 12, 0, 0)}
	badZone := good
	badZone.Name = "bad zone"
	badZone.Zone = "Mars/Olympus"
	_, err := calendar.NewWithOptions([]calendar.Rule{good, badZone, good, good}, calendar.WithAlignment(0), calendar.WithCapacity("prod", -1))
	require.Error(t, err)
	var dup *calendar.DuplicateRuleError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, "w", dup.Name)
	assert.Equal(t, []int{0, 2, 3}, dup.Indexes)
	assert.ErrorIs(t, err, calendar.ErrDuplicateRule)
	assert.ErrorIs(t, err, calendar.ErrInvalidOption)
	assert.Contains(t, err.Error(), `"bad zone"`, "the bad rule is named")
	assert.Contains(t, err.Error(), "WithAlignment")
	assert.Contains(t, err.Error(), "WithCapacity")

	cal, err := calendar.New(good)
	require.NoError(t, err)
	assert.Equal(t, calendar.DefaultAlignment, cal.Alignment())
	assert.Equal(t, 0, cal.Capacity("prod"), "unlimited by default")
	rules := cal.Rules()
	require.Len(t, rules, 1)
	assert.Equal(t, "w", rules[0].Name)
}

func TestConcurrentUse(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.NewWithOptions(trainRules(), calendar.WithCapacity("staging", 3))
	require.NoError(t, err)
	base := at(t, utc, "2026-05-01 00:00")
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 50; i++ {
				b := calendar.Booking{ID: string(rune('a'+g)) + time.Duration(i).String(), Environment: "staging", Services: []string{"api"},
					Start: base.Add(time.Duration(i) * time.Hour), End: base.Add(time.Duration(i)*time.Hour + 30*time.Minute)}
				err := cal.Book(b)
				if err != nil && !errors.Is(err, calendar.ErrConflict) {
					t.Errorf("Book: %v", err)
				}
				cal.Check(b)
				_ = cal.Bookings()
			}
		}()
	}
	for range 4 {
		<-done
	}
	assert.Equal(t, 50, cal.Len(), "exactly one booking per hour wins: they share api")
	assert.Empty(t, cal.Conflicts())
}
