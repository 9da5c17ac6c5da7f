package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
)

// Monday 2026-03-02 08:00 Berlin (07:00 UTC); the train runs Tuesdays and Thursdays
// 10:00–16:00 Berlin.
var monday = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)

func train(t helperT, extra ...calendar.Rule) *calendar.Calendar {
	t.Helper()
	rules := append([]calendar.Rule{{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}}}, extra...)
	cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute))
	if err != nil {
		t.Errorf("calendar: %v", err)
		t.FailNow()
	}
	return cal
}

type wired struct {
	eng   *release.Engine
	store *memory.Store
	clock *releasetest.Clock
}

func newWired(t *testing.T, store *memory.Store, opts ...release.Option) wired {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	w := wired{store: store, clock: releasetest.NewClock(monday, 0)}
	eng, err := release.New(store, append([]release.Option{release.WithClock(w.clock), release.WithPolicy(release.AllowAll())}, opts...)...)
	if err != nil {
		t.Fatalf("release.New: %v", err)
	}
	w.eng = eng
	return w
}

func (w wired) create(t *testing.T, name, version string, needs ...release.Need) release.Release {
	t.Helper()
	r, err := w.eng.Create(context.Background(), release.Spec{Name: name, Version: version, Environment: "prod", Author: "ana",
		Duration: time.Hour, Needs: needs,
		Components: []release.Component{{Name: name, Version: version, PreviousVersion: "1.0.0"}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w wired) fire(t *testing.T, id release.ID, ev release.Event, opts ...release.FireOption) release.Release {
	t.Helper()
	r, err := w.eng.Fire(context.Background(), id, ev, rui, opts...)
	if err != nil {
		t.Fatalf("%s: %v", ev, err)
	}
	return r
}

func refusedBy(t *testing.T, err error, guard, mention string) {
	t.Helper()
	var ge *release.GuardError
	if !errors.As(err, &ge) {
		t.Fatalf("got %v, want a refusal by %s", err, guard)
	}
	for _, r := range ge.Refusals {
		if r.Guard == guard && strings.Contains(r.Reason, mention) {
			return
		}
	}
	t.Fatalf("refusals %+v: none by %s mentioning %q", ge.Refusals, guard, mention)
}

func TestCalendarWiring(t *testing.T) {
	ctx := context.Background()
	lockdown := calendar.Rule{Name: "incident lockdown", Kind: calendar.Lockdown, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 12, 0, 0)}
	freeze := calendar.Rule{Name: "quarter-end freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 12, 0, 0)}
	store := memory.New()
	w := newWired(t, store, release.WithCalendar(release.CalendarConfig{Calendar: train(t), OverrideRoles: []string{release.RoleReleaseManager}}))

	a := w.create(t, "checkout", "2.0.0")
	w.fire(t, a.ID, release.EventPlan)
	a = w.fire(t, a.ID, release.EventSchedule)
	tue10 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	if a.Slot == nil || !a.Slot.Start.Equal(tue10) || !a.Slot.End.Equal(tue10.Add(time.Hour)) {
		t.Fatalf("slot %+v, want Tuesday 10:00–11:00 Berlin, the train's first opening", a.Slot)
	}
	bs, _ := store.Bookings(ctx, "prod", monday, monday.Add(7*24*time.Hour))
	if len(bs) != 1 || bs[0].ID != a.Slot.Booking {
		t.Fatalf("store bookings %+v, want the slot's booking", bs)
	}

	// The same service: the next slot after a's.
	b := w.create(t, "checkout", "2.0.1")
	w.fire(t, b.ID, release.EventPlan)
	b = w.fire(t, b.ID, release.EventSchedule)
	if !b.Slot.Start.Equal(a.Slot.End) {
		t.Fatalf("second slot starts %v, want right after the first (%v)", b.Slot.Start, a.Slot.End)
	}
	// At a time outside the train: refused with the calendar's reason; nothing booked.
	c := w.create(t, "checkout", "2.0.2")
	w.fire(t, c.ID, release.EventPlan)
	_, err := w.eng.Fire(ctx, c.ID, release.EventSchedule, rui, release.At(monday.Add(2*time.Hour)))
	refusedBy(t, err, "calendar", "window")
	if bs, _ := store.Bookings(ctx, "prod", monday, monday.Add(7*24*time.Hour)); len(bs) != 2 {
		t.Fatalf("a refused schedule left %d bookings, want 2", len(bs))
	}
	// Unschedule frees the slot.
	w.fire(t, b.ID, release.EventUnschedule)
	if bs, _ := store.Bookings(ctx, "prod", monday, monday.Add(7*24*time.Hour)); len(bs) != 1 {
		t.Fatalf("unschedule left %d bookings, want 1", len(bs))
	}

	// Start: not before the slot.
	w.fire(t, a.ID, release.EventApprove)
	_, err = w.eng.Fire(ctx, a.ID, release.EventStart, rui)
	refusedBy(t, err, "calendar", "its slot runs from")

	// The rules changed after booking: a lockdown now covers the slot (another
	// engine over the same store). Nobody may start, not even with an override.
	w.clock.Set(tue10.Add(5 * time.Minute))
	locked := newWired(t, store, release.WithCalendar(release.CalendarConfig{Calendar: train(t, lockdown), OverrideRoles: []string{release.RoleReleaseManager}}))
	locked.clock.Set(tue10.Add(5 * time.Minute))
	_, err = locked.eng.Fire(ctx, a.ID, release.EventStart, rui, release.Override("customers waiting"))
	refusedBy(t, err, "calendar", "cannot be overridden")

	// A freeze instead: refused, then passed with an override by a release manager,
	// and the override is in the history.
	frozen := newWired(t, store, release.WithCalendar(release.CalendarConfig{Calendar: train(t, freeze), OverrideRoles: []string{release.RoleReleaseManager}}))
	frozen.clock.Set(tue10.Add(5 * time.Minute))
	_, err = frozen.eng.Fire(ctx, a.ID, release.EventStart, rui)
	refusedBy(t, err, "calendar", "quarter-end freeze")
	_, err = frozen.eng.Fire(ctx, a.ID, release.EventStart, ana, release.Override("hotfix"))
	refusedBy(t, err, "calendar", "may not override")
	if _, err := frozen.eng.Fire(ctx, a.ID, release.EventStart, rui, release.Override("CAB emergency approval CHG-9")); err != nil {
		t.Fatalf("start with an allowed override: %v", err)
	}
	h, _ := w.eng.History(ctx, a.ID)
	if ann := string(h[len(h)-1].Annotations["calendar"]); !strings.Contains(ann, "CHG-9") || !strings.Contains(ann, "quarter-end freeze") {
		t.Fatalf("the override was not recorded: %s", ann)
	}
}

func TestScheduleAfterNeedsAndStartOnlyWhenDeployed(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: train(t), Soak: 30 * time.Minute}), release.WithDependencies(release.DependencyConfig{}))
	pay := w.create(t, "payments", "1.6.0")
	co := w.create(t, "checkout", "2.0.0", release.Need{Name: "payments", Version: ">= 1.5.0"})
	w.fire(t, co.ID, release.EventPlan)
	_, err := w.eng.Fire(ctx, co.ID, release.EventSchedule, rui)
	refusedBy(t, err, "calendar", "schedule it first")

	w.fire(t, pay.ID, release.EventPlan)
	pay = w.fire(t, pay.ID, release.EventSchedule)
	co = w.fire(t, co.ID, release.EventSchedule)
	if want := pay.Slot.End.Add(30 * time.Minute); co.Slot.Start.Before(want) {
		t.Fatalf("checkout's slot starts %v, before payments' slot ends plus soak (%v)", co.Slot.Start, want)
	}
	w.fire(t, co.ID, release.EventApprove)
	w.clock.Set(co.Slot.Start)
	_, err = w.eng.Fire(ctx, co.ID, release.EventStart, rui)
	refusedBy(t, err, "dependencies", "payments >= 1.5.0 deployed in prod, which it is not")

	w.clock.Set(pay.Slot.Start)
	w.fire(t, pay.ID, release.EventApprove)
	w.fire(t, pay.ID, release.EventStart)
	w.fire(t, pay.ID, release.EventComplete)
	w.clock.Set(co.Slot.Start)
	if r := w.fire(t, co.ID, release.EventStart); r.State != release.StateDeploying {
		t.Fatalf("checkout is %s after its need was deployed", r.State)
	}
}

