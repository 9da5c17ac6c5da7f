package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/internal/benchcpu"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

// runWriters runs b.N operations spread over writers goroutines, each calling op
// with its own writer index, and reports transitions per second.
func runWriters(b *testing.B, writers int, op func(w int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := op(w); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkTransitions compares, in one run (so that go test -count interleaves
// them), transitions through release.Engine on the bolt store against bare bbolt
// transactions writing the same rows under the same keys into the same data set
// (see benchRaw): read the release row and put it back, append a history entry to
// the release's nested bucket, move the release's state key in the list index
// (delete the old, put the new), and put an outbox row and its due-index key.
// The references:
//
//   - batch: bbolt's own DB.Batch, tuned for the load (MaxBatchSize = the number of
//     writers, MaxBatchDelay 1 ms), the strongest way to share commits in bbolt;
//   - update: one DB.Update per transition (no shared commits).
//
// At 16 writers with real fsync (sync), at 1 writer with real fsync, and at 16
// writers without fsync (nosync: unsafe, for comparison only; the engine's CPU work
// decides there). Each writer works on its own release, scheduling and unscheduling
// it in turn, and moves to a fresh one every perRelease transitions.
func BenchmarkTransitions(b *testing.B) {
	for _, mode := range []struct {
		name    string
		writers int
		noSync  bool
		refs    []string
	}{
		{"writers=16/sync", 16, false, []string{"batch", "update"}},
		{"writers=1/sync", 1, false, []string{"update"}},
		{"writers=16/nosync", 16, true, []string{"batch", "update"}},
	} {
		b.Run(mode.name+"/engine", func(b *testing.B) { benchEngine(b, mode.writers, mode.noSync) })
		for _, ref := range mode.refs {
			b.Run(mode.name+"/"+ref, func(b *testing.B) { benchRaw(b, mode.writers, mode.noSync, ref == "batch") })
		}
	}
}

// perRelease is how many transitions a benchmark writer fires on one release before
// it moves to a fresh one: releases live for tens of transitions (the quickstart's
// take 8 to 15). BenchmarkTransitionsHistory measures releases with long histories.
const perRelease = 20

func benchEngine(b *testing.B, writers int, noSync bool) {
	e := benchStore(b, noSync)
	// Planned releases for the writers to take, made before the timer starts.
	n := b.N/perRelease + 2*writers
	pool := planned(b, e, n, writers, nil)
	var taken atomic.Int64
	ids := make([]release.ID, writers)
	fired := make([]int, writers)
	runWriters(b, writers, func(w int) error {
		if fired[w]%perRelease == 0 {
			i := taken.Add(1) - 1
			if i >= int64(len(pool)) {
				return fmt.Errorf("the pool of %d planned releases ran out", n)
			}
			ids[w] = pool[i]
		}
		fired[w]++
		return fire(e, ids[w], fired[w]-1)
	})
}

// benchStore opens a bolt store in b's temporary directory, closed when b ends, and
// returns an engine on it that allows everything.
func benchStore(b *testing.B, noSync bool) *release.Engine {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.WithNoSync(noSync))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	e, err := release.New(s, release.WithPolicy(release.AllowAll()))
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// planned makes n planned releases through e, by workers goroutines so that their
// commits are shared, and calls grow (when not nil) on each.
func planned(b *testing.B, e *release.Engine, n, workers int, grow func(release.ID) error) []release.ID {
	ctx := context.Background()
	ids := make([]release.ID, n)
	var wg sync.WaitGroup
	var setupErr atomic.Value
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", i)))
				if err == nil {
					r, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
				}
				if err == nil && grow != nil {
					err = grow(r.ID)
				}
				if err != nil {
					setupErr.Store(err)
					return
				}
				ids[i] = r.ID
			}
		}()
	}
	wg.Wait()
	if err, ok := setupErr.Load().(error); ok {
		b.Fatal(err)
	}
	return ids
}

// fire fires the fired-th transition (from 0) on a release taken planned: schedule
// and unschedule in turn.
func fire(e *release.Engine, id release.ID, fired int) error {
	ev := release.EventSchedule
	if fired%2 == 1 {
		ev = release.EventUnschedule
	}
	_, err := e.Fire(context.Background(), id, ev, bob, release.Reason("benchmark"))
	return err
}

