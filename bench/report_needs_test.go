package bench

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/internal/benchcpu"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// BenchmarkReportNeeds: Engine.Report over 2,000, 4,000 and 8,000 releases of one
// period, each needing a release of another service by a semver constraint (four
// versions per service, so every need matches a few releases). It is the case whose
// cost issue 14 measured growing with exponent 1.35, almost all of it re-parsing the
// constraint for every same-name pair.
func BenchmarkReportNeeds(b *testing.B) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	constraints := []string{"^1.0.0", ">=1.2.0", "~1.1", ">=1.0.0, <2.0.0"}
	for _, n := range []int{2_000, 4_000, 8_000} {
		eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(start, time.Second)), release.WithPolicy(release.AllowAll()))
		if err != nil {
			b.Fatal(err)
		}
		for i := range n {
			spec := release.Spec{Name: fmt.Sprintf("svc-%05d", i/4), Version: fmt.Sprintf("1.%d.0", i%4), Environment: "prod", Author: "ana"}
			if i+4 < n {
				spec.Needs = []release.Need{{Name: fmt.Sprintf("svc-%05d", i/4+1), Version: constraints[i%len(constraints)]}}
			}
			if _, err := eng.Create(ctx, spec); err != nil {
				b.Fatal(err)
			}
		}
		opts := release.ReportOptions{From: start, To: start.Add(30 * 24 * time.Hour)}
		b.Run(fmt.Sprintf("releases=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			c0 := benchcpu.Start()
			for b.Loop() {
				if err := eng.Report(ctx, io.Discard, opts); err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, c0)
		})
	}
}
