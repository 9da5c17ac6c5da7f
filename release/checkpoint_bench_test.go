package release_test

import (
	"context"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// discardSink publishes nowhere, so the benchmark measures the engine's side of a
// checkpoint (reading the new entries, checking their chain, the tree, the
// signature), not a sink's I/O.
type discardSink struct{}

func (discardSink) Publish(context.Context, release.Checkpoint) error { return nil }
func (discardSink) Checkpoints(context.Context) ([]release.Checkpoint, error) {
	return nil, nil
}

// committer fires round-robin over 100 releases on the memory store (each replaced
// by a new one after 20 entries, so histories stay release-sized) and, with every
// > 0, signs a checkpoint synchronously after every that many commits.
type committer struct {
	eng   *release.Engine
	every int
	live  []release.Release
	n     int
}

func newCommitter(b *testing.B, signer note.Signer, every int) *committer {
	opts := []release.Option{release.WithPolicy(release.AllowAll())}
	if every > 0 {
		opts = append(opts, release.WithCheckpoints(signer, discardSink{}, release.CheckpointEvery(0), release.CheckpointInterval(0)))
	}
	eng, err := release.New(memory.New(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	c := &committer{eng: eng, every: every, live: make([]release.Release, 100)}
	for i := range c.live {
		c.fresh(b, i)
	}
	if every > 0 {
		if _, err := eng.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

func (c *committer) fresh(b *testing.B, i int) {
	ctx := context.Background()
	r, err := c.eng.Create(ctx, release.Spec{Name: "svc", Version: "1.0.0", Environment: "prod", Author: "ana"})
	if err != nil {
		b.Fatal(err)
	}
	if c.live[i], err = c.eng.Fire(ctx, r.ID, release.EventPlan, rui); err != nil {
		b.Fatal(err)
	}
}

// commit fires one event (and signs a checkpoint when one is due).
func (c *committer) commit(b *testing.B) {
	ctx := context.Background()
	i := c.n % len(c.live)
	c.n++
	if c.live[i].Revision >= 20 {
		c.fresh(b, i)
	}
	ev := release.EventSchedule
	if c.live[i].State == release.StateScheduled {
		ev = release.EventUnschedule
	}
	var err error
	if c.live[i], err = c.eng.Fire(ctx, c.live[i].ID, ev, rui); err != nil {
		b.Fatal(err)
	}
	if c.every > 0 && c.n%c.every == 0 {
		if _, err := c.eng.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckpointCost measures the cost per commit of signed checkpoints: one
// Fire on the memory store with no checkpoints ("none") and with a checkpoint
// signed synchronously after every 1, 10 and 100 commits. In an engine the
// checkpoint runs in the background, off the commit path; this charges its whole
// cost to the commits it covers.
func BenchmarkCheckpointCost(b *testing.B) {
	signer, _ := testKeys(b)
	for _, bc := range []struct {
		name  string
		every int
	}{{"none", 0}, {"every-1", 1}, {"every-10", 10}, {"every-100", 100}} {
		b.Run(bc.name, func(b *testing.B) {
			c := newCommitter(b, signer, bc.every)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.commit(b)
			}
		})
	}
}

// BenchmarkCheckpointCostInterleaved times, in one loop, 100 commits on an engine
// without checkpoints and 100 on one that signs a checkpoint every 1 or every 100
// commits, in turn, so both sides see the same machine load. It reports the time per
// commit of each and their ratio (x-none).
func BenchmarkCheckpointCostInterleaved(b *testing.B) {
	signer, _ := testKeys(b)
	for _, every := range []int{1, 100} {
		b.Run(map[int]string{1: "every-1", 100: "every-100"}[every], func(b *testing.B) {
			plain, anchored := newCommitter(b, signer, 0), newCommitter(b, signer, every)
			var tPlain, tAnchored time.Duration
			const n = 100
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				for range n {
					plain.commit(b)
				}
				t1 := time.Now()
				for range n {
					anchored.commit(b)
				}
				tPlain, tAnchored = tPlain+t1.Sub(t0), tAnchored+time.Since(t1)
			}
			b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N*n), "none-ns/commit")
			b.ReportMetric(float64(tAnchored.Nanoseconds())/float64(b.N*n), "checkpointed-ns/commit")
			b.ReportMetric(float64(tAnchored)/float64(tPlain), "x-none")
		})
	}
}
