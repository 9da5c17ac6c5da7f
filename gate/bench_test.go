package gate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/gate"
)

// BenchmarkEvaluate100Gates50ms evaluates 100 gates that each take 50 ms
// (sleeping, but honouring ctx) with parallelism 100. Target: one evaluation
// within 1.2 × 50 ms = 60 ms per op.
func BenchmarkEvaluate100Gates50ms(b *testing.B) {
	gates := make([]gate.Gate, 100)
	for i := range gates {
		gates[i] = sleeper(fmt.Sprintf("g%03d", i), 50*time.Millisecond)
	}
	opts := gate.Options{Parallelism: 100, Timeout: time.Second}
	in := gate.Input{Now: t0}
	for b.Loop() {
		d := gate.Evaluate(context.Background(), gates, in, opts)
		if !d.Go {
			b.Fatal(d.Err)
		}
	}
}

// BenchmarkEvaluateOverhead measures the evaluator's own cost: 100 gates that
// return at once.
func BenchmarkEvaluateOverhead(b *testing.B) {
	gates := make([]gate.Gate, 100)
	for i := range gates {
		gates[i] = fixed(fmt.Sprintf("g%03d", i), gate.StatusPass, "")
	}
	in := gate.Input{Now: t0}
	for b.Loop() {
		gate.Evaluate(context.Background(), gates, in, gate.Options{Parallelism: 8})
	}
}

func BenchmarkBuiltinGates(b *testing.B) {
	in := gate.Input{Author: "alice", Revision: 1, Now: t0,
		Checks:    map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckSuccess}},
		Metrics:   map[string]float64{"lat": 100, "err": 0},
		Baselines: map[string]float64{"lat": 95}}
	for i := range 10 {
		in.Approvals = append(in.Approvals, gate.Approval{Actor: fmt.Sprint("p", i), Roles: []string{"rm", "sec"}, At: t0, Revision: 1})
	}
	gates := []gate.Gate{
		gate.Approvals(gate.Quorum{Role: "rm", Min: 2}, gate.Quorum{Role: "sec", Min: 1}).WithMaxAge(time.Hour),
		gate.Checks("build", "e2e"),
		gate.Objectives(gate.Objective{Metric: "lat", Pass: []string{"<=+10%"}}, gate.Objective{Metric: "err", Pass: []string{"=0"}, Key: true}),
		gate.RiskAtMost("high"),
	}
	ctx := context.Background()
	for b.Loop() {
		for _, g := range gates {
			g.Evaluate(ctx, in)
		}
	}
}
