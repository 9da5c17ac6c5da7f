package calendar_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// A nightly maintenance window at 02:30 in Berlin: on the night clocks spring forward,
// 02:30 does not exist, so the window is shifted past the gap and marked.
func ExampleRule_Occurrences() {
	r := calendar.Rule{
		Name:  "nightly maintenance",
		Kind:  calendar.Window,
		Zone:  "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 27, 2, 30, 0),
		End:   calendar.Wall(2026, 3, 27, 3, 30, 0),
		RRule: "FREQ=DAILY;COUNT=3",
	}
	occ, err := r.Occurrences(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	berlin, err := calendar.LoadZone("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range occ {
		fmt.Println(o.Start.In(berlin).Format("Mon 02 Jan 15:04 MST"), "-", o.End.In(berlin).Format("15:04 MST"), "shifted:", o.Shifted)
	}
	// Output:
	// Fri 27 Mar 02:30 CET - 03:30 CET shifted: false
	// Sat 28 Mar 02:30 CET - 03:30 CET shifted: false
	// Sun 29 Mar 03:30 CEST - 04:30 CEST shifted: true
}

// Validate reports every problem of a rule at once.
func ExampleRule_Validate() {
	r := calendar.Rule{
		Name:  "month-end freeze",
		Kind:  calendar.Freeze,
		Zone:  "Europe/Frankfurt",
		Start: calendar.Wall(2026, 1, 30, 18, 0, 0),
		End:   calendar.Wall(2026, 1, 30, 8, 0, 0),
		RRule: "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12;UNTIL=20261231T000000Z",
	}
	var re *calendar.RuleError
	if err := r.Validate(); errors.As(err, &re) {
		for _, p := range re.Problems {
			fmt.Println("-", p)
		}
	}
	// Output:
	// - zone "Europe/Frankfurt" is not an IANA time zone: use a name such as "Europe/Berlin"
	// - end 2026-01-30T08:00:00 is not after start 2026-01-30T18:00:00: a rule must end after it starts
	// - RRULE has both COUNT and UNTIL: RFC 5545 allows one of them, not both
}

// Resolve applies the DST contract to a single wall-clock time.
func ExampleResolve() {
	ny, err := calendar.LoadZone("America/New_York")
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range []calendar.WallTime{
		calendar.Wall(2026, 3, 8, 2, 30, 0),  // does not exist: clocks jump from 02:00 to 03:00
		calendar.Wall(2026, 11, 1, 1, 30, 0), // occurs twice: the first one (EDT) is taken
	} {
		t, shifted := calendar.Resolve(w, ny)
		fmt.Println(w, "->", t.UTC().Format(time.RFC3339), t.In(ny).Format("15:04 MST"), "shifted:", shifted)
	}
	// Output:
	// 2026-03-08T02:30:00 -> 2026-03-08T07:30:00Z 03:30 EDT shifted: true
	// 2026-11-01T01:30:00 -> 2026-11-01T05:30:00Z 01:30 EDT shifted: false
}

// ReadICS turns the all-day holidays of a shared calendar into freezes in the
// calendar's zone.
func ExampleReadICS() {
	ics := strings.Join([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//Holidays//EN", "X-WR-TIMEZONE:Europe/Berlin",
		"BEGIN:VEVENT", "UID:xmas@example.com", "DTSTAMP:20260101T000000Z", "SUMMARY:Christmas",
		"DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261227", "RRULE:FREQ=YEARLY", "END:VEVENT",
		"END:VCALENDAR", ""}, "\r\n")
	rules, err := calendar.ReadICS(strings.NewReader(ics))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rules {
		fmt.Println(r.Name, r.Kind, r.Zone, r.Start, r.End, r.RRule)
	}
	// Output:
	// Christmas freeze Europe/Berlin 2026-12-24T00:00:00 2026-12-27T00:00:00 FREQ=YEARLY
}

// WriteRulesICS exports rules for any calendar client.
func ExampleWriteRulesICS() {
	rules := []calendar.Rule{{
		Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH",
	}}
	var buf bytes.Buffer
	err := calendar.WriteRulesICS(&buf, rules, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if strings.HasPrefix(line, "DTSTART;") || strings.HasPrefix(line, "RRULE") || strings.HasPrefix(line, "DURATION") {
			fmt.Println(line)
		}
	}
	// Output:
	// DTSTART;TZID=Europe/Berlin:20260106T100000
	// DURATION:PT6H
	// RRULE:FREQ=WEEKLY;BYDAY=TU,TH
}
