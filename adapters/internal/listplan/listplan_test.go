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
