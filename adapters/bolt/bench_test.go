package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/releasekit/releasekit/adapters/bolt"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/storetest"
)

const benchWriters = 16

// runWriters runs b.N operations spread over benchWriters goroutines, each calling op
// with its own writer index, and reports transitions per second.
func runWriters(b *testing.B, op func(w int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchWriters)
	b.ResetTimer()
	for w := range benchWriters {
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

// BenchmarkTransitions compares, in one run, transitions through release.Engine on the
// bolt store with 16 concurrent writers (each on its own release, schedule and
// unschedule in turn) against bare bbolt read-write transactions doing the equivalent
// writes: read the 600-byte release, put it back, append a 400-byte entry to a nested
// bucket and put a 1,000-byte outbox row. With real fsync ("sync") and without
// ("nosync", unsafe, for comparison only).
func BenchmarkTransitions(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noSync bool
	}{{"sync", false}, {"nosync", true}} {
		b.Run(mode.name+"/engine", func(b *testing.B) {
			ctx := context.Background()
			s, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), bolt.WithNoSync(mode.noSync))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e, err := release.New(s, release.WithPolicy(release.AllowAll()))
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]release.ID, benchWriters)
			for w := range ids {
				r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", w)))
				if err != nil {
					b.Fatal(err)
				}
				if r, err = e.Fire(ctx, r.ID, release.EventPlan, bob); err != nil {
					b.Fatal(err)
				}
				ids[w] = r.ID
			}
			state := make([]bool, benchWriters) // scheduled?
			runWriters(b, func(w int) error {
				ev := release.EventSchedule
				if state[w] {
					ev = release.EventUnschedule
				}
				_, err := e.Fire(ctx, ids[w], ev, bob, release.Reason("benchmark"))
				state[w] = !state[w]
				return err
			})
		})
		b.Run(mode.name+"/raw-bbolt", func(b *testing.B) {
			db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{NoSync: mode.noSync, FreelistType: bbolt.FreelistMapType})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			rel, entry, row := bytes.Repeat([]byte("r"), 600), bytes.Repeat([]byte("e"), 400), bytes.Repeat([]byte("o"), 1000)
			seq := make([]uint64, benchWriters)
			err = db.Update(func(tx *bbolt.Tx) error {
				for _, name := range []string{"releases", "history", "outbox"} {
					if _, err := tx.CreateBucket([]byte(name)); err != nil {
						return err
					}
				}
				for w := range benchWriters {
					if _, err := tx.Bucket([]byte("history")).CreateBucket([]byte{byte(w)}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			runWriters(b, func(w int) error {
				seq[w]++
				return db.Update(func(tx *bbolt.Tx) error {
					key := []byte{byte(w)}
					_ = tx.Bucket([]byte("releases")).Get(key)
					if err := tx.Bucket([]byte("releases")).Put(key, rel); err != nil {
						return err
					}
					sk := binary.BigEndian.AppendUint64(nil, seq[w])
					if err := tx.Bucket([]byte("history")).Bucket(key).Put(sk, entry); err != nil {
						return err
					}
					return tx.Bucket([]byte("outbox")).Put(append(key, sk...), row)
				})
			})
		})
	}
}

// BenchmarkList measures List over 1,000 stored releases, which scans and decodes
// every row (the documented O(n)).
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
