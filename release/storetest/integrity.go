package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// The cases that edit a store's data behind its back, as someone with write access to
// the database would, and check that the edit is detected and never built upon. They
// run with WithTamper.
var tamperCases = []tamperCase{
	// A release row edited field by field (state, author, environment, class,
	// version, components, revision, head, and every other field): Engine.VerifyAudit names
	// the edited field; the row put back verifies again.
	{"Integrity/RowEditsDetected", testRowEdits},
	// Fire on an edited row, on a history with an entry missing, or on a history whose
	// last entry was rewritten is refused with ErrTampered in the store's Update, and
	// nothing is written.
	{"Integrity/AppendRefused", testAppendRefused},
	// Every kind of rewrite of an anchored release (edits of each field, deletions,
	// insertions, swaps, truncation, the whole history replaced), with the chain, the
	// head and the row recomputed, is named by release.VerifyCheckpoints holding only
	// the public key and the published checkpoints: the release and the first entry
	// that is not as anchored.
	{"Integrity/AnchoredRewritesDetected", testAnchoredRewrites},
}

// rowEdits are edits of a stored release, each with the field Verify must name.
func rowEdits() []struct {
	field string
	edit  func(r *release.Release)
} {
	return []struct {
		field string
		edit  func(r *release.Release)
	}{
		{"state", func(r *release.Release) { r.State = release.StateApproved }},
		{"author", func(r *release.Release) { r.Author = "mallory" }},
		{"environment", func(r *release.Release) { r.Environment = "dev" }},
		{"class", func(r *release.Release) { r.Class = release.ClassEmergency }},
		{"version", func(r *release.Release) { r.Version = "9.9.9" }},
		{"name", func(r *release.Release) { r.Name = "impostor" }},
		{"components", func(r *release.Release) { r.Components[0].Version = "9.9.9" }},
		{"revision", func(r *release.Release) { r.Revision++ }},
		{"team", func(r *release.Release) { r.Team = "other" }},
		{"labels", func(r *release.Release) { r.Labels["team"] = "other" }},
		{"duration", func(r *release.Release) { r.Duration = time.Minute }},
		{"needs", func(r *release.Release) { r.Needs = nil }},
		{"slot", func(r *release.Release) {
			r.Slot = &release.Slot{Booking: "forged", Start: t0, End: t0.Add(time.Hour)}
		}},
		{"risk", func(r *release.Release) { r.Risk = &release.RiskSummary{Level: "low"} }},
		{"review", func(r *release.Release) { r.Review = &release.Review{Outcome: "forged"} }},
		{"reached", func(r *release.Release) { r.Reached[release.StateVerified] = t0 }},
		{"created_at", func(r *release.Release) { r.CreatedAt = r.CreatedAt.Add(-time.Hour) }},
		{"updated_at", func(r *release.Release) { r.UpdatedAt = r.UpdatedAt.Add(time.Hour) }},
	}
}

func testRowEdits(t *testing.T, s release.Store, tp *Tamper) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	mustFire(t, e, r.ID, release.EventPlan)
	r = mustFire(t, e, r.ID, release.EventSchedule)
	if err := e.VerifyAudit(ctx, r.ID); err != nil {
		t.Fatalf("an untouched release does not verify: %v", err)
	}
	for _, tc := range rowEdits() {
		edited := r.Clone()
		tc.edit(&edited)
		if reflect.DeepEqual(normalize(edited), normalize(r)) {
			t.Fatalf("edit of %s changes nothing", tc.field)
		}
		if err := tp.SetRelease(ctx, s, edited); err != nil {
			t.Fatalf("tamper: set the release with its %s edited: %v", tc.field, err)
		}
		err := e.VerifyAudit(ctx, r.ID)
		var me *release.MismatchError
		if !errors.As(err, &me) || !errors.Is(err, release.ErrTampered) || me.Field != tc.field {
			t.Errorf("Verify after the %s of the stored release was edited = %v, want a *MismatchError naming %s", tc.field, err, tc.field)
		}
		if err := tp.SetRelease(ctx, s, r); err != nil {
			t.Fatalf("tamper: put the release back: %v", err)
		}
	}
	// The head is the chain's: an edited head is a history that does not end there.
	edited := r.Clone()
	edited.Head = "0000000000000000000000000000000000000000000000000000000000000000"
	if err := tp.SetRelease(ctx, s, edited); err != nil {
		t.Fatal(err)
	}
	var he *release.HistoryError
	if err := e.VerifyAudit(ctx, r.ID); !errors.As(err, &he) {
		t.Errorf("Verify after the head was edited = %v, want a *HistoryError", err)
	}
	if err := tp.SetRelease(ctx, s, r); err != nil {
		t.Fatal(err)
	}
	if err := e.VerifyAudit(ctx, r.ID); err != nil {
		t.Fatalf("the release put back does not verify: %v", err)
	}
}

func testAppendRefused(t *testing.T, s release.Store, tp *Tamper) {
	ctx := context.Background()
	e := newEngine(t, s)
	for _, tc := range []struct {
		why    string
		event  release.Event
		tamper func(r release.Release, h []release.AuditEntry) error
	}{
		{"the author of the stored release was edited", release.EventApprove, func(r release.Release, _ []release.AuditEntry) error {
			r.Author = "carol"
			return tp.SetRelease(ctx, s, r)
		}},
		{"the state of the stored release was edited", release.EventStart, func(r release.Release, _ []release.AuditEntry) error {
			r.State = release.StateApproved
			return tp.SetRelease(ctx, s, r)
		}},
		{"the environment of the stored release was edited", release.EventApprove, func(r release.Release, _ []release.AuditEntry) error {
			r.Environment = "dev"
			return tp.SetRelease(ctx, s, r)
		}},
		{"an earlier entry was deleted", release.EventApprove, func(r release.Release, h []release.AuditEntry) error {
			return tp.DeleteEntry(ctx, s, r.ID, 2)
		}},
		{"the last entry was rewritten with a recomputed hash", release.EventApprove, func(r release.Release, h []release.AuditEntry) error {
			last := h[len(h)-1]
			last.Reason = "rewritten"
			var err error
			if last.Hash, err = last.ComputeHash(); err != nil {
				return err
			}
			return tp.SetEntry(ctx, s, last)
		}},
	} {
		t.Run(tc.why, func(t *testing.T) {
			r := mustCreate(t, e, spec("checkout", "prod"))
			mustFire(t, e, r.ID, release.EventPlan)
			r = mustFire(t, e, r.ID, release.EventSchedule)
			h, err := s.History(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.tamper(r, h); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			before, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Fire(ctx, r.ID, tc.event, bob, release.Reason("built upon a tampered history"))
			if !errors.Is(err, release.ErrTampered) {
				t.Fatalf("Fire on a tampered release = %v, want ErrTampered (refused by the store's Update)", err)
			}
			after, err := s.Get(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			requireEqual(t, "after a refused append", before, after)
		})
	}
}