// BenchmarkTransitionsHistory is the long-history variant of BenchmarkTransitions:
// one writer, without fsync (so that the CPU cost per transition shows; an fsync
// would add about the same milliseconds at every size), firing schedule and
// unschedule through release.Engine on releases whose histories hold entries=N
// entries already: each release is grown to N entries before the timer starts and
// takes N more transitions, so every transition measured appends to a history of N
// to 2N entries. An append that read the whole history would grow linearly with N.
// Beside the wall clock it reports the process's CPU time per transition
// (cpu-ns/op), which waits for a core on a shared machine do not inflate.
func BenchmarkTransitionsHistory(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) { benchHistory(b, n) })
	}
}

func benchHistory(b *testing.B, entries int) {
	e := benchStore(b, true)
	// Create and plan are two entries; the rest alternate. entries is even, so
	// each release is planned again when the timed loop takes it.
	ids := planned(b, e, b.N/entries+1, 4, func(id release.ID) error {
		for f := range entries - 2 {
			if err := fire(e, id, f); err != nil {
				return err
			}
		}
		return nil
	})
	runtime.GC() // the setup's garbage is not the transitions'
	b.ResetTimer()
	cpu := benchcpu.Start()
	for i := range b.N {
		if err := fire(e, ids[i/entries], i%entries); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	benchcpu.Report(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}

// The references' rows and keys are the store's own, byte for byte in length (all
// measured on a file the store wrote; TestRawReferenceMatchesStore keeps them so), and
// so is the data set: the same pool of planned releases, each written as create and
// plan leave it (two entries, one outbox row and its due key, five list-index keys),
// taken by the writers perRelease transitions at a time. A transition reads and puts
// the release row, puts the next entry, moves the state key (delete the old, put the
// new), and puts an outbox row and its due key.
const (
	rawPlannedRelease = 509  // a release row after create and plan
	rawCreateEntry    = 482  // entry 1
	rawPlanEntry      = 579  // entry 2
	rawPlanOutbox     = 1208 // the plan entry's outbox row
	rawRelease        = 551  // a release row after schedule or unschedule
	rawEntry          = 610  // their entries
	rawOutbox         = 1281 // and outbox rows
	rawDueValue       = 5    // a due key's value (an empty lease and its checksum)
)

// rawIndexPrefixes are the store's list-index key prefixes for a release made by
// spec("svc-0"): component, environment, name, state, creation time.
var rawIndexPrefixes = [][]byte{
	[]byte("c\x00\x00\x00\tsvc-0-api"), []byte("e\x00\x00\x00\x04prod"), []byte("n\x00\x00\x00\x05svc-0"),
	rawStatePrefix(false), []byte("t\x80\x00\x00\x00k\x17S\xb0\x14\x90\xfb\xf0"),
}

// rawStatePrefix is the store's state-key prefix for planned or scheduled.
func rawStatePrefix(scheduled bool) []byte {
	st := "planned"
	if scheduled {
		st = "scheduled"
	}
	return append(binary.BigEndian.AppendUint32([]byte{'s'}, uint32(len(st))), st...)
}

// rawOutboxKey is the store's outbox key of entry seq of release id.
func rawOutboxKey(id []byte, seq int) []byte {
	return fmt.Appendf(nil, "%s/%d", release.ID(id), seq)
}

// rawDueKey is the store's due key for an outbox key: a 12-byte time (here the
// count t, increasing as the engine's clock) and the outbox key.
func rawDueKey(t uint64, outboxKey []byte) []byte {
	return append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, t), 0), outboxKey...)
}

