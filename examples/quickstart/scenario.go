package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/change"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// clock is the scenario's clock. It stands still until the story moves it, so a
// week of release management runs in a second, the same way every time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t; it never moves it backwards.
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// deployTool stands in for the deployment tooling the rollback executor drives: it
// prints each step and lets the clock run for the step's estimated duration.
type deployTool struct {
	mu    sync.Mutex
	clock *clock
	say   func(format string, args ...any)
}

func (d *deployTool) Execute(_ context.Context, s rollback.Step) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	what := s.Command
	if what == "" {
		what = s.Action
	}
	d.say("              %s: %s\n", s.ID, what)
	d.clock.Advance(s.Duration)
	return nil
}

// trainSpecs is the December release train of one run; each run ships the next
// minor versions. The order is the order they are booked in.
func trainSpecs(run int) []release.Spec {
	v := func(major, minor int) string { return fmt.Sprintf("%d.%d.0", major, minor+run) }
	return []release.Spec{
		{Name: "inventory", Version: v(1, 7), Team: "catalog", Duration: 30 * time.Minute,
			Components: []release.Component{{Name: "inventory", Version: v(1, 7), PreviousVersion: v(1, 6)}}},
		{Name: "notifications", Version: v(3, 1), Team: "growth", Duration: 30 * time.Minute,
			Components: []release.Component{{Name: "notifications", Version: v(3, 1), PreviousVersion: v(3, 0)}}},
		{Name: "payments", Version: v(2, 0), Team: "payments", Duration: 45 * time.Minute,
			Components: []release.Component{
				{Name: "payments", Version: v(2, 0), PreviousVersion: v(2, -1)},
				{Name: "ledger", Version: v(4, 1), PreviousVersion: v(4, 0)},
			}},
		{Name: "checkout", Version: v(3, 4), Team: "checkout", Duration: 30 * time.Minute,
			Needs:      []release.Need{{Name: "payments", Version: ">= " + v(2, 0)}},
			Components: []release.Component{{Name: "checkout", Version: v(3, 4), PreviousVersion: v(3, 3)}}},
	}
}

// hotfixSpec is the emergency change that ships during the freeze.
func hotfixSpec(run int) release.Spec {
	v := fmt.Sprintf("5.%d.1", run)
	return release.Spec{Name: "auth", Version: v, Team: "identity", Duration: 30 * time.Minute, Class: change.Emergency,
		Components: []release.Component{{Name: "auth", Version: v, PreviousVersion: fmt.Sprintf("5.%d.0", run)}}}
}

// changes: what version control says about each release (size, test coverage, how
// long before the release its last commit landed).
var changes = map[string]commitFacts{
	"inventory":     {lines: 120, files: 6, coverage: 86, age: 30 * time.Hour},
	"notifications": {lines: 640, files: 14, coverage: 74, age: 52 * time.Hour},
	"payments":      {lines: 2400, files: 48, coverage: 45, age: 4 * 24 * time.Hour},
	"checkout":      {lines: 900, files: 22, coverage: 71, age: 3 * 24 * time.Hour},
	"auth":          {lines: 35, files: 2, coverage: 91, age: 3 * time.Hour},
}

// story plays one run of the scenario against the engine.
type story struct {
	ctx    context.Context
	eng    *release.Engine
	clock  *clock
	ev     *evidence
	w      io.Writer
	run    int
	berlin *time.Location
	// The run's releases by environment and name.
	rel map[string]map[string]release.Release
}

func (s *story) say(format string, args ...any) { fmt.Fprintf(s.w, format, args...) }

// day prints a heading for the day the clock is at (Berlin time).
func (s *story) day(what string) {
	s.say("\n%s  %s\n", s.clock.Now().In(s.berlin).Format("Mon 02 Jan 2006"), what)
}

func (s *story) fire(r release.Release, ev release.Event, who release.Actor, opts ...release.FireOption) (release.Release, error) {
	got, err := s.eng.Fire(s.ctx, r.ID, ev, who, opts...)
	if err = s.committed(err); err != nil {
		return r, fmt.Errorf("%s %s in %s: %s by %s: %w", r.Name, r.Version, r.Environment, ev, who.ID, err)
	}
	s.keep(got)
	return got, nil
}

