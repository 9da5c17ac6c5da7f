package calendar_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

// tb is what both *testing.T and *rapid.T give.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
}

var tzidValue = regexp.MustCompile(`(?m)^([A-Z-]+);TZID=([^:]+):(\d{8}T\d{6})\r?$`)

// requireNoNonexistentTZID fails when the export writes a wall-clock time that does
// not exist in its zone with a TZID: clients resolve such a time differently (ical.js
// takes the offset from after the gap, RFC 5545 the one from before), so an EXDATE,
// RECURRENCE-ID or DTSTART naming one can hit a real instance.
func requireNoNonexistentTZID(t tb, ics string) {
	t.Helper()
	for _, m := range tzidValue.FindAllStringSubmatch(strings.ReplaceAll(ics, "\r\n ", ""), -1) {
		loc, err := calendar.LoadZone(m[2])
		require.NoError(t, err)
		w, err := time.Parse("20060102T150405", m[3])
		require.NoError(t, err)
		wall := calendar.Wall(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second())
		if _, shifted := calendar.Resolve(wall, loc); shifted {
			t.Fatalf("%s;TZID=%s:%s names a time that does not exist in %s\n%s", m[1], m[2], m[3], m[2], ics)
		}
	}
}

func exportOne(t tb, r calendar.Rule, from, to time.Time) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, calendar.WriteRulesICS(&b, []calendar.Rule{r}, from, to))
	return b.String()
}

// TestExportNeverNamesNonexistentTimes: the cases of issue 14 (a skipped 02:30 in New
// York, an hourly rule whose 02:00 a client would put on the real 01:00 EST, Samoa's
// lost 30 December 2011) export without any TZID value that does not exist, without an
// EXDATE on a real instance, and read back as the same rules.
func TestExportNeverNamesNonexistentTimes(t *testing.T) {
	for _, r := range issueCases() {
		from := time.Date(r.Start.Year, r.Start.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		to := from.AddDate(0, 3, 0)
		ics := exportOne(t, r, from, to)
		requireNoNonexistentTZID(t, ics)
		occ, err := r.Occurrences(from, to)
		require.NoError(t, err)
		for _, o := range occ {
			assert.NotContains(t, ics, "EXDATE:"+o.Start.UTC().Format("20060102T150405Z"), "%s: an EXDATE deletes a real instance", r.Name)
		}
		got, err := calendar.ReadICS(strings.NewReader(ics))
		require.NoError(t, err, r.Name)
		require.Len(t, got, 1, "%s reads back as one rule\n%s", r.Name, ics)
		assert.Equal(t, r, got[0], "%s round-trips", r.Name)
	}
}

// TestExportHourlyAcrossGapKeepsRealInstance: the export of issue 14 wrote
// EXDATE;TZID=America/New_York:20260308T020000 for the skipped 02:00, which ical.js
// reads as 01:00 EST and so deleted the real 01:00 EST instance. Now the recurrence is
// cut before 02:00 and resumes at 03:00.
func TestExportHourlyAcrossGapKeepsRealInstance(t *testing.T) {
	r := calendar.Rule{Name: "hourly", Kind: calendar.Window, Zone: "America/New_York", Start: calendar.Wall(2026, 3, 7, 23, 0, 0),
		Duration: 20 * time.Minute, RRule: "FREQ=HOURLY;COUNT=6", SkipNonexistent: true}
	ics := exportOne(t, r, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	assert.NotContains(t, ics, "EXDATE")
	assert.Contains(t, ics, "DTSTART;TZID=America/New_York:20260307T230000\r\nDURATION:PT20M\r\nRRULE:FREQ=HOURLY;COUNT=3\r\n")
	assert.Contains(t, ics, "DTSTART;TZID=America/New_York:20260308T030000\r\nDURATION:PT20M\r\nRRULE:FREQ=HOURLY;COUNT=3\r\n")
	assert.Contains(t, ics, "X-RELEASEKIT-RRULE:FREQ=HOURLY\\;COUNT=6\r\n")
}

// TestExportStartOffItsRule: RFC 5545 leaves a start that is not on its rule
// undefined; the library counts it as the first instance (Wednesday 7 January, then
// Mondays 12 and 19), ical.js drops it (12, 19, 26). The export writes the start as a
// VEVENT of its own and the recurrence from Monday 12 January with the two instances
// left, so both read the same three.
func TestExportStartOffItsRule(t *testing.T) {
	r := calendar.Rule{Name: "off", Kind: calendar.Window, Zone: "America/New_York", Start: calendar.Wall(2026, 1, 7, 9, 0, 0),
		Duration: time.Hour, RRule: "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, []string{"2026-01-07 09:00 EST", "2026-01-12 09:00 EST", "2026-01-19 09:00 EST"}, localStarts(t, r, from, from.AddDate(0, 1, 0)))
	ics := exportOne(t, r, from, from.AddDate(0, 1, 0))
	assert.Contains(t, ics, "DTSTART;TZID=America/New_York:20260112T090000\r\nDURATION:PT1H\r\nX-RELEASEKIT-START:20260107T090000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2\r\n")
	assert.Contains(t, ics, "X-RELEASEKIT-PART-OF:rule-")
	assert.Contains(t, ics, "DTSTART:20260107T140000Z\r\nDTEND:20260107T150000Z\r\n")
}

// TestExportSingleInstance: a rule with one instance is exported without RRULE, so
// clients that read UNTIL differently (ical.js drops a start after a DATE UNTIL) still
// show it.
func TestExportSingleInstance(t *testing.T) {
	r := calendar.Rule{Name: "once", Kind: calendar.Freeze, Zone: "America/New_York", Start: calendar.Wall(2026, 3, 5, 9, 0, 0),
		Duration: time.Hour, RRule: "FREQ=DAILY;UNTIL=20260305"}
	ics := exportOne(t, r, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	assert.NotContains(t, ics, "\r\nRRULE:")
	assert.Contains(t, ics, "DTSTART;TZID=America/New_York:20260305T090000\r\n")
	assert.Contains(t, ics, "X-RELEASEKIT-RRULE:FREQ=DAILY\\;UNTIL=20260305\r\n")
}

// TestPropExportNeverNamesNonexistentTimes: for random rules and spans, no TZID value
// of the export names a time that does not exist.
func TestPropExportNeverNamesNonexistentTimes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRule(t)
		from, to := drawRange(t)
		requireNoNonexistentTZID(t, exportOne(t, r, from, to))
	})
}
