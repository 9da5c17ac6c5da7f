package calendar_test

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

var (
	exportFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exportTo   = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
)

// exportRules exercise every pin the writer must emit: gap starts and ends, transition
// days whose real length differs, repeated hours, SkipNonexistent, exact durations, UNTIL.
func exportRules() []calendar.Rule {
	return []calendar.Rule{
		{Name: "Berlin release train", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=TU,TH",
			ExDates: []calendar.WallTime{calendar.Wall(2026, 12, 24, 10, 0, 0)}, Scope: calendar.Scope{Environments: []string{"prod", "staging"}}},
		{Name: "Berlin nightly maintenance; 02:30, in the gap", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 3, 20, 2, 30, 0), End: calendar.Wall(2026, 3, 20, 3, 30, 0), RRule: "FREQ=DAILY;UNTIL=20260405T000000"},
		{Name: "Berlin night freeze across transitions", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 3, 1, 1, 0, 0), End: calendar.Wall(2026, 3, 1, 4, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=SU",
			AllowClasses: []calendar.Class{calendar.ClassEmergency}, AllowActions: []calendar.Action{calendar.ActionRollback}},
		{Name: "New York weekend freeze", Kind: calendar.Freeze, Zone: "America/New_York",
			Start: calendar.Wall(2026, 1, 2, 18, 0, 0), End: calendar.Wall(2026, 1, 5, 6, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=FR", Scope: calendar.Scope{Services: []string{"payments"}, Teams: []string{"core"}}},
		{Name: "New York 02:30 batch, skipped in the gap", Kind: calendar.Window, Zone: "America/New_York",
			Start: calendar.Wall(2026, 3, 1, 2, 30, 0), Duration: 45 * time.Minute, RRule: "FREQ=DAILY;COUNT=20", SkipNonexistent: true},
		{Name: "Sydney month-end freeze", Kind: calendar.Freeze, Zone: "Australia/Sydney",
			Start: calendar.Wall(2026, 1, 30, 18, 0, 0), End: calendar.Wall(2026, 2, 2, 9, 0, 0), RRule: "FREQ=MONTHLY;BYDAY=-1FR"},
		{Name: "Sydney 02:00 window", Kind: calendar.Window, Zone: "Australia/Sydney",
			Start: calendar.Wall(2026, 3, 1, 2, 0, 0), End: calendar.Wall(2026, 3, 1, 3, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=SA,SU"},
		{Name: "Year-end lockdown — «Jahresende», a long name with non-ASCII text to fold", Kind: calendar.Lockdown, Zone: "UTC",
			Start: calendar.Wall(2026, 12, 20, 0, 0, 0), End: calendar.Wall(2027, 1, 4, 0, 0, 0), RRule: "FREQ=YEARLY;COUNT=2"},
	}
}

func instantsText(t *testing.T, rules []calendar.Rule, from, to time.Time) string {
	t.Helper()
	var lines []string
	for _, r := range rules {
		occ, err := r.Occurrences(from, to)
		require.NoError(t, err)
		for _, o := range occ {
			lines = append(lines, fmt.Sprintf("%s\t%s\t%s", r.Name, o.Start.UTC().Format(time.RFC3339), o.End.UTC().Format(time.RFC3339)))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestWriteICSGolden pins the export, and the UTC instants the library computes for it.
// docs/ics-check/check.mjs expands the same file with ical.js and must print the same
// instants (see that script for the command).
func TestWriteICSGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, calendar.WriteRulesICS(&buf, exportRules(), exportFrom, exportTo, calendar.WithCalendarName("releasekit, test")))
	golden(t, "testdata/ics/export.ics", buf.Bytes())
	golden(t, "testdata/ics/export.instants.txt", []byte(instantsText(t, exportRules(), exportFrom, exportTo)))
}

func TestWriteICSFoldingAndEscaping(t *testing.T) {
	name := strings.Repeat("Größe, Maß; \\ und \"Zeichen\"\n", 8)
	rules := []calendar.Rule{{Name: name, Kind: calendar.Freeze, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 5, 1, 0, 0, 0), End: calendar.Wall(2026, 5, 2, 0, 0, 0)}}
	var buf bytes.Buffer
	require.NoError(t, calendar.WriteRulesICS(&buf, rules, exportFrom, exportTo))
	out := buf.String()
	require.True(t, strings.HasSuffix(out, "END:VCALENDAR\r\n"))
	for _, line := range strings.SplitAfter(out, "\r\n") {
		if line == "" {
			continue
		}
		require.True(t, strings.HasSuffix(line, "\r\n"), "every line ends in CRLF: %q", line)
		body := strings.TrimSuffix(line, "\r\n")
		assert.NotContains(t, body, "\n", "no bare newline inside a line")
		assert.LessOrEqual(t, len(body), 75, "line longer than 75 octets: %q", body)
		assert.True(t, utf8.ValidString(body), "a fold split a UTF-8 sequence: %q", body)
	}
	assert.Contains(t, strings.ReplaceAll(out, "\r\n ", ""), `SUMMARY:Größe\, Maß\; \\ und "Zeichen"\nGröße`)
	got, err := calendar.ReadICS(strings.NewReader(out))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, name, got[0].Name, "TEXT escaping round-trips")
}

func TestWriteICSRefusesBadInput(t *testing.T) {
	var buf bytes.Buffer
	require.ErrorIs(t, calendar.WriteRulesICS(&buf, exportRules(), exportTo, exportFrom), calendar.ErrBadSpan)
	bad := exportRules()
	bad[0].Zone = "Nowhere/Land"
	require.ErrorIs(t, calendar.WriteRulesICS(&buf, bad, exportFrom, exportTo), calendar.ErrUnknownZone)
}

// TestICSRoundTrip: reading the export gives back rules with the same occurrences.
func TestICSRoundTrip(t *testing.T) {
	rules := exportRules()
	var buf bytes.Buffer
	require.NoError(t, calendar.WriteRulesICS(&buf, rules, exportFrom, exportTo))
	got, err := calendar.ReadICS(&buf)
	require.NoError(t, err)
	require.Len(t, got, len(rules))
	for i := range rules {
		assert.Equal(t, rules[i].Name, got[i].Name)
		assert.Equal(t, rules[i].Kind, got[i].Kind)
		assert.Equal(t, rules[i].Scope, got[i].Scope)
		assert.Equal(t, rules[i].AllowClasses, got[i].AllowClasses)
		assert.Equal(t, rules[i].AllowActions, got[i].AllowActions)
	}
	assert.Equal(t, instantsText(t, rules, exportFrom, exportTo), instantsText(t, got, exportFrom, exportTo))
}

func TestPropICSRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "rules")
		var rules []calendar.Rule
		for i := 0; i < n; i++ {
			r := drawRule(t)
			r.Name = fmt.Sprintf("rule %d, %s", i, r.Zone)
			rules = append(rules, r)
		}
		from, to := drawRange(t)
		var buf bytes.Buffer
		if err := calendar.WriteRulesICS(&buf, rules, from, to); err != nil {
			t.Fatal(err)
		}
		got, err := calendar.ReadICS(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		if len(got) != len(rules) {
			t.Fatalf("read %d rules, wrote %d", len(got), len(rules))
		}
		for i := range rules {
			a, _ := rules[i].Occurrences(from, to)
			b, err := got[i].Occurrences(from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(b) {
				t.Fatalf("%s: %d occurrences before, %d after\n%v\n%v", rules[i].Name, len(a), len(b), a, b)
			}
			for j := range a {
				if !a[j].Start.Equal(b[j].Start) || !a[j].End.Equal(b[j].End) {
					t.Fatalf("%s: occurrence %d was %v, reads back as %v", rules[i].Name, j, a[j], b[j])
				}
			}
		}
	})
}

