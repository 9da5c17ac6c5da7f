package faultstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
)

// The ambiguous case: the first Update is stored but reported as failed. The caller
// reads back and finds its own transition by its unique reason.
func Example() {
	ctx := context.Background()
	// The Update commits but reports failure, and the engine's read-back (its second
	// Get) fails too: the engine cannot tell, so the caller must.
	s, err := faultstore.New(memory.New(), faultstore.WithFaults(
		faultstore.Fault{Op: faultstore.OpUpdate, Phase: faultstore.After, Nth: 1},
		faultstore.Fault{Op: faultstore.OpGet, Nth: 2},
	))
	if err != nil {
		panic(err)
	}
	e, err := release.New(s, release.WithClock(releasetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Second)))
	if err != nil {
		panic(err)
	}
	r, err := e.Create(ctx, release.Spec{Name: "checkout", Version: "1.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		panic(err)
	}
	bob := release.Person("bob", release.RoleReleaseManager)
	_, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.Reason("request 7f3a"), release.ExpectRevision(r.Revision))
	fmt.Println("fire failed:", errors.Is(err, faultstore.ErrInjected))

	// Read back: did the release move past the revision acted on, with our entry?
	cur, err := e.Get(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	h, err := e.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	mine := cur.Revision > r.Revision && h[r.Revision].Reason == "request 7f3a"
	fmt.Println("state:", cur.State, "revision:", cur.Revision, "our transition:", mine)

	// Retrying blindly with the same expected revision cannot apply it twice.
	_, err = e.Fire(ctx, r.ID, release.EventPlan, bob, release.ExpectRevision(r.Revision))
	fmt.Println("retry:", errors.Is(err, release.ErrStale))
	fmt.Println("faults injected:", s.Injector().Stats().Total())
	// Output:
	// fire failed: true
	// state: planned revision: 2 our transition: true
	// retry: true
	// faults injected: 2
}
