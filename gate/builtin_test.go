package gate_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/releasekit/releasekit/gate"
)

func appr(actor string, rev int64, at time.Time, roles ...string) gate.Approval {
	return gate.Approval{Actor: actor, Roles: roles, At: at, Revision: rev}
}

func TestApprovals(t *testing.T) {
	rm := gate.Quorum{Role: "rm", Min: 2}
	sec := gate.Quorum{Role: "sec", Min: 1}
	base := gate.Input{Author: "alice", Requester: "bob", Revision: 5, Now: t0}
	h := -time.Hour
	tests := []struct {
		name      string
		why       string
		g         gate.ApprovalGate
		approvals []gate.Approval
		want      gate.Status
		reason    string
	}{
		{"quorums met", "two rm and one sec by three people", gate.Approvals(rm, sec),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm"), appr("dave", 5, t0.Add(h), "rm"), appr("erin", 5, t0.Add(h), "sec")}, gate.StatusPass, "every quorum"},
		{"distinct people", "the same person twice counts once", gate.Approvals(rm),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm"), appr("carol", 5, t0.Add(2*h), "rm")}, gate.StatusFail, "2 of rm (have 1)"},
		{"one person one place", "a person with both roles fills only one quorum", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}, sec),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm", "sec")}, gate.StatusFail, "have 0"},
		{"matching finds an assignment", "carol must take sec so dave and erin take rm", gate.Approvals(rm, sec),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm", "sec"), appr("dave", 5, t0.Add(h), "rm"), appr("erin", 5, t0.Add(h), "rm")}, gate.StatusPass, "every quorum"},
		{"author ignored", "separation of duties: the author may not approve", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}),
			[]gate.Approval{appr("alice", 5, t0.Add(h), "rm")}, gate.StatusFail, "alice (the author may not approve: separation of duties)"},
		{"requester ignored", "separation of duties: the requester may not approve", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}),
			[]gate.Approval{appr("bob", 5, t0.Add(h), "rm")}, gate.StatusFail, "the requester may not approve"},
		{"old revision", "an approval of another revision does not count", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}),
			[]gate.Approval{appr("carol", 4, t0.Add(h), "rm")}, gate.StatusFail, "approved revision 4, the release is at revision 5"},
		{"expired", "approvals older than MaxAge do not count", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}).WithMaxAge(30 * time.Minute),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm")}, gate.StatusFail, "expired"},
		{"not expired", "approvals within MaxAge count", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}).WithMaxAge(2 * time.Hour),
			[]gate.Approval{appr("carol", 5, t0.Add(h), "rm")}, gate.StatusPass, "every quorum"},
		{"future dated", "an approval dated after now is suspicious", gate.Approvals(gate.Quorum{Role: "rm", Min: 1}).WithMaxAge(2 * time.Hour),
			[]gate.Approval{appr("carol", 5, t0.Add(-h), "rm")}, gate.StatusFail, "after the evaluation time"},
		{"anyone", "an empty role counts any eligible approver", gate.Approvals(gate.Quorum{Min: 2}),
			[]gate.Approval{appr("carol", 5, t0, "dev"), appr("dave", 5, t0)}, gate.StatusPass, "every quorum"},
		{"wrong role", "approvals without the role do not count", gate.Approvals(sec),
			[]gate.Approval{appr("carol", 5, t0, "rm")}, gate.StatusFail, "1 of sec (have 0)"},
		{"no actor", "an approval must name a person", gate.Approvals(gate.Quorum{Min: 1}),
			[]gate.Approval{appr("", 5, t0, "rm")}, gate.StatusFail, "no actor"},
		{"no quorum", "a gate without quorums is misconfigured", gate.Approvals(), nil, gate.StatusError, "no quorum"},
		{"bad min", "Min below 1 is misconfigured", gate.Approvals(gate.Quorum{Role: "rm"}), nil, gate.StatusError, "Min 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.Approvals = tt.approvals
			r := tt.g.Evaluate(context.Background(), in)
			assert.Equal(t, tt.want, r.Status, "%s: %s", tt.why, r.Reason)
			assert.Contains(t, r.Reason, tt.reason, tt.why)
		})
	}
}