// committed passes err on unless only the notification failed: the transition
// (or record) committed, and the store's outbox delivers the notification later.
func (s *story) committed(err error) error {
	if err != nil && release.Committed(err) {
		s.say("  notify    delivery failed, kept in the outbox for later: %v\n", err)
		return nil
	}
	return err
}

// refused fires an event the scenario expects to be refused, and prints why.
func (s *story) refused(r release.Release, ev release.Event, who release.Actor, opts ...release.FireOption) error {
	_, err := s.eng.Fire(s.ctx, r.ID, ev, who, opts...)
	if err == nil {
		return fmt.Errorf("%s %s in %s: %s by %s went through, but the scenario expected a refusal", r.Name, r.Version, r.Environment, ev, who.ID)
	}
	if !errors.Is(err, release.ErrForbidden) && !errors.Is(err, release.ErrGuardRefused) {
		return err
	}
	s.say("  refused   %s may not %s %s %s:\n", who.ID, ev, r.Name, r.Version)
	for _, reason := range reasons(err) {
		for _, line := range wrap(reason, 92) {
			s.say("              %s\n", line)
		}
	}
	return nil
}

// wrap breaks s at spaces into lines of at most width bytes (longer words stay whole).
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// reasons renders a refusal for people: the policy's rule, or every guard's reason.
func reasons(err error) []string {
	var ge *release.GuardError
	if errors.As(err, &ge) {
		var out []string
		for _, r := range ge.Refusals {
			for _, part := range strings.Split(r.Reason, "\n") {
				out = append(out, r.Guard+": "+strings.TrimSpace(part))
			}
		}
		return out
	}
	var fe *release.ForbiddenError
	if errors.As(err, &fe) {
		return []string{fe.Rule + ": " + fe.Reason}
	}
	return []string{err.Error()}
}

func (s *story) keep(r release.Release) {
	if s.rel[r.Environment] == nil {
		s.rel[r.Environment] = map[string]release.Release{}
	}
	s.rel[r.Environment][r.Name] = r
}

// create makes spec's release in env: in the pipeline's first environment it is
// created; after that it is promoted from the release of the same version verified
// in the environment before, whose lineage it carries.
func (s *story) create(env string, spec release.Spec) (release.Release, error) {
	if prev, ok := pipeline.Previous(env); ok {
		if from, ok := s.rel[prev][spec.Name]; ok && from.Version == spec.Version {
			return s.eng.Promote(s.ctx, from.ID, env, ana)
		}
	}
	spec.Environment, spec.Author = env, ana.ID
	spec.Labels = map[string]string{"run": fmt.Sprint(s.run)}
	spec.CommittedAt = s.clock.Now().Add(-changes[spec.Name].age)
	return s.eng.Create(s.ctx, spec)
}

