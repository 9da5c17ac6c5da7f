package release_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// BenchmarkApproveEvidence measures one approve whose gates judge 100 approvals (a
// quorum of 100 release managers) and 100 CI checks, on the memory store:
//   - recorded: the evidence is in the release's history (Engine.Record), so the
//     approve reads the history (206 entries) and folds it;
//   - host: the same evidence comes from GateConfig.Evidence, as before Record.
//
// Each iteration approves a fresh release in a fresh store, set up (and its evidence
// recorded) with the timer stopped, followed by a garbage collection so that neither
// variant pays for the set-up's garbage.
func BenchmarkApproveEvidence(b *testing.B) {
	const n = 100
	people := make([]release.Actor, n)
	approvals := make([]gate.Approval, n)
	names := make([]string, n)
	checks := map[string]gate.Check{}
	for i := range n {
		people[i] = release.Person(fmt.Sprintf("approver-%03d", i), release.RoleReleaseManager)
		names[i] = fmt.Sprintf("check-%03d", i)
		checks[names[i]] = gate.Check{Status: gate.CheckSuccess}
	}
	gates := map[string][]gate.Gate{"prod": {gate.Approvals(gate.Quorum{Role: release.RoleReleaseManager, Min: n}), gate.Checks(names...)}}
	robot := release.Automation("merge-bot")
	for _, mode := range []string{"recorded", "host"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var cur release.Release
			cfg := release.GateConfig{ByEnvironment: gates}
			if mode == "host" {
				cfg.Evidence = func(context.Context, release.Release) (gate.Input, error) {
					in := gate.Input{Approvals: make([]gate.Approval, n), Checks: checks}
					for i := range n {
						in.Approvals[i] = approvals[i]
						in.Approvals[i].Actor, in.Approvals[i].Roles = people[i].ID, people[i].Roles
						in.Approvals[i].Revision = cur.Revision
					}
					return in, nil
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				// A fresh store each time: what earlier iterations wrote (their
				// histories and outbox rows) must not weigh on this one's heap.
				eng, err := release.New(memory.New(), release.WithPolicy(release.AllowAll()), release.WithGates(cfg))
				if err != nil {
					b.Fatal(err)
				}
				r, _ := eng.Create(ctx, release.Spec{Name: "svc", Version: "1", Environment: "prod", Author: "ana"})
				r, _ = eng.Fire(ctx, r.ID, release.EventPlan, rui)
				r, _ = eng.Fire(ctx, r.ID, release.EventSchedule, rui)
				if mode == "recorded" {
					for i := range n {
						r, _ = eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: people[i]})
						r, _ = eng.Record(ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: robot, Name: names[i], Status: gate.CheckSuccess})
					}
				}
				cur = r
				runtime.GC() // the set-up's garbage is not the approve's
				b.StartTimer()
				if got, err := eng.Fire(ctx, r.ID, release.EventApprove, robot); err != nil || got.State != release.StateApproved {
					b.Fatalf("approve: %v", err)
				}
			}
		})
	}
}