func TestApprovalsNeedNowForMaxAge(t *testing.T) {
	r := gate.Approvals(gate.Quorum{Min: 1}).WithMaxAge(time.Hour).Evaluate(context.Background(), gate.Input{})
	assert.Equal(t, gate.StatusError, r.Status)
	assert.Contains(t, r.Reason, "Input.Now")
}

func TestChecks(t *testing.T) {
	checks := map[string]gate.Check{
		"build":   {Status: gate.CheckSuccess},
		"e2e":     {Status: gate.CheckPending},
		"lint":    {Status: gate.CheckFailure, URL: "ci/lint/9"},
		"skipped": {Status: gate.CheckSkipped},
		"blank":   {},
	}
	tests := []struct {
		name   string
		why    string
		g      gate.CheckGate
		want   gate.Status
		reason string
	}{
		{"success", "all named checks succeeded", gate.Checks("build"), gate.StatusPass, "all 1 required checks succeeded"},
		{"missing", "a check that never reported fails", gate.Checks("build", "security-scan"), gate.StatusFail, `"security-scan" is missing`},
		{"pending fails", "pending fails by default", gate.Checks("build", "e2e"), gate.StatusFail, `"e2e" is pending`},
		{"pending warns", "pending warns when asked", gate.Checks("build", "e2e").WithPendingWarns(), gate.StatusWarn, `"e2e" is pending`},
		{"failure beats pending", "a failure fails even when pending only warns", gate.Checks("lint", "e2e").WithPendingWarns(), gate.StatusFail, `"lint" is failure (ci/lint/9)`},
		{"skipped", "a skipped check is not a success", gate.Checks("skipped"), gate.StatusFail, "is skipped"},
		{"no status", "a check without status is not a success", gate.Checks("blank"), gate.StatusFail, "has no status"},
		{"no names", "a gate without checks is misconfigured", gate.Checks(), gate.StatusError, "no check names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.g.Evaluate(context.Background(), gate.Input{Checks: checks})
			assert.Equal(t, tt.want, r.Status, tt.why)
			assert.Contains(t, r.Reason, tt.reason, tt.why)
		})
	}
}

func TestObjectives(t *testing.T) {
	in := gate.Input{
		Metrics:   map[string]float64{"latency": 500, "errors": 0, "avail": 99.95, "cpu": 70, "nan": nan()},
		Baselines: map[string]float64{"latency": 480, "cpu": 50},
	}
	lat := gate.Objective{Metric: "latency", Pass: []string{"<=600", "<=+10%"}, Warning: []string{"<=800"}}
	errs := gate.Objective{Metric: "errors", Pass: []string{"=0"}, Key: true}
	avail := gate.Objective{Metric: "avail", Pass: []string{">=99.9"}}
	cpu := gate.Objective{Metric: "cpu", Pass: []string{"<=+10%"}, Warning: []string{"<=+50%"}} // 70 vs 50: +40%
	tests := []struct {
		name   string
		why    string
		g      gate.ObjectiveGate
		want   gate.Status
		score  string
		reason string
	}{
		{"all pass", "every objective within its pass criteria", gate.Objectives(lat, errs, avail), gate.StatusPass, "100.00", "score 100.00%"},
		{"warn scores half", "3 pass + 1 warn of 4 = 87.5: warn", gate.Objectives(lat, errs, avail, cpu), gate.StatusWarn, "87.50", "warned: cpu"},
		{"thresholds", "with pass at 85 the same score passes", gate.Objectives(lat, errs, avail, cpu).WithThresholds(85, 50), gate.StatusPass, "87.50", "score 87.50%"},
		{"weights", "a heavy warning lowers the score below the warning threshold", gate.Objectives(lat, gate.Objective{Metric: "cpu", Pass: []string{"<=+10%"}, Warning: []string{"<=+50%"}, Weight: 3}), gate.StatusFail, "62.50", "bring the failing"},
		{"key fails gate", "a failing key objective fails whatever the score",
			gate.Objectives(lat, avail, lat, avail, lat, avail, lat, avail, lat, avail, gate.Objective{Metric: "errors", Pass: []string{">0"}, Key: true}), gate.StatusFail, "90.91", "key objective errors failed"},
		{"missing metric", "a missing metric fails its objective", gate.Objectives(gate.Objective{Metric: "gone", Pass: []string{"<1"}}), gate.StatusFail, "0.00", `metric "gone" is missing`},
		{"missing baseline", "a relative criterion without baseline fails", gate.Objectives(gate.Objective{Metric: "avail", Pass: []string{">=-1%"}}), gate.StatusFail, "0.00", "no baseline"},
		{"nan metric", "NaN fails", gate.Objectives(gate.Objective{Metric: "nan", Pass: []string{"<1"}}), gate.StatusFail, "0.00", "NaN"},
		{"informational", "objectives without pass criteria are not scored", gate.Objectives(avail, gate.Objective{Metric: "gone"}), gate.StatusPass, "100.00", "score 100.00%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.g.Evaluate(context.Background(), in)
			assert.Equal(t, tt.want, r.Status, "%s: %s", tt.why, r.Reason)
			assert.Equal(t, tt.score, r.Evidence["score"], tt.why)
			assert.Contains(t, r.Reason, tt.reason, tt.why)
		})
	}
}

