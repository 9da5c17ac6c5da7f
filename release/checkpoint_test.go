package release_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/checkpointfile"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// memSink is a CheckpointSink in memory whose Publish can be made to fail.
type memSink struct {
	mu   sync.Mutex
	cps  []release.Checkpoint
	fail error
	hang bool // Publish waits for its context to end
}

func (s *memSink) Publish(ctx context.Context, c release.Checkpoint) error {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if hang {
		<-ctx.Done()
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	var last int64
	if len(s.cps) > 0 {
		last = s.cps[len(s.cps)-1].Size
	}
	if c.Size-int64(len(c.Leaves)) != last {
		return fmt.Errorf("%w: the sink ends at %d", release.ErrStale, last)
	}
	c.Leaves = slices.Clone(c.Leaves)
	s.cps = append(s.cps, c)
	return nil
}

func (s *memSink) Checkpoints(context.Context) ([]release.Checkpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cps), nil
}

func (s *memSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *memSink) sizes() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int64
	for _, c := range s.cps {
		out = append(out, c.Size)
	}
	return out
}

// lockedBuffer is a log sink the background checkpoints and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// walkOne creates a release and fires n schedule/unschedule steps on it.
func walkOne(t testing.TB, eng *release.Engine, n int) release.Release {
	t.Helper()
	ctx := context.Background()
	r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1.0.0", Environment: "prod", Author: ana.ID})
	require.NoError(t, err)
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, rui)
	require.NoError(t, err)
	for i := range n {
		ev := release.EventSchedule
		if i%2 == 1 {
			ev = release.EventUnschedule
		}
		r, err = eng.Fire(ctx, r.ID, ev, rui)
		require.NoError(t, err)
	}
	return r
}

// TestCheckpointTriggers: every N entries and the interval sign checkpoints in the
// background; a failing sink never fails a transition, is logged, and the next
// trigger publishes everything missed.
func TestCheckpointTriggers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		signer, key := testKeys(t)
		sink := &memSink{}
		var logs lockedBuffer
		store := memory.New()
		eng, err := release.New(store, release.WithPolicy(release.AllowAll()),
			release.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
			release.WithCheckpoints(signer, sink, release.CheckpointEvery(4), release.CheckpointInterval(time.Minute)))
		require.NoError(t, err)

		walkOne(t, eng, 2) // 4 entries: create, plan, schedule, unschedule
		synctest.Wait()
		require.Equal(t, []int64{4}, sink.sizes(), "a checkpoint after 4 entries")

		walkOne(t, eng, 0) // 2 more: the count is not reached; the interval is
		synctest.Wait()
		require.Equal(t, []int64{4}, sink.sizes())
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		require.Equal(t, []int64{4, 6}, sink.sizes(), "a checkpoint a minute after the last unanchored commit")

		sink.setFail(errors.New("bucket unreachable"))
		r := walkOne(t, eng, 3) // 5 entries: the failing sink does not fail them
		require.Equal(t, int64(5), r.Revision)
		synctest.Wait()
		require.Equal(t, []int64{4, 6}, sink.sizes())
		require.Contains(t, logs.String(), "bucket unreachable")
		sink.setFail(nil)
		time.Sleep(time.Minute + time.Second) // the interval retries
		synctest.Wait()
		require.Equal(t, []int64{4, 6, 11}, sink.sizes())

		// A sink that hangs: the commit returns at once; the background checkpoint
		// gives up after a minute, logs it, and the next trigger publishes.
		sink.mu.Lock()
		sink.hang = true
		sink.mu.Unlock()
		start := time.Now()
		r = walkOne(t, eng, 2)
		require.Zero(t, time.Since(start), "no commit waited for the sink")
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		require.Contains(t, logs.String(), "deadline exceeded")
		sink.mu.Lock()
		sink.hang = false
		sink.mu.Unlock()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		require.Equal(t, []int64{4, 6, 11, 15}, sink.sizes())

		cps, _ := sink.Checkpoints(context.Background())
		require.NoError(t, release.VerifyCheckpoints(context.Background(), store, key, cps))
	})
}

// TestCheckpointRestartAndReplicas: a restarted engine, and a second engine over the
// same store and sink, extend the same tree: every checkpoint is consistent with
// every earlier one (tlog consistency proofs), and the store verifies.
func TestCheckpointRestartAndReplicas(t *testing.T) {
	ctx := context.Background()
	signer, key := testKeys(t)
	store := memory.New()
	sink := checkpointfile.New(filepath.Join(t.TempDir(), "cps.jsonl"))
	newEngine := func() *release.Engine {
		eng, err := release.New(store, release.WithPolicy(release.AllowAll()),
			release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
		require.NoError(t, err)
		return eng
	}
	a := newEngine()
	walkOne(t, a, 3)
	c1, err := a.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(5), c1.Size)

	b := newEngine() // a second replica (or a restart of the first)
	walkOne(t, b, 1)
	c2, err := b.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(8), c2.Size)

	walkOne(t, a, 0) // a's tree is stale: its publish conflicts, it reloads and extends c2
	c3, err := a.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(10), c3.Size)
	again, err := a.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, c3, again, "nothing new: the same checkpoint, not a new signature")

	cps, err := sink.Checkpoints(ctx)
	require.NoError(t, err)
	require.Len(t, cps, 3)
	require.NoError(t, release.VerifyCheckpoints(ctx, store, key, cps))
	requireConsistent(t, cps)
}

