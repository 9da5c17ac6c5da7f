package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"

	"github.com/releasekit/releasekit/depgraph"
)

// dag is a random directed acyclic graph: edge i says dependent[i] depends on
// dependency[i]. Every edge goes from a higher to a lower rank of a random
// permutation, so there is no cycle, and no edge repeats.
type dag struct {
	n                     int
	dependent, dependency []int32
}

type size struct{ n, m int }

var sizes = []size{{10_000, 40_000}, {100_000, 400_000}, {100_000, 1_000_000}}

func (s size) String() string { return fmt.Sprintf("n=%d,m=%d", s.n, s.m) }

var (
	dagMu    sync.Mutex
	dagCache = map[size]*dag{}
)

// randomDAG returns the graph for s, generated once per process from a fixed seed.
func randomDAG(s size) *dag {
	dagMu.Lock()
	defer dagMu.Unlock()
	if d, ok := dagCache[s]; ok {
		return d
	}
	r := rand.New(rand.NewPCG(uint64(s.n), uint64(s.m)))
	rank := r.Perm(s.n)
	d := &dag{n: s.n}
	seen := make(map[uint64]struct{}, s.m)
	for len(d.dependent) < s.m {
		u, v := r.IntN(s.n), r.IntN(s.n)
		if u == v {
			continue
		}
		if rank[u] < rank[v] {
			u, v = v, u
		}
		key := uint64(u)<<32 | uint64(v)
		if _, dup := seen[key]; dup {
			continue
		}
		seen[key] = struct{}{}
		d.dependent = append(d.dependent, int32(u))
		d.dependency = append(d.dependency, int32(v))
	}
	dagCache[s] = d
	return d
}

func (d *dag) depgraph() *depgraph.Graph[int] {
	g := depgraph.New[int]()
	for v := 0; v < d.n; v++ {
		g.AddNode(v)
	}
	for i := range d.dependent {
		if err := g.AddDependency(int(d.dependent[i]), int(d.dependency[i])); err != nil {
			panic(err)
		}
	}
	return g
}

func (d *dag) depgraphStrings() *depgraph.Graph[string] {
	names := make([]string, d.n)
	for v := range names {
		names[v] = fmt.Sprintf("service-%06d", v)
	}
	g := depgraph.New[string]()
	for _, name := range names {
		g.AddNode(name)
	}
	for i := range d.dependent {
		if err := g.AddDependency(names[d.dependent[i]], names[d.dependency[i]]); err != nil {
			panic(err)
		}
	}
	return g
}

// gonum builds the same graph with edges from the dependency to the dependent,
// so that topo.Sort's from-to order is a release order.
func (d *dag) gonum() *simple.DirectedGraph {
	g := simple.NewDirectedGraph()
	for v := 0; v < d.n; v++ {
		g.AddNode(simple.Node(v))
	}
	for i := range d.dependent {
		g.SetEdge(g.NewEdge(simple.Node(d.dependency[i]), simple.Node(d.dependent[i])))
	}
	return g
}

// adjacency returns, for each node, the nodes that depend on it.
func (d *dag) adjacency() [][]int32 {
	adj := make([][]int32, d.n)
	for i := range d.dependent {
		adj[d.dependency[i]] = append(adj[d.dependency[i]], d.dependent[i])
	}
	return adj
}

// kahnWaves is the floor: a bare Kahn's algorithm on [][]int32 that groups
// nodes into waves, with no keys, no determinism guarantee inside a wave and no
// cycle report.
func kahnWaves(adj [][]int32) [][]int32 {
	n := len(adj)
	indeg := make([]int32, n)
	for _, row := range adj {
		for _, v := range row {
			indeg[v]++
		}
	}
	order := make([]int32, 0, n)
	for v := range indeg {
		if indeg[v] == 0 {
			order = append(order, int32(v))
		}
	}
	var waves [][]int32
	for start := 0; start < len(order); {
		end := len(order)
		waves = append(waves, order[start:end])
		for _, u := range order[start:end] {
			for _, v := range adj[u] {
				indeg[v]--
				if indeg[v] == 0 {
					order = append(order, v)
				}
			}
		}
		start = end
	}
	if len(order) != n {
		return nil
	}
	return waves
}

// csr is the graph as flat arrays: the dependents of node u are
// targets[offsets[u]:offsets[u+1]].
type csr struct {
	offsets, targets []int32
}

// flat returns the dependents of each node as one flat array (compressed sparse rows).
func (d *dag) flat() csr {
	c := csr{offsets: make([]int32, d.n+1), targets: make([]int32, len(d.dependent))}
	for _, v := range d.dependency {
		c.offsets[v+1]++
	}
	for u := 1; u <= d.n; u++ {
		c.offsets[u] += c.offsets[u-1]
	}
	next := slices.Clone(c.offsets[:d.n])
	for i, v := range d.dependency {
		c.targets[next[v]] = d.dependent[i]
		next[v]++
	}
	return c
}

// kahnFlat is the strongest floor: Kahn's algorithm on flat arrays, the waves as
// offsets into one order array (wave i is order[bounds[i]:bounds[i+1]]); no keys, no
// determinism inside a wave, no cycle report.
func kahnFlat(g csr) (order, bounds []int32) {
	n := len(g.offsets) - 1
	indeg := make([]int32, n)
	for _, v := range g.targets {
		indeg[v]++
	}
	order = make([]int32, 0, n)
	for v, k := range indeg {
		if k == 0 {
			order = append(order, int32(v))
		}
	}
	bounds = append(bounds, 0)
	for start := 0; start < len(order); {
		end := len(order)
		for _, u := range order[start:end] {
			for _, v := range g.targets[g.offsets[u]:g.offsets[u+1]] {
				if indeg[v]--; indeg[v] == 0 {
					order = append(order, v)
				}
			}
		}
		bounds = append(bounds, int32(len(order)))
		start = end
	}
	if len(order) != n {
		return nil, nil
	}
	return order, bounds
}

