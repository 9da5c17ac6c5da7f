package depgraph

import (
	"math/bits"
	"slices"
)

// Dependents returns every key that depends on k, directly or transitively:
// the blast radius of a change to k. The result is in insertion order and never
// contains k itself, even when k sits on a cycle. It is nil if k is not in the
// graph or nothing depends on it.
func (g *Graph[K]) Dependents(k K) []K {
	s, keys, v, ok := g.lookup(k)
	if !ok {
		return nil
	}
	return reach(s, keys, []int32{v}, s.revOff, s.revAdj, false)
}

// Dependencies returns every key k depends on, directly or transitively: what
// must be released before k. The result is in insertion order and never
// contains k itself. It is nil if k is not in the graph or has no dependencies.
func (g *Graph[K]) Dependencies(k K) []K {
	s, keys, v, ok := g.lookup(k)
	if !ok {
		return nil
	}
	return reach(s, keys, []int32{v}, s.depOff, s.depAdj, false)
}

// Closure returns the given keys together with everything they depend on,
// directly or transitively: everything that must ship for them to ship. The
// result is closed under dependencies and in insertion order (not in release
// order: a key may come before its dependencies; order a closure by the
// graph's Waves or Order). Keys that are not in the graph are ignored.
func (g *Graph[K]) Closure(keys ...K) []K {
	g.mu.Lock()
	starts := make([]int32, 0, len(keys))
	for _, k := range keys {
		if v, ok := g.index[k]; ok {
			starts = append(starts, v)
		}
	}
	s := g.buildLocked()
	all := g.keys[:s.n:s.n]
	g.mu.Unlock()
	if len(starts) == 0 {
		return nil
	}
	return reach(s, all, starts, s.depOff, s.depAdj, true)
}

// reach returns the keys reachable from starts along the given adjacency, in
// index order. The starts are marked before the search begins, so they are in
// the result exactly when includeStarts is set.
func reach[K comparable](s *csr, keys []K, starts []int32, off, adj []int32, includeStarts bool) []K {
	seen := make([]uint64, (int(s.n)+63)/64)
	mark := func(v int32) bool {
		w, b := v>>6, uint64(1)<<(uint(v)&63)
		if seen[w]&b != 0 {
			return false
		}
		seen[w] |= b
		return true
	}
	stack := make([]int32, 0, 64)
	for _, v := range starts {
		if mark(v) {
			stack = append(stack, v)
		}
	}
	found := make([]int32, 0, len(stack))
	if includeStarts {
		found = append(found, stack...)
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range adj[off[v]:off[v+1]] {
			if mark(d) {
				stack = append(stack, d)
				found = append(found, d)
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	out := make([]K, 0, len(found))
	if len(found) >= int(s.n)/32 {
		// Dense result: scanning the bitset is cheaper than sorting.
		if !includeStarts {
			for _, v := range starts {
				seen[v>>6] &^= uint64(1) << (uint(v) & 63)
			}
		}
		for w, word := range seen {
			for word != 0 {
				v := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				out = append(out, keys[v])
			}
		}
		return out
	}
	slices.Sort(found)
	for _, v := range found {
		out = append(out, keys[v])
	}
	return out
}
