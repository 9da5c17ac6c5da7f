package calendar_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

// TestBookingIndexAgreesWithAScan: however bookings are booked (random order, lengths
// from a minute to 300 days, some cancelled again), Check finds exactly the bookings a
// scan of all of them finds overlapping the probe, and Bookings lists every one in
// order. Hundreds of bookings of one length make the index split its runs.
func TestBookingIndexAgreesWithAScan(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 1300).Draw(t, "bookings")
		lengths := []time.Duration{time.Minute, 45 * time.Minute, time.Hour, 5 * time.Hour, 3 * 24 * time.Hour, 300 * 24 * time.Hour}
		cal, err := calendar.New()
		if err != nil {
			t.Fatal(err)
		}
		var all []calendar.Booking
		services := make([]string, n)
		for i := range n {
			services[i] = fmt.Sprintf("s%04d", i)
			start := base.Add(time.Duration(rapid.IntRange(0, 365*24*4).Draw(t, "quarter")) * 15 * time.Minute)
			l := lengths[rapid.IntRange(0, len(lengths)-1).Draw(t, "length")]
			if rapid.IntRange(0, 9).Draw(t, "mostly one hour") > 0 {
				l = time.Hour
			}
			b := calendar.Booking{ID: fmt.Sprintf("b%04d", i), Environment: "prod", Services: services[i : i+1], Start: start, End: start.Add(l)}
			if err := cal.Book(b); err != nil {
				t.Fatalf("Book: %v", err)
			}
			all = append(all, b)
		}
		for range rapid.IntRange(0, n/2).Draw(t, "cancels") {
			i := rapid.IntRange(0, len(all)-1).Draw(t, "cancel")
			if err := cal.Cancel(all[i].ID); err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			all = slices.Delete(all, i, i+1)
		}
		if got := cal.Len(); got != len(all) {
			t.Fatalf("Len %d, want %d", got, len(all))
		}
		for range 5 {
			ps := base.Add(time.Duration(rapid.IntRange(-24, 366*24).Draw(t, "probe hour")) * time.Hour)
			probe := calendar.Booking{ID: "probe", Environment: "prod", Services: services, Start: ps,
				End: ps.Add(time.Duration(rapid.IntRange(1, 24*10).Draw(t, "probe hours")) * time.Hour)}
			var want, got []string
			for _, b := range all {
				if b.Start.Before(probe.End) && b.End.After(probe.Start) {
					want = append(want, b.ID)
				}
			}
			for _, c := range cal.Check(probe) {
				if c.Kind == calendar.ConflictOverlap {
					got = append(got, c.With...)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Fatalf("probe %v–%v: Check finds %v, a scan %v", probe.Start, probe.End, got, want)
			}
		}
	})
}

