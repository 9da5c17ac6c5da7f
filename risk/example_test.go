package risk_test

import (
	"fmt"
	"time"

	"github.com/releasekit/releasekit/risk"
)

func Example() {
	facts := risk.Facts{
		Components:        []string{"payments", "ledger"},
		LinesChanged:      1200,
		FilesChanged:      40,
		Dependents:        12,
		History:           map[string]risk.Outcomes{"payments": {Deployments: 20, Failures: 3}},
		Class:             risk.Normal,
		IrreversibleSteps: []string{"drop column ledger.legacy_id"},
		Tests:             risk.TestEvidence{Passed: true, Coverage: 72},
	}
	a := risk.DefaultModel().Assess(facts)
	fmt.Printf("%s %.0f\n", a.Level, a.Score)
	top := a.Contributions[0]
	fmt.Printf("%s: %s -> %s\n", top.Factor, top.Reason, top.Mitigation)
	// Output:
	// medium 46
	// size: 1200 lines in 40 files changed -> split the release into smaller changes
}

func ExamplePolicy_For() {
	req, err := risk.DefaultPolicy().For(risk.High)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Approvals, req.Gates)
	// Output: [{release-manager 1} {change-advisory-board 1}] [checks objectives]
}

func ExampleDORA() {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	deps := []risk.Deployment{
		{Service: "api", Team: "core", CommitAt: t0.Add(-30 * time.Hour), DeployedAt: t0},
		{Service: "api", Team: "core", CommitAt: t0.Add(20 * time.Hour), DeployedAt: t0.Add(26 * time.Hour), Failed: true, RestoredAt: t0.Add(26*time.Hour + 40*time.Minute)},
		{Service: "web", Team: "ui", CommitAt: t0.Add(48 * time.Hour), DeployedAt: t0.Add(50 * time.Hour)},
	}
	m := risk.DORA(deps, risk.Window{From: t0, To: t0.Add(7 * 24 * time.Hour)})
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
