package release_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/adapters/memory"
	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
	"github.com/releasekit/releasekit/release/releasetest"
)

var icsMonday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// icsEngine runs payments 2.4.0 through dev and staging and schedules it in prod,
// on a store that keeps the bookings (as every replica shares them), with a calendar
// that has a weekly Friday freeze; then it declares a freeze of staging and a
// lockdown of prod at runtime.
func icsEngine(t *testing.T) *release.Engine {
	t.Helper()
	ctx := context.Background()
	friday := calendar.Rule{Name: "Friday freeze", Kind: calendar.Freeze, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 3, 6, 14, 0, 0), End: calendar.Wall(2026, 3, 6, 23, 59, 0), RRule: "FREQ=WEEKLY"}
	cal, err := calendar.New(friday)
	require.NoError(t, err)
	eng, err := release.New(memory.New(), release.WithClock(releasetest.NewClock(icsMonday, time.Minute)),
		release.WithPolicy(release.AllowAll()), release.WithPipeline(release.Pipeline{"dev", "staging", "prod"}),
		release.WithCalendar(release.CalendarConfig{Calendar: cal}))
	require.NoError(t, err)
	r, err := eng.Create(ctx, release.Spec{Name: "payments", Version: "2.4.0", Environment: "dev", Author: "ana", Duration: time.Hour,
		Components: []release.Component{{Name: "payments-api", Version: "2.4.0"}}})
	require.NoError(t, err)
	deploy := []release.Event{release.EventPlan, release.EventSchedule, release.EventApprove, release.EventStart, release.EventComplete, release.EventVerify}
	approver := release.Person("carol", release.RoleApprover)
	for _, env := range []string{"staging", "prod"} {
		for _, ev := range deploy {
			by := rui
			if ev == release.EventApprove {
				by = approver
			}
			r, err = eng.Fire(ctx, r.ID, ev, by)
			require.NoError(t, err, "%s in %s", ev, r.Environment)
		}
		r, err = eng.Promote(ctx, r.ID, env, rui)
		require.NoError(t, err)
	}
	for _, ev := range []release.Event{release.EventPlan, release.EventSchedule} {
		r, err = eng.Fire(ctx, r.ID, ev, rui)
		require.NoError(t, err)
	}
	_, err = eng.Lockdown(ctx, rui, release.Lockdown{Kind: release.KindFreeze, Reason: "load test", Environments: []string{"staging"},
		Until: icsMonday.Add(26 * time.Hour), AllowClasses: []release.Class{release.ClassEmergency}})
	require.NoError(t, err)
	_, err = eng.Lockdown(ctx, rui, release.Lockdown{Reason: "INC-4711 double charges", Environments: []string{"prod"}})
	require.NoError(t, err)
	return eng
}

// unfold undoes RFC 5545 line folding and text escaping enough to search the text.
func unfold(ics string) string {
	return strings.NewReplacer("\r\n ", "", `\,`, ",", `\;`, ";").Replace(ics)
}

