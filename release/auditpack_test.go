package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// packScenario is the report scenario with checkpoints every five entries, a final
// checkpoint, and one entry committed after it; it returns the pack of the week.
type packScenario struct {
	reportScenario
	key  note.Verifier
	sink *checkpointfile.Sink
	pack []byte
}

func newPackScenario(t *testing.T) packScenario {
	t.Helper()
	signer, key := testKeys(t)
	sink := checkpointfile.New(filepath.Join(t.TempDir(), "checkpoints.jsonl"))
	s := packScenario{reportScenario: newReportScenario(t, release.WithCheckpoints(signer, sink, release.CheckpointEvery(5), release.CheckpointInterval(0))), key: key, sink: sink}
	s.build(t)
	ctx := context.Background()
	_, err := s.eng.Checkpoint(ctx)
	require.NoError(t, err)
	rs, err := s.eng.List(ctx, release.Filter{Name: "checkout"})
	require.NoError(t, err)
	s.fire(t, rs[0].ID, release.EventRevoke, reportRM, release.Reason("after the checkpoint"))
	var b bytes.Buffer
	require.NoError(t, s.eng.AuditPack(ctx, &b, release.AuditFilter{From: reportFrom, To: reportTo}))
	s.pack = b.Bytes()
	return s
}

func (s packScenario) published(t *testing.T) []release.Checkpoint {
	cps, err := s.sink.Checkpoints(context.Background())
	require.NoError(t, err)
	return cps
}

// rec is one pack record with its fields kept as they were written.
type rec map[string]json.RawMessage

func (r rec) typ() string {
	var s string
	_ = json.Unmarshal(r["type"], &s)
	return s
}

// get decodes field k into v; set encodes v into field k.
func (r rec) get(t *testing.T, k string, v any) { require.NoError(t, json.Unmarshal(r[k], v)) }
func (r rec) set(t *testing.T, k string, v any) {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	r[k] = b
}

// packLines splits a pack into its records.
func packLines(t *testing.T, pack []byte) []rec {
	var out []rec
	for _, l := range bytes.Split(bytes.TrimSpace(pack), []byte("\n")) {
		var m rec
		require.NoError(t, json.Unmarshal(l, &m))
		out = append(out, m)
	}
	return out
}

func joinLines(t *testing.T, recs []rec) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		l, err := json.Marshal(r)
		require.NoError(t, err)
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestAuditPackVerifies(t *testing.T) {
	s := newPackScenario(t)
	info, err := release.VerifyAuditPack(bytes.NewReader(s.pack), s.key, nil)
	require.NoError(t, err)
	require.Equal(t, 4, info.Releases, "the four prod releases of the week")
	require.Greater(t, info.Anchored, 20)
	require.Equal(t, info.Entries-1, info.Anchored, "all but the entry committed after the checkpoint are anchored")
	info2, err := release.VerifyAuditPack(bytes.NewReader(s.pack), s.key, s.published(t))
	require.NoError(t, err)
	require.Equal(t, info, info2)

	types := map[string]int{}
	for _, r := range packLines(t, s.pack) {
		types[r.typ()]++
	}
	require.Equal(t, map[string]int{"header": 1, "checkpoint": 1, "release": 4, "entry": info.Entries, "decision": 3, "waiver": 1, "summary": 1}, types)

	sum := info.Summary
	for _, want := range []string{
		"# Change audit: prod, 2026-12-14 00:00 to 2026-12-21 00:00",
		"| r1 | payments 2.1.0 (prod) | normal | closed | ana | rui | held | Go (2 gates) |",
		"search | beta",
		"gate failures waived: 1; reviewed: shipped.",
		"of the entries are anchored by the signed checkpoint audit.releasekit.example",
		"| not deployed |",
	} {
		require.Contains(t, sum, want)
	}
}

