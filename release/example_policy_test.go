package release_test

// The recipes of docs/POLICY-COOKBOOK.md. Each example is one recipe; the cookbook
// explains them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/risk"
)

// cookbookStart is Monday 2026-05-04 09:00 UTC, the recipes' "now".
var cookbookStart = time.Date(2026, time.May, 4, 9, 0, 0, 0, time.UTC)

// refusals prints why a Fire was refused: the policy rule, or every guard's reason.
func refusals(err error) {
	var fe *release.ForbiddenError
	var ge *release.GuardError
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.As(err, &fe):
		fmt.Printf("forbidden by %q: %s\n", fe.Rule, fe.Reason)
	case errors.As(err, &ge):
		for _, r := range ge.Refusals {
			fmt.Printf("refused by %s: %s\n", r.Guard, r.Reason)
		}
	default:
		fmt.Println(err)
	}
}

// walk fires events in order as actor and stops at the first error.
func walk(ctx context.Context, eng *release.Engine, id release.ID, actor release.Actor, events ...release.Event) error {
	for _, ev := range events {
		if _, err := eng.Fire(ctx, id, ev, actor); err != nil {
			return fmt.Errorf("%s: %w", ev, err)
		}
	}
	return nil
}

// Roles and permissions per environment and change class: developers deploy to dev
// and staging themselves; in prod only the deploy bot (an automation) starts
// deployments, release managers approve normal changes, and standard (pre-approved)
// changes may be approved by the bot too.
func Example_policyRoles() {
	policy := release.Policy{Permissions: []release.Permission{
		{Name: "plan", Events: []release.Event{release.EventPlan, release.EventSchedule, release.EventUnschedule, release.EventCancel},
			Roles: []string{"developer", "release-manager"}},
		{Name: "self-service", Events: []release.Event{release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify, release.EventFail, release.EventRollback, release.EventFinishRollback, release.EventClose},
			Roles: []string{"developer"}, Environments: []string{"dev", "staging"}},
		{Name: "prod-approve", Events: []release.Event{release.EventApprove, release.EventRevoke},
			Roles: []string{"release-manager"}, Environments: []string{"prod"}},
		{Name: "prod-approve-standard", Events: []release.Event{release.EventApprove},
			Roles: []string{"deployer"}, Environments: []string{"prod"}, Classes: []change.Class{change.Standard}},
		{Name: "prod-deploy", Events: []release.Event{release.EventStart, release.EventComplete, release.EventVerify, release.EventFail, release.EventRollback, release.EventFinishRollback},
			Roles: []string{"deployer"}, Environments: []string{"prod"}, Kinds: []release.ActorKind{release.ActorAutomation}},
		{Name: "prod-close", Events: []release.Event{release.EventClose}, Roles: []string{"release-manager"}, Environments: []string{"prod"}},
	}}
	if err := policy.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	dev := release.Person("dev", "developer")
	bot := release.Automation("deploy-bot", "deployer")
	human := release.Person("ops", "deployer")
	normal := release.Release{Environment: "prod", Class: change.Normal, Author: "ana"}
	standard := release.Release{Environment: "prod", Class: change.Standard, Author: "ana"}

	fmt.Println(policy.Authorize(dev, release.EventStart, release.Release{Environment: "staging", Author: "ana"}))
	fmt.Println(policy.Authorize(bot, release.EventStart, normal))
	refusals(policy.Authorize(human, release.EventStart, normal))
	refusals(policy.Authorize(dev, release.EventStart, normal))
	refusals(policy.Authorize(bot, release.EventApprove, normal))
	fmt.Println(policy.Authorize(bot, release.EventApprove, standard))
	// Output:
	// <nil>
	// <nil>
	// forbidden by "prod-deploy": ops has roles [deployer]; it takes an actor of kind [automation]
	// forbidden by "prod-deploy": dev has roles [developer]; it takes an actor of kind [automation]
	// forbidden by "prod-approve": deploy-bot has roles [deployer]; it takes one of the roles release-manager
	// <nil>
}