// TestWriteICS: one call exports the calendar's rules, the bookings the store holds
// (named by service, version and environment, with the promotion lineage in the
// description) and the runtime freeze and lockdown; the calendar package reads the
// rules back, and nothing is named by an internal booking ID.
func TestWriteICS(t *testing.T) {
	eng := icsEngine(t)
	var b strings.Builder
	require.NoError(t, eng.WriteICS(context.Background(), &b, icsMonday, icsMonday.Add(7*24*time.Hour), calendar.WithCalendarName("shop")))
	ics := unfold(b.String())
	for _, want := range []string{
		"SUMMARY:payments 2.4.0 in dev\r\n",
		"SUMMARY:payments 2.4.0 in staging\r\n",
		"SUMMARY:payments 2.4.0 in prod\r\n",
		"Promoted dev → staging → prod; from payments 2.4.0 in staging",
		"Components: payments-api 2.4.0",
		"SUMMARY:Friday freeze\r\n",
		"SUMMARY:Freeze of staging: load test (",
		"SUMMARY:Lockdown of prod: INC-4711 double charges (",
		"X-WR-CALNAME:shop",
	} {
		require.Contains(t, ics, want)
	}
	require.NotContains(t, ics, "SUMMARY:Booking")
	require.Equal(t, 3, strings.Count(ics, "CATEGORIES:Booking"), "one event per booking")

	rules, err := calendar.ReadICS(strings.NewReader(b.String()))
	require.NoError(t, err)
	var names []string
	for _, r := range rules {
		names = append(names, r.Name)
		if strings.HasPrefix(r.Name, "Lockdown of prod") {
			require.Equal(t, calendar.Lockdown, r.Kind)
			require.Equal(t, []string{"prod"}, r.Scope.Environments)
		}
		if strings.HasPrefix(r.Name, "Freeze of staging") {
			require.Equal(t, calendar.Freeze, r.Kind)
			require.Equal(t, []calendar.Class{calendar.ClassEmergency}, r.AllowClasses)
		}
	}
	require.Len(t, names, 3, "%v", names)
	require.True(t, slices.Contains(names, "Friday freeze"), "%v", names)

	// Lifted, the lockdown keeps its event (same name, same UID) and ends at the lift.
	ls, err := eng.Lockdowns(context.Background())
	require.NoError(t, err)
	lifted, err := eng.Lift(context.Background(), ls[1].ID, rui, "fixed")
	require.NoError(t, err)
	var after strings.Builder
	require.NoError(t, eng.WriteICS(context.Background(), &after, icsMonday, icsMonday.Add(7*24*time.Hour)))
	rules, err = calendar.ReadICS(strings.NewReader(after.String()))
	require.NoError(t, err)
	var found bool
	for _, r := range rules {
		if strings.HasPrefix(r.Name, "Lockdown of prod") {
			found = true
			require.Equal(t, lifted.LiftedAt.Sub(lifted.From.Truncate(time.Second)), r.Duration, "the event ends at the lift")
		}
	}
	require.True(t, found, "the lifted lockdown is still in the export")

	require.ErrorIs(t, eng.WriteICS(context.Background(), &b, icsMonday, icsMonday), calendar.ErrBadSpan)
}

// TestWriteICSAgreesWithICALJS expands the export with ical.js (Mozilla's parser, as
// Thunderbird reads it): every booking, the runtime freeze and lockdown, and the
// Friday freeze come out at the instants the library booked and declared. Opt-in, as
// calendar's TestAgreesWithICALJS: RELEASEKIT_ICALJS=<a directory where `npm install
// ical.js` ran>.
func TestWriteICSAgreesWithICALJS(t *testing.T) {
	modules := os.Getenv("RELEASEKIT_ICALJS")
	if modules == "" {
		t.Skip("RELEASEKIT_ICALJS is not set: see docs/ics-check/check.mjs to run the ical.js check")
	}
	eng := icsEngine(t)
	ctx := context.Background()
	from, to := icsMonday, icsMonday.Add(7*24*time.Hour)
	file := filepath.Join(t.TempDir(), "export.ics")
	f, err := os.Create(file)
	require.NoError(t, err)
	require.NoError(t, eng.WriteICS(ctx, f, from, to))
	require.NoError(t, f.Close())
	cmd := exec.Command("node", "../docs/ics-check/check.mjs", file, from.Format(time.RFC3339), to.Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(modules, "node_modules"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	got := strings.Split(strings.TrimSpace(string(out)), "\n")

	var want []string
	iso := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, env := range []string{"dev", "staging", "prod"} {
		rs, err := eng.List(ctx, release.Filter{Environment: env})
		require.NoError(t, err)
		require.Len(t, rs, 1)
		want = append(want, "payments 2.4.0 in "+env+"\t"+iso(rs[0].Slot.Start)+"\t"+iso(rs[0].Slot.End))
	}
	ls, err := eng.Lockdowns(ctx)
	require.NoError(t, err)
	for _, l := range ls {
		end := to
		if !l.Until.IsZero() {
			end = l.Until
		}
		for _, line := range got {
			if strings.HasPrefix(line, map[release.LockdownKind]string{release.KindFreeze: "Freeze of ", release.KindLockdown: "Lockdown of "}[l.Kind]) {
				want = append(want, line[:strings.Index(line, "\t")]+"\t"+iso(l.From.Truncate(time.Second))+"\t"+iso(end))
			}
		}
	}
	// Friday 6 March 14:00–23:59 in Berlin (UTC+1).
	want = append(want, "Friday freeze\t2026-03-06T13:00:00Z\t2026-03-06T22:59:00Z")
	slices.Sort(want)
	require.Equal(t, want, got)
}
