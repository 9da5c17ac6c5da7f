package depgraph_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/depgraph"
)

// model is a brute-force reference: nodes 0..n-1 in insertion order and an
// adjacency matrix, dep[u][v] meaning u depends on v.
type model struct {
	n   int
	dep [][]bool
}

func (m model) closure() [][]bool {
	r := make([][]bool, m.n)
	for i := range r {
		r[i] = slices.Clone(m.dep[i])
	}
	for k := 0; k < m.n; k++ {
		for i := 0; i < m.n; i++ {
			if !r[i][k] {
				continue
			}
			for j := 0; j < m.n; j++ {
				if r[k][j] {
					r[i][j] = true
				}
			}
		}
	}
	return r
}

func (m model) cyclic() bool {
	r := m.closure()
	for i := 0; i < m.n; i++ {
		if r[i][i] {
			return true
		}
	}
	return false
}

// drawGraph draws a graph over the ints 0..n-1 with nodes added in a random
// order. With acyclic set, every edge goes from a higher to a lower rank of a
// random permutation, so the graph is a DAG.
func drawGraph(t *rapid.T, acyclic bool) (*depgraph.Graph[int], model) {
	n := rapid.IntRange(0, 12).Draw(t, "n")
	m := model{n: n, dep: make([][]bool, n)}
	for i := range m.dep {
		m.dep[i] = make([]bool, n)
	}
	g := depgraph.New[int]()
	for i := 0; i < n; i++ {
		g.AddNode(i)
	}
	if n < 2 {
		return g, m
	}
	rank := rapid.Permutation(seq(n)).Draw(t, "rank")
	edges := rapid.IntRange(0, 3*n).Draw(t, "edges")
	for e := 0; e < edges; e++ {
		u := rapid.IntRange(0, n-1).Draw(t, "u")
		v := rapid.IntRange(0, n-1).Draw(t, "v")
		if u == v {
			if err := g.AddDependency(u, v); !errors.Is(err, depgraph.ErrSelfDependency) {
				t.Fatalf("AddDependency(%d, %d) = %v, want ErrSelfDependency", u, v, err)
			}
			continue
		}
		if acyclic && rank[u] < rank[v] {
			u, v = v, u
		}
		if err := g.AddDependency(u, v); err != nil {
			t.Fatalf("AddDependency(%d, %d): %v", u, v, err)
		}
		m.dep[u][v] = true
	}
	return g, m
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestPropertyWaves(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, true)
		waves, err := g.Waves()
		if err != nil {
			t.Fatalf("Waves on a DAG: %v", err)
		}
		wave := make([]int, m.n)
		for i := range wave {
			wave[i] = -1
		}
		for l, w := range waves {
			if len(w) == 0 {
				t.Fatalf("wave %d is empty", l)
			}
			if !slices.IsSorted(w) {
				t.Fatalf("wave %d = %v is not in insertion order", l, w)
			}
			for _, v := range w {
				if wave[v] != -1 {
					t.Fatalf("%d is in waves %d and %d", v, wave[v], l)
				}
				wave[v] = l
			}
		}
		for v := 0; v < m.n; v++ {
			if wave[v] == -1 {
				t.Fatalf("%d is in no wave", v)
			}
			want := 0
			for d := 0; d < m.n; d++ {
				if m.dep[v][d] {
					if wave[d] >= wave[v] {
						t.Fatalf("%d (wave %d) depends on %d (wave %d): not earlier", v, wave[v], d, wave[d])
					}
					want = max(want, wave[d]+1)
				}
			}
			if wave[v] != want {
				t.Fatalf("%d is in wave %d, want %d (one after its deepest dependency)", v, wave[v], want)
			}
		}
	})
}

func TestPropertyOrderIsTopological(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, true)
		order, err := g.Order()
		if err != nil {
			t.Fatalf("Order on a DAG: %v", err)
		}
		if len(order) != m.n {
			t.Fatalf("Order has %d keys, want %d", len(order), m.n)
		}
		pos := make([]int, m.n)
		for i := range pos {
			pos[i] = -1
		}
		for i, v := range order {
			if pos[v] != -1 {
				t.Fatalf("%d appears twice in %v", v, order)
			}
			pos[v] = i
		}
		for u := 0; u < m.n; u++ {
			for v := 0; v < m.n; v++ {
				if m.dep[u][v] && pos[v] > pos[u] {
					t.Fatalf("%d depends on %d but comes first in %v", u, v, order)
				}
			}
		}
	})
}

