package release_test

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

// Stop the line: an incident in prod. The release manager declares a lockdown of
// prod; the payments release already deploying there is marked to halt (the bot
// hears of it through the notifier), the ledger release may not start, not even
// with an override; staging goes on. Once the incident is over the lockdown is
// lifted and ledger starts.
func ExampleEngine_Lockdown() {
	ctx := context.Background()
	clock := releasetest.NewClock(time.Date(2026, 5, 4, 11, 52, 0, 0, time.UTC), time.Second)
	bot := release.NotifierFunc(func(_ context.Context, n release.Notification) error {
		if n.Entry.Event == release.EventHalt {
			fmt.Printf("bot: halt %s %s in %s (%s)\n", n.Release.Name, n.Release.Version, n.Release.Environment, n.Entry.Reason)
		}
		return nil
	})
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithNotifier(bot))
	if err != nil {
		log.Fatal(err)
	}
	rui := release.Person("rui", release.RoleReleaseManager)
	approved := func(name, env string) release.Release {
		r, err := eng.Create(ctx, release.Spec{Name: name, Version: "2.4.0", Environment: env, Author: "ana"})
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
			if r, err = eng.Fire(ctx, r.ID, ev, rui); err != nil {
				log.Fatal(err)
			}
		}
		return r
	}
	payments := approved("payments", "prod")
	if _, err := eng.Fire(ctx, payments.ID, release.EventStart, rui); err != nil {
		log.Fatal(err)
	}
	ledger := approved("ledger", "prod")
	search := approved("search", "staging")

	l, err := eng.Lockdown(ctx, rui, release.Lockdown{
		Reason:       "INC-4711: double charges in prod",
		Environments: []string{"prod"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = eng.Fire(ctx, ledger.ID, release.EventStart, rui, release.Override("it is only a config change"))
	fmt.Println("ledger in prod refused:", errors.Is(err, release.ErrGuardRefused))
	_, err = eng.Fire(ctx, search.ID, release.EventStart, rui)
	fmt.Println("search in staging started:", err == nil)

	dev := release.Person("dave", release.RoleDeveloper)
	_, err = eng.Lift(ctx, l.ID, dev, "looks fine to me")
	fmt.Println("lift by a developer forbidden:", errors.Is(err, release.ErrForbidden))
	if _, err := eng.Lift(ctx, l.ID, rui, "fixed by payments 2.4.1"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = eng.Fire(ctx, ledger.ID, release.EventStart, rui)
	fmt.Println("ledger started after the lift:", err == nil)

	h, err := eng.LockdownHistory(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range h {
		fmt.Printf("%d %s by %s\n", e.Sequence, e.Event, map[release.Event]string{release.EventDeclare: e.Lockdown.DeclaredBy.ID, release.EventLift: e.Lockdown.LiftedBy.ID}[e.Event])
	}
	fmt.Println("history verifies:", release.VerifyLockdownHistory(h) == nil)
	// Output:
	// bot: halt payments 2.4.0 in prod (INC-4711: double charges in prod)
	// ledger in prod refused: true
	// search in staging started: true
	// lift by a developer forbidden: true
	// ledger started after the lift: true
	// 1 declare by rui
	// 2 lift by rui
	// history verifies: true
}
