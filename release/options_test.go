package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

// Each call refuses the options it does not take with a *ValidationError that
// names them and the ones it takes, before anything is read or written.
func TestCallsRefuseOptionsTheyDoNotTake(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	eng, err := release.New(store, release.WithClock(releasetest.NewClock(monday, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Create(ctx, release.Spec{Name: "checkout", Version: "1.0.0", Environment: "staging", Author: ana.ID})
	if err != nil {
		t.Fatal(err)
	}
	ev := release.Evidence{Kind: release.EvidenceCheck, By: release.Automation("ci"), Name: "build", Status: gate.CheckSuccess}
	for _, c := range []struct {
		call       func() error
		what, says string
	}{
		{func() error {
			_, err := eng.Create(ctx, release.Spec{Name: "x", Version: "1.0.0", Environment: "staging", Author: ana.ID}, release.Reason("why"), release.At(monday))
			return err
		}, "create options", "Create takes only IdempotencyKey, not Reason, At"},
		{func() error {
			_, err := eng.Record(ctx, r.ID, ev, release.Reason("ok"), release.Override("now"))
			return err
		}, "record options", "Record takes only ExpectRevision, Reason, Data and IdempotencyKey, not Override"},
		{func() error {
			_, err := eng.Promote(ctx, r.ID, "prod", rui, release.ExpectRevision(1))
			return err
		}, "promote options", "Promote takes only Reason, Data and IdempotencyKey, not ExpectRevision"},
		{func() error {
			_, err := eng.Lockdown(ctx, rui, release.Lockdown{Reason: "incident"}, release.Data(1))
			return err
		}, "lockdown options", "Lockdown takes only IdempotencyKey, not Data"},
		{func() error {
			_, err := eng.Lift(ctx, r.ID, rui, "resolved", release.FailedComponents("api"), release.WithReview(release.Review{}))
			return err
		}, "lift options", "Lift takes only IdempotencyKey, not WithReview, FailedComponents"},
	} {
		err := c.call()
		var ve *release.ValidationError
		if !errors.As(err, &ve) || ve.What != c.what || !strings.Contains(err.Error(), c.says) {
			t.Errorf("got %v, want a *ValidationError about %s saying %q", err, c.what, c.says)
		}
	}
	h, err := eng.History(ctx, r.ID)
	if err != nil || len(h) != 1 {
		t.Fatalf("history %d entries (%v), want only the create", len(h), err)
	}
	if ls, err := eng.Lockdowns(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("lockdowns %v (%v), want none", ls, err)
	}
	if all, err := eng.List(ctx, release.Filter{}); err != nil || len(all) != 1 {
		t.Fatalf("releases %d (%v), want 1", len(all), err)
	}
}

// An engine books against one calendar: a second WithCalendar is refused, where it
// used to split the stages and the export between the two.
func TestNewRefusesASecondCalendar(t *testing.T) {
	one, two := train(t), train(t)
	_, err := release.New(memory.New(),
		release.WithCalendar(release.CalendarConfig{Calendar: one}),
		release.WithCalendar(release.CalendarConfig{Calendar: two}))
	if !errors.Is(err, release.ErrInvalid) || !strings.Contains(err.Error(), "WithCalendar given twice") {
		t.Fatalf("New with two calendars = %v, want ErrInvalid naming WithCalendar", err)
	}
}
