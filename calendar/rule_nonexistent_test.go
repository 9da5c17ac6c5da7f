package calendar_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// localStarts expands r over [from, to) and formats each start in the rule's zone.
func localStarts(t *testing.T, r calendar.Rule, from, to time.Time) []string {
	t.Helper()
	require.NoError(t, r.Validate())
	loc, err := calendar.LoadZone(r.Zone)
	require.NoError(t, err)
	occ, err := r.Occurrences(from, to)
	require.NoError(t, err)
	out := make([]string, len(occ))
	for i, o := range occ {
		out[i] = o.Start.In(loc).Format("2006-01-02 15:04 MST")
	}
	return out
}

// TestCountSkipsNonexistent: RFC 5545 §3.3.10 says a recurrence instance whose local
// time does not exist, when it is ignored, "MUST NOT be counted". With SkipNonexistent
// a rule with COUNT=n therefore has n instances, none of them in a gap. The cases are
// the ones of issue 14: New York, Berlin, Sydney weekly, Lord Howe's 30-minute gap,
// hourly rules, BYHOUR=1,2,3, MINUTELY, Samoa's lost day, and an EXDATE on the gap.
func TestCountSkipsNonexistent(t *testing.T) {
	ex := func(ws ...calendar.WallTime) []calendar.WallTime { return ws }
	tests := []struct {
		name, zone string
		start      calendar.WallTime
		rrule      string
		exdates    []calendar.WallTime
		want       []string
	}{
		{"New York, daily 02:30", "America/New_York", calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", nil,
			[]string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT", "2026-03-11 02:30 EDT"}},
		{"Berlin, daily 02:30", "Europe/Berlin", calendar.Wall(2026, 3, 28, 2, 30, 0), "FREQ=DAILY;COUNT=4", nil,
			[]string{"2026-03-28 02:30 CET", "2026-03-30 02:30 CEST", "2026-03-31 02:30 CEST", "2026-04-01 02:30 CEST"}},
		{"Sydney, weekly on Sunday 02:30", "Australia/Sydney", calendar.Wall(2026, 9, 27, 2, 30, 0), "FREQ=WEEKLY;BYDAY=SU;COUNT=3", nil,
			[]string{"2026-09-27 02:30 AEST", "2026-10-11 02:30 AEDT", "2026-10-18 02:30 AEDT"}},
		{"Lord Howe, 30-minute gap, daily 02:15", "Australia/Lord_Howe", calendar.Wall(2026, 10, 3, 2, 15, 0), "FREQ=DAILY;COUNT=3", nil,
			[]string{"2026-10-03 02:15 +1030", "2026-10-05 02:15 +11", "2026-10-06 02:15 +11"}},
		{"New York, hourly", "America/New_York", calendar.Wall(2026, 3, 8, 0, 0, 0), "FREQ=HOURLY;COUNT=5", nil,
			[]string{"2026-03-08 00:00 EST", "2026-03-08 01:00 EST", "2026-03-08 03:00 EDT", "2026-03-08 04:00 EDT", "2026-03-08 05:00 EDT"}},
		{"New York, BYHOUR=1,2,3", "America/New_York", calendar.Wall(2026, 3, 7, 1, 0, 0), "FREQ=DAILY;BYHOUR=1,2,3;COUNT=6", nil,
			[]string{"2026-03-07 01:00 EST", "2026-03-07 02:00 EST", "2026-03-07 03:00 EST", "2026-03-08 01:00 EST", "2026-03-08 03:00 EDT", "2026-03-09 01:00 EDT"}},
		{"New York, every 30 minutes", "America/New_York", calendar.Wall(2026, 3, 8, 1, 0, 0), "FREQ=MINUTELY;INTERVAL=30;COUNT=6", nil,
			[]string{"2026-03-08 01:00 EST", "2026-03-08 01:30 EST", "2026-03-08 03:00 EDT", "2026-03-08 03:30 EDT", "2026-03-08 04:00 EDT", "2026-03-08 04:30 EDT"}},
		{"Samoa skipped 2011-12-30, daily 10:00", "Pacific/Apia", calendar.Wall(2011, 12, 28, 10, 0, 0), "FREQ=DAILY;COUNT=4", nil,
			[]string{"2011-12-28 10:00 -10", "2011-12-29 10:00 -10", "2011-12-31 10:00 +14", "2012-01-01 10:00 +14"}},
		{"New York, an EXDATE on the gap instance excludes nothing: that instance is not in the set", "America/New_York",
			calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", ex(calendar.Wall(2026, 3, 8, 2, 30, 0)),
			[]string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT", "2026-03-11 02:30 EDT"}},
		{"New York, an EXDATE on an instance that exists still counts it (RFC 5545 §3.8.5.3)", "America/New_York",
			calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", ex(calendar.Wall(2026, 3, 9, 2, 30, 0)),
			[]string{"2026-03-07 02:30 EST", "2026-03-10 02:30 EDT", "2026-03-11 02:30 EDT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := calendar.Rule{Name: "skip", Kind: calendar.Window, Zone: tc.zone, Start: tc.start, Duration: 10 * time.Minute,
				RRule: tc.rrule, ExDates: tc.exdates, SkipNonexistent: true}
			from := time.Date(tc.start.Year, tc.start.Month, tc.start.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
			assert.Equal(t, tc.want, localStarts(t, r, from, from.AddDate(0, 1, 0)))
		})
	}
}

// TestCountShiftsNonexistent: without SkipNonexistent the instance in the gap exists,
// shifted past it, and counts; an EXDATE on it removes it after counting.
func TestCountShiftsNonexistent(t *testing.T) {
	r := calendar.Rule{Name: "shift", Kind: calendar.Window, Zone: "America/New_York", Start: calendar.Wall(2026, 3, 7, 2, 30, 0),
		Duration: 10 * time.Minute, RRule: "FREQ=DAILY;COUNT=4"}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, []string{"2026-03-07 02:30 EST", "2026-03-08 03:30 EDT", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT"},
		localStarts(t, r, from, from.AddDate(0, 1, 0)))
	r.ExDates = []calendar.WallTime{calendar.Wall(2026, 3, 8, 2, 30, 0)}
	assert.Equal(t, []string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT"},
		localStarts(t, r, from, from.AddDate(0, 1, 0)))
}

// TestSingleInstanceRules: a rule bounded by UNTIL that yields only its start is a
// valid rule with one instance (RFC 5545: DTSTART is always the first instance).
func TestSingleInstanceRules(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		start calendar.WallTime
		rrule string
		want  []string
	}{
		{"a DATE UNTIL on the start's day", calendar.Wall(2026, 3, 5, 9, 0, 0), "FREQ=DAILY;UNTIL=20260305", []string{"2026-03-05 09:00 CET"}},
		{"a yearly rule whose UNTIL comes before its second instance", calendar.Wall(2026, 6, 1, 9, 0, 0), "FREQ=YEARLY;UNTIL=20261231T235959Z", []string{"2026-06-01 09:00 CEST"}},
		{"a rule that never matches after its start, bounded by UNTIL", calendar.Wall(2026, 6, 1, 9, 0, 0), "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20300101T000000Z", []string{"2026-06-01 09:00 CEST"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := calendar.Rule{Name: tc.name, Kind: calendar.Freeze, Zone: "Europe/Berlin", Start: tc.start, Duration: time.Hour, RRule: tc.rrule}
			assert.Equal(t, tc.want, localStarts(t, r, from, from.AddDate(2, 0, 0)))
		})
	}
}

// TestUntilDateIsMidnight: UNTIL given as a DATE with a date-time start is read as the
// reference implementations read it (python-dateutil, ical.js): midnight at the start
// of that day, wall-clock time in the rule's zone. UNTIL=20260310 therefore ends the
// rule before 2026-03-10 09:00.
func TestUntilDateIsMidnight(t *testing.T) {
	r := calendar.Rule{Name: "until", Kind: calendar.Window, Zone: "America/New_York", Start: calendar.Wall(2026, 3, 5, 9, 0, 0),
		Duration: time.Hour, RRule: "FREQ=DAILY;UNTIL=20260310"}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, []string{"2026-03-05 09:00 EST", "2026-03-06 09:00 EST", "2026-03-07 09:00 EST", "2026-03-08 09:00 EDT", "2026-03-09 09:00 EDT"},
		localStarts(t, r, from, from.AddDate(0, 1, 0)))
	// An instance at midnight on that day is included: UNTIL is inclusive.
	r.Start, r.RRule = calendar.Wall(2026, 3, 5, 0, 0, 0), "FREQ=DAILY;UNTIL=20260307"
	assert.Equal(t, []string{"2026-03-05 00:00 EST", "2026-03-06 00:00 EST", "2026-03-07 00:00 EST"},
		localStarts(t, r, from, from.AddDate(0, 1, 0)))
}

