package calendar_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// TestExportPinsInstancesClientsComputeDifferently: instances that start, end or run
// across a change of offset keep their length but are where clients disagree (a wall
// end that occurs twice; an exact duration over the change), so the export pins them
// with RECURRENCE-ID overrides carrying the library's instants.
func TestExportPinsInstancesClientsComputeDifferently(t *testing.T) {
	for _, tc := range []struct {
		why   string
		rule  calendar.Rule
		from  time.Time
		pin   string // RECURRENCE-ID value that must be present
		start string // its DTSTART in UTC
	}{
		{"a wall end in the repeated hour (Berlin, 2026-10-25 02:30 occurs twice)",
			calendar.Rule{Name: "late", Kind: calendar.Window, Zone: "Europe/Berlin",
				Start: calendar.Wall(2026, 10, 20, 1, 30, 0), End: calendar.Wall(2026, 10, 20, 2, 30, 0), RRule: "FREQ=DAILY"},
			time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC), "20261025T013000", "20261024T233000Z"},
		{"an exact 60 h duration across the spring change (Berlin, 2026-03-29)",
			calendar.Rule{Name: "weekend", Kind: calendar.Freeze, Zone: "Europe/Berlin",
				Start: calendar.Wall(2026, 3, 6, 18, 0, 0), Duration: 60 * time.Hour, RRule: "FREQ=WEEKLY;BYDAY=FR"},
			time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "20260327T180000", "20260327T170000Z"},
		{"a wall end in Sydney's repeated hour (2026-04-05 02:30)",
			calendar.Rule{Name: "late", Kind: calendar.Window, Zone: "Australia/Sydney",
				Start: calendar.Wall(2026, 4, 1, 1, 30, 0), End: calendar.Wall(2026, 4, 1, 2, 30, 0), RRule: "FREQ=DAILY"},
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "20260405T013000", "20260404T143000Z"},
	} {
		var b bytes.Buffer
		require.NoError(t, calendar.WriteRulesICS(&b, []calendar.Rule{tc.rule}, tc.from, tc.from.AddDate(0, 1, 0)), tc.why)
		ics := b.String()
		i := strings.Index(ics, "RECURRENCE-ID;TZID="+tc.rule.Zone+":"+tc.pin)
		require.GreaterOrEqual(t, i, 0, "%s: no pin for %s in\n%s", tc.why, tc.pin, ics)
		require.Contains(t, ics[i:], "DTSTART:"+tc.start, tc.why)
	}
}

// TestNoDuplicateInstants: a recurrence set holds each instant once; an hourly rule
// on a spring-forward night resolves 02:00 (which does not exist) to the instant of
// 03:00, and the set keeps one of them, the real 03:00.
func TestNoDuplicateInstants(t *testing.T) {
	r := calendar.Rule{Name: "hourly", Kind: calendar.Window, Zone: "America/New_York",
		Start: calendar.Wall(2026, 3, 7, 0, 0, 0), Duration: 20 * time.Minute, RRule: "FREQ=HOURLY"}
	occ, err := r.Occurrences(time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	var starts []string
	for i, o := range occ {
		starts = append(starts, o.Start.UTC().Format("15:04"))
		if i > 0 {
			require.True(t, o.Start.After(occ[i-1].Start), "instants repeat: %v", starts)
		}
	}
	require.Equal(t, []string{"05:00", "06:00", "07:00", "08:00"}, starts)
	require.False(t, occ[2].Shifted, "the kept 07:00Z instance is the real 03:00 EDT")
}
