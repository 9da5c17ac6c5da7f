package gate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// BenchmarkEvaluateSizes measures the evaluator's own cost as the number of gates grows
// (10, 100 and 1,000 gates that return at once, parallelism 8), for the scaling table
// of docs/BENCHMARKS.md.
func BenchmarkEvaluateSizes(b *testing.B) {
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, n := range []int{10, 100, 1_000} {
		gates := make([]gate.Gate, n)
		for i := range gates {
			gates[i] = gate.Func(fmt.Sprintf("g%04d", i), func(context.Context, gate.Input) gate.Result {
				return gate.Result{Status: gate.StatusPass}
			})
		}
		b.Run(fmt.Sprintf("gates=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := gate.Evaluate(context.Background(), gates, gate.Input{Now: at}, gate.Options{Parallelism: 8}); !d.Go {
					b.Fatal(d.Err)
				}
			}
		})
	}
}
