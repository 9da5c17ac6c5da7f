package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

var (
	lee = release.Person("lee", release.RoleReleaseManager)
	ci  = release.Automation("ci", release.RoleDeployer)
)

func approval(by release.Actor) release.Evidence {
	return release.Evidence{Kind: release.EvidenceApproval, By: by, Reason: "looks good"}
}

func check(name string, st gate.CheckStatus) release.Evidence {
	return release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: name, Status: st, Source: "github", Commit: "9fceb02"}
}

// twoManagers is an engine whose prod approvals need two release managers and a green
// build, with the release at scheduled.
func twoManagers(t *testing.T) (wired, release.Release) {
	t.Helper()
	w := newWired(t, nil, release.WithGates(release.GateConfig{
		ByEnvironment: map[string][]gate.Gate{"prod": {
			gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2}), gate.Checks("build"),
		}},
		Options: gate.Options{AllowedWaiverRoles: []string{release.RoleReleaseManager}},
	}))
	r := w.create(t, "checkout", "2.0.0")
	w.fire(t, r.ID, release.EventPlan)
	return w, w.fire(t, r.ID, release.EventSchedule)
}

func mustRecord(t *testing.T, w wired, id release.ID, ev release.Evidence, opts ...release.FireOption) release.Release {
	t.Helper()
	r, err := w.eng.Record(context.Background(), id, ev, opts...)
	require.NoError(t, err, "record %s by %s", ev.Kind, ev.By.ID)
	return r
}

// The gates decide from what was recorded: two approvals and a green build let an
// automation approve; each record is a hash-chained entry that leaves the state.
func TestGatesReadRecordedEvidence(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	refusedBy(t, err, "gates", "needs 2 of release-manager (have 0)")

	before := mustRecord(t, w, r.ID, approval(kim))
	require.Equal(t, release.StateScheduled, before.State)
	mustRecord(t, w, r.ID, check("build", gate.CheckSuccess))
	mustRecord(t, w, r.ID, approval(lee)) // a later record does not invalidate kim's
	got, err := w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	require.NoError(t, err)
	require.Equal(t, release.StateApproved, got.State)

	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.NoError(t, release.VerifyRelease(got, h))
	evs := release.Evidences(h)
	require.Len(t, evs, 3)
	require.Equal(t, []release.EvidenceKind{release.EvidenceApproval, release.EvidenceCheck, release.EvidenceApproval},
		[]release.EvidenceKind{evs[0].Kind, evs[1].Kind, evs[2].Kind}, "in record order")
	require.Equal(t, got.Scope, evs[0].Scope, "approvals are pinned to the scope they approve")
	last := h[len(h)-1]
	var d gate.Decision
	require.NoError(t, json.Unmarshal(last.Annotations["gates"], &d))
	require.True(t, d.Go)
	require.Len(t, d.Input.Approvals, 2, "the decision records the approvals it counted")
	require.NoError(t, d.Verify(), "the decision replays")
}

// Changing the scope (a new slot) makes the approvals given for the old one stale;
// recording evidence does not.
func TestScopeChangeInvalidatesApprovals(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	mustRecord(t, w, r.ID, approval(kim))
	mustRecord(t, w, r.ID, approval(lee))
	mustRecord(t, w, r.ID, check("build", gate.CheckSuccess))
	w.fire(t, r.ID, release.EventUnschedule)
	r = w.fire(t, r.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	refusedBy(t, err, "gates", "needs 2 of release-manager (have 0)")
	mustRecord(t, w, r.ID, approval(kim))
	mustRecord(t, w, r.ID, approval(lee))
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	require.NoError(t, err, "the check stands across the new slot; new approvals count")
}

// A rejection blocks until withdrawn; a withdrawal takes back a person's approval.
func TestRejectionAndWithdrawal(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	mustRecord(t, w, r.ID, check("build", gate.CheckSuccess))
	mustRecord(t, w, r.ID, approval(kim))
	mustRecord(t, w, r.ID, approval(lee))
	mustRecord(t, w, r.ID, release.Evidence{Kind: release.EvidenceRejection, By: sam, Reason: "the migration is not reversible"})
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	refusedBy(t, err, "gates", "rejected by sam")
	var ge *release.GuardError
	require.ErrorAs(t, err, &ge)

	mustRecord(t, w, r.ID, release.Evidence{Kind: release.EvidenceWithdrawal, By: sam})
	mustRecord(t, w, r.ID, release.Evidence{Kind: release.EvidenceWithdrawal, By: lee})
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	refusedBy(t, err, "gates", "needs 2 of release-manager (have 1)")

	_, err = w.eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceWithdrawal, By: lee})
	require.ErrorIs(t, err, release.ErrInvalid, "lee has nothing left to withdraw")
}

