// Package upgradetest writes and checks the upgrade fixtures of the stores: a small
// store written by an earlier version of the code (adapters/bolt/testdata/upgrade and
// adapters/postgres/testdata/upgrade), which every later version must open, read,
// verify and keep using. It is not part of the public API.
//
// [Write] fills an empty store through an engine wired with every stage that stores
// something (calendar bookings, risk, gates, rollback, reviews) and returns a
// [Manifest] of what it wrote. The fixture keeps the manifest beside the store; an
// upgrade test opens the fixture with the current code and calls [Check], which reads
// everything back, verifies every history and then moves the store on: a transition,
// a booking and an outbox claim.
package upgradetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/rollback"
)

// Start is the clock of the scenario when it begins: Monday 2026-03-02 07:00 UTC.
var Start = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

// Environment is where every release of the scenario runs.
const Environment = "prod"

// Manager fires every event of the scenario.
var Manager = release.Person("rui", release.RoleReleaseManager, release.RoleApprover, release.RoleDeployer)

// Manifest is what [Write] stored, as the fixture's manifest.json.
type Manifest struct {
	// WrittenBy says which code wrote the fixture (a commit and a description).
	WrittenBy string `json:"written_by"`
	// Releases are the stored releases, by name.
	Releases map[string]Stored `json:"releases"`
	// Bookings are the IDs of the stored bookings, sorted.
	Bookings []string `json:"bookings"`
	// Outbox are the keys of the pending notifications, sorted.
	Outbox []string `json:"outbox"`
}

// Stored is one release as the fixture holds it.
type Stored struct {
	ID       release.ID    `json:"id"`
	State    release.State `json:"state"`
	Revision int64         `json:"revision"`
	Head     string        `json:"head"`
	// Has lists what the release carries besides its history: "slot", "risk",
	// "rollback", "review", "gates" (a Go decision in its history).
	Has []string `json:"has,omitempty"`
}

// ReadManifest reads a manifest file.
func ReadManifest(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	return m, nil
}

// WriteManifest writes m, indented, to path.
func WriteManifest(path string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Clock is the scenario's settable clock.
type Clock struct{ now time.Time }

// Now implements release.Clock.
func (c *Clock) Now() time.Time { return c.now }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.now = t }

// Engine returns an engine over s wired as the scenario's: a calendar (no rules,
// 15-minute alignment, capacity 3 in prod), risk with a small dependency graph, a
// checks gate that passes, rollback with an executor that succeeds, and required
// reviews.
func Engine(s release.Store, clock release.Clock) (*release.Engine, error) {
	cal, err := calendar.NewWithOptions(nil, calendar.WithAlignment(15*time.Minute), calendar.WithCapacity(Environment, 3))
	if err != nil {
		return nil, err
	}
	g := depgraph.New[string]()
	for _, svc := range []string{"web", "mobile"} {
		if err := g.AddDependency(svc, "checkout"); err != nil {
			return nil, err
		}
	}
	evidence := func(context.Context, release.Release) (gate.Input, error) {
		return gate.Input{Checks: map[string]gate.Check{"build": {Status: gate.CheckSuccess}, "e2e": {Status: gate.CheckSuccess}}}, nil
	}
	exec := rollback.ExecutorFunc(func(context.Context, rollback.Step) error { return nil })
	return release.New(s,
		release.WithClock(clock),
		release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}),
		release.WithRisk(release.RiskConfig{Graph: g}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{Environment: {gate.Checks("build", "e2e")}},
			Evidence:      evidence,
		}),
		release.WithRollback(release.RollbackConfig{Executor: exec}),
		release.WithReviews(true),
	)
}

// components gives each release a service of its own; "planned" also ships checkout,
// on which the graph has dependents (a blast radius for risk).
func components(name string) []release.Component {
	cs := []release.Component{{Name: name + "-api", Version: "2.0.0", PreviousVersion: "1.9.0"}}
	if name == "planned" {
		cs = append(cs, release.Component{Name: "checkout", Version: "5.1.0", PreviousVersion: "5.0.0"})
	}
	return cs
}

// claimAt is a time after every row the scenario writes is due.
var claimAt = Start.Add(30 * 24 * time.Hour)

