package depgraph

import (
	"sync"
)

// Graph is a directed dependency graph over keys of type K. An edge from a
// dependent to a dependency means the dependency is released first.
//
// Nodes keep the order in which they were first added, and every method that
// returns several keys returns them in a deterministic order derived from it.
//
// The zero value is an empty graph ready to use. A Graph is safe for concurrent
// use: every method may be called from several goroutines at once. Queries work
// on an immutable snapshot of the adjacency, so a long query never blocks a
// mutation for longer than it takes to take the snapshot.
type Graph[K comparable] struct {
	mu    sync.Mutex
	keys  []K
	index map[K]int32

	// snap is the committed, deduplicated adjacency. It is immutable once built:
	// a mutation never writes into it, it only replaces it.
	snap *csr
	// pendDependent and pendDependency hold the edges added since snap was
	// built, in insertion order; they may repeat edges, which the next build drops.
	pendDependent  []int32
	pendDependency []int32

	reqs requirements
}

// csr is a compressed sparse row adjacency in both directions. Node v's direct
// dependencies are depAdj[depOff[v]:depOff[v+1]] in the order the edges were
// first added; its direct dependents are revAdj[revOff[v]:revOff[v+1]] in
// insertion order of the dependents.
type csr struct {
	n      int32
	depOff []int32
	depAdj []int32
	revOff []int32
	revAdj []int32
}

func (c *csr) deps(v int32) []int32 { return c.depAdj[c.depOff[v]:c.depOff[v+1]] }
func (c *csr) revs(v int32) []int32 { return c.revAdj[c.revOff[v]:c.revOff[v+1]] }
func (c *csr) edges() int           { return len(c.depAdj) }

// New returns an empty graph.
func New[K comparable]() *Graph[K] {
	return &Graph[K]{index: make(map[K]int32)}
}

// node returns the index of k, adding k if it is new. g.mu must be held.
func (g *Graph[K]) node(k K) int32 {
	if g.index == nil {
		g.index = make(map[K]int32)
	}
	if i, ok := g.index[k]; ok {
		return i
	}
	i := int32(len(g.keys))
	g.keys = append(g.keys, k)
	g.index[k] = i
	return i
}

// AddNode adds k to the graph. Adding a key that is already present does nothing,
// and in particular does not change its position in the insertion order.
func (g *Graph[K]) AddNode(k K) {
	g.mu.Lock()
	g.node(k)
	g.mu.Unlock()
}

// AddDependency records that dependent depends on dependency: dependency is
// released first. Keys that are not in the graph yet are added (dependent
// first). Adding an edge that already exists does nothing.
//
// A key cannot depend on itself: AddDependency returns a [*SelfDependencyError]
// that unwraps to [ErrSelfDependency] and leaves the graph unchanged.
func (g *Graph[K]) AddDependency(dependent, dependency K) error {
	if dependent == dependency {
		return &SelfDependencyError[K]{Key: dependent}
	}
	g.mu.Lock()
	g.addEdge(g.node(dependent), g.node(dependency))
	g.mu.Unlock()
	return nil
}

// addEdge appends an edge; g.mu must be held.
func (g *Graph[K]) addEdge(u, v int32) {
	g.pendDependent = append(g.pendDependent, u)
	g.pendDependency = append(g.pendDependency, v)
}

// HasNode reports whether k is in the graph.
func (g *Graph[K]) HasNode(k K) bool {
	g.mu.Lock()
	_, ok := g.index[k]
	g.mu.Unlock()
	return ok
}

// Len returns the number of nodes.
func (g *Graph[K]) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.keys)
}

// EdgeCount returns the number of distinct dependency edges.
func (g *Graph[K]) EdgeCount() int {
	s, _ := g.snapshot()
	return s.edges()
}

// Nodes returns every key in insertion order. The slice is a copy the caller may keep.
func (g *Graph[K]) Nodes() []K {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]K, len(g.keys))
	copy(out, g.keys)
	return out
}

// Edge is one dependency: Dependent depends on Dependency.
type Edge[K comparable] struct {
	Dependent  K
	Dependency K
}

// Edges returns every distinct dependency, ordered by dependent (insertion
// order) and then by the order in which the dependent's edges were added.
func (g *Graph[K]) Edges() []Edge[K] {
	s, keys := g.snapshot()
	out := make([]Edge[K], 0, s.edges())
	for v := int32(0); v < s.n; v++ {
		for _, d := range s.deps(v) {
			out = append(out, Edge[K]{Dependent: keys[v], Dependency: keys[d]})
		}
	}
	return out
}