func TestRiskAndGatesWiring(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	checks := map[string]gate.Check{}
	evidence := func(context.Context, release.Release) (gate.Input, error) {
		mu.Lock()
		defer mu.Unlock()
		in := gate.Input{Checks: map[string]gate.Check{}}
		for k, v := range checks {
			in.Checks[k] = v
		}
		return in, nil
	}
	g := depgraph.New[string]()
	for _, svc := range []string{"web", "mobile", "admin"} {
		_ = g.AddDependency(svc, "checkout")
	}
	w := newWired(t, nil,
		release.WithRisk(release.RiskConfig{Graph: g}),
		release.WithGates(release.GateConfig{
			ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build", "e2e")}},
			Evidence:      evidence,
		}))
	r := w.create(t, "checkout", "2.0.0")
	r = w.fire(t, r.ID, release.EventPlan)
	if r.Risk == nil || r.Risk.Level == "" || len(r.Risk.Reasons) == 0 {
		t.Fatalf("plan stored no explained risk: %+v", r.Risk)
	}
	w.fire(t, r.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, rui)
	refusedBy(t, err, "gates", "No-Go")
	if !errors.Is(err, gate.ErrGateFailed) {
		t.Fatalf("the refusal does not carry the gate errors: %v", err)
	}
	mu.Lock()
	checks["build"] = gate.Check{Status: gate.CheckSuccess}
	checks["e2e"] = gate.Check{Status: gate.CheckSuccess}
	mu.Unlock()
	r = w.fire(t, r.ID, release.EventApprove)
	if r.State != release.StateApproved {
		t.Fatalf("approve with green checks left the release %s", r.State)
	}
	h, _ := w.eng.History(ctx, r.ID)
	var d gate.Decision
	if err := json.Unmarshal(h[len(h)-1].Annotations["gates"], &d); err != nil {
		t.Fatalf("the decision was not recorded: %v", err)
	}
	if !d.Go || !gate.Replay(d).Go || d.Verify() != nil {
		t.Fatalf("the recorded decision does not replay to Go: %+v", d)
	}
	var planned map[string]json.RawMessage
	if err := json.Unmarshal(h[1].Annotations["risk"], &planned); err != nil || len(planned["assessment"]) == 0 {
		t.Fatalf("the risk assessment was not recorded at plan: %v", err)
	}
}

