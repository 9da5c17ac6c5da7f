package memory_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// The memory store under an engine: releases, their history, and an outbox row per
// transition until the notification is acknowledged.
func Example() {
	ctx := context.Background()
	store := memory.New()
	eng, err := release.New(store, release.WithPolicy(release.AllowAll()),
		release.WithClock(release.ClockFunc(func() time.Time { return time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) })))
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
	got, err := store.Get(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, got.State, got.Revision)

	// No notifier acknowledged the plan, so a Dispatcher would deliver it.
	pending, err := store.ClaimNotifications(ctx, time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC), 0, time.Minute, 10)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pending {
		fmt.Println(p.Notification.Entry.Event, p.Attempts)
	}
	_, err = store.Get(ctx, release.ID{})
	fmt.Println(errors.Is(err, release.ErrNotFound))
	// Output:
	// checkout planned 2
	// plan 1
	// true
}

// Book never double-books a service in an environment.
func ExampleStore_Book() {
	ctx := context.Background()
	store := memory.New()
	at := func(h int) time.Time { return time.Date(2026, 5, 5, h, 0, 0, 0, time.UTC) }
	fmt.Println(store.Book(ctx, calendar.Booking{ID: "a", Environment: "prod", Services: []string{"api"}, Start: at(10), End: at(12)}))
	err := store.Book(ctx, calendar.Booking{ID: "b", Environment: "prod", Services: []string{"api", "db"}, Start: at(11), End: at(13)})
	fmt.Println(err)
	fmt.Println(errors.Is(err, release.ErrSlotTaken))
	fmt.Println(store.Book(ctx, calendar.Booking{ID: "c", Environment: "prod", Services: []string{"api"}, Start: at(12), End: at(13)}))
	// Output:
	// <nil>
	// release: booking b overlaps booking a of service api in the same environment; pick another slot
	// true
	// <nil>
}
