package calendar_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
)

func TestNextSlot(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	cal, err := calendar.NewWithOptions(trainRules(), calendar.WithAlignment(15*time.Minute), calendar.WithCapacity("prod", 1))
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "busy", Environment: "prod", Services: []string{"db"},
		Start: at(t, berlin, "2026-06-09 10:00"), End: at(t, berlin, "2026-06-09 11:10")}))
	req := func(notBefore string, d time.Duration, mod ...func(*calendar.Request)) calendar.Request {
		r := calendar.Request{ID: "r", Environment: "prod", Services: []string{"api"}, Duration: d, NotBefore: at(t, berlin, notBefore)}
		for _, m := range mod {
			m(&r)
		}
		return r
	}
	tests := []struct {
		name   string
		r      calendar.Request
		want   string
		reason string
	}{
		{"next window", req("2026-06-08 08:00", time.Hour), "2026-06-09 11:15",
			"Monday is closed; Tuesday's window opens at 10:00 but busy fills prod (capacity 1) until 11:10, aligned up to 11:15"},
		{"too long for Tuesday's rest", req("2026-06-09 12:00", 5*time.Hour), "2026-06-11 10:00",
			"12:00+5h passes the 16:00 close; Thursday 10:00 is the next window start"},
		{"freeze then window", req("2026-12-17 15:30", time.Hour), "2027-01-05 10:00",
			"Thursday's window is too short, the holiday freeze runs to Jan 4 09:00 and Jan 4 is a Monday"},
		{"emergency passes the freeze", req("2026-12-22 09:00", time.Hour, func(r *calendar.Request) { r.Class = calendar.ClassEmergency }), "2026-12-22 10:00",
			"the freeze excepts emergencies, so Tuesday's window is open"},
		{"unaligned start", req("2026-06-11 10:01", time.Hour), "2026-06-11 10:15", "slots start on the 15-minute grid"},
		{"lockdown", req("2026-06-02 11:30", time.Hour), "2026-06-02 14:00", "the lockdown is lifted at 14:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := cal.NextSlot(tt.r)
			require.NoError(t, err, tt.reason)
			assert.Equal(t, at(t, berlin, tt.want), b.Start, tt.reason)
			assert.Equal(t, tt.r.Duration, b.End.Sub(b.Start))
			assert.Empty(t, cal.Check(b), "a slot passes Check")
			assert.Equal(t, "r", b.ID)
		})
	}
}

func TestNextSlotNone(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	cal, err := calendar.NewWithOptions(trainRules(), calendar.WithAlignment(15*time.Minute))
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "busy", Environment: "prod", Services: []string{"api"},
		Start: at(t, berlin, "2026-06-09 10:00"), End: at(t, berlin, "2026-06-09 15:00")}))
	r := calendar.Request{ID: "r", Environment: "prod", Services: []string{"api"}, Duration: 2 * time.Hour,
		NotBefore: at(t, berlin, "2026-06-08 00:00"), NotAfter: at(t, berlin, "2026-06-10 23:00")}
	_, err = cal.NextSlot(r)
	require.ErrorIs(t, err, calendar.ErrNoSlot)
	var ns *calendar.NoSlotError
	require.ErrorAs(t, err, &ns)
	assert.Equal(t, []string{"release train"}, ns.Rules)
	assert.Equal(t, []string{"busy"}, ns.Bookings)
	assert.ElementsMatch(t, []calendar.ConflictKind{calendar.ConflictOutsideWindow, calendar.ConflictOverlap}, ns.Kinds)
	assert.Contains(t, err.Error(), `"release train"`)
	assert.Contains(t, err.Error(), `"busy"`)

	r.NotAfter = time.Time{}
	b, err := cal.NextSlot(r)
	require.NoError(t, err, "a zero NotAfter searches a year")
	assert.Equal(t, at(t, berlin, "2026-06-11 10:00"), b.Start)
}

func TestNextSlotDependsOnBooking(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.New()
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "db-migration", Environment: "prod", Start: at(t, utc, "2026-05-01 10:00"), End: at(t, utc, "2026-05-01 11:00")}))
	r := calendar.Request{ID: "api", Environment: "prod", Duration: time.Hour, NotBefore: at(t, utc, "2026-05-01 09:00"),
		DependsOn: []string{"db-migration"}, Soak: 30 * time.Minute}
	b, err := cal.NextSlot(r)
	require.NoError(t, err)
	assert.Equal(t, at(t, utc, "2026-05-01 11:30"), b.Start, "after the dependency ends, plus the soak")

	r.DependsOn = []string{"nope"}
	_, err = cal.NextSlot(r)
	require.ErrorIs(t, err, calendar.ErrDependency)
	var de *calendar.DependencyError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "nope", de.Dependency)
}