// TestAuditPackDetectsEdits: every edit of a pack is a break, named.
func TestAuditPackDetectsEdits(t *testing.T) {
	s := newPackScenario(t)
	_, otherKey := testKeys(t)
	firstEntry := func(recs []rec, rel int) int {
		seen := -1
		for i, r := range recs {
			if r.typ() == "release" {
				seen++
			}
			if seen == rel && r.typ() == "entry" {
				return i
			}
		}
		t.Fatal("no such entry")
		return 0
	}
	// rewrite edits entry k of release rel, relinks the chain and the head, as someone
	// producing a pack from a rewritten database would.
	rewrite := func(recs []rec, rel, k int, stripProofs bool) {
		i := firstEntry(recs, rel)
		var h []release.AuditEntry
		for j := i; j < len(recs) && recs[j].typ() == "entry"; j++ {
			var e release.AuditEntry
			recs[j].get(t, "entry", &e)
			h = append(h, e)
		}
		h[k].Actor.ID = "mallory"
		var r release.Release
		recs[i-1].get(t, "release", &r)
		r = relink(t, r, h)
		recs[i-1].set(t, "release", r)
		for j := range h {
			recs[i+j].set(t, "entry", h[j])
			if stripProofs && j >= k {
				delete(recs[i+j], "leaf")
				delete(recs[i+j], "proof")
			}
		}
	}
	cases := []struct {
		why       string
		edit      func(recs []rec) []rec
		published bool // verify with the published checkpoints
		key       note.Verifier
		want      func(t *testing.T, err error)
	}{
		{why: "an entry's reason edited", edit: func(recs []rec) []rec {
			r := recs[firstEntry(recs, 0)+2]
			var e release.AuditEntry
			r.get(t, "entry", &e)
			e.Reason = "forged"
			r.set(t, "entry", e)
			return recs
		}, want: named(3)},
		{why: "an anchored entry rewritten with the chain and head recomputed", edit: func(recs []rec) []rec {
			rewrite(recs, 0, 3, false)
			return recs
		}, want: named(4)},
		{why: "the same, proofs stripped, checked against the published checkpoints", published: true, edit: func(recs []rec) []rec {
			rewrite(recs, 0, 3, true)
			return recs
		}, want: named(4)},
		{why: "a decision record edited", edit: func(recs []rec) []rec {
			for _, r := range recs {
				if r.typ() == "decision" {
					var d map[string]json.RawMessage
					r.get(t, "decision", &d)
					d["go"] = json.RawMessage("false")
					r.set(t, "decision", d)
					break
				}
			}
			return recs
		}, want: isErr(release.ErrTampered)},
		{why: "the summary edited", edit: func(recs []rec) []rec {
			last := recs[len(recs)-1]
			var md string
			last.get(t, "markdown", &md)
			last.set(t, "markdown", strings.Replace(md, "| held |", "| NO |", 1))
			return recs
		}, want: isErr(release.ErrCorrupt)},
		{why: "cut short", edit: func(recs []rec) []rec { return recs[:len(recs)-1] }, want: isErr(release.ErrCorrupt)},
		{why: "a proof moved to another entry", edit: func(recs []rec) []rec {
			i := firstEntry(recs, 1)
			recs[i]["proof"], recs[i+1]["proof"] = recs[i+1]["proof"], recs[i]["proof"]
			return recs
		}, want: named(1)},
		{why: "another key", key: otherKey, edit: func(recs []rec) []rec { return recs }, want: isErr(release.ErrTampered)},
		{why: "an entry of another release listed under this one", edit: func(recs []rec) []rec {
			i, j := firstEntry(recs, 0), firstEntry(recs, 1)
			recs[i+1] = recs[j+1]
			return recs
		}, want: named(2)},
	}
	for _, tc := range cases {
		t.Run(tc.why, func(t *testing.T) {
			recs := tc.edit(packLines(t, s.pack))
			var pub []release.Checkpoint
			if tc.published {
				pub = s.published(t)
			}
			key := s.key
			if tc.key != nil {
				key = tc.key
			}
			_, err := release.VerifyAuditPack(bytes.NewReader(joinLines(t, recs)), key, pub)
			require.Error(t, err)
			tc.want(t, err)
		})
	}

	// The documented limit: without the published checkpoints, a rewritten tail
	// presented as committed after the checkpoint verifies.
	recs := packLines(t, s.pack)
	rewrite(recs, 0, 5, true) // complete, by mallory: five entries presented as unanchored
	last := recs[len(recs)-1]
	var md string
	last.get(t, "markdown", &md)
	last.set(t, "markdown", strings.Replace(md, "24 of the entries", "19 of the entries", 1))
	_, err := release.VerifyAuditPack(bytes.NewReader(joinLines(t, recs)), s.key, nil)
	require.NoError(t, err, "only the published checkpoints tell anchored entries from later ones")
}

