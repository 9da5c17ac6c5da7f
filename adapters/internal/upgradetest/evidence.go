package upgradetest

import (
	"context"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// CheckEvidence checks that a store written before evidence, scope versions and
// idempotency keys records them once upgraded: the fixture's planned release (scope
// version 0, as it was stored) is scheduled, an approval and a keyed check result are
// recorded (a retry of the check returns the first result and records nothing), the
// approved release (whose history ends in a version-2 entry) records a check too,
// and every history verifies. s must be the upgraded fixture of m and implement
// release.KeyStore.
func CheckEvidence(t testing.TB, s release.Store, m Manifest) {
	t.Helper()
	ctx := context.Background()
	clock := &Clock{now: Start}
	eng, err := Engine(s, clock)
	if err != nil {
		t.Fatalf("engine over the upgraded store: %v", err)
	}
	var latest time.Time
	for _, st := range m.Releases {
		r, err := eng.Get(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.UpdatedAt.After(latest) {
			latest = r.UpdatedAt
		}
	}
	clock.Set(latest.Add(time.Minute))

	planned := m.Releases["planned"]
	r, err := eng.Fire(ctx, planned.ID, release.EventSchedule, Manager)
	if err != nil {
		t.Fatalf("schedule the planned release after the upgrade: %v", err)
	}
	kim := release.Person("kim", release.RoleReleaseManager)
	ci := release.Automation("ci")
	check := release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess, Source: "github"}
	if _, err := eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: kim}); err != nil {
		t.Fatalf("record an approval on an upgraded release: %v", err)
	}
	first, err := eng.Record(ctx, r.ID, check, release.IdempotencyKey("upgrade-check"))
	if err != nil {
		t.Fatalf("record a keyed check on an upgraded release: %v", err)
	}
	again, err := eng.Record(ctx, r.ID, check, release.IdempotencyKey("upgrade-check"))
	if err != nil || again.Revision != first.Revision || again.Head != first.Head {
		t.Fatalf("a retried keyed record after the upgrade = revision %d, %v; want the first result (revision %d)", again.Revision, err, first.Revision)
	}
	h, err := eng.History(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs := release.Evidences(h)
	if len(evs) != 2 || evs[0].Scope != r.Scope || r.Scope != 1 {
		t.Errorf("after the upgrade: %d pieces of evidence (want 2), the approval pinned to scope %d, the release at scope %d (want 1: scheduled once since the upgrade)", len(evs), evs[0].Scope, r.Scope)
	}
	if last := h[len(h)-1]; last.HashVersion != release.CurrentHashVersion || last.Event != release.EventRecord {
		t.Errorf("the last entry after the upgrade is %s of hash version %d, want a record of version %d", last.Event, last.HashVersion, release.CurrentHashVersion)
	}
	if _, err := eng.Record(ctx, m.Releases["approved"].ID, check); err != nil {
		t.Errorf("record a check on the approved release after the upgrade: %v", err)
	}
	if _, err := s.(release.KeyStore).LookupKey(ctx, "upgrade-check"); err != nil {
		t.Errorf("LookupKey after the upgrade: %v", err)
	}
	for name, st := range m.Releases {
		if err := eng.Verify(ctx, st.ID); err != nil {
			t.Errorf("Verify(%s) after recording evidence: %v", name, err)
		}
	}
}
