// Package calfile reads the release calendar as code: one YAML file, kept in a
// repository beside the pipelines that obey it, that declares windows, freezes and
// lockdowns (with exceptions by change class and action), scopes, IANA zones, capacities
// and fixed bookings, and that can include shared iCalendar (.ics) exports as sources.
//
// It is the loader behind the releasekit command (cmd/releasekit), published so that a
// host application (a release bot, a delivery platform) reads the very file its
// pipelines check against and every tool obeys one calendar:
//
//	f, err := calfile.LoadFile("release-calendar.yaml")
//	if err != nil {
//		return err // a *calfile.Error: every problem, each with file:line:column
//	}
//	conflicts := f.Calendar.Check(booking)
//
// [Load] builds the rules with the public API of package calendar (calendar.Rule,
// calendar.ReadICS, calendar.NewWithOptions, Calendar.Restore), so a loaded file means
// exactly what the same rules written in Go mean, DST contract included.
//
// # The format
//
// docs/CALENDAR-FILE.md describes every field with examples; the JSON Schema that
// editors use to complete and check the file is [Schema] (the file
// releasekit-calendar.schema.json beside this package). In short:
//
//	version: 1
//	zone: Europe/Berlin                 # default zone of every rule and booking
//	capacity: {default: 0, environments: {prod: 2}}
//	alignment: 15m                      # slots start on :00, :15, :30, :45
//	include:
//	  - ics: holidays.ics               # relative to this file
//	    kind: freeze
//	    scope: {environments: [prod]}
//	    allow: {classes: [emergency]}
//	windows:
//	  - name: release train
//	    start: 2026-01-06 10:00         # wall-clock time in the zone: the first occurrence
//	    end: 2026-01-06 16:00
//	    rrule: FREQ=WEEKLY;BYDAY=TU,TH
//	    scope: {environments: [prod]}
//	freezes:
//	  - name: year-end
//	    start: 2026-12-19 00:00
//	    end: 2027-01-04 00:00
//	    allow: {classes: [emergency], actions: [rollback]}
//	lockdowns: []
//	bookings: []
//
// # Why YAML
//
// The people who write this file already write YAML every day: GitLab CI, GitHub
// Actions, Azure DevOps, CircleCI and Bamboo Specs are all YAML, so the calendar reads
// like the pipelines beside it, and editors validate it against [Schema] through the
// YAML language server. The parser is go.yaml.in/yaml/v3, the YAML organisation's
// maintained continuation of gopkg.in/yaml.v3; its node tree carries the line and column
// of every value, which is what lets every problem be reported where it was written.
// The loader reads that tree itself instead of decoding into structs, so it never
// applies YAML 1.1 guesses (a bare "10:00" as a base-60 number, "no" as false): every
// date, time and duration is read from the text as written.
//
// # Errors
//
// A file with problems gives an [*Error] listing every problem found ([Problem], with
// file, line and column), sorted by position, and no calendar: nothing half-read is
// used. A YAML syntax error stops the parser, so it is reported alone; an included
// iCalendar file reports its first problem (calendar.ReadICS stops there).
package calfile
