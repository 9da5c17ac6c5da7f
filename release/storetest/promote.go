package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// A release promoted through the engine (dev -> staging) is stored with its
		// Predecessor, which Get and List return; its first history entry names the
		// predecessor, and the history verifies against the stored release. Promoting
		// an unverified release, to an environment off the pipeline, skipping one, or
		// twice is a *PromotionError and stores nothing.
		testCase{"Promote/Lineage", testPromoteLineage},
	)
}

func verified(t *testing.T, e *release.Engine, sp release.Spec) release.Release {
	t.Helper()
	r := mustCreate(t, e, sp)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify} {
		r = mustFire(t, e, r.ID, ev)
	}
	return r
}

func testPromoteLineage(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s, release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}))
	sp := spec("checkout", "dev")
	sp.Needs = nil
	dev := mustCreate(t, e, sp)

	// Not verified yet: refused, nothing stored.
	_, err := e.Promote(ctx, dev.ID, "staging", carol)
	var pe *release.PromotionError
	if !errors.As(err, &pe) || !errors.Is(err, release.ErrInvalidTransition) {
		t.Fatalf("Promote of a draft: %v, want a *PromotionError matching ErrInvalidTransition", err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify} {
		dev = mustFire(t, e, dev.ID, ev)
	}
	for _, env := range []string{"prod", "qa", "dev"} {
		_, err := e.Promote(ctx, dev.ID, env, carol)
		if !errors.As(err, &pe) || !errors.Is(err, release.ErrInvalid) || len(pe.Pipeline) != 3 {
			t.Fatalf("Promote to %s: %v, want a *PromotionError naming the pipeline, matching ErrInvalid", env, err)
		}
	}
	if got, err := s.List(ctx, release.Filter{Environment: "staging"}); err != nil || len(got) != 0 {
		t.Fatalf("refused promotions stored %d releases (%v)", len(got), err)
	}

	st, err := e.Promote(ctx, dev.ID, "staging", carol)
	if err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if st.Predecessor != dev.ID || st.Environment != "staging" || st.Version != dev.Version || st.State != release.StateDraft ||
		st.Author != carol.ID || st.Duration != dev.Duration || st.Labels["team"] != "payments" || len(st.Components) != 1 {
		t.Fatalf("promoted release %+v does not carry the predecessor's version, components, labels and duration", st)
	}
	got, err := s.Get(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, "the promoted release read back", st, got)
	listed, err := s.List(ctx, release.Filter{Environment: "staging", Name: "checkout"})
	if err != nil || len(listed) != 1 || listed[0].Predecessor != dev.ID {
		t.Fatalf("List shows %+v (%v), want the promoted release with its predecessor", listed, err)
	}
	h, err := s.History(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	var link struct {
		PromotedFrom release.ID `json:"promoted_from"`
		Head         string     `json:"head"`
	}
	if len(h) != 1 || h[0].Actor.ID != carol.ID || json.Unmarshal(h[0].Data, &link) != nil || link.PromotedFrom != dev.ID || link.Head != dev.Head ||
		h[0].Snapshot == nil || h[0].Snapshot.Predecessor != dev.ID {
		t.Fatalf("first history entry %+v does not record the promotion from %s", h, dev.ID)
	}
	if err := e.VerifyAudit(ctx, st.ID); err != nil {
		t.Fatalf("Verify of the promoted release: %v", err)
	}

	// Twice: refused, naming the release promoted first.
	_, err = e.Promote(ctx, dev.ID, "staging", carol)
	if !errors.As(err, &pe) || !errors.Is(err, release.ErrAlreadyExists) || pe.Existing != st.ID {
		t.Fatalf("second Promote: %v, want a *PromotionError matching ErrAlreadyExists naming %s", err, st.ID)
	}
}
