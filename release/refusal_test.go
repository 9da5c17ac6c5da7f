package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
)

// tue10 is the train's first opening after monday: Tuesday 10:00 Berlin.
var tue10 = time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)

// held is an engine under the default policy, with a clock that moves only when
// told and a recording notifier.
type held struct {
	eng   *release.Engine
	store *memory.Store
	clock *releasetest.Clock
	notes *releasetest.Notifier
}

func newHeld(t helperT, store *memory.Store, opts ...release.Option) held {
	t.Helper()
	if store == nil {
		store = memory.New()
	}
	h := held{store: store, clock: releasetest.NewClock(monday, 0), notes: &releasetest.Notifier{}}
	eng, err := release.New(store, append([]release.Option{release.WithClock(h.clock), release.WithNotifier(h.notes)}, opts...)...)
	require.NoError(t, err)
	h.eng = eng
	return h
}

// approved creates name 2.0.0 in env by ana and takes it to approved (rui plans,
// schedules and approves).
func (h held) approved(t helperT, name, env string, needs ...release.Need) release.Release {
	t.Helper()
	ctx := context.Background()
	r, err := h.eng.Create(ctx, release.Spec{Name: name, Version: "2.0.0", Environment: env, Author: ana.ID, Duration: time.Hour, Needs: needs})
	require.NoError(t, err)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove} {
		r, err = h.eng.Fire(ctx, r.ID, ev, rui)
		require.NoError(t, err, "%s", ev)
	}
	return r
}

func (h held) history(t helperT, id release.ID) []release.AuditEntry {
	t.Helper()
	hist, err := h.eng.History(context.Background(), id)
	require.NoError(t, err)
	return hist
}

// decisions are the decision entries of a history.
func decisions(hist []release.AuditEntry) []release.AuditEntry {
	var out []release.AuditEntry
	for _, e := range hist {
		if e.Event == release.EventDecision {
			out = append(out, e)
		}
	}
	return out
}

func withTrain(t *testing.T, extra ...calendar.Rule) release.Option {
	return release.WithCalendar(release.CalendarConfig{Calendar: train(t, extra...), OverrideRoles: []string{release.RoleReleaseManager}})
}

