package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// A release walked through planning on the durable store, then read back after the
// file is closed and opened again, as a restarted bot would.
func Example() {
	dir, err := os.MkdirTemp("", "releasekit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "releases.db")
	ctx := context.Background()

	s, err := bolt.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	clock := releasetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Minute)
	eng, err := release.New(s, release.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	bob := release.Person("bob", release.RoleReleaseManager)
	if _, err := eng.Fire(ctx, r.ID, release.EventPlan, bob, release.Reason("CHG-1042")); err != nil {
		log.Fatal(err)
	}
	if err := s.Close(); err != nil {
		log.Fatal(err)
	}

	// The process restarts: everything is still there.
	s, err = bolt.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	h, err := s.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Name, got.Version, got.State, "revision", got.Revision)
	for _, e := range h {
		fmt.Println(e.Sequence, e.Event, e.Actor.ID, e.Time.Format(time.Kitchen))
	}
	fmt.Println("history verifies:", release.VerifyHistory(h, got.Head) == nil)
	pending, err := s.Pending(ctx) // no notifier: the transition waits in the outbox
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pending notifications:", len(pending))
	// Output:
	// checkout 2.4.0 planned revision 2
	// 1 create ana 9:00AM
	// 2 plan bob 9:01AM
	// history verifies: true
	// pending notifications: 1
}

// A second Open of a file in use fails fast with ErrLocked instead of hanging.
func ExampleOpen_locked() {
	dir, err := os.MkdirTemp("", "releasekit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "releases.db")
	s, err := bolt.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_, err = bolt.Open(path, bolt.WithTimeout(100*time.Millisecond))
	fmt.Println(errors.Is(err, bolt.ErrLocked))
	// Output:
	// true
}
