package depgraph

import (
	"math"
	"slices"
	"time"
)

// CriticalPath returns the chain of dependencies whose weights add up to the
// most, dependency first, and that total: with weight giving how long each
// release takes, it is the shortest time in which the whole graph can ship
// however many releases run in parallel.
//
// weight is called once for every node, in insertion order. Ties go to the
// chain that ends at the earliest-inserted node, and along it to the
// earliest-inserted dependency. An empty graph has an empty path of length 0.
//
// CriticalPath returns [ErrNilWeight] for a nil weight, a [*WeightError] for a
// negative weight or a total that overflows a time.Duration, and a
// [*CycleError] on a cycle.
func (g *Graph[K]) CriticalPath(weight func(K) time.Duration) ([]K, time.Duration, error) {
	if weight == nil {
		return nil, 0, ErrNilWeight
	}
	s, keys := g.snapshot()
	level, nlevels, ok := levels(s)
	if !ok {
		return nil, 0, cycleError(s, keys)
	}
	n := s.n
	if n == 0 {
		return nil, 0, nil
	}
	w := make([]time.Duration, n)
	for v := range w {
		w[v] = weight(keys[v])
		if w[v] < 0 {
			return nil, 0, &WeightError[K]{Key: keys[v], Weight: w[v]}
		}
	}
	order, _ := bucket(level, nlevels)
	best := make([]time.Duration, n)
	pred := make([]int32, n)
	for _, v := range order {
		pred[v] = -1
		var b time.Duration
		for _, d := range s.deps(v) {
			if best[d] > b || (best[d] == b && pred[v] >= 0 && d < pred[v]) || (pred[v] < 0 && best[d] >= b) {
				b, pred[v] = best[d], d
			}
		}
		if b > math.MaxInt64-w[v] {
			return nil, 0, &WeightError[K]{Key: keys[v], Weight: w[v], Overflow: true}
		}
		best[v] = b + w[v]
	}
	end := int32(0)
	for v := int32(1); v < n; v++ {
		if best[v] > best[end] {
			end = v
		}
	}
	var path []K
	for v := end; v >= 0; v = pred[v] {
		path = append(path, keys[v])
	}
	slices.Reverse(path)
	return path, best[end], nil
}