// Each cause that refuses a start is kept in the history: one decision entry by the
// actor who asked, at the time of the attempt, with their reason, that leaves the
// state and names the event, the guard, the cause and the reason; the refusal is
// returned as before (its typed errors intact); the history verifies; the notifier
// is told.
func TestRefusedStartIsRecorded(t *testing.T) {
	ctx := context.Background()
	freeze := calendar.Rule{Name: "quarter-end freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 12, 0, 0)}
	lockdown := calendar.Rule{Name: "incident lockdown", Kind: calendar.Lockdown, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 12, 0, 0)}
	// rulesChanged: the release is booked under the train alone, then started
	// under the train and extra, five minutes into its slot.
	rulesChanged := func(t *testing.T, extra calendar.Rule) (held, release.Release) {
		h := newHeld(t, nil, withTrain(t))
		r := h.approved(t, "checkout", "prod")
		changed := newHeld(t, h.store, withTrain(t, extra))
		changed.clock.Set(tue10.Add(5 * time.Minute))
		return changed, r
	}
	for _, tc := range []struct {
		why string
		// setup returns the engine that fires the start and the release, at approved.
		setup  func(t *testing.T) (held, release.Release)
		guard  string
		cause  string // a part of the recorded cause
		reason string // a part of the recorded reason
		check  func(t *testing.T, err error)
	}{
		{why: "the slot is not open yet (a *SlotError)", guard: "calendar", cause: "not open yet", reason: "before the slot opens",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, withTrain(t))
				return h, h.approved(t, "checkout", "prod")
			},
			check: func(t *testing.T, err error) {
				var se *release.SlotError
				require.ErrorAs(t, err, &se, "callers still find the *SlotError")
				assert.Equal(t, monday, se.Now)
			}},
		{why: "the window is closed", guard: "calendar", cause: `outside-window "release train"`, reason: "outside its deployment windows",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, withTrain(t))
				return h, h.approved(t, "checkout", "prod")
			}},
		{why: "the slot has closed", guard: "calendar", cause: "closed", reason: "after the slot closed",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, withTrain(t))
				r := h.approved(t, "checkout", "prod")
				h.clock.Set(tue10.Add(90 * time.Minute)) // 11:30 Berlin: the train runs, the slot ended at 11:00
				return h, r
			},
			check: func(t *testing.T, err error) {
				var se *release.SlotError
				require.ErrorAs(t, err, &se)
				assert.True(t, se.Now.After(se.Slot.End))
			}},
		{why: "a calendar freeze added after booking", guard: "calendar", cause: `freeze "quarter-end freeze"`, reason: "quarter-end freeze",
			setup: func(t *testing.T) (held, release.Release) { return rulesChanged(t, freeze) }},
		{why: "a calendar lockdown added after booking", guard: "calendar", cause: `lockdown "incident lockdown"`, reason: "cannot be overridden",
			setup: func(t *testing.T) (held, release.Release) { return rulesChanged(t, lockdown) }},
		{why: "a runtime lockdown", guard: "lockdown", cause: "lockdown ", reason: "incident 42",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil)
				r := h.approved(t, "checkout", "prod")
				_, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
				require.NoError(t, err)
				return h, r
			}},
		{why: "a runtime freeze", guard: "lockdown", cause: "freeze ", reason: "year-end freeze",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil)
				r := h.approved(t, "checkout", "prod")
				_, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Kind: release.KindFreeze, Reason: "year-end freeze"})
				require.NoError(t, err)
				return h, r
			}},
		{why: "a host's guard", guard: "change-board", cause: "CHG-7 is not signed off", reason: "CHG-7 is not signed off",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, release.WithGuard(release.OnEvents(release.GuardFunc("change-board", func(context.Context, *release.Proposal) error {
					return errors.New("CHG-7 is not signed off")
				}), release.EventStart)))
				return h, h.approved(t, "checkout", "prod")
			}},
		{why: "a release it needs is not deployed", guard: "dependencies", cause: "ledger", reason: "ledger",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, release.WithDependencies(release.DependencyConfig{}))
				h.approved(t, "ledger", "prod")
				return h, h.approved(t, "checkout", "prod", release.Need{Name: "ledger", Version: ">= 2.0.0"})
			}},
		{why: "the pipeline", guard: "pipeline", cause: "staging", reason: "has not been verified in staging",
			setup: func(t *testing.T) (held, release.Release) {
				h := newHeld(t, nil, release.WithPipeline(release.Pipeline{"staging", "prod"}))
				return h, h.approved(t, "checkout", "prod")
			}},
	} {
		t.Run(tc.why, func(t *testing.T) {
			h, r := tc.setup(t)
			r, err := h.eng.Get(ctx, r.ID)
			require.NoError(t, err)
			notes := len(h.notes.Notifications())
			_, err = h.eng.Fire(ctx, r.ID, release.EventStart, bot, release.Reason("the nightly train"), release.Data(map[string]string{"run": "8812"}))
			var ge *release.GuardError
			require.ErrorAs(t, err, &ge)
			require.ErrorIs(t, err, release.ErrGuardRefused)
			require.NotErrorIs(t, err, release.ErrStale, "the refusal comes back alone, not joined with a store error")
			require.Equal(t, ge.Error(), err.Error(), "the refusal is returned as it is")
			if tc.check != nil {
				tc.check(t, err)
			}
			got := releasetest.RequireState(t, h.eng, r.ID, release.StateApproved)
			require.Equal(t, r.Revision+1, got.Revision, "one entry")
			require.Equal(t, r.Scope, got.Scope)
			require.Equal(t, r.Slot, got.Slot)
			hist := h.history(t, r.ID)
			require.NoError(t, release.VerifyRelease(got, hist))
			require.NoError(t, h.eng.VerifyAudit(ctx, r.ID))
			last := hist[len(hist)-1]
			assert.Equal(t, release.EventDecision, last.Event)
			assert.Equal(t, release.StateApproved, last.From)
			assert.Equal(t, release.StateApproved, last.To)
			assert.Equal(t, bot.ID, last.Actor.ID, "who asked")
			assert.Equal(t, release.ActorAutomation, last.Actor.Kind)
			assert.Equal(t, h.clock.Now(), last.Time, "when")
			assert.Equal(t, "the nightly train", last.Reason)
			assert.JSONEq(t, `{"run":"8812"}`, string(last.Data))
			assert.NotContains(t, last.Annotations, "calendar", "a refused start keeps only its refusal")
			event, refusals, ok := last.Refused()
			require.True(t, ok)
			assert.Equal(t, release.EventStart, event)
			require.Len(t, refusals, len(ge.Refusals))
			found := false
			for i, rf := range refusals {
				assert.Equal(t, ge.Refusals[i].Guard, rf.Guard)
				assert.Equal(t, ge.Refusals[i].Cause, rf.Cause, "the cause the caller got is the one recorded")
				assert.NotContains(t, rf.Reason, "\n", "one line")
				assert.Nil(t, rf.Err)
				if rf.Guard == tc.guard && strings.Contains(rf.Cause, tc.cause) && strings.Contains(rf.Reason, tc.reason) {
					found = true
				}
			}
			require.True(t, found, "no refusal by %s with cause %q and reason %q in %+v", tc.guard, tc.cause, tc.reason, refusals)
			require.Len(t, h.notes.Notifications(), notes+1, "the notifier is told of the entry")
			assert.Equal(t, release.EventDecision, h.notes.Notifications()[notes].Entry.Event)
		})
	}
}