func benchRaw(b *testing.B, writers int, noSync, batch bool) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{NoSync: noSync, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchSize = writers
	db.MaxBatchDelay = time.Millisecond
	rel, entry, row, due := bytes.Repeat([]byte("r"), rawRelease), bytes.Repeat([]byte("e"), rawEntry), bytes.Repeat([]byte("o"), rawOutbox), make([]byte, rawDueValue)
	var clock atomic.Uint64 // the due keys' times
	dueKey := func(okey []byte) []byte { return rawDueKey(clock.Add(1), okey) }
	// The pool: IDs increasing as UUIDv7s made in one run are, each release planned.
	n := b.N/perRelease + 2*writers
	ids := make([][]byte, n)
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"releases", "history", "outbox", "outbox_due", "releases_index"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		for i := range ids {
			id := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 0x01a2531ee8d97000+uint64(i)), 0x8d650e2e479f55b2)
			ids[i] = id
			if err := tx.Bucket([]byte("releases")).Put(id, rel[:rawPlannedRelease]); err != nil {
				return err
			}
			hb, err := tx.Bucket([]byte("history")).CreateBucket(id)
			if err != nil {
				return err
			}
			for seq, size := range []int{rawCreateEntry, rawPlanEntry} {
				if err := hb.Put(seqKeyBench(int64(seq+1)), entry[:size]); err != nil {
					return err
				}
			}
			ok := rawOutboxKey(id, 2)
			if err := tx.Bucket([]byte("outbox")).Put(ok, row[:rawPlanOutbox]); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("outbox_due")).Put(dueKey(ok), due); err != nil {
				return err
			}
			for _, p := range rawIndexPrefixes {
				if err := tx.Bucket([]byte("releases_index")).Put(append(bytes.Clone(p), id...), sealedEmpty); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	commit := db.Update
	if batch {
		commit = db.Batch
	}
	var taken atomic.Int64
	cur := make([][]byte, writers)
	fired := make([]int, writers)
	runWriters(b, writers, func(w int) error {
		if fired[w]%perRelease == 0 {
			i := taken.Add(1) - 1
			if i >= int64(n) {
				return fmt.Errorf("the pool of %d releases ran out", n)
			}
			cur[w] = ids[i]
		}
		f := fired[w] % perRelease
		fired[w]++
		id, seq := cur[w], f+3 // create and plan are entries 1 and 2
		ok := rawOutboxKey(id, seq)
		dk := dueKey(ok)
		from, to := append(rawStatePrefix(f%2 == 1), id...), append(rawStatePrefix(f%2 == 0), id...)
		return commit(func(tx *bbolt.Tx) error { // Batch may run it twice: the puts are idempotent
			rb := tx.Bucket([]byte("releases"))
			_ = rb.Get(id)
			if err := rb.Put(id, rel); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("history")).Bucket(id).Put(seqKeyBench(int64(seq)), entry); err != nil {
				return err
			}
			ix := tx.Bucket([]byte("releases_index"))
			if err := ix.Delete(from); err != nil {
				return err
			}
			if err := ix.Put(to, sealedEmpty); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("outbox")).Put(ok, row); err != nil {
				return err
			}
			return tx.Bucket([]byte("outbox_due")).Put(dk, due)
		})
	})
}

// seqKeyBench is the store's history key for sequence seq.
func seqKeyBench(seq int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(seq)) }

// sealedEmpty stands for an index key's value: its 4-byte checksum.
var sealedEmpty = make([]byte, 4)

// BenchmarkList measures List by name over 1,000 stored releases (served by the
// releases' index since schema 3; BenchmarkListIndexed shows it at three sizes).
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(b.TempDir(), "list.db"), bolt.WithNoSync(true))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e, err := release.New(s, release.WithPolicy(release.AllowAll()))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if _, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rs, err := s.List(ctx, release.Filter{Name: "svc-999"})
		if err != nil || len(rs) != 1 {
			b.Fatalf("List = %d, %v", len(rs), err)
		}
	}
}

// BenchmarkRecord measures Engine.Record beside Engine.Fire on the bolt store with
// real fsync and, for reference, on adapters/memory, at 1 and 16 writers
// (storetest.BenchmarkRecord).
func BenchmarkRecord(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		storetest.BenchmarkRecord(b, func(b *testing.B) release.Store {
			s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		})
	})
	b.Run("memory", func(b *testing.B) {
		storetest.BenchmarkRecord(b, func(*testing.B) release.Store { return memory.New() })
	})
}

