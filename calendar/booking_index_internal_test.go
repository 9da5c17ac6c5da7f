package calendar

// This file tests the booking index from the inside, against a model: a plain slice of
// the stored bookings sorted by (start, ID). It is the one white-box test of the
// package: the index's queries (overlapping, all, lookups by ID and slot) are internal,
// and what the public API makes of them is tested black-box beside it.

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// indexModel is the reference: every stored booking, sorted by start, then ID.
type indexModel []Booking

func (m indexModel) sorted() indexModel {
	slices.SortFunc(m, func(a, b Booking) int {
		return cmp.Or(cmp.Compare(nanos(a.Start), nanos(b.Start)), strings.Compare(a.ID, b.ID))
	})
	return m
}

// overlapping returns the IDs of the bookings of env overlapping [s, e), except skip,
// in order of start and ID.
func (m indexModel) overlapping(env string, s, e int64, skip string) []string {
	var out []string
	for _, b := range m {
		if b.Environment == env && b.ID != skip && nanos(b.Start) < e && nanos(b.End) > s {
			out = append(out, b.ID)
		}
	}
	return out
}

var (
	modelBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Lengths from a minute to the whole supported range (1900–2200, longer than an
	// int64 of nanoseconds holds), mostly one hour so that one class grows past a chunk.
	// 45 minutes, an hour and 90 minutes share a length class.
	modelLengths = []time.Duration{time.Minute, 45 * time.Minute, time.Hour, 90 * time.Minute, 5 * time.Hour, 3 * 24 * time.Hour, 300 * 24 * time.Hour}
	modelEnvs    = []string{"prod", "stage", "dev"}
)

// drawModelBooking draws a booking with the given ID, mostly in the first environment:
// starts on a 15-minute grid over about a month, or, with spread false, at one of four
// instants, so that runs of equal starts, broken by ID, cross chunk boundaries.
func drawModelBooking(t *rapid.T, id string, spread bool) Booking {
	env := modelEnvs[max(0, rapid.IntRange(-4, len(modelEnvs)-1).Draw(t, "env"))]
	var svcs []string
	for range rapid.IntRange(0, 3).Draw(t, "services") {
		svcs = append(svcs, fmt.Sprintf("s%02d", rapid.IntRange(0, 39).Draw(t, "service")))
	}
	if rapid.IntRange(0, 50).Draw(t, "whole range") == 0 {
		return Booking{ID: id, Environment: env, Services: svcs, Start: minInstant, End: maxInstant}
	}
	quarters := 4
	if spread {
		quarters = 30 * 24 * 4
	}
	start := modelBase.Add(time.Duration(rapid.IntRange(0, quarters-1).Draw(t, "quarter")) * 15 * time.Minute)
	l := time.Hour
	if rapid.IntRange(0, 4).Draw(t, "mostly one hour") == 0 {
		l = modelLengths[rapid.IntRange(0, len(modelLengths)-1).Draw(t, "length")]
	}
	return Booking{ID: id, Environment: env, Services: svcs, Start: start, End: start.Add(l)}
}

// checkIndexAgainstModel compares every query of x with the model m, and checks the
// index's own invariants.
func checkIndexAgainstModel(t *rapid.T, x *bookingIndex, m indexModel) {
	m = m.sorted()
	if x.size() != len(m) || x.ids.n != len(m) {
		t.Fatalf("index holds %d bookings (%d in the ID table), the model %d", x.size(), x.ids.n, len(m))
	}
	live := 0
	for slot, p := range x.slots {
		if p == nil {
			continue
		}
		live++
		if p.slot != uint32(slot) || x.get(p.b.ID) != p {
			t.Fatalf("slot %d holds %q (slot %d), which get does not lead to", slot, p.b.ID, p.slot)
		}
	}
	if live != len(m) || live+len(x.free) != len(x.slots) {
		t.Fatalf("%d live slots and %d free of %d, for %d bookings", live, len(x.free), len(x.slots), len(m))
	}
	// The ID table holds each booking once, under its own hash, where a probe from
	// its home cell meets no empty cell before it, and at most 4 cells in 5 filled.
	filled, cm := 0, uint32(len(x.ids.cells)-1)
	for i, c := range x.ids.cells {
		if c == 0 {
			continue
		}
		filled++
		slot, k := uint32(c)-1, uint32(c>>32)
		if int(slot) >= len(x.slots) || x.slots[slot] == nil || idKey(x.idHash(x.slots[slot].b.ID)) != k {
			t.Fatalf("ID table cell %d holds slot %d under key %x, not its booking's", i, slot, k)
		}
		for j := k & cm; j != uint32(i); j = (j + 1) & cm {
			if x.ids.cells[j] == 0 {
				t.Fatalf("ID table cell %d (home %d) lies past the empty cell %d", i, k&cm, j)
			}
		}
	}
	if filled != len(m) || 5*filled > 4*len(x.ids.cells) {
		t.Fatalf("ID table fills %d of %d cells for %d bookings", filled, len(x.ids.cells), len(m))
	}
	for _, b := range m {
		p := x.get(b.ID)
		if p == nil || p.b.ID != b.ID || p.b.Environment != b.Environment || !slices.Equal(p.b.Services, b.Services) ||
			p.s != nanos(b.Start) || p.e != nanos(b.End) || p.fp != servicesFP(b.Services) || x.slotOf(b.ID) != p.slot {
			t.Fatalf("booking %q is stored as %+v", b.ID, p)
		}
	}
	if x.slotOf("no such booking") != noSlot {
		t.Fatalf("slotOf an unknown ID is not noSlot")
	}
	for _, env := range modelEnvs {
		checkEnvInvariants(t, x, env, m)
		// all: every booking of env once.
		var want, got []string
		for _, b := range m {
			if b.Environment == env {
				want = append(want, b.ID)
			}
		}
		if ix := x.envs[env]; ix != nil {
			for _, h := range ix.all(nil) {
				if p := x.entry(h); p.s != h.s || p.e != h.e || p.fp != h.fp {
					t.Fatalf("all: hit %+v does not match its booking %+v", h, p)
				}
				got = append(got, x.entry(h).b.ID)
			}
		} else if len(want) > 0 {
			t.Fatalf("env %s has %d bookings but no index", env, len(want))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Fatalf("all(%s) (-want +got):\n-%v\n+%v", env, want, got)
		}
	}
	// overlapping, for probes of every length, anywhere in the range, skipping a
	// stored booking or none.
	for range 8 {
		env := modelEnvs[rapid.IntRange(0, len(modelEnvs)-1).Draw(t, "probe env")]
		s := modelBase.Add(time.Duration(rapid.IntRange(-4*24, 34*24).Draw(t, "probe hour")) * time.Hour)
		e := s.Add(time.Duration(rapid.IntRange(1, 24*40).Draw(t, "probe hours")) * time.Hour)
		if rapid.IntRange(0, 20).Draw(t, "probe at the range's edge") == 0 {
			s, e = minInstant, minInstant.Add(time.Hour)
		}
		skip, skipSlot := "", noSlot
		if len(m) > 0 && rapid.Bool().Draw(t, "skip one") {
			skip = m[rapid.IntRange(0, len(m)-1).Draw(t, "skipped")].ID
			skipSlot = x.slotOf(skip)
		}
		want := m.overlapping(env, nanos(s), nanos(e), skip)
		var got []string
		for _, h := range x.overlapping(nil, env, nanos(s), nanos(e), skipSlot) {
			got = append(got, x.entry(h).b.ID)
		}
		if !slices.Equal(want, got) {
			t.Fatalf("overlapping(%s, %v, %v, skip %q) (-want +got):\n-%v\n+%v", env, s, e, skip, want, got)
		}
	}
}

// checkEnvInvariants checks env's runs: classes ascending and each booking in its
// own, chunks sorted, non-empty and at most chunkMax long, tails the chunks' last
// starts, counts and longest lengths right.
func checkEnvInvariants(t *rapid.T, x *bookingIndex, env string, m indexModel) {
	ix := x.envs[env]
	if ix == nil {
		return
	}
	n := 0
	for ci, c := range ix.classes {
		if ci > 0 && ix.classes[ci-1].class >= c.class {
			t.Fatalf("%s: classes out of order: %d then %d", env, ix.classes[ci-1].class, c.class)
		}
		r := c.run
		if len(r.chunks) != len(r.tails) || r.n == 0 {
			t.Fatalf("%s class %d: %d chunks, %d tails, n %d", env, c.class, len(r.chunks), len(r.tails), r.n)
		}
		var flat []hit
		var longest uint64
		for i, ch := range r.chunks {
			if len(ch) == 0 || len(ch) > chunkMax {
				t.Fatalf("%s class %d: chunk %d holds %d entries (at most %d)", env, c.class, i, len(ch), chunkMax)
			}
			if r.tails[i] != ch[len(ch)-1].s {
				t.Fatalf("%s class %d: tail %d is %d, the chunk's last start %d", env, c.class, i, r.tails[i], ch[len(ch)-1].s)
			}
			for _, h := range ch {
				if cl := lengthClass(length(h.s, h.e)); cl != c.class {
					t.Fatalf("%s: a booking of class %d is kept in class %d", env, cl, c.class)
				}
				longest = max(longest, length(h.s, h.e))
			}
			flat = append(flat, ch...)
		}
		if !slices.IsSortedFunc(flat, x.cmpHit) {
			t.Fatalf("%s class %d: entries out of order", env, c.class)
		}
		if len(flat) != r.n || r.maxLen != longest {
			t.Fatalf("%s class %d: n %d and maxLen %d, want %d and %d", env, c.class, r.n, r.maxLen, len(flat), longest)
		}
		n += r.n
	}
	if n != ix.n {
		t.Fatalf("%s: the classes hold %d bookings, the environment counts %d", env, n, ix.n)
	}
}

// TestBookingIndexMatchesModel: whatever is inserted and removed, in whatever order,
// and whatever is done to a clone, the index answers every query as the model does.
func TestBookingIndexMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, m := newBookingIndex(), indexModel{}
		if rapid.Bool().Draw(t, "colliding hashes") {
			x.mask = 7 // IDs share 8 hashes, so lookups must tell them apart by ID
		}
		var cx *bookingIndex // a clone taken along the way, and its model
		var cm indexModel
		next := 0
		spread := rapid.Bool().Draw(t, "spread")
		ops := rapid.IntRange(1, 1000).Draw(t, "operations")
		for range ops {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op <= 6 || len(m) == 0:
				// IDs are drawn out of order, so that equal starts meet in every order.
				b := drawModelBooking(t, fmt.Sprintf("b%05d", (next*7919)%100003), spread)
				next++
				x.insert(b)
				m = append(m, b)
			case op <= 8:
				i := rapid.IntRange(0, len(m)-1).Draw(t, "remove")
				if !x.remove(m[i].ID) {
					t.Fatalf("remove(%q) found nothing", m[i].ID)
				}
				m = slices.Delete(m, i, i+1)
			default:
				if cx == nil {
					cx, cm = x.clone(), slices.Clone(m)
				}
			}
		}
		if x.remove("no such booking") {
			t.Fatalf("remove of an unknown ID reported success")
		}
		checkIndexAgainstModel(t, x, m)
		if cx != nil {
			// The clone kept what it held when it was taken, and changing it now
			// leaves the original alone.
			checkIndexAgainstModel(t, cx, cm)
			b := drawModelBooking(t, "clone-only", true)
			cx.insert(b)
			cm = append(cm, b)
			if len(cm) > 1 {
				cx.remove(cm[0].ID)
				cm = cm[1:]
			}
			checkIndexAgainstModel(t, cx, cm)
			checkIndexAgainstModel(t, x, m)
		}
	})
}