// The refusals that come before the guards write nothing: a forbidden actor (who
// must not be able to write to a history), a stale revision, an invalid transition,
// invalid input; neither does a refusal of an event other than approve and start.
func TestRefusalsNotRecorded(t *testing.T) {
	ctx := context.Background()
	outsider := release.Person("mallory", release.RoleDeveloper)
	for _, tc := range []struct {
		why   string
		event release.Event
		actor release.Actor
		opts  []release.FireOption
		want  error
	}{
		{why: "an actor the policy does not let start", event: release.EventStart, actor: outsider, want: release.ErrForbidden},
		{why: "an actor with no role at all", event: release.EventStart, actor: guest, want: release.ErrForbidden},
		{why: "a stale revision", event: release.EventStart, actor: bot, opts: []release.FireOption{release.ExpectRevision(2)}, want: release.ErrStale},
		{why: "an event the state does not allow", event: release.EventComplete, actor: bot, want: release.ErrInvalidTransition},
		{why: "an actor without an ID", event: release.EventStart, actor: release.Actor{Kind: release.ActorPerson}, want: release.ErrInvalid},
		{why: "data that is not JSON", event: release.EventStart, actor: bot, opts: []release.FireOption{release.Data(json.RawMessage("{"))}, want: release.ErrInvalid},
		{why: "a refused unschedule (not a go-live decision)", event: release.EventUnschedule, actor: rui, want: release.ErrGuardRefused},
	} {
		t.Run(tc.why, func(t *testing.T) {
			// A freeze is on and a guard refuses unschedule: a start that got to
			// the guards would be refused and recorded.
			h := newHeld(t, nil, release.WithGuard(release.OnEvents(release.GuardFunc("hold", func(context.Context, *release.Proposal) error {
				return errors.New("kept on the train")
			}), release.EventUnschedule)))
			r := h.approved(t, "checkout", "prod")
			_, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Kind: release.KindFreeze, Reason: "year-end freeze"})
			require.NoError(t, err)
			notes := len(h.notes.Notifications())
			_, err = h.eng.Fire(ctx, r.ID, tc.event, tc.actor, tc.opts...)
			require.ErrorIs(t, err, tc.want)
			got := releasetest.RequireState(t, h.eng, r.ID, release.StateApproved)
			require.Equal(t, r.Revision, got.Revision, "nothing written")
			require.Len(t, h.history(t, r.ID), int(r.Revision))
			require.Len(t, h.notes.Notifications(), notes)
		})
	}
}

