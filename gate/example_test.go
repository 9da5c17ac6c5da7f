package gate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/gate"
)

func Example() {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	in := gate.Input{
		ID: "rel-42", Environment: "prod", Author: "alice", Requester: "bob", Revision: 3, Now: now,
		Approvals: []gate.Approval{
			{Actor: "alice", Roles: []string{"release-manager"}, At: now.Add(-time.Hour), Revision: 3},
			{Actor: "carol", Roles: []string{"release-manager"}, At: now.Add(-time.Hour), Revision: 3},
			{Actor: "dave", Roles: []string{"security"}, At: now.Add(-2 * time.Hour), Revision: 3},
		},
		Checks:    map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckSuccess}},
		Metrics:   map[string]float64{"p95_latency_ms": 480, "error_rate": 0.2},
		Baselines: map[string]float64{"p95_latency_ms": 450},
		RiskLevel: "medium",
	}
	gates := []gate.Gate{
		gate.Approvals(gate.Quorum{Role: "release-manager", Min: 1}, gate.Quorum{Role: "security", Min: 1}).WithMaxAge(24 * time.Hour),
		gate.Checks("build", "e2e"),
		gate.Objectives(
			gate.Objective{Metric: "p95_latency_ms", Pass: []string{"<=+10%", "<600"}, Warning: []string{"<=+20%"}},
			gate.Objective{Metric: "error_rate", Pass: []string{"<=0.5"}, Key: true},
		),
		gate.RiskAtMost("high"),
	}
	d := gate.Evaluate(context.Background(), gates, in, gate.Options{Parallelism: 4, Timeout: 5 * time.Second})
	fmt.Println("go:", d.Go)
	for _, r := range d.Results {
		fmt.Printf("%s: %s\n", r.Gate, r.Status)
	}
	fmt.Println(d.Results[0].Evidence["ignored"])
	// Output:
	// go: true
	// approvals: pass
	// checks: pass
	// objectives: pass
	// risk: pass
	// alice (the author may not approve: separation of duties)
}

func ExampleEvaluate_noGo() {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	in := gate.Input{Author: "alice", Now: now, Checks: map[string]gate.Check{"build": {Status: gate.CheckFailure}}}
	gates := []gate.Gate{
		gate.Checks("build"),
		gate.Advisory(gate.Func("docs", func(context.Context, gate.Input) gate.Result {
			return gate.Result{Status: gate.StatusFail, Reason: "release notes missing"}
		})),
	}
	d := gate.Evaluate(context.Background(), gates, in, gate.Options{})
	fmt.Println("go:", d.Go)
	fmt.Println(d.Err)
	// Output:
	// go: false
	// gate "checks" failed: checks not successful: "build" is failure: fix or re-run them
}

func ExampleDecide_waiver() {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	in := gate.Input{Author: "alice", Now: now}
	results := []gate.Result{{Gate: "checks", Status: gate.StatusFail, Reason: "flaky e2e", Required: true}}
	opts := gate.Options{
		AllowedWaiverRoles: []string{"release-manager"},
		Waivers: []gate.Waiver{
			{Gate: "checks", Actor: "alice", Roles: []string{"release-manager"}, Reason: "known flake", Expires: now.Add(time.Hour)},
			{Gate: "checks", Actor: "carol", Roles: []string{"release-manager"}, Reason: "known flake, ticket OPS-7", Expires: now.Add(time.Hour)},
		},
	}
	d := gate.Decide(results, in, opts)
	fmt.Println("go:", d.Go, "waived by:", d.Results[0].Waived.Actor)
	fmt.Println(d.Results[0].WaiverRejections[0])
	// Output:
	// go: true waived by: carol
	// waiver by "alice" rejected: the author of the release may not waive its gates (separation of duties)
}

func ExampleParseCriterion() {
	c, err := gate.ParseCriterion("<=+10%")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Op, c.Value, c.Relative, c.Holds(105, 100), c.Holds(111, 100))
	_, err = gate.ParseCriterion("<=10%")
	fmt.Println(err)
	// Output:
	// <= 10 true true false
	// criterion "<=10%": a relative criterion needs an explicit sign: write "+10%" for an increase or "-2%" for a decrease
}
