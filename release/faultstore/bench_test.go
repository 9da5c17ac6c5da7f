package faultstore_test

import (
	"context"
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
)

// BenchmarkFire measures one schedule or unschedule through the engine on the memory
// store, bare and wrapped in faultstore (with faults that never strike, so only the
// wrapper's bookkeeping differs), in the same run.
func BenchmarkFire(b *testing.B) {
	wrap := func(s release.Store) release.Store {
		fs, err := faultstore.New(s, faultstore.WithFaults(faultstore.Fault{Op: faultstore.OpUpdate, Nth: 1 << 40}))
		if err != nil {
			b.Fatal(err)
		}
		return fs
	}
	for _, bc := range []struct {
		name  string
		store func() release.Store
	}{
		{"memory", func() release.Store { return memory.New() }},
		{"faultstore", func() release.Store { return wrap(memory.New()) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			e, err := release.New(bc.store(), release.WithPolicy(release.AllowAll()))
			if err != nil {
				b.Fatal(err)
			}
			r, err := e.Create(ctx, spec("checkout"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := e.Fire(ctx, r.ID, release.EventPlan, bob); err != nil {
				b.Fatal(err)
			}
			evs := [2]release.Event{release.EventSchedule, release.EventUnschedule}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := e.Fire(ctx, r.ID, evs[i%2], bob); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