// A scheduler that retries a refused start every minute leaves one entry per cause:
// the same causes as the last decision since the release last moved are not written
// again, whoever asks and whatever evidence was recorded in between; a new cause is;
// so is the old cause again once the release has moved.
func TestRefusedStartIsRecordedOncePerCause(t *testing.T) {
	ctx := context.Background()
	h := newHeld(t, nil, withTrain(t))
	r := h.approved(t, "checkout", "prod")
	start := func(who release.Actor) *release.GuardError {
		t.Helper()
		_, err := h.eng.Fire(ctx, r.ID, release.EventStart, who)
		var ge *release.GuardError
		require.ErrorAs(t, err, &ge)
		require.NotErrorIs(t, err, release.ErrStale)
		return ge
	}
	count := func() int { return len(decisions(h.history(t, r.ID))) }

	// Too early, every minute for ten minutes: the message changes, the cause does not.
	var messages []string
	for range 10 {
		messages = append(messages, start(bot).Error())
		h.clock.Advance(time.Minute)
	}
	require.NotEqual(t, messages[0], messages[9], "the message says how long until the slot")
	require.Equal(t, 1, count())
	// Evidence recorded in between, and another person asking: still the same refusal.
	mustRecordIn(t, h.eng, r.ID, check("build", gate.CheckSuccess))
	start(rui)
	require.Equal(t, 1, count())

	// A lockdown as well: a new cause, recorded once.
	l, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	require.NoError(t, err)
	for range 3 {
		ge := start(bot)
		require.Len(t, ge.Refusals, 2)
	}
	require.Equal(t, 2, count())
	// Lifted: back to the first cause alone, which differs from the last decision.
	_, err = h.eng.Lift(ctx, l.ID, rui, "resolved")
	require.NoError(t, err)
	start(bot)
	start(bot)
	require.Equal(t, 3, count())

	// The release moves (unschedule, schedule: a new slot): the same kind of
	// refusal is a new decision.
	for _, ev := range []release.Event{release.EventUnschedule, release.EventSchedule, release.EventApprove} {
		_, err := h.eng.Fire(ctx, r.ID, ev, rui)
		require.NoError(t, err)
	}
	start(bot)
	start(bot)
	require.Equal(t, 4, count())

	hist := h.history(t, r.ID)
	got := releasetest.RequireState(t, h.eng, r.ID, release.StateApproved)
	require.NoError(t, release.VerifyRelease(got, hist))
	for _, d := range decisions(hist) {
		assert.Equal(t, bot.ID, d.Actor.ID, "the first to ask is kept")
	}
}

func mustRecordIn(t helperT, e *release.Engine, id release.ID, ev release.Evidence) {
	t.Helper()
	_, err := e.Record(context.Background(), id, ev)
	require.NoError(t, err)
}

// A refused start with an idempotency key behaves as a refused approve: it keeps no
// key, so a retry decides again (and, refused for the same cause, writes nothing);
// once the start goes, the key holds its result.
func TestRefusedStartWithIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	h := newHeld(t, nil)
	r := h.approved(t, "checkout", "prod")
	l, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	require.NoError(t, err)
	key := release.IdempotencyKey("scheduler/checkout/start")
	for range 3 {
		_, err := h.eng.Fire(ctx, r.ID, release.EventStart, bot, key)
		require.ErrorIs(t, err, release.ErrGuardRefused)
		_, err = h.store.LookupKey(ctx, "scheduler/checkout/start")
		require.ErrorIs(t, err, release.ErrNotFound, "a refused call keeps no key")
	}
	require.Len(t, decisions(h.history(t, r.ID)), 1)

	_, err = h.eng.Lift(ctx, l.ID, rui, "resolved")
	require.NoError(t, err)
	first, err := h.eng.Fire(ctx, r.ID, release.EventStart, bot, key)
	require.NoError(t, err)
	require.Equal(t, release.StateDeploying, first.State)
	again, err := h.eng.Fire(ctx, r.ID, release.EventStart, bot, key)
	require.NoError(t, err)
	require.Equal(t, first, again, "the retry returns the first result")
	hist := h.history(t, r.ID)
	require.Len(t, hist, int(first.Revision), "and writes nothing")
	require.NoError(t, release.VerifyRelease(first, hist))
}

