package calfile_test

import (
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/releasekit/releasekit/change"
)

func ExampleLoad() {
	src := `version: 1
zone: Europe/Berlin
windows:
  - name: release train
    start: 2026-01-06 10:00
    end: 2026-01-06 16:00
    rrule: FREQ=WEEKLY;BYDAY=TU,TH
freezes:
  - name: year-end
    start: 2026-12-19
    end: 2027-01-04
    allow: {classes: [emergency]}
`
	f, err := calfile.Load("release-calendar.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	berlin, err := calendar.LoadZone("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	start := time.Date(2026, 12, 22, 10, 0, 0, 0, berlin) // a Tuesday in the freeze
	for _, class := range []calendar.Class{change.Standard, change.Emergency} {
		b := calendar.Booking{ID: "deploy", Environment: "prod", Start: start, End: start.Add(45 * time.Minute), Class: class}
		fmt.Printf("%s: %d conflicts\n", class, len(f.Calendar.Check(b)))
	}
	// Output:
	// standard: 1 conflicts
	// emergency: 0 conflicts
}

func ExampleLoad_problems() {
	src := `version: 1
zone: Europe/Berln
freezes:
  - name: year-end
    start: 2026-12-19
    end: 2026-12-18
    alow: {classes: [emergency]}
`
	_, err := calfile.Load("release-calendar.yaml", []byte(src))
	fmt.Println(err)
	// Output:
	// release-calendar.yaml:2:7: zone "Europe/Berln" is not an IANA time zone: use a name such as "Europe/Berlin" or "UTC"
	// release-calendar.yaml:6:10: rule "year-end": end 2026-12-18T00:00:00 is not after start 2026-12-19T00:00:00: a rule must end after it starts
	// release-calendar.yaml:7:5: unknown key "alow" in a freeze: did you mean "allow"?
}

// deployConflicts is what a release bot asks before it deploys; docs/CALENDAR-FILE.md
// shows it.
func deployConflicts(path string, start time.Time) ([]calendar.Conflict, error) {
	f, err := calfile.LoadFile(path)
	if err != nil {
		return nil, err // a *calfile.Error listing every problem, or a read error
	}
	conflicts := f.Calendar.Check(calendar.Booking{ID: "deploy-42", Environment: "prod",
		Start: start, End: start.Add(45 * time.Minute), Class: change.Standard})
	return conflicts, nil
}

func ExampleLoadFile() {
	berlin, err := calendar.LoadZone("Europe/Berlin")
	if err != nil {
		log.Fatal(err)
	}
	conflicts, err := deployConflicts("../../docs/examples/release-calendar.yaml", time.Date(2026, 12, 22, 10, 0, 0, 0, berlin))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range conflicts {
		fmt.Println(c.Kind, c.Rule)
	}
	// Output:
	// freeze year-end
}
