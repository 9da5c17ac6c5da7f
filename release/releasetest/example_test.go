package releasetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A steppable clock and a recording notifier under an engine: every event gets a
// distinct, known time, and the test sees what was notified. A notifier failure never
// undoes the transition.
func Example() {
	ctx := context.Background()
	clock := releasetest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC), time.Minute)
	notes := &releasetest.Notifier{}
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithNotifier(notes), release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}

	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana"))
	if err != nil {
		log.Fatal(err)
	}
	clock.Advance(time.Hour)
	notes.FailNext(1)
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, release.Person("ana"))
	fmt.Println(release.Committed(err), errors.Is(err, releasetest.ErrInjected), r.State)

	for _, n := range notes.Notifications() {
		fmt.Println(n.Entry.Event, n.Entry.Time.Format("15:04"))
	}
	fmt.Println(r.UpdatedAt.Format("15:04"))
	// Output:
	// true true scheduled
	// plan 09:01
	// 10:02
}