// Separation of duties: the author of a release may not approve it, whatever roles
// they hold. The approval gate applies the same rule to approvals gathered as
// evidence (the author's and the requester's approvals never count), and the waiver
// rules keep the author from waiving its gates. Policy.AllowSelfApproval turns the
// policy's check off, for single-person tools.
func Example_separationOfDuties() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(cookbookStart, time.Minute)))
	if err != nil {
		log.Fatal(err)
	}
	ana := release.Person("ana", release.RoleDeveloper, release.RoleReleaseManager)
	rui := release.Person("rui", release.RoleReleaseManager)

	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.0", Environment: "prod", Author: ana.ID})
	if err != nil {
		log.Fatal(err)
	}
	if err := walk(ctx, eng, r.ID, ana, release.EventPlan, release.EventSchedule); err != nil {
		log.Fatal(err)
	}
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, ana)
	refusals(err)
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, rui)
	fmt.Println(r.State, err)

	solo := release.AllowAll()
	solo.AllowSelfApproval = true
	fmt.Println(solo.Authorize(ana, release.EventApprove, release.Release{Environment: "prod", Author: ana.ID}))
	// Output:
	// forbidden by "separation-of-duties": ana wrote this release and may not approve it; ask another approver
	// approved <nil>
	// <nil>
}

// Gates by environment and risk: every prod approval needs green CI checks; the risk
// level assessed at plan time adds the risk policy's requirement. Under
// risk.DefaultPolicy a high-risk release needs two approvals, one of them by the
// change advisory board, plus the checks and SLO objectives gates. The approving
// actor's own approval counts; the others come from Evidence.
func Example_gatesByEnvironmentAndRisk() {
	ctx := context.Background()
	var approvals []gate.Approval // what the host's approval UI recorded
	eng, err := release.New(memory.New(),
		release.WithClock(releasetest.NewClock(cookbookStart, time.Minute)),
		release.WithRisk(release.RiskConfig{
			// The host knows the size of the change, the migrations, the tests.
			Facts: func(_ context.Context, r release.Release) (risk.Facts, error) {
				return risk.Facts{Components: []string{"checkout", "payments", "ledger"}, LinesChanged: 4200, FilesChanged: 80,
					Dependents: 12, IrreversibleSteps: []string{"drop column orders.legacy_id"}, Class: risk.Class(r.Class)}, nil
			},
		}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build", "e2e")}},
			Named: map[string]gate.Gate{risk.GateObjectives: gate.Objectives(
				gate.Objective{Metric: "error_rate", Pass: []string{"<=1"}, Key: true},
				gate.Objective{Metric: "p99_ms", Pass: []string{"<=+10%"}, Warning: []string{"<=+25%"}},
			)},
			Policy: nil, // risk.DefaultPolicy()
			Evidence: func(_ context.Context, r release.Release) (gate.Input, error) {
				return gate.Input{
					Approvals: approvals,
					Checks:    map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckSuccess}},
					Metrics:   map[string]float64{"error_rate": 0.4, "p99_ms": 310},
					Baselines: map[string]float64{"p99_ms": 300},
				}, nil
			},
		}))
	if err != nil {
		log.Fatal(err)
	}
	rm := release.Person("rui", release.RoleReleaseManager)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "3.0.0", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	r, err = eng.Fire(ctx, r.ID, release.EventPlan, release.Person("ana", release.RoleDeveloper))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("risk: %s (score %.0f)\n", r.Risk.Level, r.Risk.Score)
	r, err = eng.Fire(ctx, r.ID, release.EventSchedule, release.Person("ana", release.RoleDeveloper))
	if err != nil {
		log.Fatal(err)
	}

	_, err = eng.Fire(ctx, r.ID, release.EventApprove, rm)
	refusals(err)

	// The change advisory board approves this revision; the release manager's
	// approval then completes the quorum.
	approvals = append(approvals, gate.Approval{Actor: "carla", Roles: []string{risk.RoleChangeAdvisoryBoard}, At: cookbookStart, Revision: r.Revision})
	r, err = eng.Fire(ctx, r.ID, release.EventApprove, rm)
	fmt.Println(r.State, err)

	// The decision is in the history and replays to the same verdict.
	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	var d gate.Decision
	if err := json.Unmarshal(hist[len(hist)-1].Annotations["gates"], &d); err != nil {
		log.Fatal(err)
	}
	for _, res := range d.Results {
		fmt.Println(res.Gate, res.Status)
	}
	fmt.Println(d.Verify())
	// Output:
	// risk: high (score 51)
	// refused by gates: No-Go: gate "approvals (high risk)" failed: needs 1 of change-advisory-board (have 0): ask more eligible people to approve this revision
	// approved <nil>
	// checks pass
	// approvals (high risk) pass
	// objectives pass
	// <nil>
}

