package faultstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/faultstore"
	"github.com/releasekit/releasekit/release/releasetest"
)

// TestScheduleAfterCommitKeepsItsSlot: when the Update of a schedule is stored but
// reported as failed (an After fault), the committed release names its booked slot,
// so the booking must stay: Engine.Fire reads the release back before it undoes a
// reservation.
func TestScheduleAfterCommitKeepsItsSlot(t *testing.T) {
	for _, readBackFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("read-back fails: %v", readBackFails), func(t *testing.T) { scheduleAfterCommit(t, readBackFails) })
	}
}

func scheduleAfterCommit(t *testing.T, readBackFails bool) {
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
	faults := []faultstore.Fault{{Op: faultstore.OpUpdate, Phase: faultstore.After, Nth: 1}}
	if readBackFails {
		faults = append(faults, faultstore.Fault{Op: faultstore.OpGet, Nth: 2}) // the engine's read-back
	}
	require.NoError(t, s.Injector().SetFaults(faults...))
	_, err = e.Fire(ctx, r.ID, release.EventSchedule, bob)
	if readBackFails {
		var fe *faultstore.FaultError
		require.True(t, errors.As(err, &fe), "with the read-back failing too, the schedule reports the fault: %v", err)
	} else {
		require.NoError(t, err, "the engine reads its committed schedule back and reports success")
	}
	got, err := inner.Get(ctx, r.ID)
	require.NoError(t, err)
	require.Equal(t, release.StateScheduled, got.State)
	require.NotNil(t, got.Slot)
	bs, err := inner.Bookings(ctx, "prod", got.Slot.Start, got.Slot.End)
	require.NoError(t, err)
	require.Len(t, bs, 1, "release %s is scheduled in slot %s, but the booking was undone: another release can take the slot", r.ID, got.Slot.Booking)
}
