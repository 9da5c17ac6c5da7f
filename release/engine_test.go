package release_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

var (
	t0    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ana   = release.Person("ana", release.RoleDeveloper, release.RoleApprover, release.RoleDeployer)
	rui   = release.Person("rui", release.RoleReleaseManager)
	bot   = release.Automation("deploy-bot", release.RoleDeployer)
	guest = release.Person("guest")
)

type fixture struct {
	eng   *release.Engine
	store *memory.Store
	clock *releasetest.Clock
	notes *releasetest.Notifier
}

func newFixture(t *testing.T, opts ...release.Option) fixture {
	t.Helper()
	f := fixture{store: memory.New(), clock: releasetest.NewClock(t0, time.Second), notes: &releasetest.Notifier{}}
	opts = append([]release.Option{release.WithClock(f.clock), release.WithNotifier(f.notes)}, opts...)
	eng, err := release.New(f.store, opts...)
	if err != nil {
		t.Fatalf("release.New: %v", err)
	}
	f.eng = eng
	return f
}

func (f fixture) create(t *testing.T, env string) release.Release {
	t.Helper()
	r, err := f.eng.Create(context.Background(), release.Spec{Name: "checkout", Version: "2.4.0", Environment: env, Author: ana.ID})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return r
}

// walk fires events in order by actor, failing the test on any error.
func (f fixture) walk(t *testing.T, id release.ID, actor release.Actor, events ...release.Event) release.Release {
	t.Helper()
	var r release.Release
	var err error
	for _, ev := range events {
		if r, err = f.eng.Fire(context.Background(), id, ev, actor); err != nil {
			t.Fatalf("Fire(%s) by %s: %v", ev, actor.ID, err)
		}
	}
	return r
}

func TestCreateValidates(t *testing.T) {
	f := newFixture(t)
	_, err := f.eng.Create(context.Background(), release.Spec{Class: "urgent", Components: []release.Component{{Name: "a"}, {Name: "a", Version: "1"}}})
	var ve *release.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("Create(bad spec) = %v, want a *ValidationError", err)
	}
	// Every problem at once: name, version, environment, class, author, component
	// without version, duplicate component.
	if len(ve.Problems) != 7 {
		t.Fatalf("got %d problems, want 7: %q", len(ve.Problems), ve.Problems)
	}
	if all, _ := f.store.List(context.Background(), release.Filter{}); len(all) != 0 {
		t.Fatalf("a refused Create stored %d releases", len(all))
	}
}

