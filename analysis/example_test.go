package analysis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/releasekit/releasekit/analysis"
)

// A canary's error rate is measured three times; the second measurement is in
// the warning band, the third fails, and one failure is tolerated.
func Example() {
	var mu sync.Mutex
	rates := []float64{0.004, 0.03, 0.2}
	canary := analysis.ProviderFunc(func(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
		mu.Lock()
		defer mu.Unlock()
		v := rates[0]
		rates = rates[1:]
		return analysis.Vector{{Value: v}}, nil
	})
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"metrics": canary})
	if err != nil {
		panic(err)
	}
	a := analysis.Analysis{Name: "payments-canary", Metrics: []analysis.Metric{{
		Name: "error-rate", Provider: "metrics", Query: `sum(rate(errors{app="payments",track="canary"}[1m]))`,
		Count: 3, Interval: time.Millisecond,
		Success: []string{"<=0.01"}, Warning: []string{"<=0.05"}, FailureLimit: 1,
	}}}
	res, err := runner.Run(context.Background(), a, analysis.RunID("payments-2.4.0/verify"))
	if err != nil {
		panic(err)
	}
	for _, m := range res.Metrics[0].Measurements {
		fmt.Printf("%d %s: %s\n", m.Index, m.Phase, m.Reason)
	}
	fmt.Println(res.Phase+":", res.Reason)
	// Output:
	// 0 Successful: 0.004 meets <=0.01
	// 1 Warning: 0.03 misses <=0.01 but meets the warning level <=0.05
	// 2 Failed: 0.2 misses <=0.01
	// Successful: every metric passed (error-rate: 2 of 3 measurements succeeded, 1 of them at the warning level (tolerated: 1 failed, 0 inconclusive, 0 errors))
}

// Recorded measurements, read back from a store, are replayed against the
// analysis: every value is judged again and the verdict rebuilt.
func ExampleEvaluate() {
	a := analysis.Analysis{Name: "verify", Metrics: []analysis.Metric{{
		Name: "p95", Provider: "prometheus", Query: "p95_latency", Baseline: "p95_latency_stable",
		Count: 2, Interval: time.Minute, Success: []string{"<=+10%"},
	}}}
	var recorded []analysis.Measurement
	if err := json.Unmarshal([]byte(`[
		{"run":"r1","metric":"p95","index":0,"value":0.210,"baseline":0.200,"phase":"Successful","reason":"0.21 (baseline 0.2) meets <=+10% (<=0.22)"},
		{"run":"r1","metric":"p95","index":1,"value":0.260,"baseline":0.200,"phase":"Failed","reason":"0.26 (baseline 0.2) misses <=+10% (<=0.22)"}]`), &recorded); err != nil {
		log.Fatal(err)
	}
	res, err := analysis.Evaluate(a, recorded)
	fmt.Println(res.Phase, err)
	fmt.Println(res.Reason)

	recorded[1].Phase = analysis.PhaseSuccessful // altered after the fact
	_, err = analysis.Evaluate(a, recorded)
	fmt.Println(err)
	// Output:
	// Failed <nil>
	// metric "p95": 1 of 2 measurements failed, more than the 0 tolerated; measurement 1: 0.26 (baseline 0.2) misses <=+10% (<=0.22)
	// recorded measurement 1 of metric "p95": recorded Successful, but its value judged under the analysis' conditions is Failed
}
