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
			plan := benchSchedule(b, cal, reqs)
			b.ReportMetric(float64(len(plan.Bookings)), "placed")
		})
	}
}

// BenchmarkScheduleSharedStart: Schedule of 1,000 to 8,000 requests that share one
// earliest start, spread over four environments with capacity 2 and 1,000 rules, each
// request changing one of 40 services. Every request's earliest start is blocked by
// all the requests placed before it in its environment: the case issue 14 measured
// growing with exponent 2.0. Target: exponent <= 1.2.
func BenchmarkScheduleSharedStart(b *testing.B) {
	rules := benchRules(1000)
	for _, n := range []int{1_000, 2_000, 4_000, 8_000} {
		cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute), calendar.WithDefaultCapacity(2))
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(17, 19))
		reqs := make([]calendar.Request, n)
		for i := range reqs {
			reqs[i] = calendar.Request{ID: fmt.Sprintf("r%05d", i), Environment: fmt.Sprintf("env%02d", 1+i%4),
				Services: []string{fmt.Sprintf("svc%03d", rng.IntN(40))}, Duration: time.Duration(30+15*rng.IntN(7)) * time.Minute,
				NotBefore: benchStart}
		}
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			if plan := benchSchedule(b, cal, reqs); len(plan.Unplaced) > 0 {
				b.Fatalf("%d requests unplaced: %s", len(plan.Unplaced), plan.Unplaced[0].Reason)
			}
		})
	}
}

// benchSchedule times Schedule of reqs on cal and returns the last plan.
func benchSchedule(b *testing.B, cal *calendar.Calendar, reqs []calendar.Request) *calendar.Plan {
	b.ReportAllocs()
	var plan *calendar.Plan
	for b.Loop() {
		var err error
		if plan, err = cal.Schedule(reqs, nil); err != nil {
			b.Fatal(err)
		}
	}
	return plan
}
