package calendar_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

// BenchmarkScheduleSizes: Schedule of 1,250, 2,500 and 5,000 requests across 50
// environments with capacity 3 and 1,000 rules, a third of them depending on an earlier
// request (the workload of BenchmarkSchedule), for the scaling table of
// docs/BENCHMARKS.md.
func BenchmarkScheduleSizes(b *testing.B) {
	rules := benchRules(1000)
	for _, n := range []int{1_250, 2_500, 5_000} {
		cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute), calendar.WithDefaultCapacity(3))
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(11, 13))
		reqs := make([]calendar.Request, n)
		for i := range reqs {
			reqs[i] = calendar.Request{ID: fmt.Sprintf("r%05d", i), Environment: fmt.Sprintf("env%02d", i%50),
				Services: []string{fmt.Sprintf("svc%03d", rng.IntN(200))}, Duration: time.Duration(30+rng.IntN(90)) * time.Minute,
				NotBefore: benchStart.Add(time.Duration(rng.IntN(30*24)) * time.Hour)}
			if i >= 50 && rng.IntN(3) == 0 {
				reqs[i].DependsOn = []string{fmt.Sprintf("r%05d", i-50)}
			}
		}
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var plan *calendar.Plan
			for b.Loop() {
				if plan, err = cal.Schedule(reqs, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(plan.Bookings)), "placed")
		})
	}
}
