package dispatch_test

import (
	"context"
	"fmt"
	"log"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/dispatch"
)

// A Dispatcher delivers what the engine could not: here the engine has no notifier,
// so the transition waits in the store's outbox until RunOnce delivers it.
func ExampleNew() {
	ctx := context.Background()
	store := memory.New()
	eng, err := release.New(store, release.WithPolicy(release.AllowAll()))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana")); err != nil {
		log.Fatal(err)
	}

	deliver := release.NotifierFunc(func(_ context.Context, n release.Notification) error {
		fmt.Printf("%s %s: %s -> %s\n", n.Release.Name, n.Release.Version, n.Entry.From, n.Entry.To)
		return nil
	})
	// A tiny MinAge lets this example deliver at once; in production the default
	// (30 seconds) leaves fresh notifications to the engine that committed them.
	d, err := dispatch.New(store, deliver, dispatch.Config{MinAge: 1})
	if err != nil {
		log.Fatal(err)
	}
	st, err := d.RunOnce(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("delivered", st.Delivered)
	// Output:
	// payments 2.4.0: draft -> planned
	// delivered 1
}
