package depgraph_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/depgraph"
)

func shop(t *testing.T) *depgraph.Graph[string] {
	t.Helper()
	g := depgraph.New[string]()
	for _, e := range [][2]string{
		{"checkout", "payments"},
		{"checkout", "cart"},
		{"payments", "ledger"},
		{"cart", "catalog"},
		{"search", "catalog"},
	} {
		require.NoError(t, g.AddDependency(e[0], e[1]))
	}
	return g
}

func TestWaves(t *testing.T) {
	g := shop(t)
	g.AddNode("docs")
	waves, err := g.Waves()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"ledger", "catalog", "docs"},
		{"payments", "cart", "search"},
		{"checkout"},
	}, waves)
	order, err := g.Order()
	require.NoError(t, err)
	assert.Equal(t, []string{"ledger", "catalog", "docs", "payments", "cart", "search", "checkout"}, order)
}

func TestAddDependency(t *testing.T) {
	tests := []struct {
		name  string
		edges [][2]string
		nodes []string
		edgeN int
	}{
		{"repeated edge is a no-op", [][2]string{{"a", "b"}, {"a", "b"}}, []string{"a", "b"}, 1},
		{"unknown nodes are added dependent first", [][2]string{{"x", "y"}}, []string{"x", "y"}, 1},
		{"existing node keeps its position", [][2]string{{"b", "a"}, {"a", "c"}}, []string{"b", "a", "c"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := depgraph.New[string]()
			for _, e := range tt.edges {
				require.NoError(t, g.AddDependency(e[0], e[1]))
			}
			assert.Equal(t, tt.nodes, g.Nodes())
			assert.Equal(t, tt.edgeN, g.EdgeCount())
			assert.Equal(t, len(tt.nodes), g.Len())
		})
	}
}

func TestSelfDependency(t *testing.T) {
	g := depgraph.New[string]()
	err := g.AddDependency("a", "a")
	require.ErrorIs(t, err, depgraph.ErrSelfDependency)
	var se *depgraph.SelfDependencyError[string]
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "a", se.Key)
	assert.Equal(t, 0, g.Len(), "a failed AddDependency must not add nodes")
}

func TestCycleError(t *testing.T) {
	g := depgraph.New[string]()
	require.NoError(t, g.AddDependency("checkout", "payments"))
	require.NoError(t, g.AddDependency("payments", "ledger"))
	require.NoError(t, g.AddDependency("ledger", "checkout"))
	require.NoError(t, g.AddDependency("search", "catalog"))
	_, err := g.Waves()
	require.ErrorIs(t, err, depgraph.ErrCycle)
	var ce *depgraph.CycleError[string]
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, []string{"checkout", "payments", "ledger", "checkout"}, ce.Cycle)
	assert.Contains(t, err.Error(), "checkout -> payments -> ledger -> checkout")
	_, err = g.Order()
	require.ErrorIs(t, err, depgraph.ErrCycle)
	assert.Equal(t, [][]string{{"checkout", "payments", "ledger", "checkout"}}, g.Cycles())
}

func TestReachability(t *testing.T) {
	g := shop(t)
	assert.Equal(t, []string{"checkout", "cart", "search"}, g.Dependents("catalog"))
	assert.Equal(t, []string{"payments", "cart", "ledger", "catalog"}, g.Dependencies("checkout"))
	assert.Equal(t, []string{"payments", "ledger"}, g.Closure("payments", "nope"))
	assert.Equal(t, []string{"payments", "cart"}, g.DirectDependencies("checkout"))
	assert.Equal(t, []string{"cart", "search"}, g.DirectDependents("catalog"))
	assert.Nil(t, g.Dependents("nope"))
	assert.Nil(t, g.Dependencies("ledger"))
}
