package calendar_test

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/internal/goldenfile"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got, *update)
}

func validRule() calendar.Rule {
	return calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=TU,TH"}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	r := calendar.Rule{
		Kind:         "holiday",
		Zone:         "Europe/Atlantis",
		Start:        calendar.Wall(2026, 13, 30, 25, 0, 0),
		End:          calendar.Wall(2026, 2, 30, 10, 0, 0),
		Duration:     time.Hour,
		RRule:        "FREQ=FORTNIGHTLY;COUNT=3;UNTIL=20261231T000000Z;BYDAY=XX;BYMONTH=13",
		ExDates:      []calendar.WallTime{calendar.Wall(2026, 4, 31, 0, 0, 0)},
		AllowClasses: []calendar.Class{"urgent"},
		AllowActions: []calendar.Action{"redeploy"},
	}
	err := r.Validate()
	require.Error(t, err)
	var re *calendar.RuleError
	require.ErrorAs(t, err, &re)
	assert.ErrorIs(t, err, calendar.ErrInvalidRule)
	assert.ErrorIs(t, err, calendar.ErrUnknownZone)
	golden(t, "testdata/rules/validate_every_problem.golden", []byte(strings.Join(re.Problems, "\n")+"\n"))
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*calendar.Rule)
		wantOK bool
		want   string // a fragment of the problem
	}{
		{"a valid weekly window", func(*calendar.Rule) {}, true, ""},
		{"a one-off freeze", func(r *calendar.Rule) { r.Kind, r.RRule = calendar.Freeze, "" }, true, ""},
		{"empty name", func(r *calendar.Rule) { r.Name = " " }, false, "name is empty"},
		{"unknown kind", func(r *calendar.Rule) { r.Kind = "blackout" }, false, `kind "blackout" is unknown`},
		{"empty zone", func(r *calendar.Rule) { r.Zone = "" }, false, "not an IANA time zone"},
		{"Local zone refused", func(r *calendar.Rule) { r.Zone = "Local" }, false, "not an IANA time zone"},
		{"COUNT with UNTIL", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z" }, false, "both COUNT and UNTIL"},
		{"no FREQ", func(r *calendar.Rule) { r.RRule = "BYDAY=MO" }, false, "no FREQ"},
		{"part twice", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;FREQ=WEEKLY" }, false, "given twice"},
		{"bad interval", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;INTERVAL=0" }, false, "INTERVAL=0"},
		{"ordinal day on weekly", func(r *calendar.Rule) { r.RRule = "FREQ=WEEKLY;BYDAY=2MO" }, false, "needs FREQ=MONTHLY or FREQ=YEARLY"},
		{"BYMONTHDAY on weekly", func(r *calendar.Rule) { r.RRule = "FREQ=WEEKLY;BYMONTHDAY=1" }, false, "BYMONTHDAY cannot be used with FREQ=WEEKLY"},
		{"BYWEEKNO on monthly", func(r *calendar.Rule) { r.RRule = "FREQ=MONTHLY;BYWEEKNO=1" }, false, "BYWEEKNO needs FREQ=YEARLY"},
		{"BYSETPOS alone", func(r *calendar.Rule) { r.RRule = "FREQ=MONTHLY;BYSETPOS=1" }, false, "BYSETPOS needs another"},
		{"BYEASTER refused", func(r *calendar.Rule) { r.RRule = "FREQ=YEARLY;BYEASTER=0" }, false, "BYEASTER is unknown or not supported"},
		{"never matches", func(r *calendar.Rule) { r.RRule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30" }, false, "never matches"},
		{"UNTIL a day before the start", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;UNTIL=20250101T000000" }, false, "UNTIL is on a day before the start"},
		{"UNTIL in UTC a day before the start", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;UNTIL=20260105T120000Z" }, false, "UNTIL is on a day before the start"},
		{"UNTIL as a date on the start's day: one instance", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;UNTIL=20260106" }, true, ""},
		{"UNTIL earlier on the start's day: one instance", func(r *calendar.Rule) { r.RRule = "FREQ=WEEKLY;UNTIL=20260106T080000" }, true, ""},
		{"MINUTELY", func(r *calendar.Rule) {
			r.End, r.Duration, r.RRule = calendar.WallTime{}, 5*time.Minute, "FREQ=MINUTELY;INTERVAL=15;COUNT=6"
		}, true, ""},
		{"SECONDLY refused", func(r *calendar.Rule) { r.RRule = "FREQ=SECONDLY;COUNT=2" }, false, "FREQ=SECONDLY is not supported"},
		{"MINUTELY that never reaches BYMINUTE", func(r *calendar.Rule) { r.RRule = "FREQ=MINUTELY;INTERVAL=20;BYMINUTE=10" }, false, "never reaches a time of BYHOUR and BYMINUTE"},
		{"MINUTELY that never reaches BYHOUR", func(r *calendar.Rule) { r.RRule = "FREQ=MINUTELY;INTERVAL=120;BYHOUR=11" }, false, "never reaches a time of BYHOUR and BYMINUTE"},
		{"HOURLY that never reaches BYHOUR", func(r *calendar.Rule) { r.RRule = "FREQ=HOURLY;INTERVAL=2;BYHOUR=11" }, false, "never reaches an hour of BYHOUR"},
		{"COUNT above MaxInstances", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;COUNT=1000001" }, false, "COUNT=1000001 must be a whole number from 1 to 1000000"},
		{"bad UNTIL", func(r *calendar.Rule) { r.RRule = "FREQ=DAILY;UNTIL=tomorrow" }, false, "UNTIL=TOMORROW"},
		{"end equals start", func(r *calendar.Rule) { r.End = r.Start }, false, "is not after start"},
		{"end before start", func(r *calendar.Rule) { r.End = calendar.Wall(2026, 1, 6, 9, 0, 0) }, false, "is not after start"},
		{"End and Duration", func(r *calendar.Rule) { r.Duration = time.Hour }, false, "both End and Duration"},
		{"neither End nor Duration", func(r *calendar.Rule) { r.End = calendar.WallTime{} }, false, "neither End nor Duration"},
		{"negative Duration", func(r *calendar.Rule) { r.End, r.Duration = calendar.WallTime{}, -time.Hour }, false, "negative"},
		{"hour 25", func(r *calendar.Rule) { r.Start.Hour = 25 }, false, "hour must be from 0 to 23"},
		{"February 30", func(r *calendar.Rule) { r.Start = calendar.Wall(2026, 2, 30, 10, 0, 0) }, false, "February 2026 has 28 days"},
		{"month 13", func(r *calendar.Rule) { r.End.Month = 13 }, false, "month must be from 1 to 12"},
		{"bad exception date", func(r *calendar.Rule) { r.ExDates = []calendar.WallTime{calendar.Wall(2026, 6, 31, 10, 0, 0)} }, false, "exception date 1"},
		{"unknown class", func(r *calendar.Rule) { r.Kind, r.AllowClasses = calendar.Freeze, []calendar.Class{"major"} }, false, `class "major" is unknown`},
		{"unknown action", func(r *calendar.Rule) { r.Kind, r.AllowActions = calendar.Freeze, []calendar.Action{"patch"} }, false, `action "patch" is unknown`},
		{"exceptions on a lockdown", func(r *calendar.Rule) {
			r.Kind, r.AllowClasses = calendar.Lockdown, []calendar.Class{calendar.ClassEmergency}
		}, false, "lockdown takes no exceptions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := validRule()
			tc.edit(&r)
			err := r.Validate()
			if tc.wantOK {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, calendar.ErrInvalidRule)
			var re *calendar.RuleError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, r.Name, re.Rule)
			assert.Contains(t, err.Error(), tc.want)
			_, occErr := r.Occurrences(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			assert.True(t, errors.Is(occErr, calendar.ErrInvalidRule), "Occurrences refuses an invalid rule too")
		})
	}
}

func TestLoadZone(t *testing.T) {
	loc, err := calendar.LoadZone("Europe/Berlin")
	require.NoError(t, err)
	again, err := calendar.LoadZone("Europe/Berlin")
	require.NoError(t, err)
	assert.Same(t, loc, again, "zones are loaded once and cached")
	_, err = calendar.LoadZone("Mars/Olympus_Mons")
	var ze *calendar.ZoneError
	require.ErrorAs(t, err, &ze)
	assert.ErrorIs(t, err, calendar.ErrUnknownZone)
	assert.Equal(t, "Mars/Olympus_Mons", ze.Zone)
}