// Concurrent refused starts and records never lose an update: every record lands,
// the refusal is written once, every start gets the refusal alone, and the history
// verifies.
func TestConcurrentRefusedStarts(t *testing.T) {
	ctx := context.Background()
	h := newHeld(t, nil)
	r := h.approved(t, "checkout", "prod")
	_, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident 42", Environments: []string{"prod"}})
	require.NoError(t, err)
	// A second engine (another replica) on the same store.
	other := newHeld(t, h.store)
	const starts, records = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, starts+records)
	for i := range starts {
		eng := h.eng
		if i%2 == 1 {
			eng = other.eng
		}
		wg.Go(func() {
			_, err := eng.Fire(ctx, r.ID, release.EventStart, bot)
			if !errors.Is(err, release.ErrGuardRefused) || errors.Is(err, release.ErrStale) {
				errs <- fmt.Errorf("start %d: %v, want the refusal alone", i, err)
			}
		})
	}
	for i := range records {
		wg.Go(func() {
			ev := check(fmt.Sprintf("suite-%d", i), gate.CheckSuccess)
			if _, err := h.eng.Record(ctx, r.ID, ev); err != nil {
				errs <- fmt.Errorf("record %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	hist := h.history(t, r.ID)
	got := releasetest.RequireState(t, h.eng, r.ID, release.StateApproved)
	require.NoError(t, release.VerifyRelease(got, hist))
	require.Len(t, decisions(hist), 1)
	require.Len(t, release.Evidences(hist), records, "no record was lost")
}

// Property: whatever sequence of refused starts (by anyone, for any mix of causes),
// records, lockdowns, lifts and clock moves, the release stays approved, its history
// verifies, every start returns the refusal alone, and a start writes a decision
// exactly when its causes differ from the last decision's.
func TestRefusedStartsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		var mu sync.Mutex
		hostSays := "" // what the host's guard refuses with; "" lets the start pass it
		guard := release.OnEvents(release.GuardFunc("change-board", func(context.Context, *release.Proposal) error {
			mu.Lock()
			defer mu.Unlock()
			if hostSays == "" {
				return nil
			}
			return errors.New(hostSays)
		}), release.EventStart)
		h := newHeld(rt, nil, release.WithCalendar(release.CalendarConfig{Calendar: train(rt)}), release.WithGuard(guard))
		r := h.approved(rt, "checkout", "prod")
		var open []release.ID
		for step := range rapid.IntRange(1, 30).Draw(rt, "steps") {
			switch rapid.IntRange(0, 5).Draw(rt, fmt.Sprintf("action%d", step)) {
			case 0, 1:
				before := h.history(rt, r.ID)
				who := rapid.SampledFrom([]release.Actor{bot, rui}).Draw(rt, "who")
				_, err := h.eng.Fire(ctx, r.ID, release.EventStart, who)
				var ge *release.GuardError
				if !errors.As(err, &ge) || errors.Is(err, release.ErrStale) {
					rt.Fatalf("start = %v, want the refusal alone", err)
				}
				after := h.history(rt, r.ID)
				prev := decisions(before)
				written := len(after) - len(before)
				same := len(prev) > 0 && sameCauses(prev[len(prev)-1], ge.Refusals)
				if same && written != 0 || !same && written != 1 {
					rt.Fatalf("a start refused for the same causes as the last decision (%v) wrote %d entries", same, written)
				}
			case 2:
				mustRecordIn(rt, h.eng, r.ID, check(rapid.SampledFrom([]string{"build", "e2e"}).Draw(rt, "check"), gate.CheckSuccess))
			case 3:
				l, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Kind: rapid.SampledFrom(release.LockdownKinds()).Draw(rt, "kind"), Reason: "hold", Environments: []string{"prod"}})
				if err != nil {
					rt.Fatal(err)
				}
				open = append(open, l.ID)
			case 4:
				if len(open) > 0 {
					i := rapid.IntRange(0, len(open)-1).Draw(rt, "lift")
					if _, err := h.eng.Lift(ctx, open[i], rui, "done"); err != nil {
						rt.Fatal(err)
					}
					open = append(open[:i], open[i+1:]...)
				}
			case 5:
				mu.Lock()
				hostSays = rapid.SampledFrom([]string{"", "CHG-7 is not signed off", "CHG-8 is not signed off"}).Draw(rt, "host")
				mu.Unlock()
				// Never at or past the slot: the start is always refused.
				h.clock.Advance(time.Duration(rapid.IntRange(0, 30).Draw(rt, "minutes")) * time.Minute)
			}
			got, err := h.eng.Get(ctx, r.ID)
			if err != nil {
				rt.Fatal(err)
			}
			if got.State != release.StateApproved || got.Scope != r.Scope || got.Slot == nil || *got.Slot != *r.Slot {
				rt.Fatalf("a refused start moved the release: %+v", got)
			}
			if err := h.eng.VerifyAudit(ctx, r.ID); err != nil {
				rt.Fatal(err)
			}
		}
	})
}

