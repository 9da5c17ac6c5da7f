package faultstore_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
)

// knownBugsEnv runs the tests of defects found but not yet fixed (see the test).
const knownBugsEnv = "RELEASEKIT_KNOWN_BUGS"

// TestScheduleAfterCommitKeepsItsSlot: when the Update of a schedule is stored but
// reported as failed (an After fault), the committed release names its booked slot,
// so the booking must stay. Today Engine.Fire undoes its stages' reservations on any
// Update error and unbooks the slot of a release that is scheduled: the slot is then
// free for another release. It runs with RELEASEKIT_KNOWN_BUGS=1 until the engine
// settles the outcome (read back) before undoing.
func TestScheduleAfterCommitKeepsItsSlot(t *testing.T) {
	if os.Getenv(knownBugsEnv) == "" {
		t.Skip("known defect in release.Engine (undo after an ambiguous commit); set " + knownBugsEnv + "=1 to run")
	}
	ctx := context.Background()
	cal, err := calendar.NewWithOptions([]calendar.Rule{{Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 3, 10, 0, 0), End: calendar.Wall(2026, 3, 3, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", Scope: calendar.Scope{Environments: []string{"prod"}}}}, calendar.WithAlignment(15*time.Minute))
	require.NoError(t, err)
	inner := memory.New()
	s, err := faultstore.New(inner)
	require.NoError(t, err)
	e, err := release.New(s, release.WithClock(releasetest.NewClock(t0, 0)), release.WithPolicy(release.AllowAll()),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	require.NoError(t, err)
	sp := spec("checkout")
	sp.Duration = time.Hour
	r, err := e.Create(ctx, sp)
	require.NoError(t, err)
	_, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
	require.NoError(t, err)
	require.NoError(t, s.Injector().SetFaults(faultstore.Fault{Op: faultstore.OpUpdate, Phase: faultstore.After, Nth: 1}))
	_, err = e.Fire(ctx, r.ID, release.EventSchedule, bob)
	var fe *faultstore.FaultError
	require.True(t, errors.As(err, &fe) && fe.Committed, "the schedule must hit the After fault: %v", err)
	got, err := inner.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, release.StateScheduled, got.State)
	require.NotNil(t, got.Slot)
	bs, err := inner.Bookings(ctx, "prod", got.Slot.Start, got.Slot.End)
	require.NoError(t, err)
	require.Len(t, bs, 1, "release %s is scheduled in slot %s, but the booking was undone: another release can take the slot", r.ID, got.Slot.Booking)
}