// BenchmarkListIndexed: List by name and by component at 1,000, 10,000 and 100,000
// stored releases (storetest.BenchmarkList), beside a List that scans them all
// (what every List cost before the releases' index). NoSync: the figures are reads.
func BenchmarkListIndexed(b *testing.B) {
	storetest.BenchmarkList(b, func(b *testing.B) release.Store {
		s, err := bolt.Open(filepath.Join(b.TempDir(), "list.db"), bolt.WithNoSync(true))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// The references' rows and keys are the store's: two releases made as the benchmark
// makes them, one planned (as in the pool) and one then scheduled and unscheduled (as
// the writers leave it), hold rows of the lengths benchRaw writes (within 2%: a time's
// JSON drops trailing zeros of its nanoseconds) and keys of the shapes it writes.
func TestRawReferenceMatchesStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sizes.db")
	s, err := bolt.Open(path, bolt.WithNoSync(true))
	if err != nil {
		t.Fatal(err)
	}
	e, err := release.New(s, release.WithPolicy(release.AllowAll())) // as benchStore's
	if err != nil {
		t.Fatal(err)
	}
	var ids [2]release.ID
	for i := range ids {
		r, err := e.Create(ctx, spec("svc-0"))
		if err == nil {
			r, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
		}
		for f := 0; err == nil && i == 1 && f < 2; f++ {
			err = fire(e, r.ID, f)
		}
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = r.ID
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func(what string, got, want int) {
		t.Helper()
		if diff := got - want; diff*50 > want || -diff*50 > want {
			t.Errorf("%s: the store writes %d bytes, the reference %d", what, got, want)
		}
	}
	same := func(what string, got, want []byte) {
		t.Helper()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the store's key is %q, the reference's %q", what, got, want)
		}
	}
	_ = db.View(func(tx *bbolt.Tx) error {
		for i, id := range ids {
			rels, hist := tx.Bucket([]byte("releases")), tx.Bucket([]byte("history")).Bucket(id[:])
			outbox, due := tx.Bucket([]byte("outbox")), tx.Bucket([]byte("outbox_due"))
			last := 2
			if i == 0 {
				size("planned release row", len(rels.Get(id[:])), rawPlannedRelease)
				size("create entry", len(hist.Get(seqKeyBench(1))), rawCreateEntry)
				size("plan entry", len(hist.Get(seqKeyBench(2))), rawPlanEntry)
				size("plan outbox row", len(outbox.Get(rawOutboxKey(id[:], 2))), rawPlanOutbox)
			} else {
				last = 4
				size("release row", len(rels.Get(id[:])), rawRelease)
				size("entry", len(hist.Get(seqKeyBench(4))), rawEntry)
				size("outbox row", len(outbox.Get(rawOutboxKey(id[:], 4))), rawOutbox)
			}
			// The due key of the release's last outbox row, found by its outbox key.
			ok := rawOutboxKey(id[:], last)
			var found bool
			_ = due.ForEach(func(k, v []byte) error {
				if bytes.HasSuffix(k, ok) {
					found = true
					size("due key", len(k), len(rawDueKey(0, ok)))
					size("due value", len(v), rawDueValue)
				}
				return nil
			})
			if !found {
				t.Errorf("release %d: no due key ends with the outbox key %q", i, ok)
			}
			// The list-index keys: component, environment, name and state (planned
			// again after schedule and unschedule) byte for byte, the creation time by
			// length.
			var keys [][]byte
			_ = tx.Bucket([]byte("releases_index")).ForEach(func(k, _ []byte) error {
				if bytes.HasSuffix(k, id[:]) {
					keys = append(keys, bytes.Clone(k))
				}
				return nil
			})
			if len(keys) != len(rawIndexPrefixes) {
				t.Fatalf("release %d has %d index keys, the reference %d", i, len(keys), len(rawIndexPrefixes))
			}
			for j, p := range rawIndexPrefixes {
				want := append(bytes.Clone(p), id[:]...)
				if p[0] == 't' {
					size("creation-time key", len(keys[j]), len(want))
				} else {
					same("index key", keys[j], want)
				}
			}
		}
		return nil
	})
}
