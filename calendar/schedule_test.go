package calendar_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calendartest"
	"github.com/releasekit/releasekit/depgraph"
)

func TestSchedule(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.NewWithOptions([]calendar.Rule{
		{Name: "office hours", Kind: calendar.Window, Zone: "UTC", Start: calendar.Wall(2026, 5, 4, 9, 0, 0), End: calendar.Wall(2026, 5, 4, 17, 0, 0), RRule: "FREQ=DAILY"},
		{Name: "tuesday freeze", Kind: calendar.Freeze, Zone: "UTC", Start: calendar.Wall(2026, 5, 5, 0, 0, 0), End: calendar.Wall(2026, 5, 6, 0, 0, 0)},
	}, calendar.WithCapacity("prod", 1), calendar.WithAlignment(15*time.Minute))
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "existing", Environment: "prod", Start: at(t, utc, "2026-05-04 09:00"), End: at(t, utc, "2026-05-04 10:00")}))
	mon := at(t, utc, "2026-05-04 08:00")
	reqs := []calendar.Request{
		{ID: "checkout", Environment: "prod", Duration: 2 * time.Hour, NotBefore: mon, DependsOn: []string{"payments"}, Soak: 30 * time.Minute},
		{ID: "payments", Environment: "prod", Duration: 3 * time.Hour, NotBefore: mon, DependsOn: []string{"existing"}},
		{ID: "search", Environment: "prod", Duration: time.Hour, NotBefore: mon},
		{ID: "huge", Environment: "prod", Duration: 9 * time.Hour, NotBefore: mon, NotAfter: mon.Add(48 * time.Hour)},
		{ID: "after-huge", Environment: "prod", Duration: time.Hour, NotBefore: mon},
		{ID: "orphan", Environment: "prod", Duration: time.Hour, NotBefore: mon, DependsOn: []string{"ghost"}},
		{ID: "", Environment: "prod", Duration: time.Hour, NotBefore: mon},
	}
	g := depgraph.New[string]()
	require.NoError(t, g.AddDependency("after-huge", "huge"))
	plan, err := cal.Schedule(reqs, g)
	require.NoError(t, err)

	start := map[string]string{}
	for _, b := range plan.Bookings {
		start[b.ID] = b.Start.UTC().Format("Mon 15:04")
	}
	assert.Equal(t, map[string]string{
		"payments": "Mon 10:00", // wave 0, first in input order: after the booking it depends on
		"search":   "Mon 13:00", // wave 0: capacity 1, so after payments
		"checkout": "Mon 14:00", // wave 1: payments ends 13:00, soak to 13:30, search runs to 14:00
	}, start, "plan: %+v", plan)

	unplaced := map[string]error{}
	for _, u := range plan.Unplaced {
		unplaced[u.Request.ID] = u.Err
		assert.NotEmpty(t, u.Reason)
	}
	assert.ErrorIs(t, unplaced["huge"], calendar.ErrNoSlot, "9h never fit in an 8h window")
	assert.ErrorIs(t, unplaced["after-huge"], calendar.ErrDependency, "its dependency could not be placed")
	assert.Contains(t, fmt.Sprint(unplaced["after-huge"]), `"huge", which could not be placed`)
	assert.ErrorIs(t, unplaced["orphan"], calendar.ErrDependency)
	assert.ErrorIs(t, unplaced[""], calendar.ErrInvalidRequest)
	calendartest.CheckSchedule(t, cal, plan)
	assert.Empty(t, cal.CheckPlan(plan))

	assert.Equal(t, 1, cal.Len(), "Schedule does not book")
	require.NoError(t, cal.Apply(plan))
	assert.Equal(t, 4, cal.Len())
	err = cal.Apply(plan)
	require.ErrorIs(t, err, calendar.ErrDuplicateID, "applying twice is refused")
	assert.Equal(t, 4, cal.Len(), "all or nothing")
}

func TestScheduleErrors(t *testing.T) {
	utc := time.UTC
	cal, err := calendar.New()
	require.NoError(t, err)
	nb := at(t, utc, "2026-05-04 08:00")
	_, err = cal.Schedule([]calendar.Request{{ID: "a", Environment: "e", Duration: time.Hour, NotBefore: nb}, {ID: "a", Environment: "e", Duration: time.Hour, NotBefore: nb}}, nil)
	require.ErrorIs(t, err, calendar.ErrDuplicateID)

	_, err = cal.Schedule([]calendar.Request{
		{ID: "a", Environment: "e", Duration: time.Hour, NotBefore: nb, DependsOn: []string{"b"}},
		{ID: "b", Environment: "e", Duration: time.Hour, NotBefore: nb, DependsOn: []string{"a"}},
	}, nil)
	require.ErrorIs(t, err, depgraph.ErrCycle)
	var ce *depgraph.CycleError[string]
	require.ErrorAs(t, err, &ce)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cal.ScheduleContext(ctx, []calendar.Request{{ID: "a", Environment: "e", Duration: time.Hour, NotBefore: nb}}, nil)
	require.ErrorIs(t, err, context.Canceled)
}

func TestScheduleIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		reqs := calendartest.DefaultConfig().Requests(6).Draw(t, "requests")
		p1, err1 := cal.Schedule(reqs, nil)
		p2, err2 := cal.Schedule(reqs, nil)
		if !errors.Is(err1, err2) || fmt.Sprint(p1) != fmt.Sprint(p2) {
			t.Fatalf("two runs differ:\n%v\n%v", p1, p2)
		}
	})
}

// A schedule never violates a constraint, CheckPlan agrees, and Apply books it.
func TestScheduleKeepsConstraints(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		reqs := calendartest.DefaultConfig().Requests(6).Draw(t, "requests")
		plan, err := cal.Schedule(reqs, nil)
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		calendartest.CheckSchedule(t, cal, plan)
		if cs := cal.CheckPlan(plan); len(cs) > 0 {
			t.Fatalf("CheckPlan: %v", cs)
		}
		before := cal.Len()
		if err := cal.Apply(plan); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if cal.Len() != before+len(plan.Bookings) {
			t.Fatalf("Apply booked %d of %d", cal.Len()-before, len(plan.Bookings))
		}
	})
}

// Each placed request is at the earliest slot given what was placed before it: the
// same as NextSlot on the calendar with the earlier placements booked.
func TestScheduleIsGreedyEarliest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cal := calendartest.Calendar().Draw(t, "calendar")
		reqs := calendartest.DefaultConfig().Requests(4).Draw(t, "requests")
		for i := range reqs {
			reqs[i].DependsOn = nil // independent: one wave, input order
		}
		plan, err := cal.Schedule(reqs, nil)
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		requireGreedyEarliest(t, cal, reqs, plan)
	})
}

// The same in a crowded calendar: many requests sharing a few earliest starts in one
// environment, so that most of them wait behind stretches at capacity or behind busy
// services (which Schedule jumps over at once; NextSlot steps over them booking by
// booking). Both must give every request the same start.
func TestScheduleIsGreedyEarliestWhenCrowded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := calendartest.DefaultConfig()
		cal := cfg.Calendar().Draw(t, "calendar")
		starts := rapid.SliceOfN(rapid.IntRange(0, 72), 1, 3).Draw(t, "start hours")
		n := rapid.IntRange(10, 40).Draw(t, "requests")
		reqs := make([]calendar.Request, n)
		for i := range reqs {
			reqs[i] = calendar.Request{ID: fmt.Sprintf("r%02d", i), Environment: rapid.SampledFrom(cfg.Environments).Draw(t, "env"),
				Services:  rapid.SliceOfNDistinct(rapid.SampledFrom(cfg.Services), 0, 2, rapid.ID).Draw(t, "services"),
				Duration:  time.Duration(rapid.IntRange(1, 12).Draw(t, "quarters")) * 15 * time.Minute,
				NotBefore: cfg.From.Add(time.Duration(rapid.SampledFrom(starts).Draw(t, "start")) * time.Hour),
				Class:     rapid.SampledFrom([]calendar.Class{"", calendar.ClassEmergency}).Draw(t, "class")}
		}
		plan, err := cal.Schedule(reqs, nil)
		if err != nil {
			t.Fatalf("Schedule: %v", err)
		}
		calendartest.CheckSchedule(t, cal, plan)
		requireGreedyEarliest(t, cal, reqs, plan)
	})
}

// requireGreedyEarliest fails unless plan places each of reqs (independent, in input
// order) where NextSlot does on cal with the earlier placements booked.
func requireGreedyEarliest(t *rapid.T, cal *calendar.Calendar, reqs []calendar.Request, plan *calendar.Plan) {
	work := cal.Clone()
	placed := map[string]calendar.Booking{}
	for _, b := range plan.Bookings {
		placed[b.ID] = b
	}
	for _, r := range reqs {
		want, err := work.NextSlot(r)
		got, ok := placed[r.ID]
		if ok != (err == nil) || (ok && !got.Start.Equal(want.Start)) {
			t.Fatalf("request %s: Schedule placed %v (%v), NextSlot gives %v (%v)", r.ID, got.Start, ok, want.Start, err)
		}
		if ok {
			if err := work.Book(got); err != nil {
				t.Fatalf("Book: %v", err)
			}
		}
	}
}
