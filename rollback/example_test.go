package rollback_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
)

// A release moved three services; checkout depends on payments, which depends on
// ledger. The rollback runs the other way round: checkout first, ledger last.
func ExamplePlan() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	if err := g.AddDependency("payments", "ledger"); err != nil {
		log.Fatal(err)
	}
	g.AddNode("search")

	deployed := rollback.Deployment{
		Release: "2026.11.3",
		Components: []rollback.ComponentChange{
			{Name: "ledger", From: "4.2.0", To: "4.3.0", Finished: true, Actions: []rollback.Action{
				{Kind: rollback.ActionMigration, Name: "0042_add_index", Reversible: true},
			}},
			{Name: "payments", From: "2.7.1", To: "2.8.0", Finished: true},
			{Name: "checkout", From: "5.0.3", To: "5.1.0"},                 // started, not finished
			{Name: "search", From: "1.9.0", To: "2.0.0", NotStarted: true}, // never started: left out
		},
	}
	rb, err := rollback.Plan(g, deployed, rollback.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range rb.Waves {
		fmt.Printf("wave %d (%s):\n", w.Number, w.Duration())
		for _, s := range w.Steps {
			fmt.Println("  ", s.ID)
		}
	}
	fmt.Println("total:", rb.Duration())
	// Output:
	// wave 1 (10m0s):
	//    w1/checkout/redeploy
	// wave 2 (10m0s):
	//    w2/payments/redeploy
	// wave 3 (25m0s):
	//    w3/ledger/redeploy
	//    w3/ledger/revert-migration/0042_add_index
	// total: 45m0s
}

// A migration that cannot be reverted refuses the plan, naming the step, unless the
// caller asks to roll it forward.
func ExamplePlan_irreversible() {
	g := depgraph.New[string]()
	g.AddNode("ledger")
	deployed := rollback.Deployment{Components: []rollback.ComponentChange{
		{Name: "ledger", From: "4.2.0", To: "4.3.0", Actions: []rollback.Action{
			{Kind: rollback.ActionMigration, Name: "0043_drop_legacy", RollForward: "ledgerctl migrate up 0044"},
		}},
	}}
	_, err := rollback.Plan(g, deployed, rollback.Options{})
	var ie *rollback.IrreversibleError
	if errors.As(err, &ie) {
		fmt.Println("refused:", ie.Steps[0].ID)
	}
	rb, err := rollback.Plan(g, deployed, rollback.Options{RollForward: true})
	if err != nil {
		log.Fatal(err)
	}
	s, ok := rb.Step("w1/ledger/roll-forward/0043_drop_legacy")
	if !ok {
		log.Fatal("the plan has no roll-forward step for 0043_drop_legacy")
	}
	fmt.Println("instead:", s.Kind, "->", s.Command)
	// Output:
	// refused: w1/ledger/revert-migration/0043_drop_legacy
	// instead: roll-forward -> ledgerctl migrate up 0044
}

// Check the plan against a calendar slot before running it.
func ExampleRunbook_FitsIn() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	rb, err := rollback.Plan(g, rollback.Deployment{Components: []rollback.ComponentChange{
		{Name: "checkout", From: "1", To: "2"},
		{Name: "payments", From: "1", To: "2"},
	}}, rollback.Options{})
	if err != nil {
		log.Fatal(err)
	}
	slot := time.Date(2026, 11, 24, 22, 0, 0, 0, time.UTC)
	fmt.Println(rb.FitsIn(slot, slot.Add(30*time.Minute)))
	err = rb.FitsIn(slot, slot.Add(15*time.Minute))
	fmt.Println(errors.Is(err, rollback.ErrDoesNotFit))
	// Output:
	// <nil>
	// true
}

func ExampleRunbook_WriteMarkdown() {
	g := depgraph.New[string]()
	g.AddNode("payments")
	rb, err := rollback.Plan(g, rollback.Deployment{Release: "2026.11.3", Components: []rollback.ComponentChange{
		{Name: "payments", From: "2.7.1", To: "2.8.0", Finished: true},
	}}, rollback.Options{
		Commands: map[rollback.StepKind]string{rollback.KindRedeploy: "deployctl rollout {component} --version {version}"},
		Notify:   []string{"#release-managers"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := rb.WriteMarkdown(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// # Rollback runbook: 2026.11.3
	//
	// - **Scope:** full rollback of every component that started deploying: 1 component(s), 1 step(s).
	// - **Order:** 1 wave(s), one after the other; a component is rolled back before the components it depends on. The components of a wave run in parallel, the steps of a component in order.
	// - **Estimated duration:** 10m along the critical path (the longest component of each wave, summed).
	// - **Notify:** #release-managers, before wave 1 and when the rollback ends.
	//
	// ## Wave 1: payments (est. 10m)
	//
	// Start once the rollback is decided and announced.
	//
	// ### payments: 2.8.0 back to 2.7.1
	//
	// - Deployment: finished.
	//
	// 1. `w1/payments/redeploy` (est. 10m)
	//    Redeploy payments at version 2.7.1 (rolling back 2.8.0).
	//
	//    ```sh
	//    deployctl rollout payments --version 2.7.1
	//    ```
	//
	//    - [ ] Every instance of payments reports version 2.7.1.
	//    - [ ] The health checks of payments pass.
	//    - [ ] The error rate and latency of payments are back to their level before the release.
	//
	// ## Done
	//
	// When every check is ticked, tell #release-managers that the rollback of 2026.11.3 is complete, and record the outcome.
}

// A run stops after the wave of a failing step; resuming from its report runs only
// what was not done.
func ExampleRun() {
	g := depgraph.New[string]()
	if err := g.AddDependency("checkout", "payments"); err != nil {
		log.Fatal(err)
	}
	rb, err := rollback.Plan(g, rollback.Deployment{Release: "r1", Components: []rollback.ComponentChange{
		{Name: "checkout", From: "1.0", To: "1.1"},
		{Name: "payments", From: "2.0", To: "2.1"},
	}}, rollback.Options{})
	if err != nil {
		log.Fatal(err)
	}

	broken := true
	exec := rollback.ExecutorFunc(func(ctx context.Context, s rollback.Step) error {
		if s.Component == "checkout" && broken {
			return errors.New("registry unreachable")
		}
		fmt.Println("ran", s.ID)
		return nil
	})
	report, err := rollback.Run(context.Background(), rb, exec, rollback.RunOptions{})
	fmt.Println(errors.Is(err, rollback.ErrStepFailed), report.NotStarted())

	broken = false
	report, err = rollback.Run(context.Background(), rb, exec, rollback.RunOptions{Resume: report})
	fmt.Println(err, report.Complete())
	// Output:
	// true [w2/payments/redeploy]
	// ran w1/checkout/redeploy
	// ran w2/payments/redeploy
	// <nil> true
}