// bfs is the floor for Dependents: reachability on [][]int32, unordered.
func bfs(adj [][]int32, from int32) []int32 {
	seen := make([]bool, len(adj))
	seen[from] = true
	queue := []int32{from}
	for head := 0; head < len(queue); head++ {
		for _, v := range adj[queue[head]] {
			if !seen[v] {
				seen[v] = true
				queue = append(queue, v)
			}
		}
	}
	return queue[1:]
}

// warm forces depgraph's lazily built adjacency, so that timed loops measure
// the query and not the one-off build (measured by BenchmarkBuild).
func warm[K comparable](g *depgraph.Graph[K]) {
	if _, err := g.Waves(); err != nil {
		panic(err)
	}
}

func BenchmarkWaves(b *testing.B) {
	for _, s := range sizes {
		d := randomDAG(s)
		b.Run(s.String()+"/depgraph", func(b *testing.B) {
			g := d.depgraph()
			warm(g)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := g.Waves(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.String()+"/depgraph-string-keys", func(b *testing.B) {
			g := d.depgraphStrings()
			warm(g)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := g.Waves(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.String()+"/kahn-int32", func(b *testing.B) {
			adj := d.adjacency()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if kahnWaves(adj) == nil {
					b.Fatal("cycle")
				}
			}
		})
		b.Run(s.String()+"/kahn-flat", func(b *testing.B) {
			g := d.flat()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if order, _ := kahnFlat(g); order == nil {
					b.Fatal("cycle")
				}
			}
		})
		b.Run(s.String()+"/gonum-topo-sort", func(b *testing.B) {
			g := d.gonum()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := topo.Sort(g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOrder(b *testing.B) {
	s := sizes[2]
	d := randomDAG(s)
	g := d.depgraph()
	warm(g)
	b.Run(s.String(), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := g.Order(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// hub returns the node with the most direct dependents.
func hub(d *dag) int32 {
	count := make([]int32, d.n)
	best := int32(0)
	for _, v := range d.dependency {
		count[v]++
		if count[v] > count[best] || count[v] == count[best] && v < best {
			best = v
		}
	}
	return best
}

func BenchmarkDependentsHub(b *testing.B) {
	for _, s := range sizes {
		d := randomDAG(s)
		h := hub(d)
		b.Run(s.String()+"/depgraph", func(b *testing.B) {
			g := d.depgraph()
			warm(g)
			b.ReportAllocs()
			b.ResetTimer()
			var got int
			for b.Loop() {
				got = len(g.Dependents(int(h)))
			}
			b.ReportMetric(float64(got), "dependents")
		})
		b.Run(s.String()+"/bfs-int32", func(b *testing.B) {
			adj := d.adjacency()
			b.ReportAllocs()
			b.ResetTimer()
			var got int
			for b.Loop() {
				got = len(bfs(adj, h))
			}
			b.ReportMetric(float64(got), "dependents")
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkBuild times building a graph from its edges up to the first query
// (AddNode, AddDependency, then the lazy adjacency build), and reports the heap
// the built graph keeps, per edge.
func BenchmarkBuild(b *testing.B) {
	for _, s := range sizes {
		d := randomDAG(s)
		b.Run(s.String()+"/depgraph", func(b *testing.B) {
			benchBuild(b, s.m, func() any { g := d.depgraph(); warm(g); return g })
		})
		b.Run(s.String()+"/depgraph-string-keys", func(b *testing.B) {
			benchBuild(b, s.m, func() any { g := d.depgraphStrings(); warm(g); return g })
		})
		b.Run(s.String()+"/gonum", func(b *testing.B) {
			benchBuild(b, s.m, func() any { return d.gonum() })
		})
	}
}

// benchBuild times build, then reports the heap one built graph keeps, per edge.
func benchBuild(b *testing.B, edges int, build func() any) {
	b.ReportAllocs()
	for b.Loop() {
		build()
	}
	b.StopTimer()
	before := heapInUse()
	g := build()
	after := heapInUse()
	runtime.KeepAlive(g)
	b.ReportMetric(float64(after-before)/float64(edges), "bytes/edge")
}

// BenchmarkWavesRatio times depgraph's Waves and the flat-array Kahn alternately in one
// loop, so that load from other processes hits both alike, and reports their ratio
// (x-kahn-flat: depgraph's time over Kahn's). The separate sub-benchmarks of
// BenchmarkWaves give the absolute figures.
func BenchmarkWavesRatio(b *testing.B) {
	for _, s := range sizes[1:] {
		d := randomDAG(s)
		b.Run(s.String(), func(b *testing.B) {
			g, flat := d.depgraph(), d.flat()
			warm(g)
			var mine, kahn time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := g.Waves(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if order, _ := kahnFlat(flat); order == nil {
					b.Fatal("cycle")
				}
				mine, kahn = mine+t1.Sub(t0), kahn+time.Since(t1)
			}
			b.ReportMetric(float64(mine)/float64(kahn), "x-kahn-flat")
		})
	}
}
