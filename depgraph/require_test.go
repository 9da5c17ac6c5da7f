package depgraph_test

import (
	"errors"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/depgraph"
)

func TestUnmet(t *testing.T) {
	tests := []struct {
		name      string
		version   string
		present   bool
		wantKind  depgraph.UnmetKind
		wantInMsg string
	}{
		{"in range is met", "1.5.3", true, "", ""},
		{"v prefix and short forms parse", "v1.6", true, "", ""},
		{"below the range", "1.4.2", true, depgraph.OutOfRange, `"1.4.2" is less than "1.5.0"`},
		{"above the range", "2.0.0", true, depgraph.OutOfRange, `"2.0.0" is greater than or equal to "2.0.0"`},
		{"pre-release does not satisfy a release range", "1.6.0-rc.1", true, depgraph.OutOfRange, "prerelease"},
		{"absent from the inventory", "", false, depgraph.Missing, "no deployed version"},
		{"empty version counts as missing", "  ", true, depgraph.Missing, "no deployed version"},
		{"not a version", "banana", true, depgraph.InvalidVersion, `"banana"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := depgraph.New[string]()
			require.NoError(t, g.AddRequirement("checkout", "payments", ">= 1.5.0, < 2.0.0"))
			inv := map[string]string{}
			if tt.present {
				inv["payments"] = tt.version
			}
			got := g.Unmet(inv)
			if tt.wantKind == "" {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, tt.wantKind, got[0].Kind)
			assert.Equal(t, "checkout", got[0].Dependent)
			assert.Equal(t, "payments", got[0].Dependency)
			assert.Equal(t, ">= 1.5.0, < 2.0.0", got[0].Constraint)
			assert.Equal(t, tt.version, got[0].Version)
			assert.Contains(t, got[0].Reason, tt.wantInMsg)
			assert.Contains(t, got[0].String(), "checkout needs payments >= 1.5.0, < 2.0.0: ")
		})
	}
}

func TestAddRequirement(t *testing.T) {
	g := depgraph.New[string]()
	require.NoError(t, g.AddRequirement("checkout", "payments", ">= 1.5.0"))
	require.NoError(t, g.AddRequirement("checkout", "payments", ">= 1.5.0"), "a repeated requirement is a no-op")
	require.NoError(t, g.AddRequirement("checkout", "payments", "< 2"), "a second requirement on one edge adds to the first")
	assert.Equal(t, []depgraph.Requirement[string]{
		{Dependent: "checkout", Dependency: "payments", Constraint: ">= 1.5.0"},
		{Dependent: "checkout", Dependency: "payments", Constraint: "< 2"},
	}, g.Requirements())
	assert.Equal(t, []string{"payments"}, g.DirectDependencies("checkout"), "a requirement adds its edge")
	got := g.Unmet(map[string]string{"payments": "2.1.0"})
	require.Len(t, got, 1)
	assert.Equal(t, "< 2", got[0].Constraint)

	err := g.AddRequirement("web", "api", ">= one")
	require.ErrorIs(t, err, depgraph.ErrInvalidConstraint)
	var ce *depgraph.ConstraintError[string]
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ">= one", ce.Constraint)
	assert.False(t, g.HasNode("web"), "a rejected requirement must not add nodes")

	require.ErrorIs(t, g.AddRequirement("web", "web", ">= 1"), depgraph.ErrSelfDependency)
	assert.Equal(t, []depgraph.UnmetKind{depgraph.Missing, depgraph.InvalidVersion, depgraph.OutOfRange}, depgraph.UnmetKinds())
}

func TestRequirementSurvivesReduce(t *testing.T) {
	g := depgraph.New[string]()
	require.NoError(t, g.AddDependency("checkout", "payments"))
	require.NoError(t, g.AddDependency("payments", "ledger"))
	require.NoError(t, g.AddRequirement("checkout", "ledger", "^3"))
	removed, err := g.Reduce()
	require.NoError(t, err)
	assert.Equal(t, []depgraph.Edge[string]{{Dependent: "checkout", Dependency: "ledger"}}, removed)
	got := g.Unmet(map[string]string{"ledger": "2.9.0"})
	require.Len(t, got, 1)
	assert.Equal(t, depgraph.OutOfRange, got[0].Kind)
}

// FuzzRequirement feeds arbitrary constraints and versions: nothing panics,
// a constraint is accepted exactly when semver accepts it, and Unmet agrees
// with semver's own check.
func FuzzRequirement(f *testing.F) {
	for _, s := range [][2]string{
		{">= 1.5.0, < 2.0.0", "1.4.2"}, {"^1.2", "1.9.0"}, {"~1.2.3", "1.2.9"}, {"1.2 - 1.4", "1.3"},
		{">= 1.0.0-beta || 3.x", "3.1.0-rc.1"}, {"", "1.0.0"}, {">=", "v"}, {"*", "0.0.0"}, {"!= 1.0", "banana"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, constraint, version string) {
		g := depgraph.New[string]()
		err := g.AddRequirement("a", "b", constraint)
		parsed, semErr := semver.NewConstraint(constraint)
		if (err == nil) != (semErr == nil) {
			t.Fatalf("AddRequirement(%q) = %v, semver says %v", constraint, err, semErr)
		}
		if err != nil {
			if !errors.Is(err, depgraph.ErrInvalidConstraint) {
				t.Fatalf("AddRequirement(%q) = %v, want ErrInvalidConstraint", constraint, err)
			}
			return
		}
		unmet := g.Unmet(map[string]string{"b": version})
		if len(unmet) > 1 {
			t.Fatalf("one requirement, %d unmet: %v", len(unmet), unmet)
		}
		v, verErr := semver.NewVersion(version)
		met := verErr == nil && parsed.Check(v)
		if met != (len(unmet) == 0) {
			t.Fatalf("constraint %q, version %q: semver met=%v, Unmet=%v", constraint, version, met, unmet)
		}
	})
}