// DirectDependencies returns the keys k depends on directly, in the order the
// dependencies were added. It returns nil if k is not in the graph.
func (g *Graph[K]) DirectDependencies(k K) []K {
	s, keys, v, ok := g.lookup(k)
	if !ok {
		return nil
	}
	return mapKeys(keys, s.deps(v))
}

// DirectDependents returns the keys that depend directly on k, in insertion
// order. It returns nil if k is not in the graph.
func (g *Graph[K]) DirectDependents(k K) []K {
	s, keys, v, ok := g.lookup(k)
	if !ok {
		return nil
	}
	return mapKeys(keys, s.revs(v))
}

// HasDependency reports whether dependent depends directly on dependency.
func (g *Graph[K]) HasDependency(dependent, dependency K) bool {
	g.mu.Lock()
	u, ok1 := g.index[dependent]
	v, ok2 := g.index[dependency]
	g.mu.Unlock()
	if !ok1 || !ok2 {
		return false
	}
	s, _ := g.snapshot()
	for _, d := range s.deps(u) {
		if d == v {
			return true
		}
	}
	return false
}

func mapKeys[K comparable](keys []K, idx []int32) []K {
	out := make([]K, len(idx))
	for i, v := range idx {
		out[i] = keys[v]
	}
	return out
}

// lookup returns the snapshot, the keys it covers and k's index.
func (g *Graph[K]) lookup(k K) (*csr, []K, int32, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	v, ok := g.index[k]
	s := g.buildLocked()
	return s, g.keys[:s.n:s.n], v, ok
}

// snapshot returns the current adjacency and the keys it covers. Both are
// immutable: later mutations replace them rather than write into them.
func (g *Graph[K]) snapshot() (*csr, []K) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.buildLocked()
	return s, g.keys[:s.n:s.n]
}

// buildLocked brings g.snap up to date with the pending edges and nodes. g.mu must be held.
func (g *Graph[K]) buildLocked() *csr {
	n := int32(len(g.keys))
	old := g.snap
	if old != nil && old.n == n && len(g.pendDependent) == 0 {
		return old
	}
	if old == nil {
		old = &csr{depOff: []int32{0}, revOff: []int32{0}}
	}
	g.snap = buildCSR(n, old, g.pendDependent, g.pendDependency)
	g.pendDependent, g.pendDependency = nil, nil
	return g.snap
}

// buildCSR merges the rows of old (which covers old.n <= n nodes) with the
// pending edges, drops repeated edges keeping the first occurrence, and builds
// the reverse adjacency.
func buildCSR(n int32, old *csr, pu, pv []int32) *csr {
	off := make([]int32, n+1)
	for v := int32(0); v < old.n; v++ {
		off[v+1] = old.depOff[v+1] - old.depOff[v]
	}
	for _, u := range pu {
		off[u+1]++
	}
	for v := int32(0); v < n; v++ {
		off[v+1] += off[v]
	}
	adj := make([]int32, off[n])
	pos := make([]int32, n)
	copy(pos, off[:n])
	for v := int32(0); v < old.n; v++ {
		pos[v] += int32(copy(adj[off[v]:], old.deps(v)))
	}
	for i, u := range pu {
		adj[pos[u]] = pv[i]
		pos[u]++
	}
	// Deduplicate each row in place, keeping first occurrences; pos is reused
	// as the stamp array (stamp v+1 marks "seen in row v").
	stamp := pos
	clear(stamp)
	w := int32(0)
	start := int32(0)
	for v := int32(0); v < n; v++ {
		end := off[v+1]
		off[v] = w
		for r := start; r < end; r++ {
			t := adj[r]
			if stamp[t] != v+1 {
				stamp[t] = v + 1
				adj[w] = t
				w++
			}
		}
		start = end
	}
	off[n] = w
	if int(w) < len(adj) {
		adj = append([]int32(nil), adj[:w]...)
	}
	// Reverse adjacency: dependents of each node, sorted by dependent index.
	roff := make([]int32, n+1)
	for _, t := range adj {
		roff[t+1]++
	}
	for v := int32(0); v < n; v++ {
		roff[v+1] += roff[v]
	}
	radj := make([]int32, len(adj))
	rpos := stamp
	copy(rpos, roff[:n])
	for v := int32(0); v < n; v++ {
		for _, t := range adj[off[v]:off[v+1]] {
			radj[rpos[t]] = v
			rpos[t]++
		}
	}
	return &csr{n: n, depOff: off, depAdj: adj, revOff: roff, revAdj: radj}
}