// TestCrowdedCalendarMatchesModel: a calendar holding hundreds of bookings restored in
// random order, overlaps and all (Restore admits them), with services drawn from 40
// names (so that services fingerprints collide), some cancelled again, answers Check,
// NextSlot and Conflicts as brute force over the list of bookings does: every overlap
// on a shared service, capacity conflicts covering exactly the times the environment
// is full and naming exactly the bookings running then, the earliest free start.
func TestCrowdedCalendarMatchesModel(t *testing.T) {
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	const q = 15 * time.Minute
	rapid.Check(t, func(t *rapid.T) {
		capacity := rapid.IntRange(0, 4).Draw(t, "capacity")
		cal, err := calendar.NewWithOptions(nil, calendar.WithDefaultCapacity(capacity), calendar.WithAlignment(q))
		if err != nil {
			t.Fatal(err)
		}
		service := func() string { return fmt.Sprintf("svc%02d", rapid.IntRange(0, 39).Draw(t, "service")) }
		booking := func(id string) calendar.Booking {
			start := base.Add(time.Duration(rapid.IntRange(0, 14*24*4).Draw(t, "quarter")) * q)
			var svcs []string
			for range rapid.IntRange(0, 2).Draw(t, "services") {
				svcs = append(svcs, service())
			}
			return calendar.Booking{ID: id, Environment: []string{"prod", "prod", "stage"}[rapid.IntRange(0, 2).Draw(t, "env")],
				Services: svcs, Start: start, End: start.Add(time.Duration(rapid.IntRange(1, 16).Draw(t, "quarters")) * q)}
		}
		n := rapid.IntRange(1, 400).Draw(t, "bookings")
		all := make([]calendar.Booking, n)
		for i := range all {
			all[i] = booking(fmt.Sprintf("b%03d", (i*37)%401))
		}
		if err := cal.Restore(all...); err != nil {
			t.Fatal(err)
		}
		for range rapid.IntRange(0, n/3).Draw(t, "cancels") {
			i := rapid.IntRange(0, len(all)-1).Draw(t, "cancel")
			if err := cal.Cancel(all[i].ID); err != nil {
				t.Fatal(err)
			}
			all = slices.Delete(all, i, i+1)
		}
		running := func(o calendar.Booking, from, s, e time.Time) bool { // o runs in [s, e), counted from from
			return maxT(o.Start, from).Before(e) && o.End.After(s)
		}
		// others returns the bookings that count against probe.
		others := func(probe calendar.Booking) []calendar.Booking {
			var out []calendar.Booking
			for _, o := range all {
				if o.ID != probe.ID && o.Environment == probe.Environment && running(o, o.Start, probe.Start, probe.End) {
					out = append(out, o)
				}
			}
			return out
		}
		for range 6 {
			probe := booking("probe")
			if len(all) > 0 && rapid.Bool().Draw(t, "probe replaces a booking") {
				probe.ID = all[rapid.IntRange(0, len(all)-1).Draw(t, "replaced")].ID
			}
			os := others(probe)
			var wantOverlaps, gotOverlaps []string
			for _, o := range os {
				if svc := sharedServices(probe.Services, o.Services); len(svc) > 0 {
					wantOverlaps = append(wantOverlaps, o.ID+":"+strings.Join(svc, ","))
				}
			}
			full := map[time.Time]bool{} // the quarters of the probe in which capacity bookings run
			if capacity > 0 {
				for s := probe.Start; s.Before(probe.End); s = s.Add(q) {
					k := 0
					for _, o := range os {
						if running(o, probe.Start, s, s.Add(q)) {
							k++
						}
					}
					full[s] = k >= capacity
				}
			}
			covered := map[time.Time]bool{}
			for _, c := range cal.Check(probe) {
				switch c.Kind {
				case calendar.ConflictOverlap:
					gotOverlaps = append(gotOverlaps, c.With[0]+":"+strings.Join(c.Services, ","))
				case calendar.ConflictCapacity:
					var want []string
					for _, o := range os {
						if running(o, probe.Start, c.Start, c.End) {
							want = append(want, o.ID)
						}
					}
					slices.Sort(want)
					if !slices.Equal(want, c.With) {
						t.Fatalf("capacity conflict %v–%v names %v, but %v run then", c.Start, c.End, c.With, want)
					}
					for s := c.Start; s.Before(c.End); s = s.Add(q) {
						if !full[s] || covered[s] {
							t.Fatalf("capacity conflict %v–%v covers %v, which is not full or covered twice", c.Start, c.End, s)
						}
						covered[s] = true
					}
				default:
					t.Fatalf("unexpected conflict %v", c)
				}
			}
			for s, f := range full {
				if f && !covered[s] {
					t.Fatalf("the environment is full at %v, but no capacity conflict says so", s)
				}
			}
			slices.Sort(wantOverlaps)
			slices.Sort(gotOverlaps)
			if !slices.Equal(wantOverlaps, gotOverlaps) {
				t.Fatalf("overlaps of %v–%v (-want +got):\n-%v\n+%v", probe.Start, probe.End, wantOverlaps, gotOverlaps)
			}
		}
		// NextSlot: the earliest quarter from which the request's length is free.
		r := calendar.Request{ID: "request", Environment: "prod", Services: []string{service()},
			Duration:  time.Duration(rapid.IntRange(1, 8).Draw(t, "request quarters")) * q,
			NotBefore: base.Add(time.Duration(rapid.IntRange(0, 14*24*4).Draw(t, "request from")) * q)}
		r.NotAfter = r.NotBefore.Add(3 * 24 * time.Hour)
		var want time.Time
		for s := r.NotBefore; !s.After(r.NotAfter); s = s.Add(q) {
			probe := calendar.Booking{ID: r.ID, Environment: r.Environment, Services: r.Services, Start: s, End: s.Add(r.Duration)}
			os, ok := others(probe), true
			for _, o := range os {
				ok = ok && len(sharedServices(probe.Services, o.Services)) == 0
			}
			for c := s; ok && capacity > 0 && c.Before(probe.End); c = c.Add(q) {
				k := 0
				for _, o := range os {
					if running(o, o.Start, c, c.Add(q)) {
						k++
					}
				}
				ok = k < capacity
			}
			if ok {
				want = s
				break
			}
		}
		got, err := cal.NextSlot(r)
		switch {
		case want.IsZero() && err == nil:
			t.Fatalf("NextSlot found %v, brute force no free start", got.Start)
		case !want.IsZero() && (err != nil || !got.Start.Equal(want)):
			t.Fatalf("NextSlot found %v (err %v), brute force %v", got.Start, err, want)
		}
		// Conflicts: every pair overlapping on a shared service, once.
		var wantPairs, gotPairs []string
		for i, x := range all {
			for _, y := range all[i+1:] {
				if x.Environment == y.Environment && running(x, x.Start, y.Start, y.End) && len(sharedServices(x.Services, y.Services)) > 0 {
					a, b := min(x.ID, y.ID), max(x.ID, y.ID)
					wantPairs = append(wantPairs, a+"-"+b)
				}
			}
		}
		for _, c := range cal.Conflicts() {
			a, b := min(c.Booking, c.With[0]), max(c.Booking, c.With[0])
			gotPairs = append(gotPairs, a+"-"+b)
		}
		slices.Sort(wantPairs)
		slices.Sort(gotPairs)
		if !slices.Equal(wantPairs, gotPairs) {
			t.Fatalf("Conflicts (-want +got):\n-%v\n+%v", wantPairs, gotPairs)
		}
	})
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sharedServices returns the services in both a and b, sorted, each once.
func sharedServices(a, b []string) []string {
	inB, both := map[string]bool{}, map[string]bool{}
	for _, s := range b {
		inB[s] = true
	}
	for _, s := range a {
		both[s] = inB[s] || both[s]
	}
	var out []string
	for s, ok := range both {
		if ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// A booking from 1900 to 2200, longer than an int64 of nanoseconds holds, still blocks
// every booking of its service in its environment (it used to be missed: its length
// wrapped negative).
func TestBookingOverTheWholeRangeBlocks(t *testing.T) {
	cal, err := calendar.New()
	if err != nil {
		t.Fatal(err)
	}
	long := calendar.Booking{ID: "long", Environment: "prod", Services: []string{"db"},
		Start: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := cal.Book(long); err != nil {
		t.Fatal(err)
	}
	for _, s := range []time.Time{long.Start, time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), long.End.Add(-time.Hour)} {
		b := calendar.Booking{ID: "b", Environment: "prod", Services: []string{"db"}, Start: s, End: s.Add(time.Hour)}
		cs := cal.Check(b)
		if len(cs) != 1 || cs[0].Kind != calendar.ConflictOverlap || cs[0].With[0] != "long" {
			t.Errorf("Check of %v–%v: %v, want one overlap with %q", b.Start, b.End, cs, "long")
		}
	}
}
