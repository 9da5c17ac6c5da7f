package release_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// editedRow is a store whose release rows someone changed by hand in the
// database: every release reads back as if it targeted dev.
type editedRow struct{ release.Store }

func (s editedRow) Get(ctx context.Context, id release.ID) (release.Release, error) {
	r, err := s.Store.Get(ctx, id)
	r.Environment = "dev"
	return r, err
}

// Verifying a release's record: its history is a hash chain, and every entry holds a
// snapshot of the release, so a row edited behind the engine's back is found and
// the field named.
func ExampleEngine_VerifyAudit() {
	ctx := context.Background()
	store := memory.New()
	clock := releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)
	eng, err := release.New(store, release.WithClock(clock), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	if r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("as written:", eng.VerifyAudit(ctx, r.ID))

	edited, err := release.New(editedRow{store}, release.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	err = edited.VerifyAudit(ctx, r.ID)
	var mm *release.MismatchError
	if errors.As(err, &mm) {
		fmt.Printf("edited: tampered %v, field %s is %s, history says %s\n", errors.Is(err, release.ErrTampered), mm.Field, mm.Stored, mm.History)
	}
	// Output:
	// as written: <nil>
	// edited: tampered true, field environment is "dev", history says "prod"
}

// The calendar people see, in one iCalendar stream that calendar clients import:
// the calendar's windows and freezes, the stored bookings named by service,
// version and environment, and the lockdowns declared at runtime.
func ExampleEngine_WriteICS() {
	ctx := context.Background()
	monday := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	cal, err := calendar.New(calendar.Rule{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=TU,TH"})
	if err != nil {
		log.Fatal(err)
	}
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(monday.Add(-time.Hour), time.Minute)),
		release.WithPolicy(release.AllowAll()), release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	if err != nil {
		log.Fatal(err)
	}
	rui := release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana", Duration: 30 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		if r, err = eng.Fire(ctx, r.ID, ev, rui); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := eng.Lockdown(ctx, rui, release.Lockdown{Reason: "INC-4711: double charges", Environments: []string{"prod"},
		Until: monday.AddDate(0, 0, 2)}); err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	if err := eng.WriteICS(ctx, &b, monday, monday.AddDate(0, 0, 7), calendar.WithStamp(monday)); err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(b.String(), "\r\n") {
		if summary, ok := strings.CutPrefix(line, "SUMMARY:"); ok {
			summary, _, _ = strings.Cut(summary, " (") // a lockdown's summary ends with its ID
			fmt.Println(summary)
		}
	}
	// Output:
	// release train
	// Lockdown of prod: INC-4711: double charges
	// payments 2.4.0 in prod
}
