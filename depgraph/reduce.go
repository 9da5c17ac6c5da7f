package depgraph

import (
	"slices"
)

// Reduce replaces the graph by its transitive reduction, in place: it drops
// every direct dependency that is implied by a longer chain (checkout -> ledger
// when checkout -> payments -> ledger exists). The reduced graph has the same
// waves, the same order and the same reachability ([Graph.Dependents],
// [Graph.Dependencies], [Graph.Closure]) with as few edges as possible. Nodes
// are kept, and so are version requirements on dropped edges (see
// [Graph.AddRequirement]). Reduce returns the dropped edges in [Graph.Edges]
// order.
//
// The transitive reduction of a graph with cycles is not unique, so on a cycle
// Reduce returns a [*CycleError] and leaves the graph unchanged.
//
// Reduce takes O(nodes × (nodes + edges)) time in the worst case and
// O(nodes + edges) memory. To keep the original graph, call [Graph.Clone] first.
func (g *Graph[K]) Reduce() ([]Edge[K], error) {
	g.mu.Lock()
	s := g.buildLocked()
	level, _, ok := levels(s)
	keys := g.keys[:s.n:s.n]
	if !ok {
		g.mu.Unlock()
		return nil, cycleError(s, keys)
	}
	n := s.n
	stamp := make([]int32, n) // stamp[x] == u+1: x is reachable from u's dependencies seen so far
	var stack []int32
	var keptU, keptV []int32
	var removed []Edge[K]
	var idx []int32
	redundant := make([]bool, 0, 16)
	for u := int32(0); u < n; u++ {
		row := s.deps(u)
		if len(row) == 0 {
			continue
		}
		// Visit the direct dependencies deepest first: a dependency implied by
		// another one sits in a strictly lower wave, so by the time it is
		// visited the other has marked it.
		idx = idx[:0]
		for i := range row {
			idx = append(idx, int32(i))
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return int(level[row[b]] - level[row[a]]) })
		redundant = redundant[:0]
		redundant = append(redundant, make([]bool, len(row))...)
		mark := u + 1
		for _, i := range idx {
			v := row[i]
			if stamp[v] == mark {
				redundant[i] = true
				continue
			}
			stamp[v] = mark
			stack = append(stack[:0], v)
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				for _, y := range s.deps(x) {
					if stamp[y] != mark {
						stamp[y] = mark
						stack = append(stack, y)
					}
				}
			}
		}
		for i, v := range row {
			if redundant[i] {
				removed = append(removed, Edge[K]{Dependent: keys[u], Dependency: keys[v]})
				continue
			}
			keptU = append(keptU, u)
			keptV = append(keptV, v)
		}
	}
	if len(removed) > 0 {
		// Rebuild from the kept edges, followed by any edges added since
		// (none: g.mu has been held throughout).
		empty := &csr{depOff: []int32{0}, revOff: []int32{0}}
		g.snap = buildCSR(n, empty, keptU, keptV)
	}
	g.mu.Unlock()
	return removed, nil
}

// Clone returns a deep copy of the graph: nodes, edges and requirements. The
// copy and the original can then change independently.
func (g *Graph[K]) Clone() *Graph[K] {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.buildLocked()
	c := &Graph[K]{
		keys:  slices.Clone(g.keys),
		index: make(map[K]int32, len(g.keys)),
		snap:  s, // immutable, so it can be shared
	}
	for k, v := range g.index {
		c.index[k] = v
	}
	c.reqs.list = slices.Clone(g.reqs.list)
	if g.reqs.seen != nil {
		c.reqs.seen = make(map[reqKey]struct{}, len(g.reqs.seen))
		for k := range g.reqs.seen {
			c.reqs.seen[k] = struct{}{}
		}
	}
	return c
}
