package rollback_test

import (
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/rollback"
)

// shop is the shared scenario: a web shop whose release 2026.11.3 touched six
// services. web -> checkout -> payments -> ledger, checkout -> inventory,
// web -> search, notifications is new and depends on nothing.
func shopGraph() *depgraph.Graph[string] {
	g := depgraph.New[string]()
	for _, e := range [][2]string{
		{"web", "checkout"},
		{"checkout", "payments"},
		{"payments", "ledger"},
		{"checkout", "inventory"},
		{"web", "search"},
	} {
		if err := g.AddDependency(e[0], e[1]); err != nil {
			panic(err)
		}
	}
	g.AddNode("notifications")
	return g
}

func shopDeployment() rollback.Deployment {
	return rollback.Deployment{
		Release: "2026.11.3",
		Components: []rollback.ComponentChange{
			{Name: "ledger", From: "4.2.0", To: "4.3.0", Wave: 0, Finished: true, Actions: []rollback.Action{
				{Kind: rollback.ActionMigration, Name: "0042_add_index", Reversible: true},
				{Kind: rollback.ActionMigration, Name: "0043_drop_legacy", RollForward: "ledgerctl migrate up 0044_restore_legacy_view"},
			}},
			{Name: "inventory", From: "3.1.4", To: "3.2.0", Wave: 0, Finished: true},
			{Name: "payments", From: "2.7.1", To: "2.8.0", Wave: 1, Finished: true, Actions: []rollback.Action{
				{Kind: rollback.ActionFeatureFlag, Name: "instant-refunds"},
			}},
			{Name: "checkout", From: "5.0.3", To: "5.1.0", Wave: 2, Actions: []rollback.Action{
				{Kind: rollback.ActionCustom, Name: "cdn-rules", Command: "cdnctl restore --snapshot pre-2026.11.3", Verify: []string{"The CDN serves the checkout pages of 5.0.3."}},
			}},
			{Name: "web", From: "9.9.0", To: "10.0.0", Wave: 3, NotStarted: true},
			{Name: "notifications", To: "1.0.0", Wave: 0, Finished: true},
		},
	}
}

func shopOptions() rollback.Options {
	return rollback.Options{
		RollForward: true,
		Commands: map[rollback.StepKind]string{
			rollback.KindRedeploy:        "deployctl rollout {component} --version {version}",
			rollback.KindRemove:          "deployctl remove {component}",
			rollback.KindRevertMigration: "migrate --service {component} down {name}",
			rollback.KindDisableFlag:     "flagctl off {name}",
		},
		Notify: []string{"#release-managers", "oncall-sre"},
		Owners: map[string][]string{
			"ledger":   {"@team-ledger"},
			"payments": {"@team-payments", "@finance-oncall"},
			"checkout": {"@team-checkout"},
		},
		Checks: map[string][]string{"payments": {"Refunds created after the rollback settle."}},
	}
}
