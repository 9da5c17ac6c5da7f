package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
)

// The errors of this file say what was wrong and what to do, on one line a log can
// carry, naming the release by name, version and environment.

func requireOneLine(t *testing.T, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("message spans lines:\n%s", msg)
	}
}

func requireMentions(t *testing.T, msg string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("message does not mention %q:\n%s", w, msg)
		}
	}
}

func TestStartBeforeTheSlotSaysToWaitOrReschedule(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: train(t)}))
	a := w.create(t, "checkout", "2.0.0")
	w.fire(t, a.ID, release.EventPlan)
	w.fire(t, a.ID, release.EventSchedule)
	a = w.fire(t, a.ID, release.EventApprove)
	w.clock.Set(a.Slot.Start.Add(-12*time.Minute - 4*time.Second))

	_, err := w.eng.Fire(ctx, a.ID, release.EventStart, rui)
	var se *release.SlotError
	if !errors.As(err, &se) || !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("got %v, want a *release.SlotError in a guard refusal", err)
	}
	if !se.Slot.Start.Equal(a.Slot.Start) || !se.Now.Equal(w.clock.Now()) {
		t.Errorf("SlotError{%v, %v}, want the slot from %v and now %v", se.Slot.Start, se.Now, a.Slot.Start, w.clock.Now())
	}
	msg := err.Error()
	requireOneLine(t, msg)
	requireMentions(t, msg, "checkout 2.0.0 in prod: start refused", "2026-03-03 09:00 UTC", "12m4s before the slot opens",
		"wait until 2026-03-03 09:00 UTC", "or reschedule it: fire unschedule, then schedule", "At(t)")
	if strings.Contains(msg, a.ID.String()) {
		t.Errorf("message names the release by its ID:\n%s", msg)
	}

	// After the slot: reschedule, no waiting.
	w.clock.Set(a.Slot.End.Add(25 * time.Minute))
	_, err = w.eng.Fire(ctx, a.ID, release.EventStart, rui)
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *release.SlotError", err)
	}
	requireMentions(t, err.Error(), "25m0s after the slot closed", "reschedule it")
	if strings.Contains(err.Error(), "wait until") {
		t.Errorf("a missed slot says to wait:\n%s", err)
	}
}

func TestChangeLongerThanEveryWindowNamesTheCause(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: train(t)}))
	big, err := w.eng.Create(ctx, release.Spec{Name: "ledger", Version: "5.0.0", Environment: "prod", Author: "ana", Duration: 7 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.fire(t, big.ID, release.EventPlan)
	_, err = w.eng.Fire(ctx, big.ID, release.EventSchedule, rui)
	var ns *calendar.NoSlotError
	if !errors.As(err, &ns) || !errors.Is(err, calendar.ErrNoSlot) || !errors.Is(err, release.ErrGuardRefused) {
		t.Fatalf("got %v, want a *calendar.NoSlotError in a guard refusal", err)
	}
	if ns.LongestWindow != 6*time.Hour || ns.LongestRule != "release train" {
		t.Errorf("LongestWindow %v of %q, want 6h of \"release train\"", ns.LongestWindow, ns.LongestRule)
	}
	msg := err.Error()
	requireOneLine(t, msg)
	requireMentions(t, msg, "ledger 5.0.0 in prod: schedule refused: calendar: it takes 7h0m0s", "longer than the longest window", "6h0m0s, rule \"release train\"", "shorten or split the change")
	for _, bad := range []string{"calendar: calendar", "NotAfter", big.ID.String()} {
		if strings.Contains(msg, bad) {
			t.Errorf("message contains %q:\n%s", bad, msg)
		}
	}

	// The calendar itself says the same to its own callers, with its own names.
	_, err = train(t).NextSlot(calendar.Request{ID: "ledger", Environment: "prod", Duration: 7 * time.Hour, NotBefore: monday})
	if !errors.As(err, &ns) || ns.LongestWindow != 6*time.Hour {
		t.Fatalf("NextSlot: %v, want a NoSlotError with the longest window", err)
	}
	requireMentions(t, err.Error(), "it takes 7h0m0s, longer than the longest window", "add a window at least 7h0m0s long")

	// A change that fits a window but finds none within the horizon is told what the
	// engine lets it change, not the calendar's NotAfter.
	frozen := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Horizon: 24 * time.Hour, Calendar: train(t)}))
	r := frozen.create(t, "checkout", "2.0.0")
	frozen.fire(t, r.ID, release.EventPlan)
	_, err = frozen.eng.Fire(ctx, r.ID, release.EventSchedule, rui)
	if !errors.As(err, &ns) || ns.LongestWindow != 0 {
		t.Fatalf("got %v, want a NoSlotError without a longest window", err)
	}
	requireMentions(t, err.Error(), "no slot of 1h0m0s in prod", `blocked by rules "release train" (outside-window)`, "CalendarConfig.Horizon")
	for _, bad := range []string{"calendar: calendar", "NotAfter"} {
		if strings.Contains(err.Error(), bad) {
			t.Errorf("message contains %q:\n%s", bad, err)
		}
	}
}