// requireConsistent checks with tlog that every checkpoint's tree is a prefix of
// every later one (a consistency proof from the leaves, checked against the roots).
func requireConsistent(t helperT, cps []release.Checkpoint) {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	n := int64(0)
	for _, c := range cps {
		for _, l := range c.Leaves {
			hs, err := tlog.StoredHashes(n, []byte(l.Release.String()+" "+fmt.Sprint(l.Sequence)+" "+l.Hash+"\n"), r)
			require.NoError(t, err)
			hashes = append(hashes, hs...)
			n++
		}
		root, err := tlog.TreeHash(c.Size, r)
		require.NoError(t, err)
		require.Equal(t, c.Root, root, "checkpoint %d: the root is the RFC 6962 hash of its leaves", c.Size)
	}
	for i := range cps {
		for j := i + 1; j < len(cps); j++ {
			p, err := tlog.ProveTree(cps[j].Size, cps[i].Size, r)
			require.NoError(t, err)
			require.NoError(t, tlog.CheckTree(p, cps[j].Size, cps[j].Root, cps[i].Size, cps[i].Root), "checkpoint %d extends %d", cps[j].Size, cps[i].Size)
		}
	}
}

func TestWithCheckpointsRefusesBadOptions(t *testing.T) {
	signer, _ := testKeys(t)
	for _, opt := range []release.Option{
		release.WithCheckpoints(nil, &memSink{}),
		release.WithCheckpoints(signer, nil),
		release.WithCheckpoints(signer, &memSink{}, release.CheckpointEvery(-1)),
		release.WithCheckpoints(signer, &memSink{}, release.CheckpointInterval(-time.Second)),
	} {
		_, err := release.New(memory.New(), opt)
		require.ErrorIs(t, err, release.ErrInvalid)
	}
	eng, err := release.New(memory.New())
	require.NoError(t, err)
	_, err = eng.Checkpoint(context.Background())
	require.ErrorIs(t, err, release.ErrInvalid, "no WithCheckpoints")
	eng, err = release.New(memory.New(), release.WithCheckpoints(signer, &memSink{}))
	require.NoError(t, err)
	c, err := eng.Checkpoint(context.Background())
	require.NoError(t, err)
	require.Zero(t, c.Size, "nothing committed: nothing signed")
}

// TestCheckpointsProperty: over random interleavings of commits on several releases
// by two engines, checkpoints by either, and restarts, every published checkpoint is
// consistent with the earlier ones, the untouched store verifies, and a rewrite of
// any anchored entry, with the chain and head recomputed, is named by release and
// sequence.
func TestCheckpointsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		signer, key := testKeys(rt)
		inner := memory.New()
		store := newEditable(inner)
		sink := &memSink{}
		engines := make([]*release.Engine, 2)
		for i := range engines {
			var err error
			engines[i], err = release.New(store, release.WithPolicy(release.AllowAll()),
				release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
			require.NoError(rt, err)
		}
		var ids []release.ID
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			eng := engines[rapid.IntRange(0, 1).Draw(rt, "engine")]
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); {
			case op == 0 || len(ids) == 0:
				r, err := eng.Create(ctx, release.Spec{Name: "svc", Version: "1.0.0", Environment: "prod", Author: ana.ID})
				require.NoError(rt, err)
				ids = append(ids, r.ID)
			case op < 8:
				id := rapid.SampledFrom(ids).Draw(rt, "release")
				r, err := eng.Get(ctx, id)
				require.NoError(rt, err)
				if evs := release.Available(r.State); len(evs) > 0 {
					_, err = eng.Fire(ctx, id, rapid.SampledFrom(evs).Draw(rt, "event"), rui)
					require.NoError(rt, err)
				}
			default:
				_, err := eng.Checkpoint(ctx)
				require.NoError(rt, err)
			}
		}
		// An engine that starts reads every release: it anchors what the others
		// committed and did not checkpoint (as after a crash).
		fresh, err := release.New(store, release.WithCheckpoints(signer, sink, release.CheckpointEvery(0), release.CheckpointInterval(0)))
		require.NoError(rt, err)
		_, err = fresh.Checkpoint(ctx)
		require.NoError(rt, err)
		cps, _ := sink.Checkpoints(ctx)
		requireConsistent(rt, cps)
		require.NoError(rt, release.VerifyCheckpoints(ctx, store, key, cps))

		id := rapid.SampledFrom(ids).Draw(rt, "target")
		r, err := store.Get(ctx, id)
		require.NoError(rt, err)
		h, err := store.History(ctx, id)
		require.NoError(rt, err)
		orig := cloneHistory(h)
		rw := rapid.SampledFrom(anchoredRewrites()).Draw(rt, "rewrite")
		i := rapid.IntRange(0, len(h)-1).Draw(rt, "at")
		if rw.apply != nil {
			h = rw.apply(&r, h, i, orig)
		}
		r = relink(rt, r, h)
		if rw.remove {
			store.remove(id)
		}
		if !rw.remove || r.ID != id {
			store.set(r, h)
		}
		want := firstDifference(orig, h, rw.remove && r.ID == id)
		err = release.VerifyCheckpoints(ctx, store, key, cps)
		if want == int64(len(orig)+1) && release.VerifyHistory(h, r.Head) == nil {
			// Nothing anchored changed: only entries appended after the checkpoint,
			// which the chain accepts (the documented limit).
			require.NoError(rt, err)
			return
		}
		var he *release.HistoryError
		require.ErrorAs(rt, err, &he, "%s at %d", rw.kind, i+1)
		require.Equal(rt, id, he.ID)
		require.Equal(rt, want, he.Sequence, "%v", err)
	})
}

