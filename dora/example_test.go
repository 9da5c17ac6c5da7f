package dora_test

import (
	"fmt"
	"time"

	"github.com/releasekit/releasekit/dora"
)

func ExampleMeasure() {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	deps := []dora.Deployment{
		{Service: "api", Team: "core", CommitAt: t0.Add(-30 * time.Hour), DeployedAt: t0},
		{Service: "api", Team: "core", CommitAt: t0.Add(20 * time.Hour), DeployedAt: t0.Add(26 * time.Hour), Failed: true, RestoredAt: t0.Add(26*time.Hour + 40*time.Minute)},
		{Service: "web", Team: "ui", CommitAt: t0.Add(48 * time.Hour), DeployedAt: t0.Add(50 * time.Hour)},
	}
	m := dora.Measure(deps, dora.Period{From: t0, To: t0.Add(dora.Week)})
	fmt.Printf("frequency %.2f/day %s\n", m.DeploymentFrequency.PerDay, m.DeploymentFrequency.Band)
	fmt.Printf("lead time %v %s\n", m.LeadTime.Median, m.LeadTime.Band)
	fmt.Printf("failure rate %.0f%% %s\n", 100*m.ChangeFailureRate.Rate, m.ChangeFailureRate.Band)
	fmt.Printf("time to restore %v %s\n", m.TimeToRestore.Median, m.TimeToRestore.Band)
	// Output:
	// frequency 0.43/day high
	// lead time 6h0m0s elite
	// failure rate 33% low
	// time to restore 40m0s elite
}

// A report breaks the metrics down per service and per team.
func ExampleNewReport() {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	deps := []dora.Deployment{
		{Service: "api", Team: "core", DeployedAt: t0},
		{Service: "api", Team: "core", DeployedAt: t0.Add(24 * time.Hour), Failed: true},
		{Service: "web", Team: "ui", DeployedAt: t0.Add(48 * time.Hour)},
	}
	r := dora.NewReport(deps, dora.Period{From: t0, To: t0.Add(dora.Week)})
	for _, svc := range []string{"api", "web"} {
		m := r.Services[svc]
		fmt.Printf("%s: %d deployments, failure rate %s, %d not restored\n", svc, m.Deployments, m.ChangeFailureRate.Band, m.Unrestored)
	}
	// Output:
	// api: 2 deployments, failure rate low, 1 not restored
	// web: 1 deployments, failure rate elite, 0 not restored
}