func TestRollbackWiring(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		why       string
		fail      bool
		wantState release.State
	}{
		{"every step succeeds: finish_rollback follows", false, release.StateRolledBack},
		{"a step fails: the release fails again", true, release.StateFailed},
	} {
		t.Run(tc.why, func(t *testing.T) {
			var mu sync.Mutex
			var ran []string
			exec := rollback.ExecutorFunc(func(_ context.Context, s rollback.Step) error {
				mu.Lock()
				defer mu.Unlock()
				ran = append(ran, s.ID)
				if tc.fail {
					return errors.New("kubectl: timeout")
				}
				return nil
			})
			w := newWired(t, nil, release.WithRollback(release.RollbackConfig{Executor: exec}), release.WithReviews(true))
			r := w.create(t, "checkout", "2.0.0")
			for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete} {
				w.fire(t, r.ID, ev)
			}
			r = w.fire(t, r.ID, release.EventFail, release.Reason("error rate 12%"))
			if r.Rollback == nil || len(r.Rollback.Plan) == 0 || r.Rollback.Duration <= 0 {
				t.Fatalf("fail attached no rollback plan: %+v", r.Rollback)
			}
			r, err := w.eng.Fire(ctx, r.ID, release.EventRollback, rui)
			if tc.fail != (err != nil) {
				t.Fatalf("rollback = %v", err)
			}
			if r.State != tc.wantState || len(r.Rollback.Report) == 0 || len(ran) == 0 {
				t.Fatalf("after rollback: %s, report %s, ran %v", r.State, r.Rollback.Report, ran)
			}
			_, err = w.eng.Fire(ctx, r.ID, release.EventClose, rui)
			refusedBy(t, err, "review", "post-implementation review")
			r = w.fire(t, r.ID, release.EventClose, release.WithReview(release.Review{Outcome: "rolled back", Lessons: []string{"canary first"}}))
			if r.Review == nil || r.Review.Outcome != "rolled back" {
				t.Fatalf("close did not record the review: %+v", r.Review)
			}
			releasetest.RequireHistory(t, w.eng, r.ID, historyFor(tc.wantState)...)
		})
	}
}

func historyFor(end release.State) []release.Event {
	h := []release.Event{release.EventCreate, release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart,
		release.EventComplete, release.EventFail, release.EventRollback}
	if end == release.StateRolledBack {
		h = append(h, release.EventFinishRollback)
	} else {
		h = append(h, release.EventFail)
	}
	return append(h, release.EventClose)
}

