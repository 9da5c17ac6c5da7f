package release_test

import (
	"context"
	"crypto/rand"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// helperT is what the helpers need of a *testing.T or a *rapid.T.
type helperT interface {
	require.TestingT
	Helper()
}

// testKeys returns a fresh Ed25519 checkpoint key pair.
func testKeys(tb helperT) (note.Signer, note.Verifier) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "audit.releasekit.example")
	require.NoError(tb, err)
	s, err := note.NewSigner(skey)
	require.NoError(tb, err)
	v, err := note.NewVerifier(vkey)
	require.NoError(tb, err)
	return s, v
}

// editable is a store whose data a test edits behind the engine's back, as someone
// with write access to the database would: its overlays replace what the inner
// store returns.
type editable struct {
	release.Store
	mu   sync.Mutex
	rows map[release.ID]release.Release
	hist map[release.ID][]release.AuditEntry
	gone map[release.ID]bool
}

func newEditable(inner release.Store) *editable {
	return &editable{Store: inner, rows: map[release.ID]release.Release{}, hist: map[release.ID][]release.AuditEntry{}, gone: map[release.ID]bool{}}
}

// set stores r and h in place of what the store holds for r.ID.
func (s *editable) set(r release.Release, h []release.AuditEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.gone, r.ID)
	s.rows[r.ID], s.hist[r.ID] = r.Clone(), cloneHistory(h)
}

func (s *editable) remove(id release.ID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[id] = true
	delete(s.rows, id)
	delete(s.hist, id)
}

func (s *editable) Get(ctx context.Context, id release.ID) (release.Release, error) {
	s.mu.Lock()
	r, ok := s.rows[id]
	gone := s.gone[id]
	s.mu.Unlock()
	switch {
	case gone:
		return release.Release{}, release.ErrNotFound
	case ok:
		return r.Clone(), nil
	}
	return s.Store.Get(ctx, id)
}

func (s *editable) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	s.mu.Lock()
	h, ok := s.hist[id]
	gone := s.gone[id]
	s.mu.Unlock()
	switch {
	case gone:
		return nil, release.ErrNotFound
	case ok:
		return cloneHistory(h), nil
	}
	return s.Store.History(ctx, id)
}

func (s *editable) List(ctx context.Context, f release.Filter) ([]release.Release, error) {
	all, err := s.Store.List(ctx, release.Filter{})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	byID := map[release.ID]release.Release{}
	for _, r := range all {
		if !s.gone[r.ID] {
			byID[r.ID] = r
		}
	}
	maps.Copy(byID, s.rows)
	s.mu.Unlock()
	var out []release.Release
	for _, id := range slices.SortedFunc(maps.Keys(byID), release.ID.Compare) {
		r := byID[id]
		if f.Match(r) && (f.After == release.ID{} || id.Compare(f.After) > 0) {
			out = append(out, r.Clone())
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

func cloneHistory(h []release.AuditEntry) []release.AuditEntry {
	out := make([]release.AuditEntry, len(h))
	for i, e := range h {
		out[i] = e.Clone()
	}
	return out
}

// relink renumbers, relinks and rehashes h from entry 0 on, as an attacker who knows
// the (public) hashing scheme does, and returns r with its revision, state and head
// recomputed from the new last entry.
func relink(tb helperT, r release.Release, h []release.AuditEntry) release.Release {
	tb.Helper()
	prev := ""
	for i := range h {
		h[i].ReleaseID, h[i].Sequence, h[i].PrevHash = r.ID, int64(i+1), prev
		var err error
		h[i].Hash, err = h[i].ComputeHash()
		require.NoError(tb, err)
		prev = h[i].Hash
	}
	r.Revision, r.Head = int64(len(h)), prev
	if len(h) > 0 {
		r.State = h[len(h)-1].To
	}
	return r
}

// anchoredRewrite is one kind of rewrite of a release that checkpoints anchor. apply
// changes h (a copy of the history) at entry i, may change the row, and returns the
// new history; the caller then relinks the chain and recomputes the head, so every
// rewrite verifies as a chain. Kinds that need another release get it as other.
type anchoredRewrite struct {
	kind  string
	apply func(r *release.Release, h []release.AuditEntry, i int, other []release.AuditEntry) []release.AuditEntry
	// remove: the rewrite deletes the release (or moves it to another ID).
	remove bool
}

// anchoredRewrites are the rewrites the conformance suite cannot make on a store
// (it edits rows and entries in place: release/storetest's
// Integrity/AnchoredRewritesDetected runs 24 kinds on every store), the release
// deleted or moved to another ID, and a few in-place kinds for the property test.
func anchoredRewrites() []anchoredRewrite {
	return []anchoredRewrite{
		{kind: "delete the release", remove: true},
		{kind: "move the release to another ID", remove: true, apply: func(r *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			r.ID[15] ^= 0xff
			return h
		}},
		{kind: "actor", apply: func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			h[i].Actor.ID = "mallory"
			return h
		}},
		{kind: "delete", apply: func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			return slices.Delete(h, i, i+1)
		}},
		{kind: "insert forged", apply: func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			f := release.AuditEntry{Event: release.EventRevoke, From: h[i].To, To: h[i].To, Actor: release.Person("mallory"), Time: h[i].Time}
			return slices.Insert(h, i+1, f)
		}},
		{kind: "reverse", apply: func(_ *release.Release, h []release.AuditEntry, _ int, _ []release.AuditEntry) []release.AuditEntry {
			slices.Reverse(h)
			return h
		}},
		{kind: "truncate", apply: func(_ *release.Release, h []release.AuditEntry, i int, _ []release.AuditEntry) []release.AuditEntry {
			return h[:max(i, 1)]
		}},
		{kind: "splice from another release", apply: func(_ *release.Release, h []release.AuditEntry, i int, other []release.AuditEntry) []release.AuditEntry {
			h[i] = other[min(i, len(other)-1)].Clone()
			return h
		}},
	}
}