// TestReadICSForeign reads a hand-written export in the style of shared calendars.
func TestReadICSForeign(t *testing.T) {
	f, err := os.Open("testdata/ics/holidays.ics")
	require.NoError(t, err)
	defer f.Close()
	rules, err := calendar.ReadICS(f)
	require.NoError(t, err)
	var got []string
	for _, r := range rules {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%v|%q|%v", r.Name, r.Kind, r.Zone, r.Start, r.End, r.Duration, r.ExDates, r.RRule, r.Scope.Environments))
	}
	golden(t, "testdata/ics/holidays.rules.golden", []byte(strings.Join(got, "\n")+"\n"))
	golden(t, "testdata/ics/holidays.instants.golden", []byte(instantsText(t, rules, exportFrom, exportTo)))
}

func TestReadICSErrors(t *testing.T) {
	wrap := func(body string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + body + "END:VCALENDAR\r\n"
	}
	ev := func(props string) string {
		return wrap("BEGIN:VEVENT\r\nUID:a\r\n" + props + "END:VEVENT\r\n")
	}
	tests := []struct {
		name string
		in   string
		line int
		want string
	}{
		{"not iCalendar", "hello\r\n", 1, "not a content line"},
		{"empty input", "", 1, "no BEGIN:VCALENDAR"},
		{"continuation first", " folded\r\n", 1, "continuation line"},
		{"unclosed", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", 2, "END:VEVENT is missing"},
		{"mismatched END", wrap("BEGIN:VEVENT\r\nEND:VTODO\r\n"), 5, "does not close"},
		{"property outside", "SUMMARY:x\r\n", 1, "outside a VCALENDAR"},
		{"no DTSTART", ev("SUMMARY:x\r\n"), 4, "no DTSTART"},
		{"bad date", ev("DTSTART:2026-01-01\r\nDURATION:PT1H\r\n"), 6, "not a date"},
		{"unknown TZID", ev("DTSTART;TZID=Mars/Base:20260101T100000\r\nDURATION:PT1H\r\n"), 6, "not an IANA time zone"},
		{"no end", ev("DTSTART:20260101T100000Z\r\n"), 4, "no DTEND or DURATION"},
		{"DTEND and DURATION", ev("DTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\nDURATION:PT1H\r\n"), 7, "both DTEND and DURATION"},
		{"bad duration", ev("DTSTART:20260101T100000Z\r\nDURATION:1 hour\r\n"), 7, "not an RFC 5545 duration"},
		{"bad RRULE", ev("DTSTART:20260101T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z\r\n"), 4, "both COUNT and UNTIL"},
		{"unclosed quote", ev("DTSTART;TZID=\"Europe/Berlin:20260101T100000\r\n"), 6, "unclosed quote"},
		{"bad name", ev("DT START:20260101T100000Z\r\n"), 6, "property name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := calendar.ReadICS(strings.NewReader(tc.in))
			require.ErrorIs(t, err, calendar.ErrMalformedICS)
			var pe *calendar.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tc.line, pe.Line, "line of %v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := calendar.ReadICS(strings.NewReader(ev("DTSTART;TZID=Mars/Base:20260101T100000\r\nDURATION:PT1H\r\n")))
	assert.ErrorIs(t, err, calendar.ErrUnknownZone, "an unknown TZID is also an unknown zone")
	_, err = calendar.ReadICS(strings.NewReader(ev("DTSTART:20260101T100000Z\r\nDURATION:PT1H\r\n")), calendar.WithMaxBytes(10))
	assert.ErrorIs(t, err, calendar.ErrMalformedICS)
}
