package risk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/dora"
)

// BenchmarkDORASizes measures the DORA metrics (the dora package's, kept here so the
// benchmark keeps its name and history) over 1,000, 10,000 and 100,000
// deployments (50 services, 7 teams, one deployment every 7 minutes), for the scaling
// table of docs/BENCHMARKS.md.
func BenchmarkDORASizes(b *testing.B) {
	start := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1_000, 10_000, 100_000} {
		deps := make([]dora.Deployment, n)
		for i := range deps {
			at := start.Add(time.Duration(i) * 7 * time.Minute)
			deps[i] = dora.Deployment{Service: fmt.Sprint("svc", i%50), Team: fmt.Sprint("team", i%7),
				CommitAt: at.Add(-time.Duration(i%97) * time.Hour), DeployedAt: at, Failed: i%13 == 0, RestoredAt: at.Add(time.Duration(i%300) * time.Minute)}
		}
		window := dora.Period{From: start, To: start.Add(time.Duration(n) * 7 * time.Minute)}
		b.Run(fmt.Sprintf("deployments=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dora.Measure(deps, window)
			}
		})
	}
}
