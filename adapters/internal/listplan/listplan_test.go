package listplan_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/adapters/internal/listplan"
	"github.com/releasekit/releasekit/release"
)

func id(n byte) release.ID { var x release.ID; x[15] = n; return x }

func drawSet(t *rapid.T, label string) []release.ID {
	ns := rapid.SliceOfDistinct(rapid.IntRange(0, 40), rapid.ID[int]).Draw(t, label)
	var ids []release.ID
	for _, n := range ns {
		ids = append(ids, id(byte(n)))
	}
	return listplan.SortIDs(ids)
}

func walk(t *rapid.T, s listplan.Stream, after release.ID) []release.ID {
	var out []release.ID
	if err := listplan.Walk(s, after, func(id release.ID) (bool, error) { out = append(out, id); return true, nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJoins: the intersection and the union of sorted streams walked from any
// cursor are the sets' intersection and union above the cursor, ascending.
func TestJoins(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sets := make([][]release.ID, rapid.IntRange(1, 4).Draw(t, "streams"))
		for i := range sets {
			sets[i] = drawSet(t, "set")
		}
		after := release.ID{}
		if rapid.Bool().Draw(t, "cursor") {
			after = id(byte(rapid.IntRange(0, 40).Draw(t, "after")))
		}
		streams := func() []listplan.Stream {
			var ss []listplan.Stream
			for _, s := range sets {
				ss = append(ss, listplan.Sorted(s))
			}
			return ss
		}
		var inter, uni []release.ID
		for n := range 41 {
			x := id(byte(n))
			if !after.IsZero() && x.Compare(after) <= 0 {
				continue
			}
			all, any := true, false
			for _, s := range sets {
				has := slices.Contains(s, x)
				all, any = all && has, any || has
			}
			if all {
				inter = append(inter, x)
			}
			if any {
				uni = append(uni, x)
			}
		}
		if got := walk(t, listplan.Intersect(streams()...), after); !slices.Equal(got, inter) {
			t.Fatalf("intersection = %v, want %v", got, inter)
		}
		if got := walk(t, listplan.Union(streams()...), after); !slices.Equal(got, uni) {
			t.Fatalf("union = %v, want %v", got, uni)
		}
	})
}

// TestCursorAt: walking an intersection of cursors, every cursor stands on each ID
// the walk reaches, with the element that carries it; a cursor of a union stands on
// it only when it holds it.
func TestCursorAt(t *testing.T) {
	type elem struct {
		id  release.ID
		pos int
	}
	rapid.Check(t, func(t *rapid.T) {
		sets := make([][]elem, rapid.IntRange(1, 4).Draw(t, "streams"))
		for i := range sets {
			for j, x := range drawSet(t, "set") {
				sets[i] = append(sets[i], elem{x, 100*i + j})
			}
		}
		cursors := func() ([]*listplan.Cursor[elem], []listplan.Stream) {
			var cs []*listplan.Cursor[elem]
			var ss []listplan.Stream
			for _, s := range sets {
				c := listplan.SortedBy(s, func(e elem) release.ID { return e.id })
				cs, ss = append(cs, c), append(ss, c)
			}
			return cs, ss
		}
		at := func(cs []*listplan.Cursor[elem], x release.ID, must bool) {
			for i, c := range cs {
				e, ok := c.At(x)
				j := slices.IndexFunc(sets[i], func(e elem) bool { return e.id == x })
				switch {
				case ok && (j < 0 || e != sets[i][j]):
					t.Fatalf("cursor %d At(%v) = %v, want %v", i, x, e, sets[i])
				case !ok && must:
					t.Fatalf("cursor %d is not at %v, which the intersection reached", i, x)
				}
			}
		}
		cs, ss := cursors()
		if err := listplan.Walk(listplan.Intersect(ss...), release.ID{}, func(x release.ID) (bool, error) { at(cs, x, true); return true, nil }); err != nil {
			t.Fatal(err)
		}
		cs, ss = cursors()
		if err := listplan.Walk(listplan.Union(ss...), release.ID{}, func(x release.ID) (bool, error) { at(cs, x, false); return true, nil }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSuccOfLargest(t *testing.T) {
	var max release.ID
	for i := range max {
		max[i] = 0xff
	}
	if _, ok := listplan.Succ(max); ok {
		t.Fatal("Succ of the largest ID reported a successor")
	}
	if got, ok := listplan.Succ(id(0xff)); !ok || got[14] != 1 || got[15] != 0 {
		t.Fatalf("Succ carries wrongly: %v", got)
	}
}