// sameCauses reports whether decision d refused for the guards and causes of rs.
func sameCauses(d release.AuditEntry, rs []release.Refusal) bool {
	_, recorded, ok := d.Refused()
	if !ok || len(recorded) != len(rs) {
		return false
	}
	for i := range rs {
		if recorded[i].Guard != rs[i].Guard || recorded[i].Cause != rs[i].Cause {
			return false
		}
	}
	return true
}

// Recorded refusals are not evidence: Evidences and Engine.Evidence leave them out,
// and a No-Go never counts as its actor's approval.
func TestRefusalsAreNotEvidence(t *testing.T) {
	ctx := context.Background()
	w, r := twoManagers(t)
	mustRecord(t, w, r.ID, check("build", gate.CheckSuccess))
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	refusedBy(t, err, "gates", "No-Go")
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, lee)
	refusedBy(t, err, "gates", "No-Go")
	evs, err := w.eng.Evidence(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.Equal(t, release.EvidenceCheck, evs[0].Kind)
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, evs, release.Evidences(h))
	require.Len(t, decisions(h), 1, "lee's No-Go had the same causes as kim's")
	// Both approve, as evidence: the two approvals count, the No-Go did not.
	mustRecord(t, w, r.ID, approval(kim))
	mustRecord(t, w, r.ID, approval(lee))
	_, err = w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	require.NoError(t, err)
}

// A refused approve's entry names the event and every refusal, the gates' No-Go
// (which still replays) and any other guard's; an entry written before refusals
// were recorded this way reads as a No-Go of approve.
func TestRefusedApproveNamesEveryRefusal(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithGates(release.GateConfig{
		ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build")}},
	}), release.WithGuard(release.OnEvents(release.GuardFunc("change-board", func(context.Context, *release.Proposal) error {
		return errors.New("CHG-7 is not signed off")
	}), release.EventApprove)))
	r := w.create(t, "checkout", "2.0.0")
	w.fire(t, r.ID, release.EventPlan)
	w.fire(t, r.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, r.ID, release.EventApprove, kim)
	refusedBy(t, err, "gates", "No-Go")
	refusedBy(t, err, "change-board", "CHG-7")
	h, err := w.eng.History(ctx, r.ID)
	require.NoError(t, err)
	last := h[len(h)-1]
	event, refusals, ok := last.Refused()
	require.True(t, ok)
	require.Equal(t, release.EventApprove, event)
	require.Len(t, refusals, 2)
	require.Equal(t, "change-board", refusals[0].Guard)
	require.Equal(t, "gates", refusals[1].Guard)
	var d gate.Decision
	require.NoError(t, json.Unmarshal(last.Annotations["gates"], &d))
	require.NoError(t, d.Verify(), "the No-Go replays")

	// The same entry as written before the "refusal" annotation existed.
	old := last
	delete(old.Annotations, "refusal")
	event, refusals, ok = old.Refused()
	require.True(t, ok)
	require.Equal(t, release.EventApprove, event)
	require.Len(t, refusals, 1)
	require.Equal(t, "gates", refusals[0].Guard)
	require.Contains(t, refusals[0].Reason, "gate checks fail")
	// Any other entry is not a decision.
	_, _, ok = h[0].Refused()
	require.False(t, ok)
}

// The annotation of a recorded refusal is the engine's: no guard may take its name.
func TestGuardCannotBeNamedRefusal(t *testing.T) {
	_, err := release.New(memory.New(), release.WithGuard(release.GuardFunc("refusal", func(context.Context, *release.Proposal) error { return nil })))
	var ve *release.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Contains(t, err.Error(), `"refusal"`)
}

