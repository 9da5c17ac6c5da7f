package upgradetest_test

import (
	"context"
	"testing"

	"github.com/releasekit/releasekit/adapters/internal/upgradetest"
	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/release"
)

// The scenario runs on the reference store and its own check passes there: what the
// fixtures hold is what Check expects.
func TestWriteThenCheck(t *testing.T) {
	s := memory.New()
	m, err := upgradetest.Write(context.Background(), s, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]release.State{
		"draft": release.StateDraft, "planned": release.StatePlanned, "cancelled": release.StateCancelled,
		"scheduled": release.StateScheduled, "approved": release.StateApproved, "closed": release.StateClosed,
		"rolled-back": release.StateRolledBack,
	}
	for name, st := range want {
		if m.Releases[name].State != st {
			t.Errorf("%s is %s, want %s", name, m.Releases[name].State, st)
		}
	}
	if len(m.Bookings) != 4 || len(m.Outbox) == 0 {
		t.Errorf("the scenario stored %d bookings and %d outbox rows, want 4 and some", len(m.Bookings), len(m.Outbox))
	}
	upgradetest.Check(t, s, m)
}
