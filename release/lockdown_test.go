package release_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
	"github.com/stretchr/testify/require"
)

var (
	lockdownT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
)

// approvedIn creates a release of class c in env and takes it to approved.
func approvedIn(t helperT, e *release.Engine, name, env string, c release.Class) release.Release {
	t.Helper()
	ctx := context.Background()
	r, err := e.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: env, Class: c, Author: "ana"})
	if err != nil {
		t.Errorf("create: %v", err)
		t.FailNow()
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		if r, err = e.Fire(ctx, r.ID, ev, rui); err != nil {
			t.Errorf("%s: %v", ev, err)
			t.FailNow()
		}
	}
	return r
}

// TestLockdownProperty: whatever sequence of declarations, lifts and starts two
// engines on one store make, a start commits exactly when no lockdown in effect
// covers its environment and no freeze in effect covers it without allowing its
// class; a lockdown marks every release deploying in its scope to halt; and the
// lockdown history verifies throughout.
func TestLockdownProperty(t *testing.T) {
	envs := []string{"dev", "prod"}
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		store := memory.New()
		var engines []*release.Engine
		for range 2 {
			e, err := release.New(store, release.WithClock(releasetest.NewClock(lockdownT0, time.Second)), release.WithPolicy(release.AllowAll()))
			if err != nil {
				rt.Fatal(err)
			}
			engines = append(engines, e)
		}
		var declared []release.Lockdown // the model: as declared, with Lifted marks
		lifted := map[release.ID]bool{}
		n := 0
		actions := map[string]func(*rapid.T){
			"declare": func(rt *rapid.T) {
				e := rapid.SampledFrom(engines).Draw(rt, "engine")
				l := release.Lockdown{
					Kind:   rapid.SampledFrom(release.LockdownKinds()).Draw(rt, "kind"),
					Reason: "stop " + fmt.Sprint(len(declared)),
				}
				if rapid.Bool().Draw(rt, "scoped") {
					l.Environments = []string{rapid.SampledFrom(envs).Draw(rt, "env")}
				}
				if l.Kind == release.KindFreeze && rapid.Bool().Draw(rt, "allow") {
					l.AllowClasses = []release.Class{rapid.SampledFrom(release.Classes()).Draw(rt, "class")}
				}
				got, err := e.Lockdown(ctx, rui, l)
				if err != nil {
					rt.Fatalf("Lockdown: %v", err)
				}
				declared = append(declared, got)
				if got.Kind != release.KindLockdown {
					return
				}
				rs, err := e.List(ctx, release.Filter{States: []release.State{release.StateDeploying}})
				if err != nil {
					rt.Fatal(err)
				}
				for _, r := range rs {
					if len(got.Environments) > 0 && !slices.Contains(got.Environments, r.Environment) {
						continue
					}
					h, err := e.History(ctx, r.ID)
					if err != nil {
						rt.Fatal(err)
					}
					if last := h[len(h)-1]; last.Event != release.EventHalt || !strings.Contains(string(last.Annotations["lockdown"]), got.ID.String()) {
						rt.Fatalf("%s is deploying in %s but was not marked to halt by %s", r.Name, r.Environment, got.ID)
					}
				}
			},
			"lift": func(rt *rapid.T) {
				var open []release.Lockdown
				for _, l := range declared {
					if !lifted[l.ID] {
						open = append(open, l)
					}
				}
				l := rapid.SampledFrom(open).Draw(rt, "lockdown")
				if _, err := rapid.SampledFrom(engines).Draw(rt, "engine").Lift(ctx, l.ID, rui, "over"); err != nil {
					rt.Fatalf("Lift: %v", err)
				}
				lifted[l.ID] = true
			},
			"start": func(rt *rapid.T) {
				e := rapid.SampledFrom(engines).Draw(rt, "engine")
				env := rapid.SampledFrom(envs).Draw(rt, "env")
				class := rapid.SampledFrom(release.Classes()).Draw(rt, "class")
				n++
				r := approvedIn(rt, e, fmt.Sprintf("svc-%d", n), env, class)
				want := true
				for _, l := range declared {
					if lifted[l.ID] || len(l.Environments) > 0 && !slices.Contains(l.Environments, env) {
						continue
					}
					if l.Kind == release.KindLockdown || !slices.Contains(l.AllowClasses, class) {
						want = false
					}
				}
				_, err := e.Fire(ctx, r.ID, release.EventStart, rui, release.Override("urgent"))
				switch {
				case want && err != nil:
					rt.Fatalf("start of a %s release in %s refused: %v", class, env, err)
				case !want && !errors.Is(err, release.ErrGuardRefused):
					rt.Fatalf("start of a %s release in %s = %v, want a refusal", class, env, err)
				}
			},
		}
		// A bounded number of steps (rapid's Repeat would take up to 30 here, at
		// several commits each): interleavings of a dozen operations already mix
		// every kind of stop, scope and class.
		names := []string{"declare", "lift", "start"}
		for range rapid.IntRange(1, 12).Draw(rt, "steps") {
			name := rapid.SampledFrom(names).Draw(rt, "action")
			if name == "lift" && len(lifted) == len(declared) {
				continue
			}
			actions[name](rt)
			h, err := engines[0].LockdownHistory(ctx)
			if err != nil {
				rt.Fatal(err)
			}
			if err := release.VerifyLockdownHistory(h); err != nil {
				rt.Fatal(err)
			}
		}
	})
}