// Separation of duties at record time: the author (in any spelling) and automations
// neither approve, reject nor waive. Nothing is written.
func TestRecordSeparationOfDuties(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	waiver := func(by release.Actor) release.Evidence {
		return release.Evidence{Kind: release.EvidenceWaiver, By: by, Gate: "checks", Reason: "flaky", Expires: monday.Add(time.Hour)}
	}
	for _, tc := range []struct {
		why string
		ev  release.Evidence
	}{
		{"the author approves", approval(release.Person("ana", release.RoleReleaseManager))},
		{"the author approves in capitals", approval(release.Person("ANA", release.RoleReleaseManager))},
		{"the author in full-width letters", approval(release.Person("ａｎａ", release.RoleReleaseManager))},
		{"the author rejects", release.Evidence{Kind: release.EvidenceRejection, By: release.Person("ana"), Reason: "x"}},
		{"an automation approves", approval(release.Automation("merge-bot", release.RoleReleaseManager))},
		{"the author waives", waiver(release.Person("Ana", release.RoleReleaseManager))},
		{"an automation waives", waiver(release.Automation("bot", release.RoleReleaseManager))},
	} {
		t.Run(tc.why, func(t *testing.T) {
			_, err := w.eng.Record(ctx, r.ID, tc.ev)
			var fe *release.ForbiddenError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "separation-of-duties", fe.Rule)
			got, err := w.eng.Get(ctx, r.ID)
			require.NoError(t, err)
			require.Equal(t, r.Revision, got.Revision, "nothing written")
		})
	}
}

// Bad input: typed errors naming the field; an unknown release is a *NotFoundError;
// nothing is written.
func TestRecordBadInput(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	for _, tc := range []struct {
		ev    release.Evidence
		field string
	}{
		{release.Evidence{Kind: "vote", By: kim}, "kind"},
		{release.Evidence{Kind: release.EvidenceApproval, By: release.Actor{Kind: release.ActorPerson}}, "by"},
		{release.Evidence{Kind: release.EvidenceApproval, By: kim, Role: "cab"}, "role"},
		{release.Evidence{Kind: release.EvidenceWaiver, By: kim, Gate: "checks", Expires: monday}, "reason"},
		{release.Evidence{Kind: release.EvidenceWaiver, By: kim, Gate: "checks", Reason: "flaky"}, "expires"},
		{release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: "green"}, "status"},
		{release.Evidence{Kind: release.EvidenceCheck, By: ci, Status: gate.CheckSuccess}, "name"},
		{release.Evidence{Kind: release.EvidenceRejection, By: kim}, "reason"},
		{release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess, Gate: "x"}, "gate"},
	} {
		t.Run(tc.field, func(t *testing.T) {
			_, err := w.eng.Record(ctx, r.ID, tc.ev)
			var ve *release.ValidationError
			require.ErrorAs(t, err, &ve)
			require.True(t, strings.Contains(err.Error(), tc.field+":"), "%v does not name %s", err, tc.field)
		})
	}
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, h, 3, "nothing written")

	var nf *release.NotFoundError
	_, err = w.eng.Record(ctx, release.ID{1}, approval(kim))
	require.ErrorAs(t, err, &nf)
}

// A refused approve is history: the No-Go decision, with every reason, in an entry
// that leaves the state; it verifies and replays like a Go.
func TestNoGoIsRecorded(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim, release.Reason("ship it"))
	refusedBy(t, err, "gates", "No-Go")
	got, err := w.eng.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, release.StateScheduled, got.State)
	require.Equal(t, r.Revision+1, got.Revision)
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.NoError(t, release.VerifyRelease(got, h))
	last := h[len(h)-1]
	require.Equal(t, release.EventDecision, last.Event)
	require.Equal(t, "ship it", last.Reason)
	var d gate.Decision
	require.NoError(t, json.Unmarshal(last.Annotations["gates"], &d))
	require.False(t, d.Go)
	require.NoError(t, d.Verify(), "a No-Go replays to the same verdict")
	require.Contains(t, d.Err.Error(), "needs 2 of release-manager")
}