// TestExpansionBound: a rule expands to at most MaxInstances instances from its
// start; asking for later ones fails with ErrTooManyInstances, earlier ones still work.
func TestExpansionBound(t *testing.T) {
	r := calendar.Rule{Name: "every minute", Kind: calendar.Freeze, Zone: "UTC", Start: calendar.Wall(2026, 1, 1, 0, 0, 0),
		Duration: 30 * time.Second, RRule: "FREQ=MINUTELY"}
	require.NoError(t, r.Validate())
	early := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	occ, err := r.Occurrences(early, early.Add(time.Hour))
	require.NoError(t, err)
	assert.Len(t, occ, 60)
	late := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC) // about 1,051,000 minutes after the start
	_, err = r.Occurrences(late, late.Add(time.Hour))
	require.ErrorIs(t, err, calendar.ErrTooManyInstances)
	assert.Contains(t, err.Error(), fmt.Sprintf("more than %d instances", calendar.MaxInstances))
	assert.False(t, errors.Is(err, calendar.ErrInvalidRule), "the rule is valid; the range is too far from its start")
	occ, err = r.Occurrences(early, early.Add(time.Hour))
	require.NoError(t, err, "earlier ranges still expand")
	assert.Len(t, occ, 60)

	cal, err := calendar.New(r)
	require.NoError(t, err)
	cs := cal.Check(calendar.Booking{ID: "b", Environment: "prod", Start: late, End: late.Add(time.Hour)})
	require.Len(t, cs, 1)
	assert.Equal(t, calendar.ConflictFreeze, cs[0].Kind)
	assert.Contains(t, cs[0].Reason, "could not be expanded")
}