func TestPropertyCycles(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, rapid.Bool().Draw(t, "acyclic"))
		cycles := g.Cycles()
		_, err := g.Waves()
		_, orderErr := g.Order()
		if (err == nil) != (len(cycles) == 0) {
			t.Fatalf("Waves error %v but Cycles = %v", err, cycles)
		}
		if (err == nil) != (orderErr == nil) {
			t.Fatalf("Waves error %v but Order error %v", err, orderErr)
		}
		if m.cyclic() != (len(cycles) > 0) {
			t.Fatalf("brute force says cyclic=%v, Cycles = %v", m.cyclic(), cycles)
		}
		for _, c := range cycles {
			checkRealCycle(t, m, c)
		}
		if err != nil {
			var ce *depgraph.CycleError[int]
			if !errors.As(err, &ce) || !errors.Is(err, depgraph.ErrCycle) {
				t.Fatalf("Waves error %T %v is not a *CycleError wrapping ErrCycle", err, err)
			}
			checkRealCycle(t, m, ce.Cycle)
			if !slices.Equal(ce.Cycle, cycles[0]) {
				t.Fatalf("CycleError names %v, Cycles()[0] = %v", ce.Cycle, cycles[0])
			}
		}
		// Components are exactly the mutually reachable groups.
		r := m.closure()
		comps := g.CyclicComponents()
		if len(comps) != len(cycles) {
			t.Fatalf("%d components, %d cycles", len(comps), len(cycles))
		}
		inComp := map[int]int{}
		for i, c := range comps {
			if c[0] != cycles[i][0] {
				t.Fatalf("component %v and cycle %v do not start at the same key", c, cycles[i])
			}
			for _, v := range c {
				inComp[v] = i
			}
		}
		for u := 0; u < m.n; u++ {
			for v := 0; v < m.n; v++ {
				ci, okU := inComp[u]
				cj, okV := inComp[v]
				mutual := u != v && r[u][v] && r[v][u]
				if mutual != (okU && okV && ci == cj && u != v) {
					t.Fatalf("%d and %d: mutually reachable=%v, components %v", u, v, mutual, comps)
				}
			}
		}
	})
}

func checkRealCycle(t *rapid.T, m model, c []int) {
	if len(c) < 3 || c[0] != c[len(c)-1] {
		t.Fatalf("cycle %v does not start and end at the same key", c)
	}
	inner := slices.Clone(c[:len(c)-1])
	slices.Sort(inner)
	if len(slices.Compact(inner)) != len(c)-1 {
		t.Fatalf("cycle %v repeats a key", c)
	}
	for i := 0; i+1 < len(c); i++ {
		if !m.dep[c[i]][c[i+1]] {
			t.Fatalf("cycle %v: %d does not depend on %d", c, c[i], c[i+1])
		}
	}
}

func TestPropertyReachability(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, rapid.Bool().Draw(t, "acyclic"))
		r := m.closure()
		for k := 0; k < m.n; k++ {
			var wantDependents, wantDependencies []int
			for v := 0; v < m.n; v++ {
				if v == k {
					continue
				}
				if r[v][k] {
					wantDependents = append(wantDependents, v)
				}
				if r[k][v] {
					wantDependencies = append(wantDependencies, v)
				}
			}
			if got := g.Dependents(k); !slices.Equal(got, wantDependents) {
				t.Fatalf("Dependents(%d) = %v, brute force %v", k, got, wantDependents)
			}
			if got := g.Dependencies(k); !slices.Equal(got, wantDependencies) {
				t.Fatalf("Dependencies(%d) = %v, brute force %v", k, got, wantDependencies)
			}
		}
	})
}

func TestPropertyClosure(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, rapid.Bool().Draw(t, "acyclic"))
		if m.n == 0 {
			return
		}
		keys := rapid.SliceOfN(rapid.IntRange(0, m.n+2), 0, 4).Draw(t, "keys") // n.. are unknown
		got := g.Closure(keys...)
		in := map[int]bool{}
		for _, v := range got {
			in[v] = true
		}
		if !slices.IsSorted(got) {
			t.Fatalf("Closure(%v) = %v is not in insertion order", keys, got)
		}
		for _, k := range keys {
			if k < m.n && !in[k] {
				t.Fatalf("Closure(%v) = %v misses %d", keys, got, k)
			}
		}
		r := m.closure()
		for _, v := range got {
			if v >= m.n {
				t.Fatalf("Closure(%v) = %v holds unknown key %d", keys, got, v)
			}
			for d := 0; d < m.n; d++ {
				if m.dep[v][d] && !in[d] {
					t.Fatalf("Closure(%v) = %v is not closed: %d depends on %d", keys, got, v, d)
				}
			}
			// Minimal: every member is a key or one of their dependencies.
			needed := slices.Contains(keys, v)
			for _, k := range keys {
				if k < m.n && r[k][v] {
					needed = true
				}
			}
			if !needed {
				t.Fatalf("Closure(%v) = %v holds %d, which no key needs", keys, got, v)
			}
		}
	})
}

