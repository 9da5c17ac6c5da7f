package risk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/dora"
	"github.com/releasekit/releasekit/risk"
)

func benchFacts() risk.Facts {
	return risk.Facts{
		Components:   []string{"api", "web", "db", "auth"},
		LinesChanged: 1800, FilesChanged: 60, Dependents: 14,
		History: map[string]risk.Outcomes{
			"api": {Deployments: 120, Failures: 7}, "web": {Deployments: 300, Failures: 4},
			"db": {Deployments: 40, Failures: 3}, "auth": {Deployments: 80, Failures: 1},
		},
		Class:               change.Normal,
		Schedule:            risk.Schedule{OutsideBusinessHours: true, FreezeIn: 20 * time.Hour},
		IrreversibleSteps:   []string{"migrate users table"},
		FirstTimeComponents: []string{"auth"},
		Tests:               risk.TestEvidence{Passed: true, Coverage: 71},
	}
}

// BenchmarkAssess measures one Assess with the default model (including its
// validation) on a realistic release.
func BenchmarkAssess(b *testing.B) {
	m := risk.DefaultModel()
	f := benchFacts()
	for b.Loop() {
		m.Assess(f)
	}
}

// BenchmarkDORA measures the DORA metrics (now the dora package's, kept here so the
// benchmark keeps its name and history) over 10,000 deployments.
func BenchmarkDORA(b *testing.B) {
	w0 := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	deps := make([]dora.Deployment, 10000)
	for i := range deps {
		at := w0.Add(time.Duration(i) * 7 * time.Minute)
		deps[i] = dora.Deployment{Service: fmt.Sprint("svc", i%50), Team: fmt.Sprint("team", i%7),
			CommitAt: at.Add(-time.Duration(i%97) * time.Hour), DeployedAt: at, Failed: i%13 == 0, RestoredAt: at.Add(time.Duration(i%300) * time.Minute)}
	}
	window := dora.Period{From: w0, To: w0.Add(90 * dora.Day)}
	for b.Loop() {
		dora.Measure(deps, window)
	}
}
