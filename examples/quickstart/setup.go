package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// The people. The default policy (release.DefaultPolicy) decides who may fire what:
// developers plan and schedule, approvers and release managers approve, deployers
// deploy and roll back, release managers close. Nobody approves their own release.
var (
	ana = release.Person("ana", release.RoleDeveloper, release.RoleApprover, release.RoleDeployer) // writes the releases
	rui = release.Person("rui", release.RoleReleaseManager)                                        // approves and closes
	kim = release.Person("kim", risk.RoleChangeAdvisoryBoard)                                      // signs off for the CAB
	bot = release.Automation("deploybot", release.RoleDeployer)                                    // deploys and rolls back
	ci  = release.Automation("ci")                                                                 // reports check results
)

// The environments, in promotion order: a version starts in staging only once it
// was verified in dev, and in prod only once it was verified in staging.
var pipeline = release.Pipeline{"dev", "staging", "prod"}

// shopGraph is the online shop: eight services and what each one depends on (a
// dependency ships first, and is rolled back last).
func shopGraph() (*depgraph.Graph[string], error) {
	g := depgraph.New[string]()
	for _, e := range [][2]string{
		{"edge", "web"}, {"edge", "auth"},
		{"web", "checkout"}, {"web", "auth"}, {"web", "inventory"},
		{"checkout", "payments"}, {"checkout", "inventory"}, {"checkout", "notifications"},
		{"payments", "ledger"}, {"payments", "auth"},
	} {
		if err := g.AddDependency(e[0], e[1]); err != nil {
			return nil, err
		}
	}
	// checkout speaks payments' v2 API.
	if err := g.AddRequirement("checkout", "payments", ">= 2.0.0, < 3.0.0"); err != nil {
		return nil, err
	}
	return g, nil
}

// calendarRules is the master release calendar, in the time zones the teams live
// in. The holiday freeze recurs every year; emergency changes may pass it.
func calendarRules() []calendar.Rule {
	return []calendar.Rule{
		{
			Name: "prod release train", Kind: calendar.Window, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0),
			RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}},
		},
		{
			Name: "staging window", Kind: calendar.Window, Zone: "America/New_York",
			Start: calendar.Wall(2026, 1, 5, 9, 0, 0), End: calendar.Wall(2026, 1, 5, 17, 0, 0),
			RRule: "FREQ=DAILY", Scope: calendar.Scope{Environments: []string{"staging"}},
		},
		{
			Name: "holiday freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
			Start: calendar.Wall(2026, 12, 18, 0, 0, 0), End: calendar.Wall(2027, 1, 4, 0, 0, 0),
			RRule: "FREQ=YEARLY", Scope: calendar.Scope{Environments: []string{"staging", "prod"}},
			AllowClasses: []change.Class{change.Emergency},
		},
	}
}

func newCalendar() (*calendar.Calendar, error) {
	return calendar.NewWithOptions(calendarRules(),
		calendar.WithAlignment(15*time.Minute), // slots start at :00, :15, :30, :45
		calendar.WithCapacity("prod", 1),       // the train: one prod deployment at a time
	)
}

// The SLO objectives prod approvals are judged by (Keptn-style): the canary's error
// rate against the prod baseline (a key objective: failing it fails the gate) and
// its p95 latency.
var objectives = gate.Objectives(
	gate.Objective{Metric: "error_rate_pct", Pass: []string{"<=+10%"}, Warning: []string{"<=+25%"}, Weight: 2, Key: true},
	gate.Objective{Metric: "latency_p95_ms", Pass: []string{"<=600"}, Warning: []string{"<=800"}},
)

var (
	healthy   = map[string]float64{"error_rate_pct": 0.8, "latency_p95_ms": 420}
	baselines = map[string]float64{"error_rate_pct": 0.8, "latency_p95_ms": 410}
)

// evidence is what the host application keeps outside the engine: the canary
// metrics of each release, handed to the gates through GateConfig.Evidence. The CI
// checks and the change advisory board's approvals are recorded in the store with
// Engine.Record instead (see story.recordCI and story.signOff), where they are part
// of the audited history.
type evidence struct {
	mu     sync.Mutex
	canary map[string]map[string]float64 // "env/name" -> metric -> value
}

func newEvidence() *evidence {
	return &evidence{canary: map[string]map[string]float64{}}
}

// measure records the canary metrics of a release in an environment.
func (e *evidence) measure(env, name string, metrics map[string]float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.canary[env+"/"+name] = metrics
}

// input is GateConfig.Evidence: the metrics the objectives judge.
func (e *evidence) input(_ context.Context, r release.Release) (gate.Input, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	metrics, ok := e.canary[r.Environment+"/"+r.Name]
	if !ok {
		metrics = healthy
	}
	return gate.Input{Metrics: metrics, Baselines: baselines}, nil
}

// commitFacts is what version control knows about a release: how big it is and how well
// it is tested. The risk model reads it.
type commitFacts struct {
	lines, files int
	coverage     float64
	// age is how long before the release was created its last commit landed:
	// the release gives it as Spec.CommittedAt, and lead time runs from there.
	age time.Duration
}

// riskModel is the default model, sized for a shop of eight services: six
// dependents is the whole platform, four components is a big release.
func riskModel() *risk.Model {
	m := risk.DefaultModel()
	for i, f := range m.Factors {
		switch f.(type) {
		case risk.BlastRadius:
			m.Factors[i] = risk.BlastRadius{DependentsAtMax: 6}
		case risk.Spread:
			m.Factors[i] = risk.Spread{ComponentsAtMax: 4}
		}
	}
	return &m
}

