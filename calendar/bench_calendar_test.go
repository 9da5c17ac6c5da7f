package calendar_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

var benchStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// benchRules returns n rules: a tenth weekday windows, the rest freezes and
// lockdowns scoped to one of 50 environments, spread over 2026, in four zones.
func benchRules(n int) []calendar.Rule {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney"}
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]calendar.Rule, n)
	for i := range out {
		env := fmt.Sprintf("env%02d", i%50)
		day := benchStart.AddDate(0, 0, rng.IntN(360))
		r := calendar.Rule{Name: fmt.Sprintf("rule%04d", i), Zone: zones[(i%50)%len(zones)], Scope: calendar.Scope{Environments: []string{env}}}
		switch {
		case i%10 == 0:
			r.Kind = calendar.Window
			r.Start = calendar.Wall(2026, 1, 5, 6, 0, 0)
			r.End = calendar.Wall(2026, 1, 5, 22, 0, 0)
			r.RRule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
		case i%10 == 1:
			r.Kind = calendar.Lockdown
			r.Start = calendar.Wall(day.Year(), day.Month(), day.Day(), 12, 0, 0)
			r.End = calendar.Wall(day.Year(), day.Month(), day.Day(), 14, 0, 0)
		case i%10 == 2:
			r.Kind = calendar.Freeze
			r.Start = calendar.Wall(2026, 1, 5, 17, 0, 0)
			r.End = calendar.Wall(2026, 1, 5, 18, 0, 0)
			r.RRule = "FREQ=WEEKLY;BYDAY=FR"
			r.Scope.Services = []string{fmt.Sprintf("svc%03d", i%200)}
		default:
			r.Kind = calendar.Freeze
			r.Start = calendar.Wall(day.Year(), day.Month(), day.Day(), 8, 0, 0)
			end := day.AddDate(0, 0, rng.IntN(2))
			r.End = calendar.Wall(end.Year(), end.Month(), end.Day(), 20, 0, 0)
			r.AllowClasses = []calendar.Class{calendar.ClassEmergency}
		}
		out[i] = r
	}
	return out
}

// benchBookings returns n bookings over 2026 in 50 environments, 15 minutes to 2
// hours long, one or two of 200 services each; they are not checked against rules.
func benchBookings(n int, seed uint64) []calendar.Booking {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]calendar.Booking, n)
	span := int64(365 * 24 * time.Hour / time.Minute)
	for i := range out {
		start := benchStart.Add(time.Duration(rng.Int64N(span)) * time.Minute)
		svcs := []string{fmt.Sprintf("svc%03d", rng.IntN(200))}
		if rng.IntN(2) == 0 {
			svcs = append(svcs, fmt.Sprintf("svc%03d", rng.IntN(200)))
		}
		out[i] = calendar.Booking{ID: fmt.Sprintf("b%06d", i), Environment: fmt.Sprintf("env%02d", rng.IntN(50)), Services: svcs,
			Start: start, End: start.Add(time.Duration(15+rng.IntN(105)) * time.Minute)}
	}
	return out
}

// BenchmarkCheck: Check against 200 rules and 1,000 / 10,000 / 100,000 bookings.
// The cost should grow with log(bookings), not linearly.
func BenchmarkCheck(b *testing.B) {
	rules := benchRules(200)
	for _, n := range []int{1_000, 10_000, 100_000} {
		withRules, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute), calendar.WithDefaultCapacity(5))
		if err != nil {
			b.Fatal(err)
		}
		bs := benchBookings(n, 3)
		slices.SortFunc(bs, func(x, y calendar.Booking) int { return x.Start.Compare(y.Start) })
		for _, bk := range bs {
			_ = withRules.Book(bk) // keep what the rules admit
		}
		probes := benchBookings(1024, 99)
		for i := range probes {
			probes[i].ID = "probe"
		}
		for _, p := range probes {
			withRules.Check(p) // warm the rule expansions
		}
		b.Run(fmt.Sprintf("rules=200/bookings=%d", withRules.Len()), func(b *testing.B) {
			i := 0
			for b.Loop() {
				withRules.Check(probes[i%len(probes)])
				i++
			}
		})
	}
}

type bareItem struct {
	key  uint64
	s, e int64
	i    int32
}

// bareSweep is the reference: intern (environment, service) as an integer key, sort
// (key, start) and sweep, counting overlapping pairs; no validation, no
// deduplication, no reasons. AllConflicts does the same plus those.
func bareSweep(bs []calendar.Booking) int {
	envs, svcs := map[string]uint64{}, map[string]uint64{}
	id := func(m map[string]uint64, k string) uint64 {
		v, ok := m[k]
		if !ok {
			v = uint64(len(m))
			m[k] = v
		}
		return v
	}
	items := make([]bareItem, 0, 2*len(bs))
	for i, b := range bs {
		env := id(envs, b.Environment) << 32
		for _, s := range b.Services {
			items = append(items, bareItem{env | id(svcs, s), b.Start.UnixNano(), b.End.UnixNano(), int32(i)})
		}
	}
	slices.SortFunc(items, func(x, y bareItem) int { return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.s, y.s)) })
	pairs := 0
	var active []bareItem
	for k, it := range items {
		if k == 0 || it.key != items[k-1].key {
			active = active[:0]
		}
		j := 0
		for _, a := range active {
			if a.e > it.s {
				active[j] = a
				j++
				pairs++
			}
		}
		active = append(active[:j], it)
	}
	return pairs
}