// checkpointerBesideAnother returns an engine with checkpoints on a commitBetween
// store, and another engine on the same store (whose commits the first does not see).
func checkpointerBesideAnother(t *testing.T) (eng, other *release.Engine, store *commitBetween) {
	signer, _ := testKeys(t)
	inner := memory.New()
	other, err := release.New(inner, release.WithPolicy(release.AllowAll()))
	require.NoError(t, err)
	store = &commitBetween{Store: inner}
	eng, err = release.New(store, release.WithPolicy(release.AllowAll()),
		release.WithCheckpoints(signer, &memSink{}, release.CheckpointEvery(1000)))
	require.NoError(t, err)
	return eng, other, store
}

// commitBetween is a store on which another writer commits to a release between a
// reader's Get and its History: once armed, the next History first fires commit.
type commitBetween struct {
	release.Store
	mu     sync.Mutex
	commit func()
}

func (s *commitBetween) History(ctx context.Context, id release.ID) ([]release.AuditEntry, error) {
	s.mu.Lock()
	commit := s.commit
	s.commit = nil
	s.mu.Unlock()
	if commit != nil {
		commit()
	}
	return s.Store.History(ctx, id)
}

// TestCheckpointReadsAgainAfterAConcurrentCommit: a commit between the
// checkpoint's read of a release and of its history makes the history run past the
// head it read; that is a release that moved, not a broken history, so the
// checkpoint reads both again and anchors every entry.
func TestCheckpointReadsAgainAfterAConcurrentCommit(t *testing.T) {
	ctx := context.Background()
	eng, other, store := checkpointerBesideAnother(t)
	r := walkOne(t, eng, 1) // create, plan, schedule
	store.mu.Lock()
	store.commit = func() {
		_, err := other.Fire(ctx, r.ID, release.EventUnschedule, rui)
		require.NoError(t, err)
	}
	store.mu.Unlock()

	cp, err := eng.Checkpoint(ctx)
	require.NoError(t, err, "a release that moved is not a broken history")
	require.Equal(t, int64(4), cp.Size, "every entry anchored, the one committed in between too")
}

// A release that another writer commits to before every read of its history (it
// never holds still for the checkpoint) is anchored up to a head the checkpoint
// read, not reported as tampered; the next checkpoint anchors the rest.
func TestCheckpointBusyReleaseIsNotTampered(t *testing.T) {
	ctx := context.Background()
	eng, other, store := checkpointerBesideAnother(t)
	r := walkOne(t, eng, 1) // create, plan, schedule: 3 entries
	events := []release.Event{release.EventUnschedule, release.EventSchedule}
	n := 0
	var arm func()
	arm = func() {
		_, err := other.Fire(ctx, r.ID, events[n%2], rui)
		require.NoError(t, err)
		n++
		store.mu.Lock()
		store.commit = arm // again before the next History
		store.mu.Unlock()
	}
	store.mu.Lock()
	store.commit = arm
	store.mu.Unlock()

	cp, err := eng.Checkpoint(ctx)
	require.NoError(t, err, "a release that keeps moving is not a broken history")
	require.Greater(t, cp.Size, int64(3), "anchored up to a head it read")
	require.Less(t, cp.Size, int64(3+n), "not past the last head it read")

	store.mu.Lock()
	store.commit = nil
	store.mu.Unlock()
	_, err = other.Fire(ctx, r.ID, events[n%2], rui) // another engine's: this one does not see it
	require.NoError(t, err)
	h, err := eng.History(ctx, r.ID)
	require.NoError(t, err)
	cp, err = eng.Checkpoint(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(len(h)), cp.Size, "the next checkpoint anchors the rest")
}
