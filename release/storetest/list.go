package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/release"
)

func init() {
	cases = append(cases,
		// Every filter field (component and the creation range included) and
		// combinations of them select exactly what Filter.Match selects, in
		// ascending ID order.
		testCase{"List/EveryField", testListEveryField},
		// Paging with After and Limit through filters served by one index, by the
		// intersection of several and by the union of states, gives every match
		// once, in order, whatever the page size: pages that end inside one index's
		// run and start in another's lose and repeat nothing.
		testCase{"List/Paging", testListPaging},
		// A filter with an unknown state or class, a negative limit or an inverted
		// creation range is a *release.ValidationError (ErrInvalid).
		testCase{"List/BadFilter", testListBadFilter},
		// Property: over a random, growing set of releases (names, components,
		// environments, states, labels), List with a random filter and cursor
		// returns what Filter.Match selects from every stored release, in order, and
		// paging through it with the same filter gives the same releases.
		testCase{"List/MatchesFilter", testListMatchesFilter},
	)
}

func ids(rs []release.Release) []release.ID {
	out := []release.ID{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// expectList is what List must return for f out of every stored release in all.
func expectList(all []release.Release, f release.Filter) []release.ID {
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b release.Release) int { return a.ID.Compare(b.ID) })
	out := []release.ID{}
	for _, r := range sorted {
		if !f.Match(r) || !f.After.IsZero() && r.ID.Compare(f.After) <= 0 {
			continue
		}
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		out = append(out, r.ID)
	}
	return out
}

// listAll pages through f with After and f.Limit (one call when f.Limit is 0).
func listAll(ctx context.Context, s release.Store, f release.Filter) ([]release.ID, error) {
	var out []release.ID
	for range 10_000 {
		page, err := s.List(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ids(page)...)
		if f.Limit == 0 || len(page) < f.Limit {
			return out, nil
		}
		f.After = page[len(page)-1].ID
	}
	return nil, errors.New("paging did not end after 10,000 pages")
}

func testListEveryField(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	mk := func(name, env string, comps ...string) release.Release {
		sp := spec(name, env)
		sp.Needs, sp.Components = nil, nil
		for _, c := range comps {
			sp.Components = append(sp.Components, release.Component{Name: c, Version: "1.0.0"})
		}
		return mustCreate(t, e, sp)
	}
	a := mk("checkout", "prod", "checkout-api", "ledger-db")
	b := mk("checkout", "staging", "checkout-api")
	c := mk("payments", "prod", "payments-api", "ledger-db")
	d := mk("ledger", "prod")
	mustFire(t, e, a.ID, release.EventPlan)
	mustFire(t, e, c.ID, release.EventCancel)
	all := []release.Release{a, b, c, d}
	for i, r := range all {
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		all[i] = got
	}
	just := func(rs ...release.Release) []release.ID { return ids(rs) }
	for _, tc := range []struct {
		why  string
		f    release.Filter
		want []release.ID
	}{
		{"component", release.Filter{Component: "ledger-db"}, just(a, c)},
		{"component carried alone", release.Filter{Component: "payments-api"}, just(c)},
		{"component nobody carries", release.Filter{Component: "nothing"}, just()},
		{"a release name is not a component", release.Filter{Component: "checkout"}, just()},
		{"component and environment", release.Filter{Component: "checkout-api", Environment: "staging"}, just(b)},
		{"component and state", release.Filter{Component: "ledger-db", States: []release.State{release.StateCancelled}}, just(c)},
		{"name and state", release.Filter{Name: "checkout", States: []release.State{release.StateDraft}}, just(b)},
		{"name, component, environment and states", release.Filter{Name: "checkout", Component: "checkout-api", Environment: "prod",
			States: []release.State{release.StatePlanned, release.StateDraft}}, just(a)},
		{"environment and states, a repeated state", release.Filter{Environment: "prod",
			States: []release.State{release.StateDraft, release.StateCancelled, release.StateDraft}}, just(c, d)},
		{"created from the second release on", release.Filter{CreatedFrom: b.CreatedAt}, just(b, c, d)},
		{"created before the third release", release.Filter{CreatedTo: c.CreatedAt}, just(a, b)},
		{"created in [second, fourth)", release.Filter{CreatedFrom: b.CreatedAt, CreatedTo: d.CreatedAt}, just(b, c)},
		{"an empty creation range", release.Filter{CreatedFrom: b.CreatedAt, CreatedTo: b.CreatedAt}, just()},
		{"a range one microsecond wide holds its release", release.Filter{CreatedFrom: c.CreatedAt, CreatedTo: c.CreatedAt.Add(time.Microsecond)}, just(c)},
		{"creation range and name", release.Filter{Name: "checkout", CreatedFrom: b.CreatedAt}, just(b)},
		{"creation range and component", release.Filter{Component: "ledger-db", CreatedTo: b.CreatedAt}, just(a)},
		{"creation range and cursor", release.Filter{CreatedFrom: a.CreatedAt, After: b.ID, Limit: 1}, just(c)},
		{"component with cursor and limit", release.Filter{Component: "ledger-db", After: a.ID, Limit: 1}, just(c)},
	} {
		got, err := s.List(ctx, tc.f)
		if err != nil {
			t.Errorf("%s: List(%+v): %v", tc.why, tc.f, err)
			continue
		}
		if want := expectList(all, tc.f); !slices.Equal(want, tc.want) {
			t.Fatalf("%s: the case is wrong: Filter.Match selects %v, the case wants %v", tc.why, want, tc.want)
		}
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("%s: List = %v, want %v", tc.why, ids(got), tc.want)
		}
	}
}