// The report shows a refused start in its decisions, with who, when and why, in
// both renderings.
func TestReportShowsRefusedStarts(t *testing.T) {
	ctx := context.Background()
	h := newHeld(t, nil, withTrain(t))
	r := h.approved(t, "checkout", "prod")
	h.clock.Set(tue10.Add(2 * time.Minute))
	_, err := h.eng.Lockdown(ctx, rui, release.Lockdown{Kind: release.KindFreeze, Reason: "year-end freeze", Environments: []string{"prod"}})
	require.NoError(t, err)
	_, err = h.eng.Fire(ctx, r.ID, release.EventStart, bot)
	require.ErrorIs(t, err, release.ErrGuardRefused)
	h.clock.Advance(time.Minute)
	_, err = h.eng.Fire(ctx, r.ID, release.EventStart, bot) // the same cause: one row
	require.ErrorIs(t, err, release.ErrGuardRefused)
	_, err = h.eng.Fire(ctx, r.ID, release.EventUnschedule, rui, release.Reason("after the freeze"))
	require.NoError(t, err)

	opts := release.ReportOptions{From: monday.Add(-time.Hour), To: monday.Add(7 * 24 * time.Hour)}
	var md strings.Builder
	require.NoError(t, h.eng.Report(ctx, &md, opts))
	body, _, _ := strings.Cut(md.String(), "\n## Appendix\n")
	require.Regexp(t, `\| r1 \| checkout 2\.0\.0 \(prod\) \| start refused by lockdown \| deploy-bot \| 2026-03-03 09:02 \| freeze [0-9a-f-]+ in prod, declared by rui at [^|]+: year-end freeze \|\n`+
		`\| r1 \| checkout 2\.0\.0 \(prod\) \| held: unscheduled \| rui \| 2026-03-03 09:03 \| after the freeze \|`, body)
	require.Equal(t, 1, strings.Count(body, "start refused"))
	require.Contains(t, body, "Every history verifies")

	opts.Format = release.ReportHTML
	var page strings.Builder
	require.NoError(t, h.eng.Report(ctx, &page, opts))
	require.Regexp(t, `<td>r1</td><td>checkout 2\.0\.0 \(prod\)</td><td>start refused by lockdown</td><td>deploy-bot</td><td>2026-03-03 09:02</td><td>freeze [0-9a-f-]+ in prod, declared by rui`, page.String())
}

// A refusal whose entry cannot be written is still the refusal (ErrGuardRefused,
// the guard's error inside), joined with the store's error; nothing is written. One
// whose write is reported failed but happened (a lost reply) is the refusal alone.
func TestRefusedStartWhenTheStoreFails(t *testing.T) {
	ctx := context.Background()
	for _, phase := range faultstore.Phases() {
		t.Run(string(phase), func(t *testing.T) {
			fs, err := faultstore.New(memory.New(), faultstore.WithFaults(faultstore.Fault{Op: faultstore.OpUpdate, Phase: phase, Nth: 1}))
			require.NoError(t, err)
			fs.Injector().Disable()
			board := errors.New("CHG-7 is not signed off")
			eng, err := release.New(fs, release.WithClock(releasetest.NewClock(monday, 0)), release.WithGuard(release.OnEvents(
				release.GuardFunc("change-board", func(context.Context, *release.Proposal) error { return board }), release.EventStart)))
			require.NoError(t, err)
			r := approvedIn(t, eng, "checkout", "prod", release.ClassNormal)
			fs.Injector().Enable()
			_, err = eng.Fire(ctx, r.ID, release.EventStart, bot)
			fs.Injector().Disable()
			require.ErrorIs(t, err, release.ErrGuardRefused)
			require.ErrorIs(t, err, board, "the guard's own error is still inside")
			got, err2 := eng.Get(ctx, r.ID)
			require.NoError(t, err2)
			h, err2 := eng.History(ctx, r.ID)
			require.NoError(t, err2)
			require.NoError(t, release.VerifyRelease(got, h))
			if phase == faultstore.Before {
				require.ErrorIs(t, err, faultstore.ErrInjected)
				require.Contains(t, err.Error(), "the refused start was not recorded")
				require.Equal(t, r.Revision, got.Revision, "nothing written")
				return
			}
			require.NotErrorIs(t, err, faultstore.ErrInjected, "the entry is there: the refusal alone")
			require.Equal(t, r.Revision+1, got.Revision)
			require.Equal(t, release.EventDecision, h[len(h)-1].Event)
		})
	}
}

// A refused approve is decided on the history the gates read for the evidence: the
// decision is recorded (and a retry for the same causes deduplicated) on that one
// read, not a second read of the whole history.
func TestRefusedApproveReadsTheHistoryOnce(t *testing.T) {
	ctx := context.Background()
	fs, err := faultstore.New(memory.New())
	require.NoError(t, err)
	eng, r := refusedApproveEngine(t, fs)
	for attempt := 1; attempt <= 2; attempt++ {
		before := fs.Injector().Stats().Calls[faultstore.OpHistory]
		_, err = eng.Fire(ctx, r.ID, release.EventApprove, kim)
		refusedBy(t, err, "gates", "No-Go")
		require.Equal(t, 1, fs.Injector().Stats().Calls[faultstore.OpHistory]-before, "attempt %d reads the history once", attempt)
	}
	h, err := eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.Len(t, decisions(h), 1, "the retry for the same causes is not written again")
}

