package calendar_test

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// FuzzRRule feeds arbitrary RRULE text through validation and expansion: an invalid rule
// gives ErrInvalidRule, a valid one expands without panicking into sorted occurrences.
func FuzzRRule(f *testing.F) {
	for _, s := range []string{
		"FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
		"FREQ=YEARLY;BYWEEKNO=-1;WKST=SU", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
		"FREQ=DAILY;UNTIL=20261231T235959Z", "FREQ=DAILY;UNTIL=20261231", "FREQ=YEARLY;BYYEARDAY=-366,366",
		"FREQ=HOURLY;INTERVAL=7;BYHOUR=1,2,3", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MINUTELY",
		"FREQ=DAILY;COUNT=0", "FREQ=;", ";;", "FREQ=WEEKLY;BYDAY=+53MO",
		// The cases of issue 14: RFC 5545's MINUTELY examples, single-instance rules, a
		// DATE UNTIL, COUNT across gaps.
		"FREQ=MINUTELY;INTERVAL=15;COUNT=6", "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
		"FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
		"FREQ=DAILY;UNTIL=20260105", "FREQ=YEARLY;UNTIL=20261231T235959Z", "FREQ=DAILY;UNTIL=20260110",
		"FREQ=DAILY;BYHOUR=1,2,3;COUNT=6", "FREQ=HOURLY;COUNT=5", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", "FREQ=SECONDLY;COUNT=2",
	} {
		f.Add(s, 2026, 1, 5, 10, 90)
	}
	f.Add("FREQ=DAILY;COUNT=4", 2026, 3, 28, 2, 30)   // Berlin's spring gap
	f.Add("FREQ=HOURLY;COUNT=30", 2026, 3, 29, 0, 10) // hourly through it
	f.Fuzz(func(t *testing.T, rrule string, year, month, day, hour, minutes int) {
		if len(rrule) > 200 {
			return
		}
		r := calendar.Rule{Name: "fuzz", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(year, time.Month(month), day, hour, 0, 0), Duration: time.Duration(minutes) * time.Minute, RRule: rrule}
		err := r.Validate()
		if err != nil {
			require.ErrorIs(t, err, calendar.ErrInvalidRule)
			return
		}
		from := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		occ, err := r.Occurrences(from, from.AddDate(0, 3, 0))
		require.NoError(t, err)
		require.True(t, sort.SliceIsSorted(occ, func(i, j int) bool { return occ[i].Start.Before(occ[j].Start) }))
	})
}

// FuzzRuleValidate fuzzes every field of a rule: Validate never panics, and a rule it
// accepts expands.
func FuzzRuleValidate(f *testing.F) {
	f.Add("train", "window", "Europe/Berlin", 2026, 3, 29, 2, 30, 2026, 3, 29, 3, 30, int64(0), "FREQ=DAILY", "emergency")
	f.Add("", "freeze", "Local", 2026, 13, 30, 25, 0, 2026, 2, 30, 10, 0, int64(time.Hour), "COUNT=1", "x")
	f.Add("l", "lockdown", "Australia/Sydney", 2027, 10, 3, 2, 0, 0, 0, 0, 0, 0, int64(90*time.Minute), "", "")
	f.Fuzz(func(t *testing.T, name, kind, zone string, y, mo, d, h, mi, ey, emo, ed, eh, emi int, dur int64, rrule, class string) {
		if len(rrule) > 200 || len(zone) > 64 {
			return
		}
		r := calendar.Rule{Name: name, Kind: calendar.Kind(kind), Zone: zone,
			Start: calendar.Wall(y, time.Month(mo), d, h, mi, 0), End: calendar.Wall(ey, time.Month(emo), ed, eh, emi, 0),
			Duration: time.Duration(dur), RRule: rrule}
		if class != "" {
			r.AllowClasses = []calendar.Class{calendar.Class(class)}
		}
		if err := r.Validate(); err != nil {
			require.ErrorIs(t, err, calendar.ErrInvalidRule)
			return
		}
		from := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		_, err := r.Occurrences(from, from.AddDate(0, 1, 0))
		require.NoError(t, err)
	})
}
