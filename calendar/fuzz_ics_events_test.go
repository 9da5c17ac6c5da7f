package calendar_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// maxFuzzICS bounds the inputs FuzzReadICSEvents looks at. The Go fuzzer minimizes
// every input that finds new coverage before it goes on (up to -fuzzminimizetime,
// 60 s by default, during which it reports no executions); on a 9 KB calendar that
// minimization takes the whole minute every time, which is why FuzzReadICS, seeded
// with the whole files under testdata/ics, appeared to run only its seeds. Small
// inputs minimize in milliseconds, and a malformed-input bug needs no more than a
// few events to show.
const maxFuzzICS = 2048

// icsEventSeeds cuts the calendars under testdata/ics into one small calendar per
// VEVENT (the header properties kept, VTIMEZONE blocks dropped: the reader takes
// the zone from the TZID name), so the fuzzer starts from small inputs that
// between them reach every property the reader handles.
func icsEventSeeds(tb testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/ics/*.ics")
	require.NoError(tb, err)
	require.NotEmpty(tb, files)
	var seeds [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(tb, err)
		lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
		var header []string
		var event []string
		depth, inEvent := 0, false
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "BEGIN:VEVENT"):
				inEvent, event = true, []string{l}
			case strings.HasPrefix(l, "END:VEVENT") && inEvent:
				event = append(event, l)
				cal := append(append(append([]string{}, header...), event...), "END:VCALENDAR", "")
				seeds = append(seeds, []byte(strings.Join(cal, "\r\n")))
				inEvent = false
			case inEvent:
				event = append(event, l)
			case strings.HasPrefix(l, "BEGIN:VTIMEZONE"):
				depth++
			case strings.HasPrefix(l, "END:VTIMEZONE"):
				depth--
			case depth == 0 && l != "" && !strings.HasPrefix(l, "END:VCALENDAR") && len(event) == 0:
				header = append(header, l)
			}
		}
	}
	return seeds
}

// TestICSEventSeedsAreSmallAndRead: the seeds of FuzzReadICSEvents fit under its size
// bound and each one reads as a valid calendar (so the fuzzer starts from inputs that
// reach deep into the reader, not from parse errors on line 1).
func TestICSEventSeedsAreSmallAndRead(t *testing.T) {
	seeds := icsEventSeeds(t)
	require.GreaterOrEqual(t, len(seeds), 20, "one seed per VEVENT of testdata/ics")
	for i, s := range seeds {
		require.LessOrEqual(t, len(s), maxFuzzICS, "seed %d is too large to minimize quickly", i)
		_, err := calendar.ReadICS(bytes.NewReader(s))
		require.NoError(t, err, "seed %d:\n%s", i, s)
	}
}

// FuzzReadICSEvents fuzzes the iCalendar reader from small one-event calendars:
// ReadICS never panics, every error is a *ParseError (ErrMalformedICS) naming a line
// of the input, and every rule it returns validates and expands. Run with:
//
//	go test -run '^$' -fuzz '^FuzzReadICSEvents$' -fuzztime 90s ./calendar
func FuzzReadICSEvents(f *testing.F) {
	for _, s := range icsEventSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=\"/mozilla.org/20070129_1/Europe/Berlin\":20260329T023000\r\nDURATION:P1DT2H\r\nRRULE:FREQ=DAILY;COUNT=3\r\nEXDATE:20260330T003000Z\r\n SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzICS {
			return
		}
		rules, err := calendar.ReadICS(bytes.NewReader(data))
		if err != nil {
			require.ErrorIs(t, err, calendar.ErrMalformedICS)
			var pe *calendar.ParseError
			require.ErrorAs(t, err, &pe)
			require.GreaterOrEqual(t, pe.Line, 1, "line of %v", err)
			require.LessOrEqual(t, pe.Line, bytes.Count(data, []byte("\n"))+1, "line of %v", err)
			require.Nil(t, rules, "a failed read returns no rules")
			return
		}
		for _, r := range rules {
			require.NoError(t, r.Validate(), "ReadICS returns only valid rules")
			_, err := r.Occurrences(exportFrom, exportFrom.AddDate(0, 2, 0))
			require.NoError(t, err)
		}
	})
}
