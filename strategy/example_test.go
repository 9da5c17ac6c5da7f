package strategy_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/analysis"
	"github.com/releasekit/releasekit/strategy"
)

// paymentsCanary is the canary of docs/STRATEGIES.md.
func paymentsCanary() strategy.Strategy {
	errorRate := analysis.Analysis{Name: "payments-errors", Metrics: []analysis.Metric{{
		Name: "error-rate", Provider: "prometheus",
		Query:    `sum(rate(http_requests_total{app="payments",track="canary",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="payments",track="canary"}[1m]))`,
		Baseline: `sum(rate(http_requests_total{app="payments",track="stable",code=~"5.."}[1m])) / sum(rate(http_requests_total{app="payments",track="stable"}[1m]))`,
		Count:    5, Interval: time.Minute,
		Success: []string{"<=0.01", "<=+20%"}, Failure: []string{">=0.05"}, FailureLimit: 1,
	}}}
	return strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10),
		strategy.Analyze(errorRate),
		strategy.SetWeight(50),
		strategy.Pause(15 * time.Minute),
		strategy.AwaitPromotion(),
	}}}
}

// checkoutBlueGreen is the blue-green strategy of docs/STRATEGIES.md.
func checkoutBlueGreen() strategy.Strategy {
	smoke := analysis.Analysis{Name: "checkout-smoke", Metrics: []analysis.Metric{{
		Name: "success", Provider: "probe", Query: "/stats#checkout.success_ratio", Count: 3, Interval: 30 * time.Second,
		Success: []string{">=0.999"},
	}}}
	return strategy.Strategy{BlueGreen: &strategy.BlueGreen{
		PrePromotion: &smoke, PostPromotion: &smoke, ScaleDownDelay: 30 * time.Minute,
	}}
}

// ledgerRolling is the rolling strategy of docs/STRATEGIES.md.
func ledgerRolling() strategy.Strategy {
	return strategy.Strategy{Rolling: &strategy.Rolling{Replicas: 6, BatchSize: 2, Pause: 2 * time.Minute}}
}

// A canary whose error rate is too high at 10%: the driver returns the traffic
// to the stable version and runs the rollback hook.
func ExampleDriver() {
	traffic := strategy.TrafficFunc(func(ctx context.Context, rollout string, s strategy.Step) error {
		fmt.Println("host:", s.Describe())
		return nil
	})
	canaryErrors := analysis.ProviderFunc(func(ctx context.Context, q analysis.Query) (analysis.Vector, error) {
		return analysis.Vector{{Value: 0.07}}, nil // 7% of canary requests fail
	})
	runner, err := analysis.NewRunner(map[string]analysis.Provider{"prometheus": canaryErrors})
	if err != nil {
		log.Fatal(err)
	}
	driver, err := strategy.NewDriver(traffic, runner, strategy.WithRollback(func(ctx context.Context, rollout, reason string) error {
		fmt.Println("rollback of", rollout)
		return nil
	}))
	if err != nil {
		log.Fatal(err)
	}

	res, err := driver.Run(context.Background(), strategy.Rollout{ID: "payments-2.4.0", Strategy: strategy.Strategy{Canary: &strategy.Canary{Steps: []strategy.Step{
		strategy.SetWeight(10),
		strategy.Analyze(analysis.Analysis{Name: "payments-errors", Metrics: []analysis.Metric{{
			Name: "error-rate", Provider: "prometheus", Query: `job:errors:ratio1m{app="payments",track="canary"}`,
			Success: []string{"<=0.01"}, Failure: []string{">=0.05"},
		}}}),
		strategy.SetWeight(50),
	}}}})
	fmt.Println(res.Phase, err)
	fmt.Println(res.Reason)
	// Output:
	// host: set weight: 10% of traffic to the new version
	// host: set weight: 0% of traffic to the new version
	// rollback of payments-2.4.0
	// Aborted <nil>
	// analysis "payments-errors" Failed: metric "error-rate": 1 of 1 measurements failed, more than the 0 tolerated; measurement 0: 0.07 meets the failure condition >=0.05
}
