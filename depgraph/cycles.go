package depgraph

import "slices"

// Cycles returns one cycle for every strongly connected component of more than
// one node: a group of keys that all depend, directly or not, on each other.
// (A self-loop would be a component of its own, but [Graph.AddDependency]
// refuses self-dependencies, so none exist.)
//
// Each cycle is a path along dependency edges that starts and ends at the
// component's earliest-inserted key, and is a shortest such cycle, so it names
// as few keys as possible. Cycles are ordered by their first key's insertion
// order. Cycles returns nil when the graph is acyclic, which is exactly when
// [Graph.Waves] succeeds.
//
// A component can be larger than its reported cycle; [Graph.CyclicComponents]
// lists all of its members.
func (g *Graph[K]) Cycles() [][]K {
	s, keys := g.snapshot()
	return cyclesOf(s, keys)
}

// cyclesOf computes [Graph.Cycles] on one snapshot.
func cyclesOf[K comparable](s *csr, keys []K) [][]K {
	comps := sccs(s)
	if len(comps) == 0 {
		return nil
	}
	compOf := make([]int32, s.n)
	for i := range compOf {
		compOf[i] = -1
	}
	for c, members := range comps {
		for _, v := range members {
			compOf[v] = int32(c)
		}
	}
	out := make([][]K, len(comps))
	parent := make([]int32, s.n)
	for i := range parent {
		parent[i] = notSeen
	}
	for c, members := range comps {
		out[c] = mapKeys(keys, shortestCycle(s, members[0], int32(c), compOf, parent))
	}
	return out
}

// CyclicComponents returns the members of every strongly connected component of
// more than one node, each in insertion order, ordered like [Graph.Cycles].
func (g *Graph[K]) CyclicComponents() [][]K {
	s, keys := g.snapshot()
	comps := sccs(s)
	if len(comps) == 0 {
		return nil
	}
	out := make([][]K, len(comps))
	for c, members := range comps {
		out[c] = mapKeys(keys, members)
	}
	return out
}

// cycleError builds the error Waves and friends return on a cycle, from the
// snapshot on which they found it.
func cycleError[K comparable](s *csr, keys []K) error {
	cycles := cyclesOf(s, keys)
	if len(cycles) == 0 {
		// Unreachable: Kahn's algorithm fails only on a cycle. Report it anyway
		// rather than panic.
		return &CycleError[K]{}
	}
	return &CycleError[K]{Cycle: cycles[0]}
}

const notSeen = -2

// shortestCycle finds, by breadth-first search inside component c, a shortest
// path from root back to root. parent is scratch space of length n, all
// notSeen on entry and on return.
func shortestCycle(s *csr, root, c int32, compOf, parent []int32) []int32 {
	queue := []int32{root}
	parent[root] = -1
	defer func() {
		for _, v := range queue {
			parent[v] = notSeen
		}
	}()
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		for _, d := range s.deps(v) {
			if compOf[d] != c {
				continue
			}
			if d == root {
				var path []int32
				for u := v; u != -1; u = parent[u] {
					path = append(path, u)
				}
				slices.Reverse(path)
				return append(path, root)
			}
			if parent[d] == notSeen {
				parent[d] = v
				queue = append(queue, d)
			}
		}
	}
	return []int32{root, root} // unreachable for a real component
}

// sccs returns the strongly connected components of more than one node, each
// sorted by index, ordered by their smallest index. It is Tarjan's algorithm
// with an explicit stack, so deep graphs cannot overflow the goroutine stack.
func sccs(s *csr) [][]int32 {
	n := s.n
	const unvisited = -1
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = unvisited
	}
	var stack []int32
	type frame struct{ v, next int32 }
	var call []frame
	var comps [][]int32
	counter := int32(0)
	for root := int32(0); root < n; root++ {
		if index[root] != unvisited {
			continue
		}
		call = append(call, frame{v: root, next: s.depOff[root]})
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < s.depOff[v+1] {
				w := s.depAdj[f.next]
				f.next++
				if index[w] == unvisited {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w, next: s.depOff[w]})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				i := len(stack) - 1
				for stack[i] != v {
					i--
				}
				members := stack[i:]
				for _, w := range members {
					onStack[w] = false
				}
				if len(members) > 1 {
					comp := slices.Clone(members)
					slices.Sort(comp)
					comps = append(comps, comp)
				}
				stack = stack[:i]
			}
		}
	}
	slices.SortFunc(comps, func(a, b []int32) int { return int(a[0] - b[0]) })
	return comps
}