func TestObjectivesMisconfigured(t *testing.T) {
	tests := []struct {
		name   string
		g      gate.ObjectiveGate
		reason string
	}{
		{"bad criterion", gate.Objectives(gate.Objective{Metric: "m", Pass: []string{"~5"}}), "does not start with an operator"},
		{"bad warning criterion", gate.Objectives(gate.Objective{Metric: "m", Pass: []string{"<5"}, Warning: []string{"<5%"}}), "explicit sign"},
		{"no pass criteria", gate.Objectives(gate.Objective{Metric: "m"}), "nothing to score"},
		{"no metric", gate.Objectives(gate.Objective{Pass: []string{"<1"}}), "has no metric"},
		{"negative weight", gate.Objectives(gate.Objective{Metric: "m", Pass: []string{"<1"}, Weight: -1}), "weight -1"},
		{"warn above pass", gate.Objectives(gate.Objective{Metric: "m", Pass: []string{"<1"}}).WithThresholds(50, 60), "exceeds PassPercent"},
		{"out of range", gate.Objectives(gate.Objective{Metric: "m", Pass: []string{"<1"}}).WithThresholds(150, 60), "outside (0, 100]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.g.Evaluate(context.Background(), gate.Input{Metrics: map[string]float64{"m": 0}})
			assert.Equal(t, gate.StatusError, r.Status)
			assert.Contains(t, r.Reason, tt.reason)
		})
	}
}

func TestRiskAtMost(t *testing.T) {
	tests := []struct {
		max, level string
		want       gate.Status
		why        string
	}{
		{"high", "low", gate.StatusPass, "below the maximum"},
		{"high", "high", gate.StatusPass, "the maximum itself passes"},
		{"high", "Critical", gate.StatusFail, "above the maximum, case-insensitive"},
		{"medium", "", gate.StatusFail, "no assessment yet"},
		{"medium", "severe", gate.StatusError, "unknown input level"},
		{"huge", "low", gate.StatusError, "unknown maximum"},
	}
	for _, tt := range tests {
		r := gate.RiskAtMost(tt.max).Evaluate(context.Background(), gate.Input{RiskLevel: tt.level})
		assert.Equal(t, tt.want, r.Status, "%s (max %s, level %s): %s", tt.why, tt.max, tt.level, r.Reason)
		assert.NotEmpty(t, r.Reason)
	}
	assert.Equal(t, []string{"low", "medium", "high", "critical"}, gate.RiskLevels())
}

func TestBuiltinNames(t *testing.T) {
	assert.Equal(t, "approvals", gate.Approvals().Name())
	assert.Equal(t, "checks", gate.Checks().Name())
	assert.Equal(t, "objectives", gate.Objectives().Name())
	assert.Equal(t, "risk", gate.RiskAtMost("low").Name())
	assert.Equal(t, "prod-approvals", gate.ApprovalGate{GateName: "prod-approvals"}.Name())
	assert.Equal(t, "2 of rm", gate.Quorum{Role: "rm", Min: 2}.String())
	assert.True(t, strings.HasPrefix(gate.Quorum{Min: 1}.String(), "1 of anyone"))
}

func nan() float64 { return math.NaN() }