// Approvals a host gives through GateConfig.Evidence for the release as it reads it
// still count after recorded evidence and No-Go decisions moved the revision.
func TestHostEvidenceStillCounts(t *testing.T) {
	ctx := context.Background()
	var approvals []gate.Approval
	w := newWired(t, nil, release.WithGates(release.GateConfig{
		ByEnvironment: map[string][]gate.Gate{"prod": {gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: 2})}},
		Evidence: func(context.Context, release.Release) (gate.Input, error) {
			return gate.Input{Approvals: approvals}, nil
		},
	}))
	r := w.create(t, "checkout", "2.0.0")
	w.fire(t, r.ID, release.EventPlan)
	r = w.fire(t, r.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	refusedBy(t, err, "gates", "have 1")
	approvals = []gate.Approval{{Actor: "lee", Roles: []string{release.RoleReleaseManager}, At: monday, Revision: r.Revision}}
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	require.NoError(t, err)
}

// Idempotency keys: a retried Create, Fire or Record returns the first result and
// writes nothing; a different request under the same key is a *KeyReusedError.
func TestIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	spec := release.Spec{Name: "search", Version: "1.0.0", Environment: "prod", Author: "ana"}
	a, err := w.eng.Create(ctx, spec, release.IdempotencyKey("create-1"))
	require.NoError(t, err)
	b, err := w.eng.Create(ctx, spec, release.IdempotencyKey("create-1"))
	require.NoError(t, err)
	require.Equal(t, a.ID, b.ID)
	list, err := w.eng.List(ctx, release.Filter{Name: "search"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	spec.Version = "1.0.1"
	_, err = w.eng.Create(ctx, spec, release.IdempotencyKey("create-1"))
	var kr *release.KeyReusedError
	require.ErrorAs(t, err, &kr)
	require.ErrorIs(t, err, release.ErrKeyReused)

	first := mustRecord(t, w, r.ID, approval(kim), release.IdempotencyKey("appr-kim"))
	again := mustRecord(t, w, r.ID, approval(kim), release.IdempotencyKey("appr-kim"))
	require.Equal(t, first.Revision, again.Revision)
	_, err = w.eng.Record(ctx, r.ID, approval(lee), release.IdempotencyKey("appr-kim"))
	require.ErrorIs(t, err, release.ErrKeyReused)

	p1, err := w.eng.Fire(ctx, a.ID, release.EventPlan, rui, release.IdempotencyKey("plan"))
	require.NoError(t, err)
	p2, err := w.eng.Fire(ctx, a.ID, release.EventPlan, rui, release.IdempotencyKey("plan"))
	require.NoError(t, err, "the retry returns the first result, not an invalid transition")
	require.Equal(t, p1, p2)
	_, err = w.eng.Fire(ctx, a.ID, release.EventCancel, rui, release.IdempotencyKey("plan"))
	require.ErrorIs(t, err, release.ErrKeyReused)

	_, err = w.eng.Fire(ctx, a.ID, release.EventSchedule, rui, release.IdempotencyKey(""))
	require.ErrorIs(t, err, release.ErrInvalid)
}

// 16 goroutines retrying one keyed request have exactly one effect.
func TestIdempotencyUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	var wg sync.WaitGroup
	results := make([]release.Release, 16)
	errs := make([]error, 16)
	for i := range 16 {
		wg.Go(func() {
			results[i], errs[i] = w.eng.Record(ctx, r.ID, check("build", gate.CheckSuccess), release.IdempotencyKey("ci-run-7"))
		})
	}
	wg.Wait()
	for i := range 16 {
		require.NoError(t, errs[i])
		require.Equal(t, results[0].Revision, results[i].Revision)
	}
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, release.Evidences(h), 1)
}

// Record and keyed calls on a store that keeps no keys.
func TestKeyNeedsAKeyStore(t *testing.T) {
	type plain struct{ release.Store }
	eng, err := release.New(plain{memory.New()})
	require.NoError(t, err)
	_, err = eng.Create(context.Background(), release.Spec{Name: "a", Version: "1", Environment: "dev", Author: "ana"}, release.IdempotencyKey("k"))
	require.ErrorIs(t, err, release.ErrInvalid)
	require.Contains(t, err.Error(), "KeyStore")
}

