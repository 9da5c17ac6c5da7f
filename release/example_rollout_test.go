package release_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/rollback"
	"github.com/releasekit/releasekit/strategy"
)

// A canary whose error rate is too high at 10%: the engine records the steps and
// the measurement in the release's history, the traffic returns to the stable
// version, the release fails with the measurement as its reason, and its rollback
// plan runs.
func ExampleEngine_Rollout() {
	ctx := context.Background()
	clock := releasetest.NewClock(time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC), 0) // one clock for engine, runner and driver
	deploy := rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
		fmt.Println("rollback step:", s.ID)
		return nil
	})
	eng, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithRollback(release.RollbackConfig{Executor: deploy}))
	if err != nil {
		log.Fatal(err)
	}

	// The host's side: its load balancer and its metrics.
	traffic := strategy.TrafficFunc(func(_ context.Context, _ string, s strategy.Step) error {
		fmt.Println("load balancer:", s.Describe())
		return nil
	})
	errorRate := analysis.ProviderFunc(func(context.Context, analysis.Query) (analysis.Vector, error) {
		return analysis.Vector{{Value: 0.07}}, nil // 7% of the canary's requests fail
	})
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"prometheus": errorRate}, analysis.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	driver, err := strategy.NewDriver(traffic, runner, strategy.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}

	bot := release.Automation("deploybot", release.RoleDeployer)
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "prod", Author: "ana",
		Components: []release.Component{{Name: "payments", Version: "2.4.0", PreviousVersion: "2.3.0"}}})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart} {
		r, err = eng.Fire(ctx, r.ID, ev, bot)
		if err != nil {
			log.Fatal(err)
		}
	}

	canary := strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10),
		strategy.Analyze(analysis.Analysis{Name: "payments-errors", Metrics: []analysis.Metric{{
			Name: "error-rate", Provider: "prometheus", Query: `job:errors:ratio1m{app="payments",track="canary"}`,
			Success: []string{"<=0.01"}, Failure: []string{">=0.05"},
		}}}),
		strategy.SetWeight(100),
	}}}
	res, err := eng.Rollout(ctx, r.ID, driver, strategy.Rollout{ID: "payments-2.4.0", Strategy: canary}, bot)
	fmt.Println("rollout:", res.Phase, err)

	r, err = eng.Get(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("release:", r.State)
	h, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range h {
		if e.Event == release.EventRecord {
			fmt.Printf("  %s: %s\n", e.Evidence.Kind, e.Reason)
		} else if e.Event == release.EventFail {
			fmt.Printf("  fail: %s\n", e.Reason)
		}
	}
	// Output:
	// load balancer: set weight: 10% of traffic to the new version
	// load balancer: set weight: 0% of traffic to the new version
	// rollback step: w1/payments/redeploy
	// rollout: Aborted <nil>
	// release: rolled_back
	//   check: rollout payments-2.4.0 step 0 (setWeight) started, weight 0%
	//   check: rollout payments-2.4.0 step 0 (setWeight) completed, weight 10%
	//   check: rollout payments-2.4.0 step 1 (analysis) started, weight 10%
	//   metric: analysis payments-errors, error-rate #0: Failed: 0.07 meets the failure condition >=0.05
	//   check: rollout payments-2.4.0 step 1 (analysis) aborted, weight 10%: analysis "payments-errors" Failed: metric "error-rate": 1 of 1 measurements failed, more than the 0 tolerated; measurement 0: 0.07 meets the failure condition >=0.05
	//   check: rollout payments-2.4.0 step 1 (analysis) restored, weight 0%
	//   fail: rollout payments-2.4.0 aborted at step 1: analysis "payments-errors" Failed: metric "error-rate": 1 of 1 measurements failed, more than the 0 tolerated; measurement 0: 0.07 meets the failure condition >=0.05
	// error-rate #0: 0.07 meets the failure condition >=0.05
}
