// Command quickstart walks one release through its lifecycle on the embedded bolt
// store: two people, one of them refused by separation of duties, then the audit
// history printed and verified. Run it again and it continues on the same store.
//
//	go run ./examples/quickstart [-db out/quickstart.db]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/release"
)

func main() {
	db := flag.String("db", filepath.Join("out", "quickstart.db"), "the bolt database file (created if missing)")
	flag.Parse()
	if err := run(context.Background(), *db); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	store, err := bolt.Open(path)
	if err != nil {
		return err
	}
	defer store.Close()
	eng, err := release.New(store)
	if err != nil {
		return err
	}
	earlier, err := eng.List(ctx, release.Filter{})
	if err != nil {
		return err
	}
	fmt.Printf("store %s holds %d releases from earlier runs\n", path, len(earlier))
	ana := release.Person("ana", release.RoleDeveloper, release.RoleApprover, release.RoleDeployer)
	rui := release.Person("rui", release.RoleReleaseManager)

	r, err := eng.Create(ctx, release.Spec{
		Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID,
		Components: []release.Component{{Name: "checkout-api", Version: "2.4.0", PreviousVersion: "2.3.1"}},
	})
	if err != nil {
		return err
	}
	fmt.Printf("created %s %s for %s (%s)\n", r.Name, r.Version, r.Environment, r.ID)

	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		if r, err = eng.Fire(ctx, r.ID, ev, ana); err != nil {
			return err
		}
	}
	// ana wrote the release: she may not approve it, even with the approver role.
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, ana)
	if !errors.Is(err, release.ErrForbidden) {
		return fmt.Errorf("self-approval was not refused: %v", err)
	}
	fmt.Println("refused:", err)

	steps := []struct {
		ev    release.Event
		actor release.Actor
		why   string
	}{
		{release.EventApprove, rui, "CAB reviewed the change"},
		{release.EventStart, ana, ""},
		{release.EventComplete, ana, ""},
		{release.EventVerify, ana, "smoke tests green"},
		{release.EventClose, rui, "no incidents"},
	}
	for _, s := range steps {
		if r, err = eng.Fire(ctx, r.ID, s.ev, s.actor, release.Reason(s.why)); err != nil {
			return err
		}
	}

	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		return err
	}
	fmt.Println("\naudit history:")
	for _, h := range hist {
		fmt.Printf("  %d  %-10s %-9s -> %-9s by %-4s %s  %s\n", h.Sequence, h.Event, h.From, h.To, h.Actor.ID, h.Hash[:12], h.Reason)
	}
	if err := release.VerifyHistory(hist, r.Head); err != nil {
		return err
	}
	fmt.Printf("\nhistory of %d entries verifies; %s is %s\n", len(hist), r.Name, r.State)
	for _, old := range earlier {
		if err := eng.Verify(ctx, old.ID); err != nil {
			return fmt.Errorf("an earlier release does not verify: %w", err)
		}
	}
	if len(earlier) > 0 {
		fmt.Printf("the %d earlier histories verify too\n", len(earlier))
	}
	return nil
}