// prodLog is what the shop's deployment log says about prod from before releasekit:
// payments has a history of failed deployments.
var prodLog = map[string]risk.Outcomes{"payments": {Deployments: 10, Failures: 3}}

// riskFacts gathers the facts of a release: its size and tests, its blast radius
// from the graph, and how its components fared in this environment before (the old
// deployment log for prod, plus what the store holds, so a second run knows about
// the first).
func riskFacts(store release.Store, shop *depgraph.Graph[string], changes map[string]commitFacts) func(context.Context, release.Release) (risk.Facts, error) {
	return func(ctx context.Context, r release.Release) (risk.Facts, error) {
		c := changes[r.Name]
		f := risk.Facts{Class: r.Class, LinesChanged: c.lines, FilesChanged: c.files,
			Tests: risk.TestEvidence{Passed: true, Coverage: c.coverage}, History: map[string]risk.Outcomes{}}
		earlier, err := store.List(ctx, release.Filter{Environment: r.Environment})
		if err != nil {
			return risk.Facts{}, err
		}
		mine := map[string]bool{}
		for _, comp := range r.Components {
			mine[comp.Name] = true
			f.Components = append(f.Components, comp.Name)
		}
		for _, comp := range r.Components {
			for _, d := range shop.Dependents(comp.Name) {
				if !mine[d] && !slices.Contains(f.DependentNames, d) {
					f.DependentNames = append(f.DependentNames, d)
				}
			}
			var o risk.Outcomes
			if r.Environment == "prod" {
				o = prodLog[comp.Name]
			}
			for _, e := range earlier {
				if _, deployed := e.Reached[release.StateDeployed]; deployed && slices.ContainsFunc(e.Components, func(x release.Component) bool { return x.Name == comp.Name }) {
					o.Deployments++
					if _, back := e.Reached[release.StateRollingBack]; back {
						o.Failures++
					}
				}
			}
			if o.Deployments > 0 {
				f.History[comp.Name] = o
			}
		}
		f.Dependents = len(f.DependentNames)
		return f, nil
	}
}

// rollbackActions lists what a deployment did besides shipping the version, so the
// rollback plan undoes it too.
func rollbackActions(_ release.Release, c release.Component) []rollback.Action {
	switch c.Name {
	case "ledger":
		return []rollback.Action{{Kind: rollback.ActionMigration, Name: "0042_add_currency", Reversible: true,
			Command: "ledgerctl migrate down 0042_add_currency", Verify: []string{"ledger balances reconcile"}}}
	case "checkout":
		return []rollback.Action{{Kind: rollback.ActionFeatureFlag, Name: "one-click-buy"}}
	}
	return nil
}

// chat is the notifier: every committed transition is posted to the release
// channel (here: counted, and kept for the end of the run).
type chat struct {
	mu    sync.Mutex
	posts []string
}

func (c *chat) Notify(_ context.Context, n release.Notification) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := n.Release
	c.posts = append(c.posts, fmt.Sprintf("#release-train: %s %s in %s: %s -> %s by %s", r.Name, r.Version, r.Environment, n.Entry.From, n.Entry.To, n.Entry.Actor.ID))
	return nil
}

func (c *chat) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.posts)
}

// newEngine configures the engine once; every transition then applies the
// calendar, the risk policy, the gates, the dependencies between releases and the
// promotion pipeline, plans rollbacks, and records every decision in the history.
func newEngine(store release.Store, clk release.Clock, cal *calendar.Calendar, shop *depgraph.Graph[string], ev *evidence,
	changes map[string]commitFacts, exec rollback.Executor, notes release.Notifier) (*release.Engine, error) {
	return release.New(store,
		release.WithClock(clk),
		release.WithNotifier(notes),
		release.WithPipeline(pipeline),
		release.WithCalendar(release.CalendarConfig{
			Calendar:      cal,
			OverrideRoles: []string{release.RoleReleaseManager},
			Soak:          30 * time.Minute, // after a release it needs, wait and watch
		}),
		release.WithRisk(release.RiskConfig{Model: riskModel(), Graph: shop, Facts: riskFacts(store, shop, changes)}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{
				"staging": {gate.Checks("build", "unit", "e2e")},
				"prod":    {gate.Checks("build", "unit", "e2e"), objectives},
			},
			// The risk policy (risk.DefaultPolicy) asks for these by name where the
			// environment has none: medium risk and up need checks and objectives,
			// high risk a change-advisory-board approval besides the release manager's.
			Named:    map[string]gate.Gate{risk.GateChecks: gate.Checks("build", "unit"), risk.GateObjectives: objectives},
			Evidence: ev.input,
		}),
		release.WithDependencies(release.DependencyConfig{}),
		release.WithRollback(release.RollbackConfig{
			Graph:   shop,
			Actions: rollbackActions,
			Options: rollback.Options{
				Commands: map[rollback.StepKind]string{
					rollback.KindRedeploy:    "deployctl rollout {component}@{version}",
					rollback.KindDisableFlag: "flagctl off {name}",
				},
				Notify: []string{"#release-train"},
				Owners: map[string][]string{"payments": {"@payments-oncall"}, "ledger": {"@ledger-team"}},
				Checks: map[string][]string{"payments": {"payment success rate back above 99.5%"}},
			},
			Executor: exec,
		}),
		release.WithReviewRequired(true), // closing a release needs a post-implementation review
	)
}
