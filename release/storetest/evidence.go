package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// Evidence recorded through the engine (approvals, checks, metrics, waivers,
		// from 8 writers at once) comes back in the history in commit order, each
		// record one entry, and the history verifies against the release.
		testCase{"Evidence/Order", testEvidenceOrder},
		// A keyed Create, Fire and Record retried returns the first result and
		// writes nothing; another request under a used key is ErrKeyReused.
		testCase{"Keys/Retry", keyCase(testKeysRetry)},
		// 16 goroutines retrying one keyed Create, Fire and Record: exactly one
		// effect each, and every goroutine gets the same result.
		testCase{"Keys/Concurrent", keyCase(testKeysConcurrent)},
	)
	tamperCases = append(tamperCases,
		// Evidence edited in the stored history (who approved, their kind, the
		// scope, the kind of evidence) is detected by Engine.VerifyAudit, and the store
		// appends nothing after it.
		tamperCase{"Integrity/EvidenceEdited", testEvidenceEdited},
	)
}

func keyCase(f func(*testing.T, release.Store)) func(*testing.T, release.Store) {
	return func(t *testing.T, s release.Store) {
		if _, ok := s.(release.KeyStore); !ok {
			t.Skip("the store does not implement release.KeyStore")
		}
		f(t, s)
	}
}

var (
	carol = release.Person("carol", release.RoleReleaseManager)
	ci    = release.Automation("ci", release.RoleDeployer)
)

func scheduled(t *testing.T, e *release.Engine, name string) release.Release {
	t.Helper()
	r := mustCreate(t, e, spec(name, "prod"))
	mustFire(t, e, r.ID, release.EventPlan)
	return mustFire(t, e, r.ID, release.EventSchedule)
}

func testEvidenceOrder(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := scheduled(t, e, "checkout")
	base := 0.2
	evs := []release.Evidence{
		{Kind: release.EvidenceApproval, By: carol, Role: release.RoleReleaseManager, Reason: "reviewed"},
		{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess, URL: "https://ci.example/1", ExternalID: "41", Source: "github", Commit: "9fceb02"},
		{Kind: release.EvidenceMetric, By: ci, Name: "error_rate", Value: 0.1, Baseline: &base, Window: 5 * time.Minute, Source: "prometheus"},
		{Kind: release.EvidenceWaiver, By: bob, Gate: "objectives", Reason: "known spike", Expires: far},
	}
	for _, ev := range evs {
		if _, err := e.Record(ctx, r.ID, ev); err != nil {
			t.Fatalf("Record(%s): %v", ev.Kind, err)
		}
	}
	// 8 concurrent writers of checks: the engine retries its lost races, the store
	// keeps every record once.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			_, err := e.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: fmt.Sprintf("suite-%d", i), Status: gate.CheckSuccess})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Record: %v", err)
		}
	}
	h, err := s.History(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := release.Evidences(h)
	if len(got) != len(evs)+8 {
		t.Fatalf("%d pieces of evidence in the history, want %d", len(got), len(evs)+8)
	}
	for i, ev := range evs {
		if got[i].Kind != ev.Kind || got[i].By.ID != ev.By.ID || got[i].Name != ev.Name || got[i].Reason != ev.Reason {
			t.Errorf("evidence %d is %+v, want %+v (commit order)", i, got[i], ev)
		}
	}
	if got[2].Baseline == nil || *got[2].Baseline != base || got[2].Window != 5*time.Minute || !got[3].Expires.Equal(far) {
		t.Errorf("a field of the evidence was not stored exactly: %+v %+v", got[2], got[3])
	}
	if err := e.VerifyAudit(ctx, r.ID); err != nil {
		t.Fatalf("the history with evidence does not verify: %v", err)
	}
	cur, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.State != release.StateScheduled || cur.Revision != r.Revision+int64(len(evs))+8 || cur.Scope != r.Scope {
		t.Errorf("after %d records: state %s, revision %d, scope %d; want scheduled, %d, %d", len(evs)+8, cur.State, cur.Revision, cur.Scope, r.Revision+int64(len(evs))+8, r.Scope)
	}
}