func named(seq int64) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var he *release.HistoryError
		require.ErrorAs(t, err, &he)
		require.Equal(t, seq, he.Sequence, "%v", err)
	}
}

func isErr(target error) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		require.True(t, errors.Is(err, target), "%v does not match %v", err, target)
	}
}

func TestAuditPackRefusesBadInput(t *testing.T) {
	s := newPackScenario(t)
	var b bytes.Buffer
	err := s.eng.AuditPack(context.Background(), &b, release.AuditFilter{From: reportTo, To: reportFrom})
	require.ErrorIs(t, err, release.ErrInvalid)
	require.Zero(t, b.Len())
	_, err = release.VerifyAuditPack(strings.NewReader(""), s.key, nil)
	require.ErrorIs(t, err, release.ErrCorrupt)
	_, err = release.VerifyAuditPack(strings.NewReader("{}\n"), s.key, nil)
	require.ErrorIs(t, err, release.ErrCorrupt)
	_, err = release.VerifyAuditPack(bytes.NewReader(s.pack), nil, nil)
	require.ErrorIs(t, err, release.ErrInvalid)
	// Every environment: the dev releases are none here, so the same four.
	b.Reset()
	require.NoError(t, s.eng.AuditPack(context.Background(), &b, release.AuditFilter{From: reportFrom, To: reportTo, Environment: "*"}))
	info, err := release.VerifyAuditPack(&b, s.key, nil)
	require.NoError(t, err)
	require.Equal(t, 4, info.Releases)
	_ = time.Second
}

