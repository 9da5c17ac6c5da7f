package depgraph_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/depgraph"
)

func TestZeroValueGraph(t *testing.T) {
	var g depgraph.Graph[string]
	waves, err := g.Waves()
	require.NoError(t, err)
	assert.Empty(t, waves)
	assert.Nil(t, g.Cycles())
	require.NoError(t, g.AddDependency("b", "a"))
	assert.Equal(t, []string{"b", "a"}, g.Nodes())
	assert.True(t, g.HasNode("a"))
	assert.True(t, g.HasDependency("b", "a"))
	assert.False(t, g.HasDependency("a", "b"))
	assert.False(t, g.HasDependency("a", "zzz"))
}

func TestWavesAreIndependentSlices(t *testing.T) {
	g := shop(t)
	waves, err := g.Waves()
	require.NoError(t, err)
	_ = append(waves[0], "intruder")
	again, err := g.Waves()
	require.NoError(t, err)
	assert.Equal(t, again, waves, "appending to a wave must not overwrite the next wave")
}

func TestCriticalPathErrors(t *testing.T) {
	g := shop(t)
	_, _, err := g.CriticalPath(nil)
	require.ErrorIs(t, err, depgraph.ErrNilWeight)

	_, _, err = g.CriticalPath(func(k string) time.Duration {
		if k == "cart" {
			return -time.Second
		}
		return time.Second
	})
	require.ErrorIs(t, err, depgraph.ErrInvalidWeight)
	var we *depgraph.WeightError[string]
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "cart", we.Key)
	assert.False(t, we.Overflow)

	_, _, err = g.CriticalPath(func(string) time.Duration { return math.MaxInt64 / 2 })
	require.ErrorAs(t, err, &we)
	assert.True(t, we.Overflow, "three chained weights of MaxInt64/2 overflow")
	assert.Contains(t, err.Error(), "longer than a time.Duration can hold")

	require.NoError(t, g.AddDependency("ledger", "checkout"))
	_, _, err = g.CriticalPath(func(string) time.Duration { return time.Second })
	require.ErrorIs(t, err, depgraph.ErrCycle)

	path, total, err := depgraph.New[int]().CriticalPath(func(int) time.Duration { return time.Second })
	require.NoError(t, err)
	assert.Empty(t, path)
	assert.Zero(t, total)
}

func TestReduceOnCycleAndClone(t *testing.T) {
	g := shop(t)
	require.NoError(t, g.AddDependency("checkout", "ledger"))
	c := g.Clone()
	removed, err := c.Reduce()
	require.NoError(t, err)
	assert.Equal(t, []depgraph.Edge[string]{{Dependent: "checkout", Dependency: "ledger"}}, removed)
	assert.True(t, g.HasDependency("checkout", "ledger"), "reducing a clone must leave the original alone")
	assert.False(t, c.HasDependency("checkout", "ledger"))

	require.NoError(t, c.AddDependency("ledger", "checkout"))
	_, err = c.Reduce()
	require.ErrorIs(t, err, depgraph.ErrCycle)
	assert.Equal(t, 6, g.EdgeCount(), "mutating a clone must leave the original alone")
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"self dependency", &depgraph.SelfDependencyError[string]{Key: "api"},
			"depgraph: api cannot depend on itself: drop the dependency, or split the service into two keys"},
		{"constraint", &depgraph.ConstraintError[string]{Dependent: "web", Dependency: "api", Constraint: ">=x", Err: fmt.Errorf("bad")},
			`depgraph: requirement of web on api: cannot parse version constraint ">=x": bad (write it like ">= 1.5.0, < 2.0.0")`},
		{"negative weight", &depgraph.WeightError[string]{Key: "api", Weight: -time.Second},
			"depgraph: weight of api is -1s: weights must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

// TestConcurrentUse runs mutations and queries at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	g := depgraph.New[int]()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 1; i < 200; i++ {
				// Edges always point to a smaller key, so the graph stays acyclic.
				assert.NoError(t, g.AddDependency(i*4+w, i*4+w-1-(i%3)))
				if i%10 == 0 {
					_, err := g.Waves()
					assert.NoError(t, err)
					g.Dependents(w)
					g.Closure(i)
					g.Cycles()
				}
			}
		}(w)
	}
	wg.Wait()
	order, err := g.Order()
	require.NoError(t, err)
	assert.Len(t, order, g.Len())
}
