package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/internal/benchcpu"
	"github.com/releasekit/releasekit/release"
)

// BenchmarkRecord measures, in one run, what a store sustains through an engine:
// sub-benchmarks "fire" (schedule and unschedule in turn) and "record" (a check
// result, Engine.Record) at 1 and 16 writers ("writers=N"), each writer on its own
// release, reporting operations per second ("ops/s"). newStore returns an empty
// store for each sub-benchmark. A store's own benchmark calls it:
//
//	func BenchmarkRecord(b *testing.B) {
//		storetest.BenchmarkRecord(b, func(b *testing.B) release.Store { return mystore.Open(b.TempDir()) })
//	}
func BenchmarkRecord(b *testing.B, newStore func(b *testing.B) release.Store) {
	for _, writers := range []int{1, 16} {
		for _, op := range []string{"fire", "record"} {
			b.Run(fmt.Sprintf("%s/writers=%d", op, writers), func(b *testing.B) {
				benchOps(b, newStore(b), op, writers)
			})
		}
	}
}

func benchOps(b *testing.B, s release.Store, op string, writers int) {
	ctx := context.Background()
	e, err := release.New(s, release.WithPolicy(release.AllowAll()))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]release.ID, writers)
	for w := range ids {
		r, err := e.Create(ctx, spec(fmt.Sprintf("svc-%d", w), "prod"))
		if err != nil {
			b.Fatal(err)
		}
		if r, err = e.Fire(ctx, r.ID, release.EventPlan, bob); err != nil {
			b.Fatal(err)
		}
		ids[w] = r.ID
	}
	check := release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess, Source: "github"}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	for w := range writers {
		wg.Go(func() {
			ev := release.EventSchedule
			for next.Add(1) <= int64(b.N) {
				var err error
				if op == "record" {
					_, err = e.Record(ctx, ids[w], check)
				} else {
					_, err = e.Fire(ctx, ids[w], ev, bob)
					ev = map[release.Event]release.Event{release.EventSchedule: release.EventUnschedule, release.EventUnschedule: release.EventSchedule}[ev]
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// listSizes are the numbers of stored releases [BenchmarkList] runs at.
var listSizes = []int{1_000, 10_000, 100_000}

// BenchmarkList measures List as the number of stored releases grows: at 1,000,
// 10,000 and 100,000 releases ("releases=N"), for reference first a List by version
// ("scan"), a field no index serves, which reads every release (the cost of a List
// before the indexes), then a List by name ("name") and by component ("component"),
// each matching 10 releases at every size. The scan runs first so that the store's
// data has been read once, as in a store that has been serving for a while: on a
// memory-mapped file (bolt) the first read of each page costs a page fault, which
// would otherwise charge the first pass over 100,000 releases to the indexed Lists. The releases are made through an
// engine by 8 concurrent writers: n/10 names with 10 releases each, n/10 components
// carried by 10 releases each, half of them planned. newStore returns an empty store
// for each size. Each sub-benchmark makes one untimed List first, and reports the
// process's CPU time per List (cpu-ns/op) beside the wall-clock time: on a shared
// machine the wall clock also counts waits for a core (for a database server, the
// CPU time is the client's alone). A store serves the
// name and component filters from an index when their cost stays flat as the
// releases grow.
func BenchmarkList(b *testing.B, newStore func(b *testing.B) release.Store) {
	for _, n := range listSizes {
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			s := newStore(b)
			fillReleases(b, s, n)
			groups := n / 10
			for _, tc := range []struct {
				by  string
				f   func(i int) release.Filter
				hit int
			}{
				{"scan", func(int) release.Filter { return release.Filter{Version: "9.9.9"} }, 1},
				{"name", func(i int) release.Filter { return release.Filter{Name: fmt.Sprintf("svc-%d", (i+1)*7919%groups)} }, 10},
				{"component", func(i int) release.Filter { return release.Filter{Component: fmt.Sprintf("lib-%d", (i+1)*7919%groups)} }, 10},
			} {
				b.Run(tc.by, func(b *testing.B) {
					ctx := context.Background()
					if _, err := s.List(ctx, tc.f(-1)); err != nil { // untimed: a store may prepare on first use
						b.Fatal(err)
					}
					var cpu time.Duration
					for i := 0; b.Loop(); i++ {
						if i == 0 {
							cpu = benchcpu.Start()
						}
						rs, err := s.List(ctx, tc.f(i))
						if err != nil || len(rs) != tc.hit {
							b.Fatalf("List(%+v) = %d releases, %v; want %d", tc.f(i), len(rs), err, tc.hit)
						}
					}
					benchcpu.Report(b, cpu)
				})
			}
		})
	}
}

// fillReleases creates n releases for BenchmarkList: release i is named
// svc-(i mod n/10), carries component lib-(i/10 mod n/10), and is planned when i is
// even; the last one has version 9.9.9.
func fillReleases(b *testing.B, s release.Store, n int) {
	b.Helper()
	ctx := context.Background()
	e, err := release.New(s, release.WithPolicy(release.AllowAll()))
	if err != nil {
		b.Fatal(err)
	}
	actor := release.Person("bench", release.RoleReleaseManager)
	groups := n / 10
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, 8)
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				version := "1.0.0"
				if i == n-1 {
					version = "9.9.9"
				}
				r, err := e.Create(ctx, release.Spec{Name: fmt.Sprintf("svc-%d", i%groups), Version: version, Environment: "prod", Author: "ana",
					Components: []release.Component{{Name: fmt.Sprintf("lib-%d", i/10%groups), Version: "1.0.0"}}})
				if err == nil && i%2 == 0 {
					_, err = e.Fire(ctx, r.ID, release.EventPlan, actor)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