func TestFireRefusals(t *testing.T) {
	ctx := context.Background()
	refuseAll := release.GuardFunc("change-freeze", func(context.Context, *release.Proposal) error {
		return errors.New("prod is frozen until 2027-01-04")
	})
	refuseStart := release.OnEvents(release.GuardFunc("slot", func(context.Context, *release.Proposal) error {
		return errors.New("the slot starts at 14:00")
	}), release.EventStart)

	for _, tc := range []struct {
		why     string
		opts    []release.Option
		prepare []release.Event // fired by rui first
		actor   release.Actor
		event   release.Event
		fire    []release.FireOption
		want    error
		check   func(t *testing.T, err error)
		// recorded: the refusal is an operational decision, kept as one decision
		// entry (a refused start); every other refusal writes nothing.
		recorded bool
	}{
		{why: "an event the state does not allow", actor: rui, event: release.EventStart, want: release.ErrInvalidTransition,
			check: func(t *testing.T, err error) {
				var te *release.TransitionError
				if !errors.As(err, &te) || te.State != release.StateDraft || len(te.Available) == 0 {
					t.Errorf("want a *TransitionError naming draft and what is available, got %v", err)
				}
			}},
		{why: "an unknown event", actor: rui, event: "teleport", want: release.ErrInvalidTransition},
		{why: "the author approving her own release", prepare: []release.Event{release.EventPlan, release.EventSchedule},
			actor: ana, event: release.EventApprove, want: release.ErrForbidden,
			check: func(t *testing.T, err error) {
				var fe *release.ForbiddenError
				if !errors.As(err, &fe) || fe.Rule != "separation-of-duties" {
					t.Errorf("want the separation-of-duties rule named, got %v", err)
				}
			}},
		{why: "an actor without a role the policy asks for", actor: guest, event: release.EventPlan, want: release.ErrForbidden,
			check: func(t *testing.T, err error) {
				var fe *release.ForbiddenError
				if !errors.As(err, &fe) || fe.Rule != "plan" {
					t.Errorf("want rule plan named, got %v", err)
				}
			}},
		{why: "a bot may deploy but not close", prepare: []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify},
			actor: bot, event: release.EventClose, want: release.ErrForbidden},
		{why: "a stale expected revision", actor: rui, event: release.EventPlan, fire: []release.FireOption{release.ExpectRevision(7)}, want: release.ErrStale},
		{why: "every guard's refusal is collected", opts: []release.Option{release.WithGuard(refuseAll, refuseAll)},
			actor: rui, event: release.EventPlan, want: release.ErrGuardRefused,
			check: func(t *testing.T, err error) {
				var ge *release.GuardError
				if !errors.As(err, &ge) || len(ge.Refusals) != 2 || ge.Refusals[0].Guard != "change-freeze" {
					t.Errorf("want both refusals of change-freeze, got %v", err)
				}
			}},
		{why: "a guard scoped to start refuses start", opts: []release.Option{release.WithGuard(refuseStart)},
			prepare: []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove}, actor: rui, event: release.EventStart, want: release.ErrGuardRefused,
			recorded: true},
		{why: "data that is not JSON", actor: rui, event: release.EventPlan, fire: []release.FireOption{release.Data(make(chan int))}, want: release.ErrInvalid},
		{why: "an actor without an ID", actor: release.Actor{Kind: release.ActorPerson}, event: release.EventPlan, want: release.ErrInvalid},
		{why: "a policy that does not cover the environment", opts: []release.Option{release.WithPolicy(release.Policy{Permissions: []release.Permission{{Name: "dev-only", Events: release.Events(), Environments: []string{"dev"}}}})},
			actor: rui, event: release.EventPlan, want: release.ErrForbidden},
	} {
		t.Run(tc.why, func(t *testing.T) {
			f := newFixture(t, tc.opts...)
			r := f.create(t, "prod")
			if len(tc.prepare) > 0 {
				r = f.walk(t, r.ID, rui, tc.prepare...)
			}
			before, _ := f.eng.History(ctx, r.ID)
			notes := len(f.notes.Notifications())
			_, err := f.eng.Fire(ctx, r.ID, tc.event, tc.actor, tc.fire...)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Fire = %v, want %v", err, tc.want)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
			after := releasetest.RequireState(t, f.eng, r.ID, r.State)
			added := 0
			if tc.recorded {
				added = 1
			}
			if after.Revision != r.Revision+int64(added) {
				t.Fatalf("a refused Fire moved the revision from %d to %d, want %d more", r.Revision, after.Revision, added)
			}
			h, _ := f.eng.History(ctx, r.ID)
			if len(h) != len(before)+added {
				t.Fatalf("a refused Fire appended %d entries to the history, want %d", len(h)-len(before), added)
			}
			if tc.recorded {
				last := h[len(h)-1]
				event, refusals, ok := last.Refused()
				if last.Event != release.EventDecision || !ok || event != tc.event || len(refusals) == 0 || last.Actor.ID != tc.actor.ID {
					t.Fatalf("the refusal is not recorded as a decision of %s by %s: %+v", tc.event, tc.actor.ID, last)
				}
				if err := release.VerifyRelease(after, h); err != nil {
					t.Fatalf("the history does not verify after the recorded refusal: %v", err)
				}
			}
			if len(f.notes.Notifications()) != notes+added {
				t.Fatalf("a refused Fire notified %d times, want %d", len(f.notes.Notifications())-notes, added)
			}
		})
	}
}

func TestFireRecordsAndNotifies(t *testing.T) {
	ctx := context.Background()
	var seen *release.Proposal
	g := release.GuardFunc("risk", func(_ context.Context, p *release.Proposal) error {
		seen = p
		return p.Annotate(map[string]any{"level": "low", "score": 12})
	})
	f := newFixture(t, release.WithGuard(g))
	r := f.create(t, "prod")
	r, err := f.eng.Fire(ctx, r.ID, release.EventPlan, ana, release.Reason("ready"), release.Data(map[string]string{"ticket": "CHG-7"}))
	if err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.From() != release.StateDraft || seen.To != release.StatePlanned || seen.Actor.ID != "ana" {
		t.Fatalf("the guard saw %+v", seen)
	}
	h, _ := f.eng.History(ctx, r.ID)
	last := h[len(h)-1]
	if last.Reason != "ready" || string(last.Data) != `{"ticket":"CHG-7"}` || string(last.Annotations["risk"]) != `{"level":"low","score":12}` {
		t.Fatalf("entry %+v: want the reason, data and the guard's annotation recorded", last)
	}
	if r.Reached[release.StatePlanned].IsZero() || r.Revision != 2 || r.Head != last.Hash {
		t.Fatalf("release %+v: want planned reached, revision 2, head = last hash", r)
	}
	if ev := f.notes.Events(); len(ev) != 1 || ev[0] != release.EventPlan {
		t.Fatalf("notified %v, want [plan]", ev)
	}
}