// The summary names emergency changes and calendar overrides, with their review,
// and the pack carries one override record per override.
func TestAuditPackEmergencyAndOverride(t *testing.T) {
	ctx := context.Background()
	signer, key := testKeys(t)
	freeze := calendar.Rule{Name: "quarter-end freeze", Kind: calendar.Freeze, Zone: "UTC",
		Start: calendar.Wall(2026, time.May, 4, 0, 0, 0), End: calendar.Wall(2026, time.May, 8, 0, 0, 0),
		AllowClasses: []calendar.Class{calendar.ClassEmergency}}
	clock := releasetest.NewClock(cookbookStart, 0)
	store := memory.New()
	sink := &memSink{}
	newEngine := func(rules ...calendar.Rule) *release.Engine {
		cal, err := calendar.New(rules...)
		require.NoError(t, err)
		eng, err := release.New(store, release.WithClock(clock), release.WithPolicy(release.AllowAll()),
			release.WithCalendar(release.CalendarConfig{Calendar: cal, OverrideRoles: []string{"incident-commander"}}),
			release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
		require.NoError(t, err)
		return eng
	}
	open, frozen := newEngine(), newEngine(freeze)
	dev, ic := release.Person("dev", "developer"), release.Person("ines", "incident-commander")
	mk := func(class release.Class) release.Release {
		r, err := open.Create(ctx, release.Spec{Name: "checkout-" + string(class), Version: "2.4.1", Environment: "prod",
			Author: "ana", Class: class, Duration: 30 * time.Minute})
		require.NoError(t, err)
		require.NoError(t, walk(ctx, open, r.ID, dev, release.EventPlan, release.EventSchedule, release.EventApprove))
		return r
	}
	emergency, normal := mk(release.ClassEmergency), mk(release.ClassNormal)
	// One only an automation approved (the policy here allows it; the summary says so).
	bot, err := open.Create(ctx, release.Spec{Name: "search", Version: "1.0.0", Environment: "prod", Author: dev.ID, Duration: 30 * time.Minute})
	require.NoError(t, err)
	require.NoError(t, walk(ctx, open, bot.ID, dev, release.EventPlan, release.EventSchedule))
	require.NoError(t, walk(ctx, open, bot.ID, release.Automation("deploy-bot"), release.EventApprove))
	require.NoError(t, walk(ctx, open, bot.ID, dev, release.EventStart))
	_, err = frozen.Fire(ctx, emergency.ID, release.EventStart, dev)
	require.NoError(t, err)
	_, err = frozen.Fire(ctx, normal.ID, release.EventStart, ic, release.Override("fixes the INC-4711 data loss"))
	require.NoError(t, err)
	require.NoError(t, walk(ctx, frozen, emergency.ID, dev, release.EventComplete, release.EventVerify))
	_, err = frozen.Fire(ctx, emergency.ID, release.EventClose, dev, release.WithReview(release.Review{Outcome: "restored checkout"}))
	require.NoError(t, err)
	_, err = frozen.Checkpoint(ctx)
	require.NoError(t, err)

	var b bytes.Buffer
	require.NoError(t, frozen.AuditPack(ctx, &b, release.AuditFilter{From: cookbookStart.Add(-time.Hour), To: cookbookStart.Add(time.Hour)}))
	info, err := release.VerifyAuditPack(bytes.NewReader(b.Bytes()), key, must(sink.Checkpoints(ctx)))
	require.NoError(t, err)
	overrides := 0
	for _, r := range packLines(t, b.Bytes()) {
		if r.typ() == "override" {
			overrides++
		}
	}
	require.Equal(t, 1, overrides)
	require.Contains(t, info.Summary, "emergency change; reviewed: restored checkout.")
	require.Contains(t, info.Summary, "calendar overridden; no post-implementation review recorded.")
	require.Contains(t, info.Summary, "| fixes the INC-4711 data loss by ines |")
	require.Contains(t, info.Summary, "| ana | dev | held |", "ana requested, dev approved")
	require.Contains(t, info.Summary, "| search 1.0.0 (prod) | normal | deploying | dev | deploy-bot (automation) | NO: approved only by the requester or an automation |")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Recorded evidence (Engine.Record) is in the pack, one "evidence" record per
// record entry, and a recorded approval before the deploy is who approved.
func TestAuditPackCarriesEvidence(t *testing.T) {
	ctx := context.Background()
	signer, key := testKeys(t)
	sink := &memSink{}
	eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()), release.WithClock(releasetest.NewClock(t0, time.Minute)),
		release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	require.NoError(t, err)
	ci, kim := release.Automation("github"), release.Person("kim", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID})
	require.NoError(t, err)
	require.NoError(t, walk(ctx, eng, r.ID, ana, release.EventPlan, release.EventSchedule))
	_, err = eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess, URL: "https://ci.example/run/41"})
	require.NoError(t, err)
	_, err = eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: kim, Reason: "CAB 2026-03-02"})
	require.NoError(t, err)
	require.NoError(t, walk(ctx, eng, r.ID, release.Automation("deploy-bot"), release.EventApprove, release.EventStart))
	_, err = eng.Checkpoint(ctx)
	require.NoError(t, err)

	var b bytes.Buffer
	require.NoError(t, eng.AuditPack(ctx, &b, release.AuditFilter{From: t0, To: t0.Add(24 * time.Hour)}))
	info, err := release.VerifyAuditPack(bytes.NewReader(b.Bytes()), key, must(sink.Checkpoints(ctx)))
	require.NoError(t, err)
	var kinds []release.EvidenceKind
	for _, rec := range packLines(t, b.Bytes()) {
		if rec.typ() == "evidence" {
			var ev release.Evidence
			rec.get(t, "evidence", &ev)
			kinds = append(kinds, ev.Kind)
		}
	}
	require.Equal(t, []release.EvidenceKind{release.EvidenceCheck, release.EvidenceApproval}, kinds)
	require.Contains(t, info.Summary, "| ana | kim, deploy-bot (automation) | held |")
	require.Equal(t, info.Entries, info.Anchored)
}