// pausingStore calls before ahead of every Update of a recorded refusal.
type pausingStore struct {
	release.Store
	before func()
}

func (s *pausingStore) Update(ctx context.Context, expected int64, r release.Release, e release.AuditEntry) error {
	if e.Event == release.EventDecision {
		s.before()
	}
	return s.Store.Update(ctx, expected, r, e)
}

// refusedApproveEngine is an engine whose prod gates refuse every approve (no
// build check), over st, with the release scheduled.
func refusedApproveEngine(t *testing.T, st release.Store) (*release.Engine, release.Release) {
	t.Helper()
	ctx := context.Background()
	eng, err := release.New(st, release.WithClock(releasetest.NewClock(monday, 0)), release.WithPolicy(release.AllowAll()),
		release.WithGates(release.GateConfig{ByEnvironment: map[string][]gate.Gate{"prod": {gate.Checks("build")}}}))
	require.NoError(t, err)
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.0.0", Environment: "prod", Author: ana.ID, Duration: time.Hour})
	require.NoError(t, err)
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		r, err = eng.Fire(ctx, r.ID, ev, kim)
		require.NoError(t, err)
	}
	return eng, r
}

// Approves refused for the same causes at the same time all get the refusal alone:
// the ones that lose the race to write it find it written (only refusals came in
// between, so their decision stands) and do not write it again.
func TestConcurrentRefusedApprovesRecordOnce(t *testing.T) {
	const n = 4
	var arrived sync.WaitGroup
	arrived.Add(n)
	var calls atomic.Int32
	ps := &pausingStore{Store: memory.New(), before: func() {
		if calls.Add(1) <= n { // every first attempt waits for the others: all decided on one revision
			arrived.Done()
			arrived.Wait()
		}
	}}
	eng, r := refusedApproveEngine(t, ps)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		// Each with its own reason, so that no two entries hash alike: a loser must
		// find the refusal written, not its own entry.
		wg.Go(func() {
			_, errs[i] = eng.Fire(context.Background(), r.ID, release.EventApprove, kim, release.Reason(fmt.Sprint("attempt ", i)))
		})
	}
	wg.Wait()
	for _, err := range errs {
		refusedBy(t, err, "gates", "No-Go")
		require.NotContains(t, err.Error(), "not recorded")
		require.NotErrorIs(t, err, release.ErrStale)
	}
	h, err := eng.History(context.Background(), r.ID)
	require.NoError(t, err)
	require.Len(t, decisions(h), 1, "one refusal for the same causes")
	require.Greater(t, calls.Load(), int32(1), "the others tried to write it too")
}

// A refused approve whose write loses the race to new evidence is not written: its
// gates read the evidence as it was. The error says so, and the evidence stands.
func TestRefusedApproveNotRecordedOverNewEvidence(t *testing.T) {
	ctx := context.Background()
	var once sync.Once
	var eng *release.Engine
	var id release.ID
	ps := &pausingStore{Store: memory.New()}
	ps.before = func() {
		once.Do(func() {
			_, err := eng.Record(ctx, id, release.Evidence{Kind: release.EvidenceCheck, By: ci, Name: "build", Status: gate.CheckSuccess})
			require.NoError(t, err)
		})
	}
	var r release.Release
	eng, r = refusedApproveEngine(t, ps)
	id = r.ID
	_, err := eng.Fire(ctx, r.ID, release.EventApprove, kim)
	refusedBy(t, err, "gates", "No-Go")
	require.ErrorIs(t, err, release.ErrStale)
	require.Contains(t, err.Error(), "evidence was recorded meanwhile")
	h, err := eng.History(ctx, r.ID)
	require.NoError(t, err)
	require.Empty(t, decisions(h))
	require.Equal(t, release.EventRecord, h[len(h)-1].Event)
	_, err = eng.Fire(ctx, r.ID, release.EventApprove, kim)
	require.NoError(t, err, "decided again on the new evidence: Go")
}
