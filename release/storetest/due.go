package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// Engine.Due lists the approved releases whose slot has opened (passed slots
		// included), earliest slot first whatever the creation order; scheduled
		// releases and slots still to come are not due.
		testCase{"Due/Opened", testDueOpened},
	)
}

func testDueOpened(t *testing.T, s release.Store) {
	ctx := context.Background()
	cal, err := calendar.NewWithOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, s, release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	base := t0.Add(24 * time.Hour).Truncate(time.Hour)
	book := func(name string, at time.Duration, approve bool) release.Release {
		sp := spec(name, "prod")
		sp.Needs, sp.Components = nil, nil
		r := mustCreate(t, e, sp)
		mustFire(t, e, r.ID, release.EventPlan)
		r = mustFire(t, e, r.ID, release.EventSchedule, release.At(base.Add(at)))
		if approve {
			r = mustFire(t, e, r.ID, release.EventApprove)
		}
		return r
	}
	late := book("late", 3*time.Hour, true)    // opens at +3h
	passed := book("passed", 0, true)          // opened and ended at +45m
	open := book("open", 2*time.Hour, true)    // opens at +2h
	_ = book("unapproved", 1*time.Hour, false) // scheduled, not approved

	for _, tc := range []struct {
		at   time.Duration
		want []release.ID
	}{
		{-time.Minute, nil},
		{2*time.Hour + time.Minute, []release.ID{passed.ID, open.ID}},
		{3 * time.Hour, []release.ID{passed.ID, open.ID, late.ID}},
	} {
		got, err := e.Due(ctx, base.Add(tc.at))
		if err != nil {
			t.Fatalf("Due at +%v: %v", tc.at, err)
		}
		var ids []release.ID
		for _, r := range got {
			ids = append(ids, r.ID)
			if r.State != release.StateApproved || r.Slot == nil {
				t.Errorf("Due at +%v lists %s in %s with slot %v", tc.at, r.Name, r.State, r.Slot)
			}
		}
		if len(ids) != len(tc.want) {
			t.Fatalf("Due at +%v: %d releases %v, want %v", tc.at, len(ids), ids, tc.want)
		}
		for i := range ids {
			if ids[i] != tc.want[i] {
				t.Fatalf("Due at +%v: %v, want %v (earliest slot first)", tc.at, ids, tc.want)
			}
		}
	}
	if _, err := e.Due(ctx, time.Time{}); err == nil {
		t.Fatal("Due(zero time) = nil error, want a *ValidationError")
	}
}