func TestInvalidRequests(t *testing.T) {
	utc := time.UTC
	ok := calendar.Request{ID: "r", Environment: "prod", Duration: time.Hour, NotBefore: at(t, utc, "2026-05-01 09:00")}
	tests := []struct {
		name   string
		mod    func(*calendar.Request)
		reason string
	}{
		{"no ID", func(r *calendar.Request) { r.ID = "" }, "the slot becomes a booking with the request's ID"},
		{"no environment", func(r *calendar.Request) { r.Environment = "" }, "capacity is per environment"},
		{"zero duration", func(r *calendar.Request) { r.Duration = 0 }, "a change takes time"},
		{"negative duration", func(r *calendar.Request) { r.Duration = -time.Hour }, "a change takes time"},
		{"zero NotBefore", func(r *calendar.Request) { r.NotBefore = time.Time{} }, "the calendar never reads the clock"},
		{"inverted range", func(r *calendar.Request) { r.NotAfter = r.NotBefore.Add(-time.Minute) }, "NotAfter before NotBefore"},
		{"negative soak", func(r *calendar.Request) { r.Soak = -time.Minute }, "soak is a wait"},
		{"self dependency", func(r *calendar.Request) { r.DependsOn = []string{"r"} }, "a request cannot wait for itself"},
		{"unknown class", func(r *calendar.Request) { r.Class = "urgent" }, "typos must not pass freezes"},
	}
	cal, err := calendar.New()
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mod(&r)
			_, err := cal.NextSlot(r)
			require.ErrorIs(t, err, calendar.ErrInvalidRequest, tt.reason)
			var re *calendar.RequestError
			require.ErrorAs(t, err, &re)
			assert.Len(t, re.Problems, 1, "%v", re.Problems)
		})
	}
	_, err = cal.NextSlot(ok)
	require.NoError(t, err)
}

// Admission across DST transitions: the calendar works on instants, so a window's
// real length on a transition day decides what fits.
func TestAdmissionAcrossDST(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	ny := zone(t, "America/New_York")
	sydney := zone(t, "Australia/Sydney")
	// A nightly window 01:00-05:00 wall clock in each zone.
	night := func(name, z string) calendar.Rule {
		return calendar.Rule{Name: name, Kind: calendar.Window, Zone: z, RRule: "FREQ=DAILY",
			Start: calendar.Wall(2026, 1, 1, 1, 0, 0), End: calendar.Wall(2026, 1, 1, 5, 0, 0),
			Scope: calendar.Scope{Environments: []string{z}}}
	}
	cal, err := calendar.New(night("berlin night", "Europe/Berlin"), night("ny night", "America/New_York"), night("sydney night", "Australia/Sydney"),
		calendar.Rule{Name: "fall-back freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin", Start: calendar.Wall(2026, 10, 25, 2, 30, 0), End: calendar.Wall(2026, 10, 25, 3, 30, 0),
			Scope: calendar.Scope{Environments: []string{"Europe/Berlin"}}})
	require.NoError(t, err)
	mk := func(env string, start time.Time, d time.Duration) calendar.Booking {
		return calendar.Booking{ID: "b", Environment: env, Start: start, End: start.Add(d)}
	}
	tests := []struct {
		name   string
		b      calendar.Booking
		ok     bool
		reason string
	}{
		{"Berlin ordinary night", mk("Europe/Berlin", at(t, berlin, "2026-03-28 01:00"), 4*time.Hour), true, "4h fit in 01:00-05:00"},
		{"Berlin spring forward", mk("Europe/Berlin", at(t, berlin, "2026-03-29 01:00"), 4*time.Hour), false,
			"on 29 March 01:00-05:00 lasts 3 real hours"},
		{"Berlin spring forward 3h", mk("Europe/Berlin", at(t, berlin, "2026-03-29 01:00"), 3*time.Hour), true, "3h fit exactly"},
		{"Berlin fall back 5h", mk("Europe/Berlin", at(t, berlin, "2026-10-24 01:00"), 5*time.Hour), false, "the day before is 4h long"},
		{"Berlin fall back freeze", mk("Europe/Berlin", time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), time.Hour), false,
			"00:00-01:00 UTC is 02:00-03:00 CEST, the first 02:30 falls in it, so the freeze (first occurrence of 02:30) hits it"},
		{"Berlin after the freeze", mk("Europe/Berlin", time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC), 90*time.Minute), true,
			"the freeze 02:30 CEST-03:30 CET ends at 02:30 UTC; the night window runs to 05:00 CET = 04:00 UTC"},
		{"New York spring forward", mk("America/New_York", at(t, ny, "2026-03-08 01:00"), 3*time.Hour+time.Minute), false,
			"on 8 March 01:00-05:00 lasts 3 real hours"},
		{"New York fall back", mk("America/New_York", time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), 5*time.Hour), true,
			"on 1 November 01:00 EDT-05:00 EST lasts 5 real hours"},
		{"Sydney fall back", mk("Australia/Sydney", at(t, sydney, "2026-04-05 01:00").Add(0), 5*time.Hour), true,
			"on 5 April 01:00 AEDT-05:00 AEST lasts 5 real hours"},
		{"Sydney spring forward", mk("Australia/Sydney", at(t, sydney, "2026-10-04 01:00"), 4*time.Hour), false,
			"on 4 October 01:00-05:00 lasts 3 real hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Check(tt.b)
			assert.Equal(t, tt.ok, len(got) == 0, "%s; conflicts %v", tt.reason, got)
			assert.Equal(t, len(got) == 0, len(calendartest.BookingViolations(cal, tt.b)) == 0, "the reference agrees")
		})
	}
}