func TestDORAFromHistory(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil)
	for i, fail := range []bool{false, false, true} {
		r := w.create(t, "checkout", "2.0."+string(rune('0'+i)))
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart} {
			w.fire(t, r.ID, ev)
		}
		w.clock.Advance(time.Hour)
		w.fire(t, r.ID, release.EventComplete)
		if fail {
			w.fire(t, r.ID, release.EventFail)
			w.fire(t, r.ID, release.EventRollback)
			w.clock.Advance(20 * time.Minute)
			w.fire(t, r.ID, release.EventFinishRollback)
		}
	}
	rep, err := w.eng.DORA(ctx, "prod", riskWindow(monday, monday.Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Overall.Deployments != 3 || rep.Overall.ChangeFailureRate.Rate < 0.33 || rep.Overall.ChangeFailureRate.Rate > 0.34 {
		t.Fatalf("DORA %+v: want 3 deployments, a third failed", rep.Overall)
	}
}

func riskWindow(from, to time.Time) risk.Window { return risk.Window{From: from, To: to} }

// A start a few seconds into its slot is allowed when the next release is booked right
// after it (capacity 1, back to back) and when the slot ends with the window. It is
// refused when it comes more than five minutes after the slot opened (its run would
// overlap the next one by as much), when a booking clashes inside the slot, when a
// freeze begins as the slot ends (the deployment must fit before the next freeze), and
// after the slot.
func TestLateStartInAPackedCalendar(t *testing.T) {
	cal, err := calendar.NewWithOptions([]calendar.Rule{{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}}, {
		Name: "audit freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin", // Thursday 11:00-12:00
		Start: calendar.Wall(2026, 3, 5, 11, 0, 0), End: calendar.Wall(2026, 3, 5, 12, 0, 0),
		Scope: calendar.Scope{Environments: []string{"prod"}}}},
		calendar.WithAlignment(15*time.Minute), calendar.WithCapacity("prod", 1))
	if err != nil {
		t.Fatal(err)
	}
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	ctx := context.Background()
	approved := func(name string, opts ...release.FireOption) release.Release {
		r := w.create(t, name, "2.0.0")
		w.fire(t, r.ID, release.EventPlan)
		w.fire(t, r.ID, release.EventSchedule, opts...)
		return w.fire(t, r.ID, release.EventApprove)
	}
	startAt := func(r release.Release, at time.Time) error {
		w.clock.Set(at)
		_, err := w.eng.Fire(ctx, r.ID, release.EventStart, rui)
		return err
	}
	tue := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	first, second := approved("checkout"), approved("payments")
	if !first.Slot.End.Equal(second.Slot.Start) {
		t.Fatalf("slots %v and %v are not back to back", first.Slot, second.Slot)
	}
	if err := startAt(first, first.Slot.Start.Add(3*time.Second)); err != nil {
		t.Errorf("a start 3 s into its slot, the next slot booked after it: %v", err)
	}
	// Six minutes late, the run would overlap the next slot by six minutes.
	third, fourth := approved("orders"), approved("billing")
	if !third.Slot.End.Equal(fourth.Slot.Start) {
		t.Fatalf("slots %v and %v are not back to back", third.Slot, fourth.Slot)
	}
	if err := startAt(third, third.Slot.Start.Add(6*time.Minute)); !errors.Is(err, release.ErrGuardRefused) || !strings.Contains(err.Error(), "full") {
		t.Errorf("a start 6 min into its slot, the next slot booked after it: %v, want a refusal saying prod is full", err)
	}
	// A booking that clashes inside the slot refuses even a start on time.
	if err := w.store.Book(ctx, calendar.Booking{ID: "hotfix", Environment: "prod", Services: []string{"ledger"},
		Start: fourth.Slot.Start.Add(30 * time.Minute), End: fourth.Slot.End.Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := startAt(fourth, fourth.Slot.Start.Add(3*time.Second)); !errors.Is(err, release.ErrGuardRefused) || !strings.Contains(err.Error(), "hotfix") {
		t.Errorf("a start 3 s into its slot, another booking running from the slot's middle: %v, want a refusal naming it", err)
	}
	last := approved("search", release.At(tue.Add(14*time.Hour))) // 15:00-16:00 Berlin, the window's last hour
	if err := startAt(last, last.Slot.Start.Add(3*time.Second)); err != nil {
		t.Errorf("a start 3 s into a slot that ends with the window: %v", err)
	}
	frozen := approved("ledger", release.At(tue.Add(48*time.Hour+9*time.Hour))) // Thursday 10:00-11:00 Berlin
	if err := startAt(frozen, frozen.Slot.Start.Add(3*time.Second)); !errors.Is(err, release.ErrGuardRefused) || !strings.Contains(err.Error(), "audit freeze") {
		t.Errorf("a start whose run reaches the freeze that begins when its slot ends: %v, want a refusal naming the freeze", err)
	}
	var se *release.SlotError
	if err := startAt(second, second.Slot.End.Add(time.Minute)); !errors.As(err, &se) {
		t.Errorf("a start after the slot: %v, want a *release.SlotError", err)
	}
}
