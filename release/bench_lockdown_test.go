package release_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// BenchmarkStartLockdownHistory: what a start costs on the memory store as the
// lockdown history grows (each start reads and verifies it, then commits fenced on
// it): 0, 100 and 1000 entries (50 and 500 lockdowns declared and lifted). Only the
// start is timed; each iteration's release is taken to approved outside the timer.
func BenchmarkStartLockdownHistory(b *testing.B) {
	ctx := context.Background()
	for _, lockdowns := range []int{0, 50, 500} {
		b.Run(fmt.Sprintf("entries=%d", 2*lockdowns), func(b *testing.B) {
			eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()),
				release.WithClock(releasetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), time.Millisecond)))
			if err != nil {
				b.Fatal(err)
			}
			for i := range lockdowns {
				l, err := eng.Lockdown(ctx, rui, release.Lockdown{Reason: fmt.Sprint("drill ", i), Environments: []string{"staging"}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := eng.Lift(ctx, l.ID, rui, "over"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r := approvedIn(b, eng, fmt.Sprint("svc-", i), "prod", release.ClassNormal)
				b.StartTimer()
				if _, err := eng.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
