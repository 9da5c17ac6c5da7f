package depgraph

// Waves groups the nodes into release waves. Wave 0 holds the nodes without
// dependencies; every other node sits in the wave right after its deepest
// dependency, so all of a wave can be released at once as soon as the waves
// before it are done, and no node could move to an earlier wave. Within a wave,
// nodes are in insertion order.
//
// The waves share one backing array, in which they are laid out one after the
// other; each wave's capacity is its length, so appending to a wave copies it.
//
// If the graph has a cycle, Waves returns a [*CycleError] that names the first
// cycle [Graph.Cycles] reports and unwraps to [ErrCycle].
//
// Waves runs in O(nodes + edges).
func (g *Graph[K]) Waves() ([][]K, error) {
	s, keys := g.snapshot()
	level, nlevels, ok := levels(s)
	if !ok {
		return nil, cycleError(s, keys)
	}
	// Counting sort by wave straight into the keys, keeping insertion order
	// within a wave.
	bounds := make([]int32, nlevels+1)
	for _, l := range level {
		bounds[l+1]++
	}
	for l := int32(0); l < nlevels; l++ {
		bounds[l+1] += bounds[l]
	}
	out := make([]K, len(level))
	waves := make([][]K, nlevels)
	for l := range waves {
		waves[l] = out[bounds[l]:bounds[l]:bounds[l+1]]
	}
	for v, l := range level {
		waves[l] = append(waves[l], keys[v])
	}
	return waves, nil
}

// Order returns every node in an order in which it can be released one at a
// time: each node comes after all of its dependencies. It is [Graph.Waves]
// flattened, so it fails in the same way on a cycle.
func (g *Graph[K]) Order() ([]K, error) {
	s, keys := g.snapshot()
	level, nlevels, ok := levels(s)
	if !ok {
		return nil, cycleError(s, keys)
	}
	flat, _ := bucket(level, nlevels)
	out := make([]K, len(flat))
	for i, v := range flat {
		out[i] = keys[v]
	}
	return out, nil
}

// levels runs Kahn's algorithm over the dependents adjacency and returns each
// node's wave and the number of waves. ok is false when a cycle leaves nodes
// unplaced; their level is then -1, while every placed node keeps its wave.
func levels(s *csr) (level []int32, nlevels int32, ok bool) {
	n := s.n
	level = make([]int32, n)
	// remaining[v] counts v's dependencies not yet placed.
	remaining := make([]int32, n)
	queue := make([]int32, n)
	tail := 0
	off := s.depOff
	for v := int32(0); v < n; v++ {
		d := off[v+1] - off[v]
		remaining[v] = d
		if d == 0 {
			queue[tail] = v
			tail++
		}
	}
	roff, radj := s.revOff, s.revAdj
	// The queue is processed in non-decreasing wave order, so the dependency
	// that releases a node last is one of its deepest.
	for head := 0; head < tail; head++ {
		v := queue[head]
		next := level[v] + 1
		for _, d := range radj[roff[v]:roff[v+1]] {
			remaining[d]--
			if remaining[d] == 0 {
				level[d] = next
				queue[tail] = d
				tail++
			}
		}
	}
	if tail > 0 {
		nlevels = level[queue[tail-1]] + 1
	}
	if tail != int(n) {
		for v := range level {
			if remaining[v] > 0 {
				level[v] = -1
			}
		}
		return level, nlevels, false
	}
	return level, nlevels, true
}

// bucket sorts node indices by level, keeping index order within a level
// (a counting sort), skipping unplaced nodes (level -1), and returns them with the start of each level.
func bucket(level []int32, nlevels int32) (flat []int32, bounds []int32) {
	bounds = make([]int32, nlevels+1)
	for _, l := range level {
		if l < 0 {
			continue
		}
		bounds[l+1]++
	}
	for l := int32(0); l < nlevels; l++ {
		bounds[l+1] += bounds[l]
	}
	pos := make([]int32, nlevels)
	copy(pos, bounds[:nlevels])
	flat = make([]int32, bounds[nlevels])
	for v, l := range level {
		if l < 0 {
			continue
		}
		flat[pos[l]] = int32(v)
		pos[l]++
	}
	return flat, bounds
}
