package depgraph_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/releasekit/releasekit/depgraph"
)

// layered builds a deterministic DAG of n services, each depending on up to
// four earlier ones.
func layered(n int) *depgraph.Graph[string] {
	r := rand.New(rand.NewPCG(1, 2))
	g := depgraph.New[string]()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%d", i)
		g.AddNode(names[i])
		for j := 0; j < 4 && i > 0; j++ {
			_ = g.AddDependency(names[i], names[r.IntN(i)])
		}
	}
	return g
}

func BenchmarkWaves1k(b *testing.B) {
	g := layered(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Waves(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDependents1k(b *testing.B) {
	g := layered(1000)
	b.ReportAllocs()
	for b.Loop() {
		g.Dependents("svc-0")
	}
}

func BenchmarkBuild1k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		g := layered(1000)
		g.EdgeCount()
	}
}

func BenchmarkCycles1k(b *testing.B) {
	g := layered(1000)
	_ = g.AddDependency("svc-0", "svc-999")
	b.ReportAllocs()
	for b.Loop() {
		g.Cycles()
	}
}

func BenchmarkReduce1k(b *testing.B) {
	base := layered(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := base.Clone().Reduce(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCriticalPath1k(b *testing.B) {
	g := layered(1000)
	weight := func(string) time.Duration { return time.Minute }
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := g.CriticalPath(weight); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteMermaid1k(b *testing.B) {
	g := layered(1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := g.WriteMermaid(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmet1k(b *testing.B) {
	g := depgraph.New[string]()
	inv := map[string]string{}
	for i := 0; i < 1000; i++ {
		_ = g.AddRequirement(fmt.Sprintf("svc-%d", i), fmt.Sprintf("svc-%d", i+1), ">= 1.5.0, < 2.0.0")
		inv[fmt.Sprintf("svc-%d", i+1)] = fmt.Sprintf("1.%d.0", i%10)
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Unmet(inv)
	}
}
