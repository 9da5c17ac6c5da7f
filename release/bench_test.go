package release_test

import (
	"context"
	"testing"

	"github.com/looplab/fsm"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// BenchmarkEngineFire: one transition through the engine on the memory store (read,
// policy, machine, hash, compare-and-swap, history append), cycling schedule and
// unschedule so the release never runs out of transitions.
func BenchmarkEngineFire(b *testing.B) {
	ctx := context.Background()
	eng, _ := release.New(memory.New(), release.WithPolicy(release.AllowAll()))
	r, _ := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: "ana"})
	r, _ = eng.Fire(ctx, r.ID, release.EventPlan, rui)
	events := [2]release.Event{release.EventSchedule, release.EventUnschedule}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := eng.Fire(ctx, r.ID, events[i%2], rui); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareFSMEvent: the floor: one looplab/fsm event on a fresh machine built with
// the same lifecycle table (what the engine does inside Fire), nothing else.
func BenchmarkBareFSMEvent(b *testing.B) {
	ctx := context.Background()
	// The same table as the engine's: one description per event, all its sources.
	var descs []fsm.EventDesc
	index := map[release.Event]int{}
	for _, t := range release.Transitions() {
		i, ok := index[t.Event]
		if !ok {
			i = len(descs)
			index[t.Event] = i
			descs = append(descs, fsm.EventDesc{Name: string(t.Event), Dst: string(t.To)})
		}
		descs[i].Src = append(descs[i].Src, string(t.From))
	}
	b.ReportAllocs()
	for b.Loop() {
		m := fsm.NewFSM("planned", descs, nil)
		if err := m.Event(ctx, "schedule"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyHistory: verifying a 1,000-entry history.
func BenchmarkVerifyHistory(b *testing.B) {
	h, head := history(&testing.T{}, 999)
	b.ReportAllocs()
	for b.Loop() {
		if err := release.VerifyHistory(h, head); err != nil {
			b.Fatal(err)
		}
	}
}