// TestLockdownBadInput: a lockdown without a reason, one that ends before it starts
// or has ended, classes allowed through a lockdown, an unknown kind, and a lift
// without a reason are *ValidationErrors naming the problem, and nothing is stored.
func TestLockdownBadInput(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	e, err := release.New(store, release.WithClock(releasetest.NewClock(lockdownT0, time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		why  string
		l    release.Lockdown
		want string
	}{
		{"no reason", release.Lockdown{Reason: "  "}, "the reason is empty"},
		{"ends before it starts", release.Lockdown{Reason: "x", From: lockdownT0.Add(2 * time.Hour), Until: lockdownT0.Add(time.Hour)}, "not after it starts"},
		{"ends when it starts", release.Lockdown{Reason: "x", From: lockdownT0.Add(2 * time.Hour), Until: lockdownT0.Add(2 * time.Hour)}, "not after it starts"},
		{"has ended", release.Lockdown{Reason: "x", From: lockdownT0.Add(-2 * time.Hour), Until: lockdownT0.Add(-time.Hour)}, "has passed"},
		{"classes through a lockdown", release.Lockdown{Reason: "x", AllowClasses: []release.Class{release.ClassEmergency}}, "lets no change class through"},
		{"unknown kind", release.Lockdown{Reason: "x", Kind: "pause"}, "is not one of"},
		{"unknown class", release.Lockdown{Reason: "x", Kind: release.KindFreeze, AllowClasses: []release.Class{"urgent"}}, "is not a change class"},
		{"blank environment", release.Lockdown{Reason: "x", Environments: []string{"prod", " "}}, "environment"},
	} {
		_, err := e.Lockdown(ctx, rui, tc.l)
		var ve *release.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Lockdown = %v, want a *ValidationError saying %q", tc.why, err, tc.want)
		}
	}
	if h, _ := store.LockdownHistory(ctx); len(h) != 0 {
		t.Fatalf("refused lockdowns stored %d entries", len(h))
	}
	l, err := e.Lockdown(ctx, rui, release.Lockdown{Reason: "incident"})
	if err != nil {
		t.Fatal(err)
	}
	var ve *release.ValidationError
	if _, err := e.Lift(ctx, l.ID, rui, ""); !errors.As(err, &ve) {
		t.Fatalf("Lift without a reason = %v, want a *ValidationError", err)
	}
	if _, err := e.Lift(ctx, release.ID{1}, rui, "over"); !errors.Is(err, release.ErrNotFound) {
		t.Fatalf("Lift of an unknown lockdown = %v, want ErrNotFound", err)
	}
	dev := release.Person("dave", release.RoleDeveloper)
	var fe *release.ForbiddenError
	if _, err := e.Lockdown(ctx, dev, release.Lockdown{Reason: "I want to"}); !errors.As(err, &fe) {
		t.Fatalf("Lockdown by a developer under the default policy = %v, want a *ForbiddenError", err)
	}
	if _, err := e.Lift(ctx, l.ID, dev, "over"); !errors.As(err, &fe) {
		t.Fatalf("Lift by a developer under the default policy = %v, want a *ForbiddenError", err)
	}
}

// TestLockdownScopedPermission: a permission limited to staging lets its holder
// declare a lockdown of staging, not of prod, nor of every environment.
func TestLockdownScopedPermission(t *testing.T) {
	ctx := context.Background()
	p := release.DefaultPolicy()
	p.Permissions = append(p.Permissions, release.Permission{Name: "staging-stop", Events: []release.Event{release.EventDeclare, release.EventLift}, Roles: []string{"sre"}, Environments: []string{"staging"}})
	e, err := release.New(memory.New(), release.WithPolicy(p), release.WithClock(releasetest.NewClock(lockdownT0, time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	sre := release.Person("sam", "sre")
	if _, err := e.Lockdown(ctx, sre, release.Lockdown{Reason: "load test", Environments: []string{"staging"}}); err != nil {
		t.Fatalf("staging lockdown by an SRE: %v", err)
	}
	for _, envs := range [][]string{{"prod"}, {"staging", "prod"}, nil} {
		if _, err := e.Lockdown(ctx, sre, release.Lockdown{Reason: "x", Environments: envs}); !errors.Is(err, release.ErrForbidden) {
			t.Errorf("lockdown of %v by an SRE = %v, want ErrForbidden", envs, err)
		}
	}
}

// TestLockdownFreezeOverride: a runtime freeze passes a release of an allowed class,
// and Override by an actor with one of the calendar's override roles (recorded in
// the start's entry); a lockdown passes neither.
func TestLockdownFreezeOverride(t *testing.T) {
	ctx := context.Background()
	cal, err := calendar.NewWithOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := releasetest.NewClock(lockdownT0, time.Second)
	e, err := release.New(memory.New(), release.WithClock(clock), release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal, OverrideRoles: []string{"incident-commander"}}))
	if err != nil {
		t.Fatal(err)
	}
	approvedAt := func(name string, c release.Class) release.Release {
		t.Helper()
		r, err := e.Create(ctx, release.Spec{Name: name, Version: "1.0.0", Environment: "prod", Class: c, Author: "ana", Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
			if r, err = e.Fire(ctx, r.ID, ev, rui); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(r.Slot.Start.Add(time.Minute))
		return r
	}
	normal := approvedAt("payments", release.ClassNormal)
	emergency := approvedAt("ledger", release.ClassEmergency)
	commander := release.Person("ines", "incident-commander", release.RoleDeployer)
	if _, err := e.Lockdown(ctx, rui, release.Lockdown{Kind: release.KindFreeze, Reason: "Black Friday", AllowClasses: []release.Class{release.ClassEmergency}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Fire(ctx, normal.ID, release.EventStart, rui, release.Override("please")); !errors.Is(err, release.ErrGuardRefused) || !strings.Contains(err.Error(), "may not override") {
		t.Fatalf("override by an actor without an override role = %v", err)
	}
	if _, err := e.Fire(ctx, emergency.ID, release.EventStart, rui); err != nil {
		t.Fatalf("an emergency change through a freeze that allows it: %v", err)
	}
	r, err := e.Fire(ctx, normal.ID, release.EventStart, commander, release.Override("payments outage fix"))
	if err != nil {
		t.Fatalf("override of a freeze by an incident commander: %v", err)
	}
	h, _ := e.History(ctx, r.ID)
	if got := string(h[len(h)-1].Annotations["lockdown"]); !strings.Contains(got, "payments outage fix") {
		t.Fatalf("the start's entry does not record the override: %q", got)
	}
	third := approvedAt("search", release.ClassEmergency)
	if _, err := e.Lockdown(ctx, rui, release.Lockdown{Reason: "data loss"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Fire(ctx, third.ID, release.EventStart, commander, release.Override("emergency")); !errors.Is(err, release.ErrGuardRefused) || !strings.Contains(err.Error(), "cannot be overridden") {
		t.Fatalf("an emergency change with an override during a lockdown = %v, want a refusal", err)
	}
}

// TestLockdownAuditPack: the audit pack carries the lockdown history, its summary
// lists the lockdown with its lift, it verifies offline, and an edited lockdown line
// is found.
func TestLockdownAuditPack(t *testing.T) {
	ctx := context.Background()
	clock := releasetest.NewClock(lockdownT0, time.Second)
	e, err := release.New(memory.New(), release.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	r := approvedIn(t, e, "payments", "prod", release.ClassNormal)
	if _, err := e.Fire(ctx, r.ID, release.EventStart, rui); err != nil {
		t.Fatal(err)
	}
	l, err := e.Lockdown(ctx, rui, release.Lockdown{Reason: "INC-4711 double charges", Environments: []string{"prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Lift(ctx, l.ID, rui, "fixed"); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := e.AuditPack(ctx, &b, release.AuditFilter{From: lockdownT0.Add(-time.Hour), To: lockdownT0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, v := testKeys(t)
	info, err := release.VerifyAuditPack(strings.NewReader(b.String()), v, nil)
	if err != nil {
		t.Fatalf("VerifyAuditPack: %v", err)
	}
	for _, want := range []string{"Lockdowns and freezes declared at runtime", "INC-4711 double charges", "lifted by rui", "(2 entries)"} {
		if !strings.Contains(info.Summary, want) {
			t.Errorf("the summary does not say %q:\n%s", want, info.Summary)
		}
	}
	lines := strings.SplitAfter(b.String(), "\n")
	edits := 0
	for i, line := range lines {
		if strings.HasPrefix(line, `{"type":"lockdown"`) {
			lines[i] = strings.Replace(line, `"reason":"INC-4711 double charges"`, `"reason":"routine"`, 1)
			edits++
		}
	}
	if edits != 2 {
		t.Fatalf("%d lockdown lines in the pack, want 2", edits)
	}
	var he *release.LockdownHistoryError
	if _, err := release.VerifyAuditPack(strings.NewReader(strings.Join(lines, "")), v, nil); !errors.As(err, &he) {
		t.Fatalf("VerifyAuditPack of an edited lockdown = %v, want ErrTampered", err)
	}
}

// A keyed Lockdown whose halt marks partly failed is finished by its retry: the retry
// writes no second declaration and marks, once, each deploying release in scope that
// the first call could not mark. Once the lockdown is lifted, a retry marks nothing.
func TestLockdownRetryMarksWhatTheFirstCallCouldNot(t *testing.T) {
	ctx := context.Background()
	fs := &failFirstHalt{Store: memory.New()}
	eng, err := release.New(fs, release.WithClock(releasetest.NewClock(lockdownT0, time.Second)))
	require.NoError(t, err)
	var deploying []release.ID
	for _, name := range []string{"checkout", "ledger"} {
		r := approvedIn(t, eng, name, "prod", release.ClassNormal)
		r, err = eng.Fire(ctx, r.ID, release.EventStart, rui)
		require.NoError(t, err)
		deploying = append(deploying, r.ID)
	}
	marks := func(id release.ID, l release.ID) int {
		t.Helper()
		h, err := eng.History(ctx, id)
		require.NoError(t, err)
		n := 0
		for _, en := range h {
			if en.Event == release.EventHalt && strings.Contains(string(en.Annotations["lockdown"]), l.String()) {
				n++
			}
		}
		return n
	}
	stop := release.Lockdown{Reason: "payments outage", Environments: []string{"prod"}}
	key := release.IdempotencyKey("incident-7")

	fs.armed.Store(true)
	first, err := eng.Lockdown(ctx, rui, stop, key)
	require.ErrorIs(t, err, errConnectionReset, "one release could not be marked")
	require.Equal(t, 1, marks(deploying[0], first.ID)+marks(deploying[1], first.ID), "the first call marked one release of two")

	for range 2 { // the retry marks the other; a second retry marks nothing more
		again, err := eng.Lockdown(ctx, rui, stop, key)
		require.NoError(t, err)
		require.Equal(t, first.ID, again.ID, "the retry returns the lockdown the key declared")
		for _, id := range deploying {
			require.Equal(t, 1, marks(id, first.ID), "each deploying release carries one halt mark")
		}
	}
	all, err := eng.LockdownHistory(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1, "the retries wrote no second declaration")

	_, err = eng.Lift(ctx, first.ID, rui, "resolved")
	require.NoError(t, err)
	late := approvedIn(t, eng, "search", "prod", release.ClassNormal)
	late, err = eng.Fire(ctx, late.ID, release.EventStart, rui)
	require.NoError(t, err)
	_, err = eng.Lockdown(ctx, rui, stop, key)
	require.NoError(t, err)
	require.Zero(t, marks(late.ID, first.ID), "a retry after the lift marks nothing")
}

var errConnectionReset = errors.New("connection reset")

// failFirstHalt fails, once armed, the first Update that writes a halt mark; nothing
// of it is written.
type failFirstHalt struct {
	*memory.Store
	armed atomic.Bool
}

func (s *failFirstHalt) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	if e.Event == release.EventHalt && s.armed.CompareAndSwap(true, false) {
		return errConnectionReset
	}
	return s.Store.Update(ctx, expected, r, e)
}
