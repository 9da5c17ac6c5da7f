package calendar_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

// TestReasonsGolden pins the sentences people read: every conflict kind's reason, and
// the no-slot error, for one scenario. Run with -update to rewrite
// testdata/calendar/reasons.golden (the flag is shared with the rule tests).
func TestReasonsGolden(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	cal, err := calendar.NewWithOptions(trainRules(), calendar.WithCapacity("prod", 1), calendar.WithAlignment(15*time.Minute))
	require.NoError(t, err)
	require.NoError(t, cal.Book(calendar.Booking{ID: "busy", Environment: "prod", Services: []string{"api"},
		Start: at(t, berlin, "2026-06-09 10:00"), End: at(t, berlin, "2026-06-09 11:00")}))
	probes := []calendar.Booking{
		{ID: "overlap+capacity", Environment: "prod", Services: []string{"api"}, Start: at(t, berlin, "2026-06-09 10:30"), End: at(t, berlin, "2026-06-09 11:30")},
		{ID: "past the window", Environment: "prod", Start: at(t, berlin, "2026-06-09 15:00"), End: at(t, berlin, "2026-06-09 17:00")},
		{ID: "wednesday", Environment: "prod", Start: at(t, berlin, "2026-06-10 10:00"), End: at(t, berlin, "2026-06-10 11:00")},
		{ID: "into the freeze", Environment: "prod", Class: calendar.ClassNormal, Start: at(t, berlin, "2026-12-18 16:00"), End: at(t, berlin, "2026-12-18 18:00")},
		{ID: "lockdown", Environment: "prod", Class: calendar.ClassEmergency, Start: at(t, berlin, "2026-06-02 11:00"), End: at(t, berlin, "2026-06-02 13:00")},
		{ID: "", Environment: "prod", Start: at(t, berlin, "2026-06-02 11:00"), End: at(t, berlin, "2026-06-02 10:00")},
	}
	var b strings.Builder
	for _, p := range probes {
		fmt.Fprintf(&b, "## %q %s – %s\n", p.ID, p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))
		for _, c := range cal.Check(p) {
			fmt.Fprintf(&b, "%s rule=%q with=%v services=%v %s – %s\n  %s\n", c.Kind, c.Rule, c.With, c.Services,
				c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339), c.Reason)
		}
	}
	_, err = cal.NextSlot(calendar.Request{ID: "too long", Environment: "prod", Services: []string{"api"}, Duration: 7 * time.Hour,
		NotBefore: at(t, berlin, "2026-06-08 00:00"), NotAfter: at(t, berlin, "2026-06-12 00:00")})
	fmt.Fprintf(&b, "## NextSlot\n%v\n", err)

	path := filepath.Join("testdata", "calendar", "reasons.golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestReasonsGolden -update to create it")
	require.Equal(t, string(want), b.String(), "reasons changed (-want +got); run with -update if intended")
}