func TestPropertyReduce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, rapid.Bool().Draw(t, "acyclic"))
		before := g.Edges()
		wavesBefore, wavesErr := g.Waves()
		removed, err := g.Reduce()
		if m.cyclic() {
			if !errors.Is(err, depgraph.ErrCycle) {
				t.Fatalf("Reduce on a cyclic graph: err = %v, want ErrCycle", err)
			}
			if after := g.Edges(); !slices.Equal(before, after) {
				t.Fatalf("a failed Reduce changed the edges: %v -> %v", before, after)
			}
			return
		}
		if err != nil {
			t.Fatalf("Reduce: %v", err)
		}
		after := g.Edges()
		if len(after)+len(removed) != len(before) {
			t.Fatalf("%d edges before, %d after, %d removed", len(before), len(after), len(removed))
		}
		red := model{n: m.n, dep: make([][]bool, m.n)}
		for i := range red.dep {
			red.dep[i] = make([]bool, m.n)
		}
		for _, e := range after {
			red.dep[e.Dependent][e.Dependency] = true
		}
		r0, r1 := m.closure(), red.closure()
		for u := 0; u < m.n; u++ {
			if !slices.Equal(r0[u], r1[u]) {
				t.Fatalf("reachability from %d changed: %v -> %v", u, r0[u], r1[u])
			}
		}
		// No kept edge u->v is implied by a longer path: no other direct
		// dependency w of u reaches v.
		for _, e := range after {
			for w := 0; w < m.n; w++ {
				if w != e.Dependency && red.dep[e.Dependent][w] && r1[w][e.Dependency] {
					t.Fatalf("kept redundant edge %v (also via %d)", e, w)
				}
			}
		}
		wavesAfter, err := g.Waves()
		if err != nil || wavesErr != nil || fmt.Sprint(wavesBefore) != fmt.Sprint(wavesAfter) {
			t.Fatalf("waves changed: %v (%v) -> %v (%v)", wavesBefore, wavesErr, wavesAfter, err)
		}
	})
}

func TestPropertyCriticalPath(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, m := drawGraph(t, true)
		ws := rapid.SliceOfN(rapid.IntRange(0, 100), m.n, m.n).Draw(t, "weights")
		weight := func(k int) time.Duration { return time.Duration(ws[k]) * time.Minute }
		path, total, err := g.CriticalPath(weight)
		if err != nil {
			t.Fatalf("CriticalPath: %v", err)
		}
		// Brute force: the heaviest chain ending at each node.
		memo := map[int]time.Duration{}
		var heaviest func(v int) time.Duration
		heaviest = func(v int) time.Duration {
			if h, ok := memo[v]; ok {
				return h
			}
			var b time.Duration
			for d := 0; d < m.n; d++ {
				if m.dep[v][d] {
					b = max(b, heaviest(d))
				}
			}
			memo[v] = b + weight(v)
			return memo[v]
		}
		var want time.Duration
		for v := 0; v < m.n; v++ {
			want = max(want, heaviest(v))
		}
		if total != want {
			t.Fatalf("CriticalPath total %v, brute force %v", total, want)
		}
		var sum time.Duration
		for i, v := range path {
			sum += weight(v)
			if i > 0 && !m.dep[v][path[i-1]] {
				t.Fatalf("path %v: %d does not depend on %d", path, v, path[i-1])
			}
		}
		if sum != total {
			t.Fatalf("path %v weighs %v, reported %v", path, sum, total)
		}
		if m.n > 0 && len(path) == 0 {
			t.Fatalf("empty path on a graph of %d nodes", m.n)
		}
	})
}

// TestPropertyInterleaved mutates and queries in random order, so the lazily
// rebuilt adjacency is checked against a model after every step.
func TestPropertyInterleaved(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := depgraph.New[int]()
		var nodes []int
		known := map[int]bool{}
		deps := map[int][]int{}
		add := func(k int) {
			if !known[k] {
				known[k] = true
				nodes = append(nodes, k)
			}
		}
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				k := rapid.IntRange(0, 9).Draw(t, "node")
				g.AddNode(k)
				add(k)
			case 1:
				u, v := rapid.IntRange(0, 9).Draw(t, "u"), rapid.IntRange(0, 9).Draw(t, "v")
				err := g.AddDependency(u, v)
				if u == v {
					if err == nil {
						t.Fatalf("self-dependency %d accepted", u)
					}
					continue
				}
				add(u)
				add(v)
				if !slices.Contains(deps[u], v) {
					deps[u] = append(deps[u], v)
				}
			case 2:
				if got := g.Nodes(); !slices.Equal(got, nodes) {
					t.Fatalf("Nodes() = %v, want %v", got, nodes)
				}
				for _, k := range nodes {
					if got := g.DirectDependencies(k); !slices.Equal(got, deps[k]) && len(got)+len(deps[k]) > 0 {
						t.Fatalf("DirectDependencies(%d) = %v, want %v", k, got, deps[k])
					}
					var dependents []int
					for _, u := range nodes {
						if slices.Contains(deps[u], k) {
							dependents = append(dependents, u)
						}
					}
					if got := g.DirectDependents(k); !slices.Equal(got, dependents) && len(got)+len(dependents) > 0 {
						t.Fatalf("DirectDependents(%d) = %v, want %v", k, got, dependents)
					}
				}
			}
		}
	})
}
