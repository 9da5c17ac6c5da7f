package calendar_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// days formats dates of one month as "2006-01-02 15:04 MST" at 09:00 in the given
// abbreviation, the way the RFC lists them ("(1997 9:00 AM EDT) September 2-11").
func days(year int, tz string, m time.Month, ds ...int) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = fmt.Sprintf("%04d-%02d-%02d 09:00 %s", year, int(m), d, tz)
	}
	return out
}

func span(a, b int) []int {
	var out []int
	for d := a; d <= b; d++ {
		out = append(out, d)
	}
	return out
}

func cat(xs ...[]string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

// TestRFC5545Examples runs the recurrence examples of RFC 5545 §3.8.5.3, written from the
// RFC's text, in America/New_York as the RFC does. For rules that run forever the first
// instances are compared. The MINUTELY examples are in TestRFC5545Minutely.
func TestRFC5545Examples(t *testing.T) {
	const sep, oct, nov, dec = time.September, time.October, time.November, time.December
	const jan, feb, mar, apr, may, jun, jul, aug = time.January, time.February, time.March, time.April, time.May, time.June, time.July, time.August
	tests := []struct {
		name    string
		dtstart calendar.WallTime
		rrule   string
		exdates []calendar.WallTime
		want    []string
		forever bool
	}{
		{"daily for 10 occurrences", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=DAILY;COUNT=10",
			nil, days(1997, "EDT", sep, span(2, 11)...), false},
		{"daily until December 24, 1997", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=DAILY;UNTIL=19971224T000000Z",
			nil, cat(days(1997, "EDT", sep, span(2, 30)...), days(1997, "EDT", oct, span(1, 25)...),
				days(1997, "EST", oct, span(26, 31)...), days(1997, "EST", nov, span(1, 30)...), days(1997, "EST", dec, span(1, 23)...)), false},
		{"every other day, forever", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=DAILY;INTERVAL=2",
			nil, cat(days(1997, "EDT", sep, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), days(1997, "EDT", oct, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24),
				days(1997, "EST", oct, 26, 28, 30), days(1997, "EST", nov, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29), days(1997, "EST", dec, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)), true},
		{"every 10 days, 5 occurrences", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=DAILY;INTERVAL=10;COUNT=5",
			nil, cat(days(1997, "EDT", sep, 2, 12, 22), days(1997, "EDT", oct, 2, 12)), false},
		{"every day in January, for 3 years (yearly)", calendar.Wall(1998, 1, 1, 9, 0, 0), "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
			nil, cat(days(1998, "EST", jan, span(1, 31)...), days(1999, "EST", jan, span(1, 31)...), days(2000, "EST", jan, span(1, 31)...)), false},
		{"every day in January, for 3 years (daily)", calendar.Wall(1998, 1, 1, 9, 0, 0), "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1",
			nil, cat(days(1998, "EST", jan, span(1, 31)...), days(1999, "EST", jan, span(1, 31)...), days(2000, "EST", jan, span(1, 31)...)), false},
		{"weekly for 10 occurrences", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;COUNT=10",
			nil, cat(days(1997, "EDT", sep, 2, 9, 16, 23, 30), days(1997, "EDT", oct, 7, 14, 21), days(1997, "EST", oct, 28), days(1997, "EST", nov, 4)), false},
		{"weekly until December 24, 1997", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;UNTIL=19971224T000000Z",
			nil, cat(days(1997, "EDT", sep, 2, 9, 16, 23, 30), days(1997, "EDT", oct, 7, 14, 21), days(1997, "EST", oct, 28), days(1997, "EST", nov, 4, 11, 18, 25), days(1997, "EST", dec, 2, 9, 16, 23)), false},
		{"every other week, forever", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;INTERVAL=2;WKST=SU",
			nil, cat(days(1997, "EDT", sep, 2, 16, 30), days(1997, "EDT", oct, 14), days(1997, "EST", oct, 28), days(1997, "EST", nov, 11, 25), days(1997, "EST", dec, 9, 23),
				days(1998, "EST", jan, 6, 20), days(1998, "EST", feb, 3, 17)), true},
		{"weekly on Tuesday and Thursday for five weeks (UNTIL)", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
			nil, cat(days(1997, "EDT", sep, 2, 4, 9, 11, 16, 18, 23, 25, 30), days(1997, "EDT", oct, 2)), false},
		{"weekly on Tuesday and Thursday for five weeks (COUNT)", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH",
			nil, cat(days(1997, "EDT", sep, 2, 4, 9, 11, 16, 18, 23, 25, 30), days(1997, "EDT", oct, 2)), false},
		{"every other week on Monday, Wednesday and Friday until December 24, 1997", calendar.Wall(1997, 9, 1, 9, 0, 0), "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
			nil, cat(days(1997, "EDT", sep, 1, 3, 5, 15, 17, 19, 29), days(1997, "EDT", oct, 1, 3, 13, 15, 17), days(1997, "EST", oct, 27, 29, 31),
				days(1997, "EST", nov, 10, 12, 14, 24, 26, 28), days(1997, "EST", dec, 8, 10, 12, 22)), false},
		{"every other week on Tuesday and Thursday, for 8 occurrences", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
			nil, cat(days(1997, "EDT", sep, 2, 4, 16, 18, 30), days(1997, "EDT", oct, 2, 14, 16)), false},
		{"monthly on the first Friday for 10 occurrences", calendar.Wall(1997, 9, 5, 9, 0, 0), "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
			nil, cat(days(1997, "EDT", sep, 5), days(1997, "EDT", oct, 3), days(1997, "EST", nov, 7), days(1997, "EST", dec, 5),
				days(1998, "EST", jan, 2), days(1998, "EST", feb, 6), days(1998, "EST", mar, 6), days(1998, "EST", apr, 3), days(1998, "EDT", may, 1), days(1998, "EDT", jun, 5)), false},
		{"monthly on the first Friday until December 24, 1997", calendar.Wall(1997, 9, 5, 9, 0, 0), "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
			nil, cat(days(1997, "EDT", sep, 5), days(1997, "EDT", oct, 3), days(1997, "EST", nov, 7), days(1997, "EST", dec, 5)), false},
		{"every other month on the first and last Sunday, 10 occurrences", calendar.Wall(1997, 9, 7, 9, 0, 0), "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
			nil, cat(days(1997, "EDT", sep, 7, 28), days(1997, "EST", nov, 2, 30), days(1998, "EST", jan, 4, 25), days(1998, "EST", mar, 1, 29), days(1998, "EDT", may, 3, 31)), false},
		{"monthly on the second-to-last Monday for 6 months", calendar.Wall(1997, 9, 22, 9, 0, 0), "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
			nil, cat(days(1997, "EDT", sep, 22), days(1997, "EDT", oct, 20), days(1997, "EST", nov, 17), days(1997, "EST", dec, 22), days(1998, "EST", jan, 19), days(1998, "EST", feb, 16)), false},
		{"monthly on the third-to-the-last day, forever", calendar.Wall(1997, 9, 28, 9, 0, 0), "FREQ=MONTHLY;BYMONTHDAY=-3",
			nil, cat(days(1997, "EDT", sep, 28), days(1997, "EST", oct, 29), days(1997, "EST", nov, 28), days(1997, "EST", dec, 29), days(1998, "EST", jan, 29), days(1998, "EST", feb, 26)), true},
		{"monthly on the 2nd and 15th for 10 occurrences", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
			nil, cat(days(1997, "EDT", sep, 2, 15), days(1997, "EDT", oct, 2, 15), days(1997, "EST", nov, 2, 15), days(1997, "EST", dec, 2, 15), days(1998, "EST", jan, 2, 15)), false},
		{"monthly on the first and last day for 10 occurrences", calendar.Wall(1997, 9, 30, 9, 0, 0), "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
			nil, cat(days(1997, "EDT", sep, 30), days(1997, "EDT", oct, 1), days(1997, "EST", oct, 31), days(1997, "EST", nov, 1, 30), days(1997, "EST", dec, 1, 31), days(1998, "EST", jan, 1, 31), days(1998, "EST", feb, 1)), false},
		{"every 18 months on the 10th to 15th, 10 occurrences", calendar.Wall(1997, 9, 10, 9, 0, 0), "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
			nil, cat(days(1997, "EDT", sep, 10, 11, 12, 13, 14, 15), days(1999, "EST", mar, 10, 11, 12, 13)), false},
		{"every Tuesday, every other month", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
			nil, cat(days(1997, "EDT", sep, 2, 9, 16, 23, 30), days(1997, "EST", nov, 4, 11, 18, 25), days(1998, "EST", jan, 6, 13, 20, 27), days(1998, "EST", mar, 3, 10, 17, 24, 31)), true},
		{"yearly in June and July for 10 occurrences", calendar.Wall(1997, 6, 10, 9, 0, 0), "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
			nil, cat(days(1997, "EDT", jun, 10), days(1997, "EDT", jul, 10), days(1998, "EDT", jun, 10), days(1998, "EDT", jul, 10), days(1999, "EDT", jun, 10), days(1999, "EDT", jul, 10),
				days(2000, "EDT", jun, 10), days(2000, "EDT", jul, 10), days(2001, "EDT", jun, 10), days(2001, "EDT", jul, 10)), false},
		{"every other year on January, February and March, 10 occurrences", calendar.Wall(1997, 3, 10, 9, 0, 0), "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
			nil, cat(days(1997, "EST", mar, 10), days(1999, "EST", jan, 10), days(1999, "EST", feb, 10), days(1999, "EST", mar, 10), days(2001, "EST", jan, 10), days(2001, "EST", feb, 10), days(2001, "EST", mar, 10),
				days(2003, "EST", jan, 10), days(2003, "EST", feb, 10), days(2003, "EST", mar, 10)), false},
		{"every third year on the 1st, 100th and 200th day, 10 occurrences", calendar.Wall(1997, 1, 1, 9, 0, 0), "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
			nil, cat(days(1997, "EST", jan, 1), days(1997, "EDT", apr, 10), days(1997, "EDT", jul, 19), days(2000, "EST", jan, 1), days(2000, "EDT", apr, 9), days(2000, "EDT", jul, 18),
				days(2003, "EST", jan, 1), days(2003, "EDT", apr, 10), days(2003, "EDT", jul, 19), days(2006, "EST", jan, 1)), false},
		{"every 20th Monday of the year, forever", calendar.Wall(1997, 5, 19, 9, 0, 0), "FREQ=YEARLY;BYDAY=20MO",
			nil, cat(days(1997, "EDT", may, 19), days(1998, "EDT", may, 18), days(1999, "EDT", may, 17)), true},
		{"Monday of week number 20, forever", calendar.Wall(1997, 5, 12, 9, 0, 0), "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
			nil, cat(days(1997, "EDT", may, 12), days(1998, "EDT", may, 11), days(1999, "EDT", may, 17)), true},
		{"every Thursday in March, forever", calendar.Wall(1997, 3, 13, 9, 0, 0), "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
			nil, cat(days(1997, "EST", mar, 13, 20, 27), days(1998, "EST", mar, 5, 12, 19, 26), days(1999, "EST", mar, 4, 11, 18, 25)), true},
		{"every Thursday in June, July and August, forever", calendar.Wall(1997, 6, 5, 9, 0, 0), "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8",
			nil, cat(days(1997, "EDT", jun, 5, 12, 19, 26), days(1997, "EDT", jul, 3, 10, 17, 24, 31), days(1997, "EDT", aug, 7, 14, 21, 28),
				days(1998, "EDT", jun, 4, 11, 18, 25), days(1998, "EDT", jul, 2, 9, 16, 23, 30), days(1998, "EDT", aug, 6, 13, 20, 27),
				days(1999, "EDT", jun, 3, 10, 17, 24), days(1999, "EDT", jul, 1, 8, 15, 22, 29), days(1999, "EDT", aug, 5, 12, 19, 26)), true},
		{"every Friday the 13th, forever (DTSTART excluded)", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
			[]calendar.WallTime{calendar.Wall(1997, 9, 2, 9, 0, 0)},
			cat(days(1998, "EST", feb, 13), days(1998, "EST", mar, 13), days(1998, "EST", nov, 13), days(1999, "EDT", aug, 13), days(2000, "EDT", oct, 13)), true},
		{"the first Saturday that follows the first Sunday, forever", calendar.Wall(1997, 9, 13, 9, 0, 0), "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
			nil, cat(days(1997, "EDT", sep, 13), days(1997, "EDT", oct, 11), days(1997, "EST", nov, 8), days(1997, "EST", dec, 13), days(1998, "EST", jan, 10), days(1998, "EST", feb, 7), days(1998, "EST", mar, 7),
				days(1998, "EDT", apr, 11), days(1998, "EDT", may, 9), days(1998, "EDT", jun, 13)), true},
		{"US presidential election day, every 4 years, forever", calendar.Wall(1996, 11, 5, 9, 0, 0), "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
			nil, cat(days(1996, "EST", nov, 5), days(2000, "EST", nov, 7), days(2004, "EST", nov, 2)), true},
		{"the third Tuesday, Wednesday or Thursday of the month, 3 months", calendar.Wall(1997, 9, 4, 9, 0, 0), "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
			nil, cat(days(1997, "EDT", sep, 4), days(1997, "EDT", oct, 7), days(1997, "EST", nov, 6)), false},
		{"the second-to-last weekday of the month", calendar.Wall(1997, 9, 29, 9, 0, 0), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
			nil, cat(days(1997, "EDT", sep, 29), days(1997, "EST", oct, 30), days(1997, "EST", nov, 27), days(1997, "EST", dec, 30), days(1998, "EST", jan, 29), days(1998, "EST", feb, 26), days(1998, "EST", mar, 30)), true},
		// The RFC lists 09:00, 12:00 and 15:00 here, but its UNTIL (17:00Z) is 13:00 EDT, so
		// 15:00 EDT lies after UNTIL (a known erratum of RFC 5545); UNTIL is inclusive and wins.
		{"every 3 hours from 9:00 on a specific day", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
			nil, []string{"1997-09-02 09:00 EDT", "1997-09-02 12:00 EDT"}, false},
		{"WKST=MO changes the days generated", calendar.Wall(1997, 8, 5, 9, 0, 0), "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
			nil, days(1997, "EDT", aug, 5, 10, 19, 24), false},
		{"WKST=SU changes the days generated", calendar.Wall(1997, 8, 5, 9, 0, 0), "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
			nil, days(1997, "EDT", aug, 5, 17, 19, 31), false},
		{"an invalid date (February 30) is ignored", calendar.Wall(2007, 1, 15, 9, 0, 0), "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
			nil, cat(days(2007, "EST", jan, 15, 30), days(2007, "EST", feb, 15), days(2007, "EDT", mar, 15, 30)), false},
	}
	ny, err := calendar.LoadZone("America/New_York")
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			end := tc.dtstart
			end.Hour++
			r := calendar.Rule{Name: tc.name, Kind: calendar.Window, Zone: "America/New_York",
				Start: tc.dtstart, End: end, RRule: tc.rrule, ExDates: tc.exdates}
			require.NoError(t, r.Validate())
			from := time.Date(tc.dtstart.Year, tc.dtstart.Month, tc.dtstart.Day, 0, 0, 0, 0, time.UTC)
			occ, err := r.Occurrences(from, from.AddDate(12, 0, 0))
			require.NoError(t, err)
			var got []string
			for _, o := range occ {
				got = append(got, o.Start.In(ny).Format("2006-01-02 15:04 MST"))
				assert.Equal(t, time.Hour, o.End.Sub(o.Start), "every instance lasts one hour")
				assert.False(t, o.Shifted)
			}
			if tc.forever {
				require.GreaterOrEqual(t, len(got), len(tc.want))
				got = got[:len(tc.want)]
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRFC5545Minutely runs the RFC's MINUTELY examples (§3.8.5.3), which calendars
// people import contain, and the DAILY form the RFC gives beside the last one.
func TestRFC5545Minutely(t *testing.T) {
	clock := func(day int, hm ...string) []string {
		out := make([]string, len(hm))
		for i, x := range hm {
			out[i] = fmt.Sprintf("1997-09-%02d %s EDT", day, x)
		}
		return out
	}
	var everyTwenty []string
	for _, day := range []int{2, 3} {
		for h := 9; h <= 16; h++ {
			everyTwenty = append(everyTwenty, clock(day, fmt.Sprintf("%02d:00", h), fmt.Sprintf("%02d:20", h), fmt.Sprintf("%02d:40", h))...)
		}
	}
	tests := []struct {
		name, rrule string
		want        []string
		forever     bool
	}{
		{"every 15 minutes for 6 occurrences", "FREQ=MINUTELY;INTERVAL=15;COUNT=6", clock(2, "09:00", "09:15", "09:30", "09:45", "10:00", "10:15"), false},
		{"every hour and a half for 4 occurrences", "FREQ=MINUTELY;INTERVAL=90;COUNT=4", clock(2, "09:00", "10:30", "12:00", "13:30"), false},
		{"every 20 minutes from 9:00 to 16:40 every day (DAILY form)", "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", everyTwenty, true},
		{"every 20 minutes from 9:00 to 16:40 every day (MINUTELY form)", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", everyTwenty, true},
	}
	ny, err := calendar.LoadZone("America/New_York")
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := calendar.Rule{Name: tc.name, Kind: calendar.Window, Zone: "America/New_York",
				Start: calendar.Wall(1997, 9, 2, 9, 0, 0), Duration: 10 * time.Minute, RRule: tc.rrule}
			require.NoError(t, r.Validate())
			from := time.Date(1997, 9, 2, 0, 0, 0, 0, time.UTC)
			occ, err := r.Occurrences(from, from.AddDate(0, 0, 2).Add(12*time.Hour))
			require.NoError(t, err)
			var got []string
			for _, o := range occ {
				got = append(got, o.Start.In(ny).Format("2006-01-02 15:04 MST"))
			}
			if tc.forever {
				require.GreaterOrEqual(t, len(got), len(tc.want))
				got = got[:len(tc.want)]
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestSecondlyRefused: SECONDLY stays out; no release window recurs every few seconds.
func TestSecondlyRefused(t *testing.T) {
	r := calendar.Rule{Name: "too often", Kind: calendar.Window, Zone: "America/New_York",
		Start: calendar.Wall(1997, 9, 2, 9, 0, 0), Duration: time.Second, RRule: "FREQ=SECONDLY;COUNT=2"}
	err := r.Validate()
	require.ErrorIs(t, err, calendar.ErrInvalidRule)
	assert.Contains(t, err.Error(), "not supported")
}