// The waiver recorded lifts the failed checks gate as a Waive option would; it is
// kept in the decision.
func TestRecordedWaiver(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	mustRecord(t, w, r.ID, check("build", gate.CheckFailure))
	mustRecord(t, w, r.ID, approval(kim))
	mustRecord(t, w, r.ID, approval(lee))
	mustRecord(t, w, r.ID, release.Evidence{Kind: release.EvidenceWaiver, By: kim, Gate: "checks", Reason: "flaky", Expires: monday.Add(time.Hour)})
	got, err := w.eng.Fire(ctx, r.ID, release.EventApprove, ci)
	require.NoError(t, err)
	require.Equal(t, release.StateApproved, got.State)
}

// Recording evidence is refused on a finished release.
func TestRecordOnFinishedRelease(t *testing.T) {
	w, r := twoManagers(t)
	w.fire(t, r.ID, release.EventCancel)
	_, err := w.eng.Record(context.Background(), r.ID, check("build", gate.CheckSuccess))
	require.ErrorIs(t, err, release.ErrInvalidTransition)
}

// The history's record entries are checked like every other: evidence edited in the
// store is detected.
func TestEvidenceTamperingDetected(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	got := mustRecord(t, w, r.ID, approval(kim))
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	for _, edit := range []func(e *release.AuditEntry){
		func(e *release.AuditEntry) { e.Evidence.By.ID = "mallory" },
		func(e *release.AuditEntry) { e.Evidence.Kind = release.EvidenceRejection },
		func(e *release.AuditEntry) { e.Evidence.Scope++ },
		func(e *release.AuditEntry) { e.Evidence = nil },
	} {
		c := make([]release.AuditEntry, len(h))
		for i := range h {
			c[i] = h[i].Clone()
		}
		edit(&c[len(c)-1])
		require.ErrorIs(t, release.VerifyHistory(c, got.Head), release.ErrTampered)
	}
}

// The report shows a refused approve's No-Go beside the Go that followed it.
func TestReportShowsNoGo(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	refusedBy(t, err, "gates", "No-Go")
	mustRecord(t, w, r.ID, check("build", gate.CheckSuccess))
	mustRecord(t, w, r.ID, approval(lee))
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, w.eng.Report(ctx, &b, release.ReportOptions{From: monday.Add(-time.Hour), To: monday.Add(24 * time.Hour)}))
	out := b.String()
	// In the decisions, with who and why; in the appendix, each table once.
	require.Regexp(t, `\| r1 \| checkout [^|]+ \| No-Go: approve refused \| kim \| [^|]+ \| gate approvals fail: needs 2 of release-manager \(have 1\)`, out)
	require.Contains(t, out, "- Go, every gate passed: r1 (1)\n- No-Go (see decisions and refusals): r1 (1)\n")
	require.Contains(t, out, "#### G1: No-Go for r1\n")
	require.Contains(t, out, "#### G2: Go for r1\n")
}

// FuzzDecodeKeyRecord: a stored idempotency key record that decodes re-encodes to the
// same record; anything else is ErrCorrupt, never a panic.
func FuzzDecodeKeyRecord(f *testing.F) {
	eng, _ := release.New(memory.New())
	r, _ := eng.Create(context.Background(), release.Spec{Name: "a", Version: "1", Environment: "dev", Author: "ana"})
	b, _ := release.EncodeKeyRecord(release.KeyRecord{Key: "k", Request: strings.Repeat("ab", 32), Result: r})
	f.Add(b)
	f.Add([]byte(`{"key":"k","request":"","result":{}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := release.DecodeKeyRecord(b)
		if err != nil {
			if !errors.Is(err, release.ErrCorrupt) {
				t.Fatalf("DecodeKeyRecord error %v does not match ErrCorrupt", err)
			}
			return
		}
		again, err := release.EncodeKeyRecord(k)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		k2, err := release.DecodeKeyRecord(again)
		if err != nil || k2.Key != k.Key || k2.Request != k.Request || k2.Result.ID != k.Result.ID {
			t.Fatalf("re-decoding a decoded record failed: %v", err)
		}
	})
}
