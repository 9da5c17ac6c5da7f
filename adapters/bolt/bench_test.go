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
// transactions writing the same rows: read the 600-byte release and put it back,
// append a 400-byte history entry to the release's nested bucket, put a 1,000-byte
// outbox row and its 13-byte due-index entry, and move the release's state key in
// the list index (delete the old state's 30-byte key, put the new one's; schema 3).
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

func benchRaw(b *testing.B, writers int, noSync, batch bool) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{NoSync: noSync, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchSize = writers
	db.MaxBatchDelay = time.Millisecond
	rel, entry, row, due := bytes.Repeat([]byte("r"), 600), bytes.Repeat([]byte("e"), 400), bytes.Repeat([]byte("o"), 1000), make([]byte, 13)
	seq := make([]uint64, writers)
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"releases", "history", "outbox", "outbox_due", "releases_index"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		for w := range writers {
			if _, err := tx.Bucket([]byte("history")).CreateBucket([]byte{byte(w)}); err != nil {
				return err
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
	runWriters(b, writers, func(w int) error {
		seq[w]++
		sk := binary.BigEndian.AppendUint64(nil, seq[w])
		return commit(func(tx *bbolt.Tx) error { // Batch may run it twice: the puts are idempotent
			key := []byte{byte(w)}
			_ = tx.Bucket([]byte("releases")).Get(key)
			if err := tx.Bucket([]byte("releases")).Put(key, rel); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("history")).Bucket(key).Put(sk, entry); err != nil {
				return err
			}
			from, to := stateKey(w, seq[w]%2 == 0), stateKey(w, seq[w]%2 == 1)
			if err := tx.Bucket([]byte("releases_index")).Delete(from); err != nil {
				return err
			}
			if err := tx.Bucket([]byte("releases_index")).Put(to, sealedEmpty); err != nil {
				return err
			}
			ok := append(key, sk...)
			if err := tx.Bucket([]byte("outbox")).Put(ok, row); err != nil {
				return err
			}
			return tx.Bucket([]byte("outbox_due")).Put(append(sk, ok...), due)
		})
	})
}

// sealedEmpty stands for an index key's value: its 4-byte checksum.
var sealedEmpty = make([]byte, 4)

// stateKey is writer w's state key in the reference's list index, the same length
// as the store's ('s', a 4-byte length, "scheduled" or "planned", the 16-byte ID).
func stateKey(w int, scheduled bool) []byte {
	st := "planned"
	if scheduled {
		st = "scheduled"
	}
	k := binary.BigEndian.AppendUint32([]byte{'s'}, uint32(len(st)))
	k = append(k, st...)
	return append(k, bytes.Repeat([]byte{byte(w)}, 16)...)
}

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