func pairwise(bs []calendar.Booking) int {
	pairs := 0
	for i := range bs {
		for j := i + 1; j < len(bs); j++ {
			x, y := &bs[i], &bs[j]
			if x.Environment != y.Environment || !x.Start.Before(y.End) || !y.Start.Before(x.End) {
				continue
			}
			if slices.ContainsFunc(x.Services, func(s string) bool { return slices.Contains(y.Services, s) }) {
				pairs++
			}
		}
	}
	return pairs
}

// BenchmarkAllConflicts compares AllConflicts with a bare sort-and-sweep (target:
// within 1.5x at 100,000) and with pairwise comparison (target: 100x slower at 10,000).
func BenchmarkAllConflicts(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		bs := benchBookings(n, 5)
		b.Run(fmt.Sprintf("AllConflicts/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				calendar.AllConflicts(bs)
			}
			b.ReportMetric(float64(len(calendar.AllConflicts(bs))), "conflicts")
		})
		b.Run(fmt.Sprintf("BareSweep/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				bareSweep(bs)
			}
		})
		if n <= 10_000 {
			b.Run(fmt.Sprintf("Pairwise/n=%d", n), func(b *testing.B) {
				for b.Loop() {
					pairwise(bs)
				}
			})
		}
	}
}

// BenchmarkNextSlot: a one-year horizon with 1,000 rules (100 weekday windows, the
// rest freezes and lockdowns over 50 environments). "cold" builds a fresh calendar
// each time, so every rule expansion is computed; "warm" reuses one.
func BenchmarkNextSlot(b *testing.B) {
	rules := benchRules(1000)
	// env10 has twenty identical weekday windows, 06:00-22:00 America/New_York.
	req := calendar.Request{ID: "r", Environment: "env10", Services: []string{"svc007"}, Duration: 90 * time.Minute,
		NotBefore: benchStart, NotAfter: benchStart.AddDate(1, 0, 0)}
	// A 17-hour change never fits a 16-hour window, so the search jumps from window to
	// window through the whole year and fails: the worst case.
	long := req
	long.Duration = 17 * time.Hour
	for _, tc := range []struct {
		name string
		r    calendar.Request
	}{{"found", req}, {"horizon-exhausted", long}} {
		b.Run("rules=1000/"+tc.name+"/warm", func(b *testing.B) {
			cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_, _ = cal.NextSlot(tc.r)
			}
		})
		b.Run("rules=1000/"+tc.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = cal.NextSlot(tc.r)
			}
		})
	}
}

// BenchmarkSchedule: 5,000 requests (and 500, 50,000... only 500 and 5,000 here)
// across 50 environments with capacity 3, 1,000 rules, chains of dependencies.
func BenchmarkSchedule(b *testing.B) {
	rules := benchRules(1000)
	for _, n := range []int{500, 5_000} {
		cal, err := calendar.NewWithOptions(rules, calendar.WithAlignment(15*time.Minute), calendar.WithDefaultCapacity(3))
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(11, 13))
		reqs := make([]calendar.Request, n)
		for i := range reqs {
			reqs[i] = calendar.Request{ID: fmt.Sprintf("r%05d", i), Environment: fmt.Sprintf("env%02d", i%50),
				Services: []string{fmt.Sprintf("svc%03d", rng.IntN(200))}, Duration: time.Duration(30+rng.IntN(90)) * time.Minute,
				NotBefore: benchStart.Add(time.Duration(rng.IntN(30*24)) * time.Hour)}
			if i >= 50 && rng.IntN(3) == 0 {
				reqs[i].DependsOn = []string{fmt.Sprintf("r%05d", i-50)}
			}
		}
		b.Run(fmt.Sprintf("requests=%d/environments=50", n), func(b *testing.B) {
			var plan *calendar.Plan
			for b.Loop() {
				plan, err = cal.Schedule(reqs, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(plan.Bookings)), "placed")
		})
	}
}

// BenchmarkAllConflictsRatio times AllConflicts and its reference alternately in the
// same loop, so that load on a shared machine hits both alike, and reports the ratio:
// vs-bare (target <= 1.5 at 100,000) and pairwise-speedup (target >= 100 at 10,000).
func BenchmarkAllConflictsRatio(b *testing.B) {
	b.Run("vs-bare/n=100000", func(b *testing.B) {
		bs := benchBookings(100_000, 5)
		var mine, bare time.Duration
		for b.Loop() {
			t0 := time.Now()
			calendar.AllConflicts(bs)
			t1 := time.Now()
			bareSweep(bs)
			mine, bare = mine+t1.Sub(t0), bare+time.Since(t1)
		}
		b.ReportMetric(float64(mine)/float64(bare), "x-bare")
	})
	b.Run("vs-pairwise/n=10000", func(b *testing.B) {
		bs := benchBookings(10_000, 5)
		var mine, pair time.Duration
		for b.Loop() {
			t0 := time.Now()
			for range 10 {
				calendar.AllConflicts(bs)
			}
			t1 := time.Now()
			pairwise(bs)
			mine, pair = mine+t1.Sub(t0)/10, pair+time.Since(t1)
		}
		b.ReportMetric(float64(pair)/float64(mine), "pairwise-speedup")
	})
}