// Freeze exceptions and overrides: a freeze that lets emergency changes through
// (calendar AllowClasses) needs no override; a normal change is refused, and only an
// actor with one of CalendarConfig.OverrideRoles may push it through with
// release.Override(reason). The override, its author and what it overrode are
// recorded in the history. Nobody can override a lockdown.
func Example_freezeOverride() {
	ctx := context.Background()
	freeze := calendar.Rule{Name: "quarter-end freeze", Kind: calendar.Freeze, Zone: "UTC",
		Start: calendar.Wall(2026, time.May, 4, 0, 0, 0), End: calendar.Wall(2026, time.May, 8, 0, 0, 0),
		AllowClasses: []change.Class{change.Emergency}}
	clock := releasetest.NewClock(cookbookStart, 0) // both slots start now
	store := memory.New()
	newEngine := func(rules ...calendar.Rule) *release.Engine {
		cal, err := calendar.New(rules...)
		if err != nil {
			panic(err)
		}
		eng, err := release.New(store, release.WithClock(clock), release.WithPolicy(release.AllowAll()),
			release.WithCalendar(release.CalendarConfig{Calendar: cal, OverrideRoles: []string{"incident-commander"}}))
		if err != nil {
			log.Fatal(err)
		}
		return eng
	}
	open := newEngine() // books the slots: no rules yet
	frozen := newEngine(freeze)
	dev := release.Person("dev", "developer")
	ic := release.Person("ines", "incident-commander")

	mk := func(class release.Class) release.Release {
		r, err := open.Create(ctx, release.Spec{Name: "checkout-" + string(class), Version: "2.4.1", Environment: "prod",
			Author: "ana", Class: class, Duration: 30 * time.Minute})
		if err != nil {
			log.Fatal(err)
		}
		if err := walk(ctx, open, r.ID, dev, release.EventPlan, release.EventSchedule, release.EventApprove); err != nil {
			fmt.Println(err)
		}
		return r
	}
	emergency, normal := mk(change.Emergency), mk(change.Normal)

	_, err := frozen.Fire(ctx, emergency.ID, release.EventStart, dev)
	fmt.Println("emergency:", err)
	_, err = frozen.Fire(ctx, normal.ID, release.EventStart, dev)
	refusals(err)
	_, err = frozen.Fire(ctx, normal.ID, release.EventStart, dev, release.Override("customers waiting"))
	refusals(err)
	r, err := frozen.Fire(ctx, normal.ID, release.EventStart, ic, release.Override("fixes the INC-4711 data loss"))
	fmt.Println(r.State, err)
	hist, err := frozen.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(hist[len(hist)-1].Annotations["calendar"]))
	// Output:
	// emergency: <nil>
	// refused by calendar: prod is frozen from 2026-05-04 00:00 UTC to 2026-05-08 00:00 UTC by rule "quarter-end freeze"; book after it ends at 2026-05-08 00:00 UTC, or use an emergency change, which the freeze allows
	// refused by calendar: prod is frozen from 2026-05-04 00:00 UTC to 2026-05-08 00:00 UTC by rule "quarter-end freeze"; book after it ends at 2026-05-08 00:00 UTC, or use an emergency change, which the freeze allows (dev may not override the calendar: it takes one of the roles incident-commander)
	// deploying <nil>
	// {"by":"ines","overridden":["prod is frozen from 2026-05-04 00:00 UTC to 2026-05-08 00:00 UTC by rule \"quarter-end freeze\"; book after it ends at 2026-05-08 00:00 UTC, or use an emergency change, which the freeze allows"],"override":"fixes the INC-4711 data loss"}
}

