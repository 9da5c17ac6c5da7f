package risk_test

import (
	"fmt"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/risk"
)

func Example() {
	facts := risk.Facts{
		Components:        []string{"payments", "ledger"},
		LinesChanged:      1200,
		FilesChanged:      40,
		Dependents:        12,
		History:           map[string]risk.Outcomes{"payments": {Deployments: 20, Failures: 3}},
		Class:             change.Normal,
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
	// Output: [1 of release-manager 1 of change-advisory-board] [checks objectives]
}