// book creates (or promotes) releases in env, assesses them (plan) and books their
// slots (schedule: the earliest slot the calendar allows, after what they need).
func (s *story) book(env string, specs []release.Spec) ([]release.Release, error) {
	var out []release.Release
	for _, spec := range specs {
		r, err := s.create(env, spec)
		if err != nil {
			return nil, err
		}
		if r, err = s.fire(r, release.EventPlan, ana); err != nil {
			return nil, err
		}
		if r, err = s.fire(r, release.EventSchedule, ana); err != nil {
			return nil, err
		}
		if r, err = s.recordCI(r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// recordCI records, as CI reports them, the green build, unit and e2e checks of the
// release's version: evidence in its history, which the checks gates read.
func (s *story) recordCI(r release.Release) (release.Release, error) {
	for _, name := range []string{"build", "unit", "e2e"} {
		got, err := s.eng.Record(s.ctx, r.ID, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: name,
			Status: gate.CheckSuccess, Source: "ci", ExternalID: fmt.Sprintf("%s-%s-%s", r.Name, r.Version, name)},
			release.IdempotencyKey(fmt.Sprintf("ci/%s/%s", r.ID, name))) // a redelivered CI webhook records nothing twice
		if err = s.committed(err); err != nil {
			return r, fmt.Errorf("%s %s in %s: record check %s: %w", r.Name, r.Version, r.Environment, name, err)
		}
		r = got
	}
	s.keep(r)
	return r, nil
}

// signOff records the change advisory board's approval (kim's) of the release as it
// stands: evidence in its history, pinned to the release's scope.
func (s *story) signOff(r release.Release) (release.Release, error) {
	got, err := s.eng.Record(s.ctx, r.ID, release.Evidence{Kind: release.EvidenceApproval, By: kim,
		Role: risk.RoleChangeAdvisoryBoard, Reason: "CAB review"})
	if err = s.committed(err); err != nil {
		return r, fmt.Errorf("%s %s in %s: CAB sign-off: %w", r.Name, r.Version, r.Environment, err)
	}
	s.keep(got)
	return got, nil
}

// approve collects what the release's risk level asks for: for high risk the
// change advisory board signs off first; then the release manager approves, and
// the engine evaluates the gates.
func (s *story) approve(r release.Release) (release.Release, error) {
	if r.Risk != nil && risk.Level(r.Risk.Level).Rank() >= risk.High.Rank() {
		var err error
		if r, err = s.signOff(r); err != nil {
			return r, err
		}
	}
	return s.fire(r, release.EventApprove, rui, release.Reason("train review"))
}

// deploy runs releases in their slots as a train does, interleaved by time: each
// starts when its slot starts, completes five minutes before it ends and is
// verified when it ends.
func (s *story) deploy(rs ...release.Release) ([]release.Release, error) {
	type step struct {
		at    time.Time
		i     int
		event release.Event
	}
	var steps []step
	for i, r := range rs {
		steps = append(steps, step{r.Slot.Start, i, release.EventStart},
			step{r.Slot.End.Add(-5 * time.Minute), i, release.EventComplete}, step{r.Slot.End, i, release.EventVerify})
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.at.Compare(b.at) })
	out := slices.Clone(rs)
	for _, st := range steps {
		s.clock.Set(st.at)
		var err error
		if out[st.i], err = s.fire(out[st.i], st.event, bot); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ship takes releases through one environment: book, approve, deploy.
func (s *story) ship(env string, specs []release.Spec) error {
	rs, err := s.book(env, specs)
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i], err = s.approve(rs[i]); err != nil {
			return err
		}
	}
	if rs, err = s.deploy(rs...); err != nil {
		return err
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name+" "+r.Version)
	}
	zone := s.berlin
	if env == "staging" {
		zone, _ = calendar.LoadZone("America/New_York")
	}
	s.say("  %-8s  %s verified (from %s)\n", env, strings.Join(names, ", "), rs[0].Slot.Start.In(zone).Format("15:04 MST"))
	return nil
}

// slotText prints a slot in Berlin time.
func (s *story) slotText(r release.Release) string {
	return r.Slot.Start.In(s.berlin).Format("Mon 02 Jan 15:04") + "–" + r.Slot.End.In(s.berlin).Format("15:04 MST")
}

