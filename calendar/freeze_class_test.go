package calendar_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// TestFreezeExceptionTreatsNoClassAsNormal: a change with no class is a normal change
// (the zero Class counts as ClassNormal), and no action is a deployment. A freeze that
// lets normal changes (or deployments) pass lets it pass, in Excepts, Check, Book,
// NextSlot and Schedule alike; a freeze that lets only standard changes pass does not.
// Each half fails if one of the places that normalise the class stops doing it.
func TestFreezeExceptionTreatsNoClassAsNormal(t *testing.T) {
	freeze := func(classes []calendar.Class, actions []calendar.Action) calendar.Rule {
		return calendar.Rule{Name: "freeze", Kind: calendar.Freeze, Zone: "UTC",
			Start: calendar.Wall(2026, 5, 4, 0, 0, 0), End: calendar.Wall(2026, 5, 9, 0, 0, 0),
			AllowClasses: classes, AllowActions: actions}
	}
	normal := freeze([]calendar.Class{calendar.ClassNormal}, nil)
	deploys := freeze(nil, []calendar.Action{calendar.ActionDeploy})
	standard := freeze([]calendar.Class{calendar.ClassStandard}, nil)

	assert.True(t, normal.Excepts("", ""), "no class is a normal change")
	assert.True(t, normal.Excepts("", calendar.ActionHotfix))
	assert.True(t, deploys.Excepts(calendar.ClassStandard, ""), "no action is a deployment")
	assert.False(t, standard.Excepts("", ""), "no class is not a standard change")
	assert.False(t, freeze(nil, []calendar.Action{calendar.ActionRollback}).Excepts("", ""))

	start := time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC)
	b := calendar.Booking{ID: "b", Environment: "prod", Services: []string{"api"}, Start: start, End: start.Add(time.Hour)}
	req := calendar.Request{ID: "r", Environment: "prod", Services: []string{"api"}, Duration: time.Hour, NotBefore: start}
	for _, tc := range []struct {
		rule calendar.Rule
		pass bool
	}{{normal, true}, {deploys, true}, {standard, false}} {
		cal, err := calendar.New(tc.rule)
		require.NoError(t, err)
		cs := cal.Check(b)
		slot, err := cal.NextSlot(req)
		require.NoError(t, err)
		plan, err := cal.Schedule([]calendar.Request{req}, nil)
		require.NoError(t, err)
		require.Len(t, plan.Bookings, 1)
		if tc.pass {
			assert.Empty(t, cs, "Check lets a change with no class through %v / %v", tc.rule.AllowClasses, tc.rule.AllowActions)
			assert.Equal(t, start, slot.Start, "NextSlot")
			assert.Equal(t, start, plan.Bookings[0].Start, "Schedule")
			require.NoError(t, cal.Book(b))
			continue
		}
		require.Len(t, cs, 1)
		assert.Equal(t, calendar.ConflictFreeze, cs[0].Kind)
		assert.Equal(t, time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC), slot.Start, "NextSlot waits for the freeze to end")
		assert.Equal(t, slot.Start, plan.Bookings[0].Start, "Schedule waits for the freeze to end")
	}
}
