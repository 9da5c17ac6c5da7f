package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/releasekit/releasekit/gate"
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