func TestGateRefusalsOneLineEachWithNames(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithGates(release.GateConfig{ByEnvironment: map[string][]gate.Gate{
		"prod": {gate.Checks("build", "lint"), gate.Approvals(gate.Quorum{Role: "cab", Min: 1})}}}))
	a := w.create(t, "checkout", "2.0.0")
	w.fire(t, a.ID, release.EventPlan)
	w.fire(t, a.ID, release.EventSchedule)
	_, err := w.eng.Fire(ctx, a.ID, release.EventApprove, rui)
	var ge *release.GuardError
	if !errors.As(err, &ge) {
		t.Fatalf("got %v, want a *release.GuardError", err)
	}
	var gateErr *gate.GateError
	if !errors.As(err, &gateErr) || !errors.Is(err, gate.ErrGateFailed) {
		t.Errorf("the refusal does not carry the gates' typed errors: %v", err)
	}
	requireOneLine(t, err.Error())
	requireMentions(t, err.Error(), "checkout 2.0.0 in prod: approve refused: gates: No-Go: gate \"checks\" failed", "; gate \"approvals\" failed")
	lines := ge.Lines()
	if len(lines) != 2 {
		t.Fatalf("Lines() = %q, want one line per blocking gate", lines)
	}
	for i, want := range []string{`checkout 2.0.0 in prod: approve refused by gates: gate "checks" failed: `, `checkout 2.0.0 in prod: approve refused by gates: gate "approvals" failed: needs 1 of cab`} {
		requireOneLine(t, lines[i])
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want)
		}
	}
	for _, l := range append(lines, err.Error()) {
		if strings.Contains(l, a.ID.String()) {
			t.Errorf("%q names the release by its ID", l)
		}
	}
}

func TestCreateRefusesAMissingDurationWithACalendar(t *testing.T) {
	ctx := context.Background()
	w := newWired(t, nil, release.WithCalendar(release.CalendarConfig{Calendar: train(t)}))
	_, err := w.eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.0.0", Environment: "prod", Author: "ana"})
	var ve *release.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) {
		t.Fatalf("got %v, want a *release.ValidationError (ErrInvalid)", err)
	}
	requireMentions(t, err.Error(), "duration is zero", "WithCalendar", "set Spec.Duration")
	if rs, err := w.eng.List(ctx, release.Filter{}); err != nil || len(rs) != 0 {
		t.Errorf("List = %d releases, %v; want nothing stored", len(rs), err)
	}

	// Without a calendar a release needs no duration.
	plain := newWired(t, nil)
	if _, err := plain.eng.Create(ctx, release.Spec{Name: "checkout", Version: "2.0.0", Environment: "prod", Author: "ana"}); err != nil {
		t.Fatalf("Create without a calendar: %v", err)
	}
}