// Write runs the scenario on the empty store s (which must implement release.Booker
// and release.Outbox) and returns what it stored. The releases, by name:
//
//	draft        created only
//	planned      planned (with risk)
//	cancelled    planned, then cancelled
//	scheduled    scheduled (a booking)
//	approved     approved (a Go decision annotation)
//	closed       deployed, verified, closed with a review
//	rolled-back  failed (a rollback plan), rolled back by the executor
//
// Every transition leaves an outbox row; the rows of "closed" are acknowledged.
func Write(ctx context.Context, s release.Store, writtenBy string) (Manifest, error) {
	clock := &Clock{now: Start}
	eng, err := Engine(s, clock)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{WrittenBy: writtenBy, Releases: map[string]Stored{}}
	create := func(name string) (release.Release, error) {
		clock.Set(clock.Now().Add(time.Minute))
		return eng.Create(ctx, release.Spec{Name: name, Version: "2.0.0", Environment: Environment, Author: "ana",
			Class: release.ClassNormal, Team: "payments", Duration: time.Hour,
			Labels:     map[string]string{"fixture": "upgrade", "name": name},
			Components: components(name)})
	}
	fire := func(r release.Release, ev release.Event, opts ...release.FireOption) (release.Release, error) {
		clock.Set(clock.Now().Add(time.Minute))
		out, err := eng.Fire(ctx, r.ID, ev, Manager, append([]release.FireOption{release.Reason("fixture: " + string(ev))}, opts...)...)
		if err != nil {
			return out, fmt.Errorf("%s %s: %w", r.Name, ev, err)
		}
		return out, nil
	}
	steps := func(r release.Release, evs ...release.Event) (release.Release, error) {
		var err error
		for _, ev := range evs {
			if r, err = fire(r, ev); err != nil {
				return r, err
			}
		}
		return r, nil
	}
	var all []release.Release
	for _, name := range []string{"draft", "planned", "cancelled", "scheduled", "approved", "closed", "rolled-back"} {
		r, err := create(name)
		if err != nil {
			return m, err
		}
		all = append(all, r)
	}
	rs := map[string]release.Release{}
	rs["draft"] = all[0]
	if rs["planned"], err = steps(all[1], release.EventPlan); err != nil {
		return m, err
	}
	if rs["cancelled"], err = steps(all[2], release.EventPlan, release.EventCancel); err != nil {
		return m, err
	}
	// Slots in the order they are booked; the "closed" and "rolled-back" releases
	// start in theirs.
	if rs["scheduled"], err = steps(all[3], release.EventPlan, release.EventSchedule); err != nil {
		return m, err
	}
	if rs["approved"], err = steps(all[4], release.EventPlan, release.EventSchedule, release.EventApprove); err != nil {
		return m, err
	}
	for _, name := range []string{"closed", "rolled-back"} {
		r, err := steps(all[slices.IndexFunc(all, func(x release.Release) bool { return x.Name == name })],
			release.EventPlan, release.EventSchedule, release.EventApprove)
		if err != nil {
			return m, err
		}
		if r.Slot == nil {
			return m, fmt.Errorf("%s has no slot after schedule", name)
		}
		if clock.Now().Before(r.Slot.Start) {
			clock.Set(r.Slot.Start)
		}
		if r, err = steps(r, release.EventStart, release.EventComplete); err != nil {
			return m, err
		}
		switch name {
		case "closed":
			if r, err = fire(r, release.EventVerify, release.Data(map[string]any{"error_rate": 0.001, "canary": "passed"})); err != nil {
				return m, err
			}
			if r, err = fire(r, release.EventClose, release.WithReview(release.Review{Outcome: "successful", Lessons: []string{"canary caught nothing"}, FollowUps: []string{"JIRA-1"}})); err != nil {
				return m, err
			}
		case "rolled-back":
			if r, err = fire(r, release.EventFail, release.Reason("error rate 12%"), release.FailedComponents(name+"-api")); err != nil {
				return m, err
			}
			if r, err = fire(r, release.EventRollback); err != nil {
				return m, err
			}
			if r, err = eng.Get(ctx, r.ID); err != nil {
				return m, err
			}
		}
		rs[name] = r
	}
	for name, r := range rs {
		st := Stored{ID: r.ID, State: r.State, Revision: r.Revision, Head: r.Head}
		if r.Slot != nil {
			st.Has = append(st.Has, "slot")
		}
		if r.Risk != nil {
			st.Has = append(st.Has, "risk")
		}
		if r.Rollback != nil && len(r.Rollback.Plan) > 0 && len(r.Rollback.Report) > 0 {
			st.Has = append(st.Has, "rollback")
		}
		if r.Review != nil {
			st.Has = append(st.Has, "review")
		}
		if r.State == release.StateApproved {
			st.Has = append(st.Has, "gates")
		}
		m.Releases[name] = st
	}
	ob := s.(release.Outbox)
	pending, err := ob.ClaimNotifications(ctx, claimAt, 0, time.Nanosecond, 1000)
	if err != nil {
		return m, err
	}
	for _, p := range pending {
		if p.Notification.Release.ID == rs["closed"].ID {
			if err := ob.AckNotification(ctx, p.Notification.Key()); err != nil {
				return m, err
			}
			continue
		}
		m.Outbox = append(m.Outbox, p.Notification.Key())
	}
	slices.Sort(m.Outbox)
	bs, err := s.(release.Booker).Bookings(ctx, "", Start.Add(-24*time.Hour), Start.Add(365*24*time.Hour))
	if err != nil {
		return m, err
	}
	for _, b := range bs {
		m.Bookings = append(m.Bookings, b.ID)
	}
	slices.Sort(m.Bookings)
	return m, nil
}