func TestNotifierFailureKeepsTheCommit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := f.create(t, "prod")
	f.notes.FailWith(errors.New("slack is down"))
	got, err := f.eng.Fire(ctx, r.ID, release.EventPlan, ana)
	if !errors.Is(err, release.ErrNotify) || !release.Committed(err) {
		t.Fatalf("Fire = %v, want a NotifyError that reports the commit", err)
	}
	if got.State != release.StatePlanned {
		t.Fatalf("Fire returned state %s with the notify error, want the committed planned", got.State)
	}
	releasetest.RequireState(t, f.eng, r.ID, release.StatePlanned)
	if release.Committed(release.ErrStale) {
		t.Fatalf("Committed(ErrStale) = true")
	}
}

func TestPipeline(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}))
	toApproved := []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove}
	prod := f.walk(t, f.create(t, "prod").ID, rui, toApproved...)
	staging := f.walk(t, f.create(t, "staging").ID, rui, toApproved...)
	dev := f.walk(t, f.create(t, "dev").ID, rui, toApproved...)

	if _, err := f.eng.Fire(ctx, staging.ID, release.EventStart, rui); !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("start in staging before dev verified = %v, want a pipeline refusal", err)
	}
	f.walk(t, dev.ID, rui, release.EventStart, release.EventComplete, release.EventVerify)
	f.walk(t, staging.ID, rui, release.EventStart, release.EventComplete, release.EventVerify, release.EventFail)
	_, err := f.eng.Fire(ctx, prod.ID, release.EventStart, rui)
	var ge *release.GuardError
	if !errors.As(err, &ge) || ge.Refusals[0].Guard != "pipeline" {
		t.Fatalf("start in prod after staging failed = %v, want a pipeline refusal", err)
	}
	if err := (release.Pipeline{"dev", "dev", ""}).Validate(); err == nil {
		t.Fatalf("a pipeline with a repeated and an empty environment validated")
	}
}

func TestCancelledContextChangesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.create(t, "prod")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.eng.Fire(ctx, r.ID, release.EventPlan, ana); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fire(cancelled) = %v, want context.Canceled", err)
	}
	if _, err := f.eng.Create(ctx, release.Spec{Name: "a", Version: "1", Environment: "dev", Author: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create(cancelled) = %v, want context.Canceled", err)
	}
	releasetest.RequireState(t, f.eng, r.ID, release.StateDraft)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		why  string
		opts []release.Option
	}{
		{"a nil clock", []release.Option{release.WithClock(nil)}},
		{"a policy with an unknown event", []release.Option{release.WithPolicy(release.Policy{Permissions: []release.Permission{{Name: "x", Events: []release.Event{"fly"}}}})}},
		{"a nil guard", []release.Option{release.WithGuard(nil)}},
		{"a zero notify timeout", []release.Option{release.WithNotifyTimeout(0)}},
	} {
		if _, err := release.New(memory.New(), tc.opts...); !errors.Is(err, release.ErrInvalid) {
			t.Errorf("%s: New = %v, want ErrInvalid", tc.why, err)
		}
	}
	if _, err := release.New(nil); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("New(nil store) = %v, want ErrInvalid", err)
	}
}

func TestIDsAreTimeOrderedUUIDv7(t *testing.T) {
	f := newFixture(t)
	var prev release.ID
	for i := range 50 {
		r := f.create(t, fmt.Sprint("env", i%3))
		s := r.ID.String()
		if s[14] != '7' {
			t.Fatalf("ID %s is not version 7", s)
		}
		if i > 0 && prev.Compare(r.ID) >= 0 {
			t.Fatalf("ID %s does not sort after %s", r.ID, prev)
		}
		back, err := release.ParseID(s)
		if err != nil || back != r.ID {
			t.Fatalf("ParseID(%s) = %v, %v", s, back, err)
		}
		prev = r.ID
	}
	if _, err := release.ParseID("not-a-uuid"); !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("ParseID(garbage) = %v, want ErrInvalid", err)
	}
}

