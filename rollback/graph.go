package rollback

import "github.com/releasekit/releasekit/depgraph"

// relation is a snapshot of the dependency graph in the shape Plan needs: direct
// dependents by index, with every cycle of the graph collapsed into one unit, so the
// walk upwards always terminates. A cycle only matters when a component to roll
// back sits on it (see cycleThrough); a cycle elsewhere is passed through.
type relation struct {
	names  []string
	index  map[string]int32
	unit   []int32   // node -> representative of its cyclic component (itself when none)
	up     [][]int32 // unit -> units that depend on it directly
	member [][]int32 // unit -> its nodes, for collapsed units only
	comps  [][]string
	cycles [][]string
	graph  *depgraph.Graph[string]
}

func newRelation(g *depgraph.Graph[string]) *relation {
	edges := g.Edges()
	names := g.Nodes()
	r := &relation{names: names, index: make(map[string]int32, len(names)), graph: g}
	for i, n := range names {
		r.index[n] = int32(i)
	}
	r.unit = make([]int32, len(names))
	for i := range r.unit {
		r.unit[i] = int32(i)
	}
	r.member = make([][]int32, len(names))
	r.comps = g.CyclicComponents()
	for _, comp := range r.comps {
		rep, ok := r.index[comp[0]]
		if !ok {
			continue
		}
		for _, m := range comp {
			if i, ok := r.index[m]; ok {
				r.unit[i] = rep
				r.member[rep] = append(r.member[rep], i)
			}
		}
	}
	r.up = make([][]int32, len(names))
	for _, e := range edges {
		dep, ok1 := r.index[e.Dependency]
		dnt, ok2 := r.index[e.Dependent]
		if !ok1 || !ok2 {
			continue
		}
		u, v := r.unit[dep], r.unit[dnt]
		if u != v {
			r.up[u] = append(r.up[u], v)
		}
	}
	return r
}

// cycleThrough returns a cycle of the graph that passes through a node of scope, or
// nil when none does.
func (r *relation) cycleThrough(scope map[string]bool) []string {
	for c, comp := range r.comps {
		for _, m := range comp {
			if scope[m] {
				if r.cycles == nil {
					r.cycles = r.graph.Cycles()
				}
				if c < len(r.cycles) {
					return r.cycles[c]
				}
				return append(comp[:len(comp):len(comp)], comp[0])
			}
		}
	}
	return nil
}

// dependents returns every node that depends on one of ks, directly or not, each
// once: one traversal for all of ks, so its cost is O(V+E) however many there are.
func (r *relation) dependents(ks []string) []string {
	seen := make([]bool, len(r.names))
	stack := make([]int32, 0, len(ks))
	for _, k := range ks {
		if start, ok := r.index[k]; ok {
			stack = append(stack, r.unit[start])
		}
	}
	var out []string
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, v := range r.up[u] {
			if seen[v] {
				continue
			}
			seen[v] = true
			stack = append(stack, v)
			if ms := r.member[v]; len(ms) > 0 {
				for _, m := range ms {
					out = append(out, r.names[m])
				}
			} else {
				out = append(out, r.names[v])
			}
		}
	}
	return out
}

// levels gives each node of scope its rollback level: the length of the longest chain
// of scope nodes that depend on it, directly or through nodes outside scope (0 when
// none does). No scope node may sit on a cycle (check cycleThrough first).
func (r *relation) levels(scope map[string]bool) map[string]int {
	inScope := make([]bool, len(r.names))
	for n := range scope {
		if i, ok := r.index[n]; ok {
			inScope[i] = true
		}
	}
	// height[u] = 1 + the level of u when computed; 0 means not yet.
	height := make([]int32, len(r.names))
	var visit func(u int32) int32
	visit = func(u int32) int32 {
		if height[u] > 0 {
			return height[u] - 1
		}
		var h int32
		for _, v := range r.up[u] {
			hv := visit(v)
			if inScope[v] {
				hv++
			}
			h = max(h, hv)
		}
		height[u] = h + 1
		return h
	}
	level := make(map[string]int, len(scope))
	for n := range scope {
		if i, ok := r.index[n]; ok {
			level[n] = int(visit(r.unit[i]))
		}
	}
	return level
}