// TestLookBack: the look-back from a query's start saturates instead of wrapping.
func TestLookBack(t *testing.T) {
	for _, tc := range []struct {
		s    int64
		d    uint64
		want int64
	}{
		{100, 40, 60},
		{0, 0, 0},
		{minNanos, length(minNanos, maxNanos), math.MinInt64},
		{maxNanos, length(minNanos, maxNanos), minNanos},
		{math.MinInt64 + 5, 5, math.MinInt64},
		{math.MinInt64 + 5, 6, math.MinInt64},
		{math.MaxInt64, math.MaxUint64, math.MinInt64},
	} {
		if got := lookBack(tc.s, tc.d); got != tc.want {
			t.Errorf("lookBack(%d, %d) = %d, want %d", tc.s, tc.d, got, tc.want)
		}
	}
}

// TestMayShareNeverMissesASharedService: whenever two bookings' services have a name
// in common, their fingerprints say they may share one, from either side; and
// fingerprints tell most single services apart.
func TestMayShareNeverMissesASharedService(t *testing.T) {
	names := rapid.SampledFrom([]string{"api", "db", "web", "cache", "queue", "auth", "search", "mail", "billing", "cdn"})
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(names, 0, 5).Draw(t, "a")
		b := rapid.SliceOfN(names, 0, 5).Draw(t, "b")
		fa, fb := servicesFP(a), servicesFP(b)
		if len(shared(a, b)) > 0 && (!mayShare(fa, fb, len(a) == 1) || !mayShare(fb, fa, len(b) == 1)) {
			t.Fatalf("%v (fingerprint %032b) and %v (%032b) share a service, but mayShare says no", a, fa, b, fb)
		}
	})
	passed := 0
	for i := range 1000 {
		other := servicesFP([]string{fmt.Sprintf("svc%04d", i)})
		if n := bits.OnesCount32(other); n != 2 {
			t.Fatalf("svc%04d has a fingerprint of %d bits (%032b), want 2", i, n, other)
		}
		if mayShare(servicesFP([]string{"svc-probe"}), other, true) {
			passed++
		}
	}
	if passed > 20 {
		t.Fatalf("%d of 1,000 other single services pass mayShare against one service; want about 2", passed)
	}
}