// TestSeparationOfDutiesCannotBeDodged: variants of the author's ID are refused or
// recognised as the author; ExpectRevision(0) is refused rather than ignored.
func TestSeparationOfDutiesCannotBeDodged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := f.walk(t, f.create(t, "prod").ID, rui, release.EventPlan, release.EventSchedule)
	for _, tc := range []struct {
		id   string
		want error
	}{
		{"ANA", release.ErrForbidden},
		{"Ana", release.ErrForbidden},
		{"ａｎａ", release.ErrForbidden}, // full-width forms
		{"ＡＮＡ", release.ErrForbidden},
		{"ana ", release.ErrInvalid},
		{" ana", release.ErrInvalid},
		{"ana\u200b", release.ErrInvalid},
		{"an\ta", release.ErrInvalid},
	} {
		_, err := f.eng.Fire(ctx, r.ID, release.EventApprove, release.Person(tc.id, release.RoleApprover))
		if !errors.Is(err, tc.want) {
			t.Errorf("approve by %q = %v, want %v", tc.id, err, tc.want)
		}
	}
	releasetest.RequireState(t, f.eng, r.ID, release.StateScheduled)
	if _, err := f.eng.Create(ctx, release.Spec{Name: "a", Version: "1", Environment: "dev", Author: "ana\u200b"}); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("Create with an invisible character in the author = %v, want ErrInvalid", err)
	}
	if _, err := f.eng.Fire(ctx, r.ID, release.EventApprove, rui, release.ExpectRevision(0)); !errors.Is(err, release.ErrInvalid) {
		t.Errorf("ExpectRevision(0) = %v, want ErrInvalid (it must not switch the check off)", err)
	}
	releasetest.RequireState(t, f.eng, r.ID, release.StateScheduled)
}

func TestUnknownReleaseIsNamed(t *testing.T) {
	f := newFixture(t)
	id, _ := release.ParseID("0190b3c4-5f6e-7a8b-9c0d-1e2f3a4b5c6d")
	for what, err := range map[string]error{
		"Get":     func() error { _, err := f.eng.Get(context.Background(), id); return err }(),
		"History": func() error { _, err := f.eng.History(context.Background(), id); return err }(),
		"Verify":  f.eng.Verify(context.Background(), id),
		"Fire":    func() error { _, err := f.eng.Fire(context.Background(), id, release.EventPlan, rui); return err }(),
	} {
		var nf *release.NotFoundError
		if !errors.Is(err, release.ErrNotFound) || !errors.As(err, &nf) || nf.ID != id {
			t.Errorf("%s of an unknown release = %v, want a *NotFoundError naming %s", what, err, id)
		}
	}
}

// TestErrorsAreTyped: every refusal of bad input carries a typed error with its
// context, not only a sentinel.
func TestErrorsAreTyped(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := f.create(t, "prod")
	for _, tc := range []struct {
		why     string
		err     func() error
		mention string
	}{
		{"ParseID of text that is not a UUID", func() error { _, err := release.ParseID("release-42"); return err }, `"release-42" is not a UUID`},
		{"UnmarshalText of text that is not a UUID", func() error { var id release.ID; return id.UnmarshalText([]byte("x")) }, `"x" is not a UUID`},
		{"ExpectRevision(0)", func() error {
			_, err := f.eng.Fire(ctx, r.ID, release.EventPlan, rui, release.ExpectRevision(0))
			return err
		}, "ExpectRevision(0)"},
		{"Data that is not JSON", func() error {
			_, err := f.eng.Fire(ctx, r.ID, release.EventPlan, rui, release.Data(json.RawMessage(`{"a":`)))
			return err
		}, "not valid JSON"},
		{"Data that cannot be encoded", func() error {
			_, err := f.eng.Fire(ctx, r.ID, release.EventPlan, rui, release.Data(make(chan int)))
			return err
		}, "chan int"},
		{"New without a store", func() error { _, err := release.New(nil); return err }, "needs a Store"},
		{"WithClock(nil)", func() error { _, err := release.New(f.store, release.WithClock(nil)); return err }, "WithClock(nil)"},
		{"WithNotifyTimeout(0)", func() error { _, err := release.New(f.store, release.WithNotifyTimeout(0)); return err }, "positive"},
	} {
		err := tc.err()
		var ve *release.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: %v, want a *ValidationError (ErrInvalid) mentioning %q", tc.why, err, tc.mention)
		}
	}
	releasetest.RequireState(t, f.eng, r.ID, release.StateDraft)
}