// A slot from NextSlot passes Check, and on small calendars no earlier aligned start
// in range is feasible (brute force over the grid); when there is no slot, no start
// in range is feasible.
func TestNextSlotIsEarliestFeasible(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		r := calendartest.Request().Draw(t, "request")
		b, err := cal.NextSlot(r)
		var ns *calendar.NoSlotError
		if err != nil && !errors.As(err, &ns) {
			t.Fatalf("NextSlot: %v", err)
		}
		grid, origin := cal.Alignment(), cal.AlignmentOrigin()
		first := origin.Add((r.NotBefore.Sub(origin) + grid - 1) / grid * grid)
		limit := r.NotAfter.Add(time.Nanosecond)
		if err == nil {
			if cs := cal.Check(b); len(cs) > 0 {
				t.Fatalf("the slot %v–%v has conflicts: %v", b.Start, b.End, cs)
			}
			calendartest.CheckBooking(t, cal, b)
			if b.Start.Before(r.NotBefore) || b.Start.After(r.NotAfter) || b.Start.Sub(origin)%grid != 0 {
				t.Fatalf("slot start %v is outside [%v, %v] or off the %v grid", b.Start, r.NotBefore, r.NotAfter, grid)
			}
			limit = b.Start
		}
		for s := first; s.Before(limit); s = s.Add(grid) {
			probe := calendar.Booking{ID: r.ID, Environment: r.Environment, Services: r.Services, Team: r.Team,
				Class: r.Class, Action: r.Action, Start: s, End: s.Add(r.Duration)}
			if cs := cal.Check(probe); len(cs) == 0 {
				t.Fatalf("start %v is feasible but NextSlot returned %v (err %v)", s, b.Start, err)
			}
		}
	})
}

func TestNoSlotSaysDependenciesEndTooLate(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.New()
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "db", Environment: "prod", Start: at(t, utc, "2026-05-01 10:00"), End: at(t, utc, "2026-05-01 20:00")}))
	_, err = cal.NextSlot(calendar.Request{ID: "api", Environment: "prod", Duration: time.Hour, DependsOn: []string{"db"}, Soak: time.Hour,
		NotBefore: at(t, utc, "2026-05-01 09:00"), NotAfter: at(t, utc, "2026-05-01 18:00")})
	var ns *calendar.NoSlotError
	require.ErrorAs(t, err, &ns)
	assert.Equal(t, at(t, utc, "2026-05-01 21:00"), ns.Ready.UTC())
	assert.Contains(t, err.Error(), "its dependencies and soak end at 2026-05-01 21:00 UTC")
}