func testListPaging(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	var all []release.Release
	for i := range 48 {
		sp := spec(fmt.Sprintf("svc-%d", i%3), []string{"dev", "prod"}[i%2])
		sp.Needs, sp.Components = nil, nil
		for j, c := range []string{"api", "db", "queue", "cache"} {
			if i%(j+2) == 0 {
				sp.Components = append(sp.Components, release.Component{Name: c, Version: "1.0.0"})
			}
		}
		r := mustCreate(t, e, sp)
		switch i % 5 {
		case 1:
			r = mustFire(t, e, r.ID, release.EventPlan)
		case 2, 3:
			r = mustFire(t, e, r.ID, release.EventCancel)
		}
		all = append(all, r)
	}
	for i, r := range all {
		got, err := s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		all[i] = got
	}
	filters := []release.Filter{
		{},
		{Name: "svc-1"},
		{Component: "db"},
		{Component: "db", Environment: "prod"},
		{Name: "svc-0", Component: "api", States: []release.State{release.StateDraft, release.StateCancelled}},
		{States: []release.State{release.StateCancelled, release.StatePlanned}},
		{Environment: "dev", States: []release.State{release.StateCancelled}},
		{CreatedFrom: all[10].CreatedAt, CreatedTo: all[40].CreatedAt},
		{Component: "cache", CreatedFrom: all[5].CreatedAt},
	}
	for _, f := range filters {
		want := expectList(all, f)
		if len(want) == 0 {
			t.Fatalf("filter %+v matches nothing; the case needs matches", f)
		}
		for _, limit := range []int{1, 2, 3, 7, len(want), len(want) + 1} {
			f.Limit = limit
			got, err := listAll(ctx, s, f)
			if err != nil {
				t.Fatalf("paging %+v: %v", f, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages of %d through %+v = %v, want %v", limit, f, got, want)
			}
		}
	}
}

func testListBadFilter(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	r := mustCreate(t, e, spec("checkout", "prod"))
	for _, tc := range []struct {
		why  string
		f    release.Filter
		says string
	}{
		{"unknown state", release.Filter{States: []release.State{release.StateDraft, "drafted"}}, `state "drafted"`},
		{"unknown class", release.Filter{Class: "urgent"}, `class "urgent"`},
		{"negative limit", release.Filter{Limit: -1}, "limit -1"},
		{"inverted creation range", release.Filter{CreatedFrom: r.CreatedAt, CreatedTo: r.CreatedAt.Add(-time.Second)}, "inverted"},
	} {
		for who, list := range map[string]func(context.Context, release.Filter) ([]release.Release, error){"store": s.List, "engine": e.List} {
			got, err := list(ctx, tc.f)
			var ve *release.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, release.ErrInvalid) {
				t.Errorf("%s: %s List(%+v) = %d releases, %v; want a *ValidationError", tc.why, who, tc.f, len(got), err)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, tc.says) {
				t.Errorf("%s: %s List error %q does not name %q", tc.why, who, msg, tc.says)
			}
		}
	}
}

