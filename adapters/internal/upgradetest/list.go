package upgradetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/releasekit/releasekit/release"
)

// CheckList checks that an upgraded store serves List through its indexes for the
// releases the old code wrote: each release is found by its name, by each of its
// components, by its state, by its environment and by a creation range around it,
// alone and in combination, and by nothing it does not carry. s must be the
// upgraded fixture of m, before anything else changed it.
func CheckList(t testing.TB, s release.Store, m Manifest) {
	t.Helper()
	ctx := context.Background()
	var all []release.Release
	for name, st := range m.Releases {
		r, err := s.Get(ctx, st.ID)
		if err != nil {
			t.Fatalf("Get(%s) after the upgrade: %v", name, err)
		}
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b release.Release) int { return a.ID.Compare(b.ID) })
	want := func(f release.Filter) []release.ID {
		out := []release.ID{}
		for _, r := range all {
			if f.Match(r) && r.ID.Compare(f.After) > 0 && (f.Limit == 0 || len(out) < f.Limit) {
				out = append(out, r.ID)
			}
		}
		return out
	}
	check := func(what string, f release.Filter, atLeast int) {
		t.Helper()
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatalf("List by %s after the upgrade: %v", what, err)
		}
		ids := []release.ID{}
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		w := want(f)
		if !slices.Equal(ids, w) {
			t.Errorf("List by %s (%+v) after the upgrade = %v, want %v", what, f, ids, w)
		}
		if len(w) < atLeast {
			t.Errorf("List by %s: the fixture has %d matches, the check expects at least %d", what, len(w), atLeast)
		}
	}
	for _, r := range all {
		check("name", release.Filter{Name: r.Name}, 1)
		check("state", release.Filter{States: []release.State{r.State}}, 1)
		check("name and state", release.Filter{Name: r.Name, States: []release.State{r.State}}, 1)
		check("creation range", release.Filter{CreatedFrom: r.CreatedAt, CreatedTo: r.CreatedAt.Add(time.Microsecond)}, 1)
		for _, c := range r.Components {
			check("component", release.Filter{Component: c.Name}, 1)
			check("component and environment", release.Filter{Component: c.Name, Environment: r.Environment}, 1)
		}
	}
	check("environment", release.Filter{Environment: Environment}, len(all))
	check("another environment", release.Filter{Environment: "nowhere"}, 0)
	check("a component nobody carries", release.Filter{Component: "nothing"}, 0)
	check("environment, paged", release.Filter{Environment: Environment, After: all[0].ID, Limit: 2}, 2)
}
