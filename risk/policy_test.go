package risk_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/risk"
)

func TestDefaultPolicy(t *testing.T) {
	p := risk.DefaultPolicy()
	require.NoError(t, p.Validate())
	high, err := p.For(risk.High)
	require.NoError(t, err)
	assert.Equal(t, []gate.Quorum{{Role: risk.RoleReleaseManager, Min: 1}, {Role: risk.RoleChangeAdvisoryBoard, Min: 1}}, high.Approvals,
		"high needs two approvals including the change advisory board")
	crit, err := p.For(risk.Critical)
	require.NoError(t, err)
	assert.Contains(t, crit.Approvals, gate.Quorum{Role: risk.RoleSecurity, Min: 1})
	assert.True(t, crit.WarningsBlock)

	// For hands out copies.
	high.Gates[0] = "changed"
	again, _ := p.For(risk.High)
	assert.Equal(t, risk.GateChecks, again.Gates[0])

	_, err = p.For("severe")
	assert.ErrorIs(t, err, risk.ErrInvalidLevel)
	_, err = risk.Policy{}.For(risk.Low)
	assert.ErrorIs(t, err, risk.ErrNoRequirement)
}

func TestPolicyJSONRoundTrip(t *testing.T) {
	b, err := json.Marshal(risk.DefaultPolicy())
	require.NoError(t, err)
	var back risk.Policy
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, risk.DefaultPolicy(), back)
	assert.Contains(t, string(b), `"change-advisory-board"`)
}

func TestPolicyValidate(t *testing.T) {
	base := func() risk.Policy { return risk.DefaultPolicy() }
	tests := []struct {
		name   string
		edit   func(p *risk.Policy)
		want   string
		reason string
	}{
		{"missing level", func(p *risk.Policy) { delete(p.Requirements, risk.Medium) }, "level medium: has no requirement", "every level needs a requirement"},
		{"unknown level", func(p *risk.Policy) { p.Requirements["severe"] = risk.Requirement{} }, "level severe: is not a risk level", "typos in levels are caught"},
		{"bad quorum", func(p *risk.Policy) {
			p.Requirements[risk.Low] = risk.Requirement{Approvals: []gate.Quorum{{Role: "rm", Min: 0}}, Gates: []string{"checks"}}
		}, "Min 0", "a quorum needs at least one person"},
		{"empty gate", func(p *risk.Policy) {
			r := p.Requirements[risk.Critical]
			r.Gates = append(r.Gates, " ")
			p.Requirements[risk.Critical] = r
		}, "empty name", "gate names must be set"},
		{"duplicate gate", func(p *risk.Policy) {
			r := p.Requirements[risk.Critical]
			r.Gates = append(r.Gates, "checks")
			p.Requirements[risk.Critical] = r
		}, `gate "checks" is listed twice`, "gates are listed once"},
		{"fewer approvals higher up", func(p *risk.Policy) {
			r := p.Requirements[risk.Critical]
			r.Approvals = nil
			p.Requirements[risk.Critical] = r
		}, "level critical: needs 0 approvals of \"release-manager\"", "a higher level never needs less"},
		{"gate dropped", func(p *risk.Policy) {
			r := p.Requirements[risk.High]
			r.Gates = []string{"checks"}
			p.Requirements[risk.High] = r
		}, `level high: drops gate "objectives"`, "a higher level keeps the lower level's gates"},
		{"warnings unblocked", func(p *risk.Policy) {
			r := p.Requirements[risk.High]
			r.WarningsBlock = true
			p.Requirements[risk.High] = r
			r = p.Requirements[risk.Critical]
			r.WarningsBlock = false
			p.Requirements[risk.Critical] = r
		}, "level critical: lets warnings pass", "warnings that block keep blocking higher up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.edit(&p)
			err := p.Validate()
			require.ErrorIs(t, err, risk.ErrInvalidPolicy, tt.reason)
			var pe *risk.PolicyError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, err.Error(), tt.want, tt.reason)
		})
	}
	err := risk.Policy{}.Validate()
	for _, l := range risk.Levels() {
		assert.Contains(t, err.Error(), "level "+string(l), "every problem is reported at once")
	}
}