func testKeysRetry(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	sp := spec("search", "prod")
	a, err := e.Create(ctx, sp, release.IdempotencyKey("create-search"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Create(ctx, sp, release.IdempotencyKey("create-search"))
	if err != nil || b.ID != a.ID {
		t.Fatalf("retried Create = %v, %v; want release %s again", b.ID, err, a.ID)
	}
	requireEqual(t, "the retried Create's result", a, b)
	if l, err := s.List(ctx, release.Filter{Name: "search"}); err != nil || len(l) != 1 {
		t.Fatalf("List after a retried Create: %d releases, %v; want 1", len(l), err)
	}
	sp.Version = "2.0.0"
	if _, err := e.Create(ctx, sp, release.IdempotencyKey("create-search")); !errors.Is(err, release.ErrKeyReused) {
		t.Fatalf("Create of another spec with a used key = %v, want ErrKeyReused", err)
	}

	p1, err := e.Fire(ctx, a.ID, release.EventPlan, bob, release.IdempotencyKey("plan-search"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.Fire(ctx, a.ID, release.EventPlan, bob, release.IdempotencyKey("plan-search"))
	if err != nil {
		t.Fatalf("retried Fire: %v (want the first result, not an invalid transition)", err)
	}
	requireEqual(t, "the retried Fire's result", p1, p2)

	ev := release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess}
	r1, err := e.Record(ctx, a.ID, ev, release.IdempotencyKey("gh-delivery-1"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.Record(ctx, a.ID, ev, release.IdempotencyKey("gh-delivery-1"))
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "the retried Record's result", r1, r2)
	ev.Status = gate.CheckFailure
	if _, err := e.Record(ctx, a.ID, ev, release.IdempotencyKey("gh-delivery-1")); !errors.Is(err, release.ErrKeyReused) {
		t.Fatalf("Record of another body with a used key = %v, want ErrKeyReused", err)
	}
	h, err := s.History(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("history holds %d entries after create, plan and one record (each retried), want 3", len(h))
	}
	if _, err := s.(release.KeyStore).LookupKey(ctx, "never-used"); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("LookupKey of an unknown key = %v, want ErrNotFound", err)
	}
}

func testKeysConcurrent(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	const n = 16
	run := func(what string, call func() (release.Release, error)) []release.Release {
		t.Helper()
		out := make([]release.Release, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				out[i], errs[i] = call()
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("%s, goroutine %d: %v", what, i, errs[i])
			}
			if out[i].ID != out[0].ID || out[i].Revision != out[0].Revision || out[i].Head != out[0].Head {
				t.Fatalf("%s: goroutine %d got release %s at %d, goroutine 0 %s at %d: not one result", what, i, out[i].ID, out[i].Revision, out[0].ID, out[0].Revision)
			}
		}
		return out
	}
	created := run("keyed Create", func() (release.Release, error) {
		return e.Create(ctx, spec("payments", "prod"), release.IdempotencyKey("create-payments"))
	})
	if l, err := s.List(ctx, release.Filter{Name: "payments"}); err != nil || len(l) != 1 {
		t.Fatalf("%d releases after 16 keyed Creates (%v), want 1", len(l), err)
	}
	id := created[0].ID
	run("keyed Fire", func() (release.Release, error) {
		return e.Fire(ctx, id, release.EventPlan, bob, release.IdempotencyKey("plan-payments"))
	})
	run("keyed Record", func() (release.Release, error) {
		return e.Record(ctx, id, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess}, release.IdempotencyKey("check-payments"))
	})
	h, err := s.History(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("history holds %d entries after 16 keyed Creates, Fires and Records each, want 3 (one effect each)", len(h))
	}
}

func testEvidenceEdited(t *testing.T, s release.Store, tp *Tamper) {
	ctx := context.Background()
	e := newEngine(t, s)
	for _, tc := range []struct {
		what string
		edit func(ev *release.Evidence)
	}{
		{"the approver", func(ev *release.Evidence) { ev.By.ID = "mallory" }},
		{"the approver's kind", func(ev *release.Evidence) { ev.By.Kind = release.ActorAutomation }},
		{"the scope approved", func(ev *release.Evidence) { ev.Scope++ }},
		{"the kind", func(ev *release.Evidence) { ev.Kind = release.EvidenceRejection; ev.Reason = "no" }},
	} {
		t.Run(tc.what, func(t *testing.T) {
			r := scheduled(t, e, "checkout")
			if _, err := e.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess}); err != nil {
				t.Fatal(err)
			}
			r, err := e.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: carol})
			if err != nil {
				t.Fatal(err)
			}
			h, err := s.History(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The attacker edits the entry and recomputes its hash (an entry whose
			// hash does not match fails DecodeEntry at once).
			edited := h[r.Revision-1].Clone()
			tc.edit(edited.Evidence)
			edited.Actor = edited.Evidence.By
			if edited.Hash, err = edited.ComputeHash(); err != nil {
				t.Fatal(err)
			}
			if err := tp.SetEntry(ctx, s, edited); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			// The chain no longer ends at the release's head (a *HistoryError);
			// a store that checks entries as it reads them may say ErrCorrupt.
			err = e.VerifyAudit(ctx, r.ID)
			if !errors.Is(err, release.ErrTampered) && !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("Verify after %s of recorded evidence was edited = %v, want ErrTampered", tc.what, err)
			}
			if _, err := e.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "e2e", Status: gate.CheckSuccess}); err == nil {
				t.Fatalf("Record after %s of recorded evidence was edited: appended to a history that does not verify", tc.what)
			}
		})
	}
}