// Waivers: a failed gate can be waived by an actor holding one of
// gate.Options.AllowedWaiverRoles, with a reason and an expiry, passed to approve with
// release.Waive. The author may not waive; an invalid waiver is explained. The waiver
// is recorded in the decision.
func Example_waiver() {
	ctx := context.Background()
	eng, err := release.New(memory.New(),
		release.WithClock(releasetest.NewClock(cookbookStart, time.Minute)),
		release.WithPolicy(release.AllowAll()),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build", "e2e")}},
			Options:       gate.Options{AllowedWaiverRoles: []string{"vp-engineering"}},
			Evidence: func(context.Context, release.Release) (gate.Input, error) {
				return gate.Input{Checks: map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckFailure}}}, nil
			},
		}))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.2", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	if err := walk(ctx, eng, r.ID, release.Person("ana"), release.EventPlan, release.EventSchedule); err != nil {
		log.Fatal(err)
	}
	rm := release.Person("rui", release.RoleReleaseManager)

	_, err = eng.Fire(ctx, r.ID, release.EventApprove, rm)
	refusals(err)

	expires := cookbookStart.Add(24 * time.Hour)
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, rm,
		release.Waive(gate.Waiver{Gate: "checks", Actor: "ana", Roles: []string{"vp-engineering"}, Reason: "flaky", Expires: expires}))
	refusals(err)

	r, err = eng.Fire(ctx, r.ID, release.EventApprove, rm,
		release.Waive(gate.Waiver{Gate: "checks", Actor: "vera", Roles: []string{"vp-engineering"},
			Reason: "e2e fails on the retired payment sandbox; tracked in QA-812", Expires: expires}))
	fmt.Println(r.State, err)
	hist, err := eng.History(ctx, r.ID)
	if err != nil {
		log.Fatal(err)
	}
	var d gate.Decision
	if err := json.Unmarshal(hist[len(hist)-1].Annotations["gates"], &d); err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Results[0].Gate, d.Results[0].Status, "waived by", d.Results[0].Waived.Actor)
	// Output:
	// refused by gates: No-Go: gate "checks" failed: checks not successful: "e2e" is failure: fix or re-run them
	// refused by gates: No-Go: gate "checks" failed: checks not successful: "e2e" is failure: fix or re-run them (waiver by "ana" rejected: the author of the release may not waive its gates (separation of duties))
	// approved <nil>
	// checks fail waived by vera
}

// A promotion pipeline: a version may not start in an environment before the same
// name and version was verified in the one before it.
func Example_promotionPipeline() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(cookbookStart, time.Minute)),
		release.WithPolicy(release.AllowAll()),
		release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}))
	if err != nil {
		log.Fatal(err)
	}
	bot := release.Automation("deploy-bot")
	ship := func(env string, events ...release.Event) (release.Release, error) {
		r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.5.0", Environment: env, Author: "ana"})
		if err != nil {
			return r, err
		}
		walkErr := walk(ctx, eng, r.ID, bot, events...)
		r, err = eng.Get(ctx, r.ID)
		if err != nil {
			log.Fatal(err)
		}
		return r, walkErr
	}
	toApproved := []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove}
	all := append(toApproved, release.EventStart, release.EventComplete, release.EventVerify)

	_, err = ship("staging", all...)
	refusals(errors.Unwrap(err))
	d, err := ship("dev", all...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("dev:", d.State)
	s, err := ship("staging", all...)
	fmt.Println("staging:", s.State, err)
	p, err := ship("prod", append(toApproved, release.EventStart)...)
	fmt.Println("prod:", p.State, err)
	// Output:
	// refused by pipeline: checkout 2.5.0 has not been verified in dev, which comes before staging in the pipeline dev -> staging -> prod; verify it there first
	// dev: verified
	// staging: verified <nil>
	// prod: deploying <nil>
}

// Requiring a post-implementation review at close: WithReviewRequired(true) refuses a close
// without one; the review is stored on the release.
func Example_reviewAtClose() {
	ctx := context.Background()
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(cookbookStart, time.Minute)),
		release.WithPolicy(release.AllowAll()), release.WithReviewRequired(true))
	if err != nil {
		log.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.4.3", Environment: "prod", Author: "ana"})
	if err != nil {
		log.Fatal(err)
	}
	rm := release.Person("rui")
	if err := walk(ctx, eng, r.ID, rm, release.EventPlan, release.EventSchedule, release.EventApprove,
		release.EventStart, release.EventComplete, release.EventVerify); err != nil {
		log.Fatal(err)
	}

	_, err = eng.Fire(ctx, r.ID, release.EventClose, rm)
	refusals(err)
	r, err = eng.Fire(ctx, r.ID, release.EventClose, rm, release.WithReview(release.Review{
		Outcome:   "successful",
		Lessons:   []string{"the canary caught the slow query before the full rollout"},
		FollowUps: []string{"add an index on orders.created_at (DB-231)"},
	}))
	fmt.Println(r.State, r.Review.Outcome, len(r.Review.FollowUps), err)
	// Output:
	// refused by review: closing needs a post-implementation review: pass WithReview(Review{Outcome: …})
	// closed successful 1 <nil>
}