// play runs the whole story of one run: the week before the holiday freeze of the
// run's year, and the first days of the freeze.
func (s *story) play(cal *calendar.Calendar) (*release.Release, error) {
	year := 2025 + s.run
	freeze, _ := calendar.Resolve(calendar.Wall(year, 12, 18, 0, 0, 0), s.berlin)
	trainRule, _ := cal.Rule("prod release train")
	trains, err := trainRule.Occurrences(freeze.Add(-8*24*time.Hour), freeze.Add(8*24*time.Hour))
	if err != nil {
		return nil, err
	}
	var lastTrain, frozenTrain calendar.Occurrence
	for _, o := range trains {
		if !o.End.After(freeze) {
			lastTrain = o
		} else if frozenTrain.Start.IsZero() {
			frozenTrain = o
		}
	}
	train := trainSpecs(s.run)

	// Three days before the last train: through dev and staging.
	s.clock.Set(lastTrain.Start.Add(-3 * 24 * time.Hour))
	s.day("dev and staging: the train is promoted")
	for _, env := range []string{"dev", "staging"} {
		if err := s.ship(env, train); err != nil {
			return nil, err
		}
	}

	// The day before the last train: book prod, collect the approvals.
	s.clock.Set(lastTrain.Start.Add(-20 * time.Hour))
	s.day("prod: booking the last train before the holiday freeze")
	prod, err := s.book("prod", train)
	if err != nil {
		return nil, err
	}
	for _, r := range prod {
		s.say("  booked    %-20s %s  risk %s (%.1f)\n", r.Name+" "+r.Version, s.slotText(r), r.Risk.Level, r.Risk.Score)
	}
	inventory, notifications, payments, checkout := prod[0], prod[1], prod[2], prod[3]
	// The canary of notifications shows more errors than prod does today.
	s.ev.measure("prod", "notifications", map[string]float64{"error_rate_pct": 1.9, "latency_p95_ms": 480})

	if err := s.refused(payments, release.EventApprove, ana); err != nil {
		return nil, err
	}
	if err := s.refused(payments, release.EventApprove, rui); err != nil {
		return nil, err
	}
	if payments, err = s.signOff(payments); err != nil {
		return nil, err
	}
	if payments, err = s.fire(payments, release.EventApprove, rui, release.Reason("CAB signed off")); err != nil {
		return nil, err
	}
	s.say("  approved  %s %s by rui once kim signed off for the change advisory board\n", payments.Name, payments.Version)
	for _, r := range []*release.Release{&inventory, &checkout} {
		if *r, err = s.approve(*r); err != nil {
			return nil, err
		}
		s.say("  approved  %s %s by rui (%s risk: checks and SLO objectives pass)\n", r.Name, r.Version, r.Risk.Level)
	}
	if err := s.refused(notifications, release.EventApprove, rui); err != nil {
		return nil, err
	}

	// The last train.
	s.clock.Set(lastTrain.Start)
	s.day("prod: the last train before the freeze")
	done, err := s.deploy(inventory)
	if err != nil {
		return nil, err
	}
	inventory = done[0]
	if _, err = s.fire(inventory, release.EventClose, rui, release.WithReview(release.Review{Outcome: "shipped as planned"})); err != nil {
		return nil, err
	}
	s.say("  shipped   %s %s (verified, closed with its review)\n", inventory.Name, inventory.Version)

	s.clock.Set(payments.Slot.Start)
	if payments, err = s.fire(payments, release.EventStart, bot); err != nil {
		return nil, err
	}
	// The canary fails its analysis at 10%: the engine fails the release and runs
	// its rollback plan (see canary.go).
	if payments, err = s.canary(payments); err != nil {
		return nil, err
	}
	// An incident on payments, 52 minutes into the train: what changed?
	s.clock.Set(payments.Slot.Start.Add(52 * time.Minute)) // 11:52
	if err := s.incident("payments"); err != nil {
		return nil, err
	}
	// Stop the line while the incident is worked: nothing starts in prod, on any
	// replica, until the release manager lifts the lockdown.
	stop, err := s.eng.Lockdown(s.ctx, rui, release.Lockdown{Reason: "incident on payments: hold prod until the ledger is understood", Environments: []string{"prod"}})
	if err != nil {
		return nil, err
	}
	s.say("  lockdown  prod at %s by %s: %s\n", stop.From.In(s.berlin).Format("15:04"), stop.DeclaredBy.ID, stop.Reason)
	if payments.State != release.StateRolledBack {
		return nil, fmt.Errorf("payments ended the rollback %s, want %s", payments.State, release.StateRolledBack)
	}
	if payments, err = s.fire(payments, release.EventClose, rui, release.WithReview(release.Review{
		Outcome:   "rolled back within the hour; no payment lost",
		Lessons:   []string{"the ledger migration doubled lock waits under the evening load"},
		FollowUps: []string{"PAY-1432: load-test 0042_add_currency against a prod-sized ledger", "PAY-1433: canary payments at 5% first"},
	})); err != nil {
		return nil, err
	}
	s.say("  rollback  %s %s is rolled back, then closed with its review\n", payments.Name, payments.Version)
	s.clock.Set(payments.Slot.Start.Add(80 * time.Minute)) // 12:20
	if stop, err = s.eng.Lift(s.ctx, stop.ID, rui, "payments is rolled back and reviewed"); err != nil {
		return nil, err
	}
	s.say("  lifted    the prod lockdown at %s by %s: %s\n", stop.LiftedAt.In(s.berlin).Format("15:04"), stop.LiftedBy.ID, stop.LiftReason)

	s.clock.Set(checkout.Slot.Start)
	if err := s.refused(checkout, release.EventStart, bot); err != nil {
		return nil, err
	}
	if _, err = s.fire(checkout, release.EventUnschedule, ana, release.Reason("waits for the payments fix")); err != nil {
		return nil, err
	}
	s.say("  held      %s %s: unscheduled until payments is fixed\n", checkout.Name, checkout.Version)

	// The first morning of the freeze: notifications' fix is in, but the train left.
	s.clock.Set(freeze.Add(9 * time.Hour))
	s.day("prod: the holiday freeze has begun")
	s.ev.measure("prod", "notifications", map[string]float64{"error_rate_pct": 0.7, "latency_p95_ms": 430})
	if notifications, err = s.fire(notifications, release.EventApprove, rui, release.Reason("canary fixed")); err != nil {
		return nil, err
	}
	s.say("  approved  %s %s by rui: the canary's error rate is back to 0.7%%\n", notifications.Name, notifications.Version)
	if err := s.refused(notifications, release.EventStart, bot); err != nil {
		return nil, err
	}
	if notifications, err = s.fire(notifications, release.EventUnschedule, ana, release.Reason("missed the last train")); err != nil {
		return nil, err
	}
	if notifications, err = s.fire(notifications, release.EventSchedule, ana); err != nil {
		return nil, err
	}
	s.say("  rebooked  %s %s on the first train after the freeze: %s\n", notifications.Name, notifications.Version, s.slotText(notifications))

	// An emergency fix during the freeze: the freeze lets emergency changes pass.
	s.clock.Set(frozenTrain.Start.Add(-24*time.Hour + 30*time.Minute))
	s.day("an emergency fix during the freeze")
	hot := []release.Spec{hotfixSpec(s.run)}
	for _, env := range []string{"dev", "staging"} {
		if err := s.ship(env, hot); err != nil {
			return nil, err
		}
	}
	fix, err := s.book("prod", hot)
	if err != nil {
		return nil, err
	}
	auth := fix[0]
	if auth, err = s.approve(auth); err != nil {
		return nil, err
	}
	if done, err = s.deploy(auth); err != nil {
		return nil, err
	}
	auth = done[0]
	if _, err = s.fire(auth, release.EventClose, rui, release.WithReview(release.Review{Outcome: "session fixation fixed", FollowUps: []string{"SEC-77: add the regression test"}})); err != nil {
		return nil, err
	}
	s.say("  shipped   %s %s (emergency) in prod at %s: the holiday freeze excepts emergency changes\n", auth.Name, auth.Version, s.slotText(auth))
	return &payments, nil
}

// prodSummary says in one line where each prod release of the run ended.
func (s *story) prodSummary() string {
	var shipped, back, held, later []string
	for _, spec := range append(trainSpecs(s.run), hotfixSpec(s.run)) {
		r := s.rel["prod"][spec.Name]
		name := r.Name + " " + r.Version
		_, rolledBack := r.Reached[release.StateRolledBack]
		switch {
		case rolledBack:
			back = append(back, name)
		case r.State == release.StateClosed || r.State == release.StateVerified:
			shipped = append(shipped, name)
		case r.Slot != nil:
			later = append(later, name+" ("+r.Slot.Start.In(s.berlin).Format("02 Jan 2006")+")")
		default:
			held = append(held, name)
		}
	}
	return fmt.Sprintf("shipped %s · rolled back %s · held %s · booked %s",
		strings.Join(shipped, ", "), strings.Join(back, ", "), strings.Join(held, ", "), strings.Join(later, ", "))
}
