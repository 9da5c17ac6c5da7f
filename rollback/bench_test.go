package rollback_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/internal/benchcpu"
	"github.com/releasekit/releasekit/rollback"
)

// benchWorld is a random DAG of n components, each depending on up to three earlier
// ones, all of them deployed (one in ten half-deployed, one in five with a
// reversible migration).
func benchWorld(b *testing.B, n int) (*depgraph.Graph[string], rollback.Deployment) {
	b.Helper()
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	g := depgraph.New[string]()
	d := rollback.Deployment{Release: "bench"}
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("svc%05d", i)
		g.AddNode(names[i])
		for range min(i, 3) {
			if err := g.AddDependency(names[i], names[rng.IntN(i)]); err != nil {
				b.Fatal(err)
			}
		}
		c := rollback.ComponentChange{Name: names[i], From: "1.0.0", To: "1.1.0", Finished: i%10 != 0}
		if i%5 == 0 {
			c.Actions = []rollback.Action{{Kind: rollback.ActionMigration, Name: "m1", Reversible: true}}
		}
		d.Components = append(d.Components, c)
	}
	return g, d
}

func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			g, d := benchWorld(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rollback.Plan(g, d, rollback.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPlanPartial10k(b *testing.B) {
	g, d := benchWorld(b, 10_000)
	opts := rollback.Options{Failed: []string{"svc05000", "svc09000"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rollback.Plan(g, d, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteMarkdown10k(b *testing.B) {
	g, d := benchWorld(b, 10_000)
	rb, err := rollback.Plan(g, d, rollback.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rb.WriteMarkdown(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun10k measures the executor's own overhead: every step is a no-op.
func BenchmarkRun10k(b *testing.B) {
	g, d := benchWorld(b, 10_000)
	rb, err := rollback.Plan(g, d, rollback.Options{})
	if err != nil {
		b.Fatal(err)
	}
	noop := rollback.ExecutorFunc(func(context.Context, rollback.Step) error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rollback.Run(context.Background(), rb, noop, rollback.RunOptions{Parallelism: 8}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanFailedTenth: a plan for a tenth of the components failed (every tenth
// one), at three sizes: the walk to their dependents is one traversal for all of them,
// so the cost grows with the graph, not with graph × failed.
func BenchmarkPlanFailedTenth(b *testing.B) {
	for _, n := range []int{2_000, 8_000, 32_000} {
		b.Run(fmt.Sprintf("components=%d", n), func(b *testing.B) {
			g, d := benchWorld(b, n)
			var opts rollback.Options
			for i := 1; i < n; i += 10 {
				opts.Failed = append(opts.Failed, d.Components[i].Name)
			}
			b.ReportAllocs()
			c0 := benchcpu.Start()
			for b.Loop() {
				if _, err := rollback.Plan(g, d, opts); err != nil {
					b.Fatal(err)
				}
			}
			benchcpu.Report(b, c0)
		})
	}
}