// anchoredStore is a store with three releases walked through their lifecycle by an
// engine that checkpoints every entry, to a file.
type anchoredStore struct {
	store    *editable
	eng      *release.Engine
	key      note.Verifier
	sink     *checkpointfile.Sink
	releases []release.Release
}

func newAnchoredStore(t *testing.T, inner release.Store) *anchoredStore {
	t.Helper()
	signer, key := testKeys(t)
	a := &anchoredStore{store: newEditable(inner), key: key, sink: checkpointfile.New(filepath.Join(t.TempDir(), "checkpoints.jsonl"))}
	var err error
	a.eng, err = release.New(a.store, release.WithPolicy(release.AllowAll()), release.WithClock(releasetest.NewClock(t0, time.Second)),
		release.WithCheckpoints(signer, a.sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	require.NoError(t, err)
	ctx := context.Background()
	walks := [][]release.Event{
		{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify, release.EventClose},
		{release.EventPlan, release.EventSchedule, release.EventUnschedule, release.EventSchedule, release.EventApprove, release.EventRevoke, release.EventApprove, release.EventStart},
		{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventFail, release.EventRollback},
	}
	for k, walk := range walks {
		r, err := a.eng.Create(ctx, release.Spec{Name: "svc" + string(rune('a'+k)), Version: "1.0.0", Environment: "prod", Author: ana.ID})
		require.NoError(t, err)
		for j, ev := range walk {
			r, err = a.eng.Fire(ctx, r.ID, ev, rui, release.Reason("step"), release.Data(map[string]int{"j": j}))
			require.NoError(t, err)
			if j == 2 {
				_, err = a.eng.Checkpoint(ctx) // several checkpoints, not one
				require.NoError(t, err)
			}
		}
		a.releases = append(a.releases, r)
	}
	_, err = a.eng.Checkpoint(ctx)
	require.NoError(t, err)
	return a
}

func (a *anchoredStore) published(t *testing.T) []release.Checkpoint {
	t.Helper()
	cps, err := a.sink.Checkpoints(context.Background())
	require.NoError(t, err)
	return cps
}

// TestVerifyCheckpointsDetectsRecomputedRewrites: a rewrite of an anchored release
// whose chain and head were recomputed verifies as a chain (Engine.Verify passes),
// but VerifyCheckpoints, holding only the public key and the published checkpoints,
// names the release and the first entry that is not as anchored, at the first, a
// middle and the last entry. These are the kinds the conformance suite cannot make
// in place (release/storetest runs the other 24 on every store).
func TestVerifyCheckpointsDetectsRecomputedRewrites(t *testing.T) {
	testRecomputedRewrites(t, memory.New())
}

func testRecomputedRewrites(t *testing.T, inner release.Store) {
	ctx := context.Background()
	a := newAnchoredStore(t, inner)
	cps := a.published(t)
	require.Greater(t, len(cps), 3, "several checkpoints were published")
	require.NoError(t, release.VerifyCheckpoints(ctx, a.store, a.key, cps), "the untouched store verifies")

	target, other := a.releases[1], a.releases[0]
	orig, err := a.store.History(ctx, target.ID)
	require.NoError(t, err)
	otherHist, err := a.store.History(ctx, other.ID)
	require.NoError(t, err)
	kinds, tried, chainPassed := 0, 0, 0
	for _, rw := range anchoredRewrites() {
		kinds++
		for _, i := range []int{0, len(orig) / 2, len(orig) - 1} {
			r, h := target.Clone(), cloneHistory(orig)
			if rw.apply != nil {
				h = rw.apply(&r, h, i, otherHist)
			}
			r = relink(t, r, h)
			if rw.remove {
				a.store.remove(target.ID)
			}
			if !rw.remove || r.ID != target.ID {
				a.store.set(r, h)
			}
			if !rw.remove && release.VerifyHistory(h, r.Head) == nil {
				chainPassed++
			}
			err := release.VerifyCheckpoints(ctx, a.store, a.key, cps)
			var he *release.HistoryError
			require.ErrorIs(t, err, release.ErrTampered, "%s at %d", rw.kind, i+1)
			require.ErrorAs(t, err, &he, "%s at %d", rw.kind, i+1)
			require.Equal(t, target.ID, he.ID, "%s at %d: the release named: %v", rw.kind, i+1, err)
			require.Equal(t, firstDifference(orig, h, rw.remove && r.ID == target.ID), he.Sequence, "%s at %d: the entry named: %v", rw.kind, i+1, err)
			tried++
			// Put it back.
			a.store.remove(r.ID)
			a.store.set(target, orig)
			require.NoError(t, release.VerifyCheckpoints(ctx, a.store, a.key, cps), "%s: restored", rw.kind)
		}
	}
	t.Logf("recomputed-chain rewrites after a checkpoint: %d of %d kinds (%d rewrites, %d of which pass the chain check alone) detected and named", kinds, kinds, tried, chainPassed)
}

// firstDifference is the sequence of the first anchored entry of orig that h does
// not hold unchanged (1 when the release is gone); for entries appended after the
// anchored ones, the first of those (the chain check names it).
func firstDifference(orig, h []release.AuditEntry, gone bool) int64 {
	if gone {
		return 1
	}
	for k := range orig {
		if k >= len(h) || h[k].Hash != orig[k].Hash {
			return int64(k + 1)
		}
	}
	return int64(len(orig) + 1)
}

// TestVerifyCheckpointsLimits pins what checkpoints cannot catch: entries committed
// after the last checkpoint are checked by their chain only, so a recomputed rewrite
// of them passes until a checkpoint covers them; the next checkpoint refuses to
// anchor a history that no longer extends the anchored one.
func TestVerifyCheckpointsLimits(t *testing.T) {
	ctx := context.Background()
	a := newAnchoredStore(t, memory.New())
	// One entry committed after the last checkpoint, then rewritten with its chain.
	r, err := a.eng.Fire(ctx, a.releases[1].ID, release.EventComplete, rui)
	require.NoError(t, err)
	h, err := a.store.History(ctx, r.ID)
	require.NoError(t, err)
	h[len(h)-1].Actor.ID = "mallory"
	r = relink(t, r, h)
	a.store.set(r, h)
	require.NoError(t, release.VerifyCheckpoints(ctx, a.store, a.key, a.published(t)), "an unanchored entry rewritten with its chain is not detectable")

	// An anchored entry rewritten: the engine refuses to anchor that release further,
	// names it, and anchors the others all the same.
	h[1].Reason = "forged"
	r = relink(t, r, h)
	a.store.set(r, h)
	other, err := a.eng.Fire(ctx, a.releases[2].ID, release.EventFail, rui)
	require.NoError(t, err)
	cp, err := a.eng.Checkpoint(ctx)
	var he *release.HistoryError
	require.ErrorAs(t, err, &he)
	require.Equal(t, r.ID, he.ID)
	require.Equal(t, int64(2), he.Sequence)
	cps := a.published(t)
	require.Equal(t, cps[len(cps)-1].Size, cp.Size)
	last := cps[len(cps)-1].Leaves
	require.Equal(t, []release.CheckpointLeaf{{Release: other.ID, Sequence: other.Revision, Hash: other.Head}}, last, "the other release's new entry, and nothing of the broken one")
	_, err = a.eng.Checkpoint(ctx)
	require.ErrorAs(t, err, &he, "reported again at the next checkpoint")
}

// TestVerifyCheckpointsRejectsForgedCheckpoints: a checkpoint signed by another key,
// leaves that do not hash to the root, or a dropped checkpoint in the middle, are
// *CheckpointError.
func TestVerifyCheckpointsRejectsForgedCheckpoints(t *testing.T) {
	ctx := context.Background()
	a := newAnchoredStore(t, memory.New())
	cps := a.published(t)
	_, otherKey := testKeys(t)
	cases := []struct {
		why  string
		key  note.Verifier
		cps  func() []release.Checkpoint
		want string
	}{
		{"another key", otherKey, func() []release.Checkpoint { return cps }, "does not verify with the key"},
		{"a leaf edited", a.key, func() []release.Checkpoint {
			c := slices.Clone(cps)
			c[1].Leaves = slices.Clone(c[1].Leaves)
			c[1].Leaves[0].Hash = c[0].Leaves[0].Hash
			return c
		}, "root"},
		{"a checkpoint dropped", a.key, func() []release.Checkpoint { return slices.Delete(slices.Clone(cps), 1, 2) }, "start at"},
		{"the note's size edited", a.key, func() []release.Checkpoint {
			c := slices.Clone(cps)
			c[0].Size++
			return c
		}, "start at"},
	}
	for _, tc := range cases {
		err := release.VerifyCheckpoints(ctx, a.store, tc.key, tc.cps())
		var ce *release.CheckpointError
		require.ErrorAs(t, err, &ce, tc.why)
		require.ErrorIs(t, err, release.ErrTampered, tc.why)
		require.Contains(t, err.Error(), tc.want, tc.why)
	}
	require.True(t, errors.Is(release.VerifyCheckpoints(ctx, a.store, nil, cps), release.ErrInvalid))
}
