package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// A start refused by a guard is kept as a decision entry that comes back from
		// the store as written (event, guard, cause, reason) and verifies; the same
		// refusal again writes nothing; 8 refused starts racing 8 records on the
		// release leave every record and one decision, and the history verifies.
		testCase{"Refusal/Recorded", testRefusalRecorded},
		// A start refused by a runtime lockdown is recorded; after the lift, a keyed
		// start commits fenced, its key holds the release it returned, and a retry
		// returns that release and writes nothing.
		testCase{"Refusal/Lockdown", lockdownCase(keyCase(testRefusalLockdown))},
	)
}

// decisionsIn counts the decision entries of h.
func decisionsIn(h []release.AuditEntry) int {
	n := 0
	for _, e := range h {
		if e.Event == release.EventDecision {
			n++
		}
	}
	return n
}

// readVerified reads release id and its history from e's store and verifies them.
func readVerified(t *testing.T, e *release.Engine, id release.ID) (release.Release, []release.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	r, err := e.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := release.VerifyRelease(r, h); err != nil {
		t.Fatalf("the history does not verify: %v", err)
	}
	return r, h
}

func testRefusalRecorded(t *testing.T, s release.Store) {
	ctx := context.Background()
	board := release.OnEvents(release.GuardFunc("change-board", func(context.Context, *release.Proposal) error {
		return errors.New("CHG-7 is not signed off")
	}), release.EventStart)
	e := newEngine(t, s, release.WithGuard(board))
	r := approved(t, e, "checkout", "prod")
	_, err := e.Fire(ctx, r.ID, release.EventStart, ci, release.Reason("nightly"), release.Data(map[string]int{"run": 7}))
	if !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start = %v, want ErrGuardRefused", err)
	}
	got, h := readVerified(t, e, r.ID)
	if got.State != release.StateApproved || got.Revision != r.Revision+1 {
		t.Fatalf("after a refused start: %s at revision %d, want approved at %d", got.State, got.Revision, r.Revision+1)
	}
	last := h[len(h)-1]
	event, refusals, ok := last.Refused()
	if last.Event != release.EventDecision || !ok || event != release.EventStart || len(refusals) != 1 ||
		refusals[0].Guard != "change-board" || refusals[0].Cause != "CHG-7 is not signed off" || refusals[0].Reason != "CHG-7 is not signed off" {
		t.Fatalf("the refusal came back as %s %v %+v", last.Event, event, refusals)
	}
	if last.Actor.ID != ci.ID || last.Reason != "nightly" || string(last.Data) != `{"run":7}` {
		t.Fatalf("the refusal's entry lost who asked, why or the data: %+v", last)
	}
	if _, err := e.Fire(ctx, r.ID, release.EventStart, ci); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("second start = %v", err)
	}
	if _, h = readVerified(t, e, r.ID); decisionsIn(h) != 1 {
		t.Fatalf("the same refusal again wrote an entry: %d decisions", decisionsIn(h))
	}

	// Refused starts racing records: no update lost.
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			_, err := e.Fire(ctx, r.ID, release.EventStart, ci)
			if !errors.Is(err, release.ErrGuardRefused) || errors.Is(err, release.ErrStale) {
				errs <- fmt.Errorf("start %d = %v, want the refusal alone", i, err)
			}
		})
		wg.Go(func() {
			ev := release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: fmt.Sprintf("suite-%d", i), Status: gate.CheckSuccess}
			if _, err := e.Record(ctx, r.ID, ev); err != nil {
				errs <- fmt.Errorf("record %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, h = readVerified(t, e, r.ID)
	if decisionsIn(h) != 1 || len(release.Evidences(h)) != n || got.State != release.StateApproved {
		t.Fatalf("after the race: %d decisions (want 1), %d records (want %d), %s", decisionsIn(h), len(release.Evidences(h)), n, got.State)
	}
}

func testRefusalLockdown(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := approved(t, e, "payments", "prod")
	l, err := e.Lockdown(ctx, bob, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	key := release.IdempotencyKey("start-payments")
	if _, err := e.Fire(ctx, r.ID, release.EventStart, ci, key); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start during the lockdown = %v, want ErrGuardRefused", err)
	}
	_, h := readVerified(t, e, r.ID)
	_, refusals, ok := h[len(h)-1].Refused()
	if !ok || len(refusals) != 1 || refusals[0].Guard != "lockdown" || refusals[0].Cause != "lockdown "+l.ID.String() {
		t.Fatalf("the lockdown's refusal came back as %+v", refusals)
	}
	if _, err := s.(release.KeyStore).LookupKey(ctx, "start-payments"); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("a refused start kept its key: %v", err)
	}
	if _, err := e.Lift(ctx, l.ID, bob, "resolved"); err != nil {
		t.Fatal(err)
	}
	first, err := e.Fire(ctx, r.ID, release.EventStart, ci, key)
	if err != nil || first.State != release.StateDeploying {
		t.Fatalf("start after the lift = %s, %v", first.State, err)
	}
	k, err := s.(release.KeyStore).LookupKey(ctx, "start-payments")
	if err != nil || k.Result.ID != r.ID || k.Result.Revision != first.Revision || k.Result.Head != first.Head {
		t.Fatalf("the key holds %+v, %v; want the release the start returned", k.Result, err)
	}
	again, err := e.Fire(ctx, r.ID, release.EventStart, ci, key)
	if err != nil || again.Revision != first.Revision || again.Head != first.Head || again.State != release.StateDeploying {
		t.Fatalf("retried start = %+v, %v; want the first result", again, err)
	}
	if _, h = readVerified(t, e, r.ID); len(h) != int(first.Revision) {
		t.Fatalf("the retry wrote: %d entries, revision %d", len(h), first.Revision)
	}
}