// Check reads the store s that an upgrade opened against the manifest m: every
// release reads with the state, revision and head it was written with and carries
// what it carried, Engine.Verify passes on every release, the bookings and the
// pending notifications are all there; then it moves on: the approved release
// starts, the planned one is scheduled (a new booking), and a claim finds the
// pending notifications, the new ones included.
func Check(t testing.TB, s release.Store, m Manifest) {
	t.Helper()
	ctx := context.Background()
	clock := &Clock{now: Start}
	eng, err := Engine(s, clock)
	if err != nil {
		t.Fatalf("engine over the upgraded store: %v", err)
	}
	all, err := eng.List(ctx, release.Filter{})
	if err != nil {
		t.Fatalf("List after the upgrade: %v", err)
	}
	if len(all) != len(m.Releases) {
		t.Fatalf("List after the upgrade returned %d releases, the fixture holds %d", len(all), len(m.Releases))
	}
	var latest time.Time
	for name, want := range m.Releases {
		r, err := eng.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("Get(%s) after the upgrade: %v", name, err)
		}
		if r.Name != name || r.State != want.State || r.Revision != want.Revision || r.Head != want.Head {
			t.Errorf("%s after the upgrade: %s %s revision %d head %s; the fixture holds %s revision %d head %s",
				name, r.Name, r.State, r.Revision, r.Head, want.State, want.Revision, want.Head)
		}
		for _, has := range want.Has {
			ok := map[string]bool{
				"slot": r.Slot != nil, "risk": r.Risk != nil && r.Risk.Level != "",
				"rollback": r.Rollback != nil && len(r.Rollback.Plan) > 0 && len(r.Rollback.Report) > 0,
				"review":   r.Review != nil && r.Review.Outcome != "", "gates": true,
			}[has]
			if !ok {
				t.Errorf("%s after the upgrade lost its %s", name, has)
			}
		}
		if err := eng.Verify(ctx, want.ID); err != nil {
			t.Errorf("Verify(%s) after the upgrade: %v", name, err)
		}
		h, err := eng.History(ctx, want.ID)
		if err != nil {
			t.Fatalf("History(%s) after the upgrade: %v", name, err)
		}
		if int64(len(h)) != want.Revision {
			t.Errorf("%s: %d history entries after the upgrade, want %d", name, len(h), want.Revision)
		}
		if slices.Contains(want.Has, "gates") && len(h[len(h)-1].Annotations["gates"]) == 0 {
			t.Errorf("%s: the approval's gate decision is gone from its history", name)
		}
		if h[len(h)-1].Time.After(latest) {
			latest = h[len(h)-1].Time
		}
	}
	bs, err := s.(release.Booker).Bookings(ctx, "", Start.Add(-24*time.Hour), Start.Add(365*24*time.Hour))
	if err != nil {
		t.Fatalf("Bookings after the upgrade: %v", err)
	}
	var ids []string
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, m.Bookings) {
		t.Errorf("bookings after the upgrade %v, the fixture holds %v", ids, m.Bookings)
	}

	// Move on: the approved release starts in its slot; the planned one is scheduled
	// after everything the fixture did.
	approved := m.Releases["approved"]
	r, err := eng.Get(ctx, approved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Slot == nil {
		t.Fatalf("the approved release has no slot after the upgrade")
	}
	clock.Set(r.Slot.Start)
	if r, err = eng.Fire(ctx, approved.ID, release.EventStart, Manager); err != nil {
		t.Errorf("start the approved release after the upgrade: %v", err)
	} else if r.State != release.StateDeploying {
		t.Errorf("after start: %s", r.State)
	}
	planned := m.Releases["planned"]
	clock.Set(latest.Add(time.Minute))
	r, err = eng.Fire(ctx, planned.ID, release.EventSchedule, Manager)
	if err != nil {
		t.Errorf("schedule the planned release after the upgrade (a new booking): %v", err)
	} else if r.Slot == nil {
		t.Errorf("schedule after the upgrade booked no slot")
	}
	for name, st := range m.Releases {
		if err := eng.Verify(ctx, st.ID); err != nil {
			t.Errorf("Verify(%s) after moving on: %v", name, err)
		}
	}
	pending, err := s.(release.Outbox).ClaimNotifications(ctx, claimAt.Add(time.Hour), 0, time.Minute, 1000)
	if err != nil {
		t.Fatalf("ClaimNotifications after the upgrade: %v", err)
	}
	var keys []string
	for _, p := range pending {
		keys = append(keys, p.Notification.Key())
	}
	for _, k := range m.Outbox {
		if !slices.Contains(keys, k) {
			t.Errorf("outbox row %s of the fixture was not claimed after the upgrade", k)
		}
	}
	if want := len(m.Outbox) + 2; len(keys) != want {
		t.Errorf("claimed %d notifications after the upgrade, want the fixture's %d and the 2 new transitions'", len(keys), len(m.Outbox))
	}
	if len(keys) > 0 {
		if err := s.(release.Outbox).AckNotification(ctx, keys[0]); err != nil {
			t.Errorf("AckNotification after the upgrade: %v", err)
		}
	}
}