func testListMatchesFilter(t *testing.T, s release.Store) {
	ctx := context.Background()
	e := newEngine(t, s)
	names := []string{"checkout", "payments", "ledger"}
	envs := []string{"dev", "prod"}
	comps := []string{"api", "db", "queue"}
	var stored []release.ID
	rapid.Check(t, func(rt *rapid.T) {
		for range rapid.IntRange(0, 3).Draw(rt, "new releases") {
			sp := spec(rapid.SampledFrom(names).Draw(rt, "name"), rapid.SampledFrom(envs).Draw(rt, "environment"))
			sp.Needs, sp.Components = nil, nil
			sp.Version = rapid.SampledFrom([]string{"1.0.0", "2.0.0"}).Draw(rt, "version")
			sp.Labels = map[string]string{"team": rapid.SampledFrom([]string{"core", "edge"}).Draw(rt, "team")}
			for _, c := range rapid.SliceOfDistinct(rapid.SampledFrom(comps), rapid.ID[string]).Draw(rt, "components") {
				sp.Components = append(sp.Components, release.Component{Name: c, Version: "1.0.0"})
			}
			r, err := e.Create(ctx, sp)
			if err != nil {
				rt.Fatal(err)
			}
			switch rapid.IntRange(0, 3).Draw(rt, "path") {
			case 1:
				_, err = e.Fire(ctx, r.ID, release.EventPlan, bob)
			case 2:
				_, err = e.Fire(ctx, r.ID, release.EventCancel, bob)
			case 3:
				if _, err = e.Fire(ctx, r.ID, release.EventPlan, bob); err == nil {
					_, err = e.Fire(ctx, r.ID, release.EventCancel, bob)
				}
			}
			if err != nil {
				rt.Fatal(err)
			}
			stored = append(stored, r.ID)
		}
		all := make([]release.Release, 0, len(stored))
		for _, id := range stored {
			r, err := s.Get(ctx, id)
			if err != nil {
				rt.Fatal(err)
			}
			all = append(all, r)
		}
		maybe := func(label string, from []string) string {
			return rapid.SampledFrom(append([]string{"", "none"}, from...)).Draw(rt, label)
		}
		f := release.Filter{
			Name: maybe("filter name", names), Component: maybe("filter component", comps),
			Environment: maybe("filter environment", envs), Version: maybe("filter version", []string{"1.0.0"}),
			States: rapid.SliceOfN(rapid.SampledFrom([]release.State{release.StateDraft, release.StatePlanned, release.StateCancelled, release.StateApproved}), 0, 3).Draw(rt, "filter states"),
			Limit:  rapid.IntRange(0, 4).Draw(rt, "limit"),
		}
		if rapid.Bool().Draw(rt, "label filter") {
			f.Labels = map[string]string{"team": "core"}
		}
		if len(all) > 0 {
			at := func(label string) time.Time {
				r := all[rapid.IntRange(0, len(all)-1).Draw(rt, label)]
				return r.CreatedAt.Add(time.Duration(rapid.IntRange(-1, 1).Draw(rt, label+" offset")) * time.Microsecond)
			}
			if rapid.Bool().Draw(rt, "created from") {
				f.CreatedFrom = at("from")
			}
			if rapid.Bool().Draw(rt, "created to") {
				f.CreatedTo = at("to")
				if f.CreatedTo.Before(f.CreatedFrom) {
					f.CreatedFrom, f.CreatedTo = f.CreatedTo, f.CreatedFrom
				}
			}
			if rapid.Bool().Draw(rt, "cursor") {
				f.After = all[rapid.IntRange(0, len(all)-1).Draw(rt, "after")].ID
			}
		}
		got, err := s.List(ctx, f)
		if err != nil {
			rt.Fatalf("List(%+v): %v", f, err)
		}
		if want := expectList(all, f); !slices.Equal(ids(got), want) {
			rt.Fatalf("List(%+v) = %v, want %v (Filter.Match over %d stored releases)", f, ids(got), want, len(all))
		}
		if f.Limit > 0 {
			paged, err := listAll(ctx, s, f)
			if err != nil {
				rt.Fatal(err)
			}
			whole := f
			whole.Limit = 0
			if want := expectList(all, whole); !slices.Equal(paged, want) {
				rt.Fatalf("pages of %d through %+v = %v, want %v", f.Limit, f, paged, want)
			}
		}
	})
}
