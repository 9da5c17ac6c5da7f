package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/release"
)

// TestPropertyListMatchesFilter: for any set of releases and any filter, List returns
// exactly the releases that release.Filter.Match accepts, in ascending ID order, after
// the cursor, at most Limit of them: the SQL the store builds agrees with the
// reference semantics.
func TestPropertyListMatchesFilter(t *testing.T) {
	t.Parallel()
	schema := freshSchema(t)
	s := openStore(t, schema)
	ctx := context.Background()
	envs := []string{"dev", "staging", "prod"}
	names := []string{"api", "web"}
	teams := []string{"core", "edge"}
	var tick atomic.Int64
	clock := release.ClockFunc(func() time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(tick.Add(1)) * time.Millisecond)
	})
	e := newEngine(t, s, release.WithClock(clock))

	rapid.Check(t, func(rt *rapid.T) {
		_, err := admin(t).Exec(ctx, "TRUNCATE "+table(schema, "history")+", "+table(schema, "outbox")+", "+table(schema, "releases"))
		require.NoError(rt, err)
		var all []release.Release
		for i := range rapid.IntRange(0, 8).Draw(rt, "releases") {
			sp := release.Spec{
				Name: rapid.SampledFrom(names).Draw(rt, "name"), Version: rapid.SampledFrom([]string{"1.0.0", "2.0.0"}).Draw(rt, "version"),
				Environment: rapid.SampledFrom(envs).Draw(rt, "env"), Author: "ana",
				Class:  rapid.SampledFrom(release.Classes()).Draw(rt, "class"),
				Labels: map[string]string{"team": rapid.SampledFrom(teams).Draw(rt, "team")},
			}
			if rapid.Bool().Draw(rt, "tier") {
				sp.Labels["tier"] = "1"
			}
			r, err := e.Create(ctx, sp)
			require.NoError(rt, err, "release %d", i)
			if rapid.Bool().Draw(rt, "plan") {
				r, err = e.Fire(ctx, r.ID, release.EventPlan, manager)
				require.NoError(rt, err)
			}
			all = append(all, r)
		}
		f := release.Filter{Limit: rapid.IntRange(0, 4).Draw(rt, "limit")}
		if rapid.Bool().Draw(rt, "by env") {
			f.Environment = rapid.SampledFrom(envs).Draw(rt, "f env")
		}
		if rapid.Bool().Draw(rt, "by name") {
			f.Name = rapid.SampledFrom(names).Draw(rt, "f name")
		}
		if rapid.Bool().Draw(rt, "by class") {
			f.Class = rapid.SampledFrom(release.Classes()).Draw(rt, "f class")
		}
		if rapid.Bool().Draw(rt, "by state") {
			f.States = rapid.SliceOfNDistinct(rapid.SampledFrom([]release.State{release.StateDraft, release.StatePlanned, release.StateClosed}), 1, 2, func(s release.State) release.State { return s }).Draw(rt, "f states")
		}
		if rapid.Bool().Draw(rt, "by labels") {
			f.Labels = map[string]string{"team": rapid.SampledFrom(teams).Draw(rt, "f team")}
			if rapid.Bool().Draw(rt, "f tier") {
				f.Labels["tier"] = "1"
			}
		}
		if len(all) > 0 && rapid.Bool().Draw(rt, "after") {
			f.After = all[rapid.IntRange(0, len(all)-1).Draw(rt, "after index")].ID
		}

		want := []release.ID{}
		for _, r := range all {
			if f.Match(r) && (f.After.IsZero() || r.ID.Compare(f.After) > 0) && (f.Limit == 0 || len(want) < f.Limit) {
				want = append(want, r.ID)
			}
		}
		got, err := s.List(ctx, f)
		require.NoError(rt, err)
		gotIDs := []release.ID{}
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		require.Equal(rt, want, gotIDs, "List(%+v) (-want +got)", f)
	})
}

// TestPropertyBookingsMatchModel: any sequence of Book and Unbook calls on a small
// grid of environments, services and half-hour slots is accepted or refused exactly
// as a brute-force model of the Booker contract says (overlap = same environment, a
// shared service, and Start < other End && other Start < End), and Bookings returns
// the model's overlapping bookings ordered by start, then ID.
func TestPropertyBookingsMatchModel(t *testing.T) {
	t.Parallel()
	s := openStore(t, "")
	ctx := context.Background()
	base := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	var check atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		// Each check has environments of its own, so checks never see each other.
		prefix := fmt.Sprintf("c%d-", check.Add(1))
		envs := []string{prefix + "prod", prefix + "staging"}
		model := map[string]calendar.Booking{}
		overlaps := func(a, b calendar.Booking) bool {
			if a.Environment != b.Environment || !a.Start.Before(b.End) || !b.Start.Before(a.End) {
				return false
			}
			for _, x := range a.Services {
				if slices.Contains(b.Services, x) {
					return true
				}
			}
			return false
		}
		for i := range rapid.IntRange(1, 12).Draw(rt, "ops") {
			if len(model) > 0 && rapid.IntRange(0, 3).Draw(rt, "unbook?") == 0 {
				ids := make([]string, 0, len(model))
				for id := range model {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				id := rapid.SampledFrom(ids).Draw(rt, "unbook")
				require.NoError(rt, s.Unbook(ctx, id))
				delete(model, id)
				continue
			}
			start := rapid.IntRange(0, 12).Draw(rt, "start")
			b := calendar.Booking{
				ID:          fmt.Sprintf("%sb%d", prefix, i),
				Environment: rapid.SampledFrom(envs).Draw(rt, "env"),
				Services:    rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"api", "db", "web"}), 1, 3, func(s string) string { return s }).Draw(rt, "services"),
				Start:       base.Add(time.Duration(start) * 30 * time.Minute),
				End:         base.Add(time.Duration(start+rapid.IntRange(1, 4).Draw(rt, "length")) * 30 * time.Minute),
			}
			free := true
			for _, o := range model {
				if overlaps(b, o) {
					free = false
				}
			}
			err := s.Book(ctx, b)
			if free {
				require.NoError(rt, err, "Book(%+v) with no overlap in the model", b)
				model[b.ID] = b
			} else {
				require.ErrorIs(rt, err, release.ErrSlotTaken, "Book(%+v) overlaps the model", b)
			}
		}
		env := rapid.SampledFrom(envs).Draw(rt, "query env")
		from := base.Add(time.Duration(rapid.IntRange(0, 14).Draw(rt, "from")) * 30 * time.Minute)
		to := from.Add(time.Duration(rapid.IntRange(0, 6).Draw(rt, "window")) * 30 * time.Minute)
		want := []string{}
		for _, b := range model {
			if b.Environment == env && b.Start.Before(to) && b.End.After(from) {
				want = append(want, b.ID)
			}
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := model[want[i]], model[want[j]]
			if !a.Start.Equal(b.Start) {
				return a.Start.Before(b.Start)
			}
			return a.ID < b.ID
		})
		got, err := s.Bookings(ctx, env, from, to)
		require.NoError(rt, err)
		gotIDs := []string{}
		for _, b := range got {
			gotIDs = append(gotIDs, b.ID)
		}
		require.Equal(rt, want, gotIDs, "Bookings(%s, %v, %v) (-want +got)", env, from, to)
	})
}
