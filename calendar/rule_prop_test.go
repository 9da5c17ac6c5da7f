package calendar_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

var propZones = []string{"Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kolkata", "UTC"}

// wallExists decides by brute force whether wall w (whole minutes) names a time in loc:
// every UTC offset is a multiple of 15 minutes, so scanning the instants within 15 hours
// in 15-minute steps finds every instant whose wall clock is w.
func wallInstants(w calendar.WallTime, loc *time.Location) []time.Time {
	u := time.Date(w.Year, w.Month, w.Day, w.Hour, w.Minute, w.Second, 0, time.UTC)
	var out []time.Time
	for t := u.Add(-15 * time.Hour); !t.After(u.Add(15 * time.Hour)); t = t.Add(15 * time.Minute) {
		lt := t.In(loc)
		if lt.Year() == w.Year && lt.Month() == w.Month && lt.Day() == w.Day && lt.Hour() == w.Hour && lt.Minute() == w.Minute && lt.Second() == w.Second {
			out = append(out, t)
		}
	}
	return out
}

func drawWall(t *rapid.T, label string) calendar.WallTime {
	return drawWallIn(t, label, rapid.IntRange(2025, 2028).Draw(t, label+".year"))
}

func drawWallIn(t *rapid.T, label string, y int) calendar.WallTime {
	m := time.Month(rapid.IntRange(1, 12).Draw(t, label+".month"))
	// Bias towards transition months and the small hours.
	if rapid.Bool().Draw(t, label+".transitionMonth") {
		m = rapid.SampledFrom([]time.Month{3, 4, 10, 11}).Draw(t, label+".tmonth")
	}
	d := rapid.IntRange(1, time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()).Draw(t, label+".day")
	h := rapid.IntRange(0, 23).Draw(t, label+".hour")
	if rapid.Bool().Draw(t, label+".smallHours") {
		h = rapid.IntRange(0, 3).Draw(t, label+".shour")
	}
	mi := rapid.SampledFrom([]int{0, 15, 30, 45}).Draw(t, label+".minute")
	return calendar.Wall(y, m, d, h, mi, 0)
}

// TestPropResolve: a wall time that exists resolves to its earliest instant and formats
// back to itself; Shifted is reported exactly when it does not exist, and a shifted time
// lands just after the gap, by the gap's length.
func TestPropResolve(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		zone := rapid.SampledFrom(propZones).Draw(t, "zone")
		loc, err := calendar.LoadZone(zone)
		if err != nil {
			t.Fatal(err)
		}
		w := drawWall(t, "wall")
		got, shifted := calendar.Resolve(w, loc)
		inst := wallInstants(w, loc)
		if shifted != (len(inst) == 0) {
			t.Fatalf("%s in %s: shifted=%v but %d instants have that wall clock", w, zone, shifted, len(inst))
		}
		if !shifted {
			if !got.Equal(inst[0]) {
				t.Fatalf("%s in %s: got %s, want the first instant %s", w, zone, got.UTC(), inst[0].UTC())
			}
			if f := got.In(loc).Format("2006-01-02T15:04:05"); f != w.String() {
				t.Fatalf("%s in %s formats back as %s", w, zone, f)
			}
			return
		}
		// Offset from before the gap: the instant is u - offset(got - 1s ... before the gap).
		u := time.Date(w.Year, w.Month, w.Day, w.Hour, w.Minute, 0, 0, time.UTC)
		_, before := got.Add(-6 * time.Hour).In(loc).Zone()
		if want := u.Add(-time.Duration(before) * time.Second); !got.Equal(want) {
			t.Fatalf("%s in %s (gap): got %s, want %s (offset before the gap)", w, zone, got.UTC(), want.UTC())
		}
	})
}

func drawRule(t *rapid.T) calendar.Rule {
	zone := rapid.SampledFrom(propZones).Draw(t, "zone")
	start := drawWallIn(t, "start", 2026)
	r := calendar.Rule{Name: "prop", Kind: rapid.SampledFrom(calendar.Kinds()).Draw(t, "kind"), Zone: zone, Start: start,
		SkipNonexistent: rapid.Bool().Draw(t, "skip")}
	span := time.Duration(rapid.IntRange(1, 96*4).Draw(t, "quarters")) * 15 * time.Minute
	if rapid.Bool().Draw(t, "exact") {
		r.Duration = span
	} else {
		e := time.Date(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, 0, time.UTC).Add(span)
		r.End = calendar.Wall(e.Year(), e.Month(), e.Day(), e.Hour(), e.Minute(), 0)
	}
	r.RRule = rapid.SampledFrom([]string{
		"", "FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
		"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYMONTHDAY=1,-1", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
		"FREQ=DAILY;COUNT=40", "FREQ=HOURLY;INTERVAL=5", "FREQ=DAILY;UNTIL=20270401T000000Z",
		"FREQ=DAILY;UNTIL=20270401", "FREQ=WEEKLY;BYDAY=MO;COUNT=5", "FREQ=DAILY;BYHOUR=1,2,3;COUNT=30",
		"FREQ=HOURLY;COUNT=30", "FREQ=MINUTELY;INTERVAL=30;COUNT=50", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=0,1,2,3;COUNT=60",
	}).Draw(t, "rrule")
	if rapid.Bool().Draw(t, "exdate") {
		r.ExDates = []calendar.WallTime{r.Start}
	}
	return r
}

func drawRange(t *rapid.T) (time.Time, time.Time) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	from := base.Add(time.Duration(rapid.IntRange(0, 2*365*24).Draw(t, "fromHour")) * time.Hour)
	to := from.Add(time.Duration(rapid.IntRange(1, 60*24).Draw(t, "hours")) * time.Hour)
	return from, to
}

// TestPropOccurrences: sorted, each overlapping [from, to), equal to the overlapping part
// of a wider query (the look-back finds every occurrence that started earlier), Shifted
// exactly when the wall start or end did not exist, and unshifted occurrences format back
// to their wall-clock times.
func TestPropOccurrences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := drawRule(t)
		if err := r.Validate(); err != nil {
			t.Fatalf("generated an invalid rule: %v", err)
		}
		loc, _ := calendar.LoadZone(r.Zone)
		from, to := drawRange(t)
		got, err := r.Occurrences(from, to)
		if err != nil {
			t.Fatal(err)
		}
		if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Start.Before(got[j].Start) }) {
			t.Fatalf("not sorted: %v", got)
		}
		for _, o := range got {
			if !o.End.After(from) || !o.Start.Before(to) || !o.End.After(o.Start) {
				t.Fatalf("%v does not overlap [%s, %s) or is empty", o, from, to)
			}
			if o.Rule != r.Name || o.Kind != r.Kind {
				t.Fatalf("occurrence names rule %q kind %q", o.Rule, o.Kind)
			}
		}
		wide, err := r.Occurrences(from.AddDate(0, -3, 0), to.AddDate(0, 3, 0))
		if err != nil {
			t.Fatal(err)
		}
		var want []calendar.Occurrence
		for _, o := range wide {
			if o.End.After(from) && o.Start.Before(to) {
				want = append(want, o)
			}
		}
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Fatalf("narrow query differs from the wide one\n got %v\nwant %v", got, want)
		}
		// Shifted exactly when the wall start or end did not exist (checked on rules whose
		// wall clock is the same every day).
		if r.RRule == "FREQ=DAILY" || r.RRule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" {
			for _, o := range got {
				ws := o.Start.In(loc)
				if !o.Shifted && (ws.Hour() != r.Start.Hour || ws.Minute() != r.Start.Minute) {
					t.Fatalf("unshifted %v does not start at wall %02d:%02d", o, r.Start.Hour, r.Start.Minute)
				}
				if !o.Shifted && r.Duration == 0 {
					we := o.End.In(loc)
					if we.Hour() != r.End.Hour || we.Minute() != r.End.Minute {
						t.Fatalf("unshifted %v does not end at wall %02d:%02d", o, r.End.Hour, r.End.Minute)
					}
				}
				day := calendar.Wall(ws.Year(), ws.Month(), ws.Day(), r.Start.Hour, r.Start.Minute, 0)
				startMissing := len(wallInstants(day, loc)) == 0
				endMissing := false
				if r.Duration == 0 {
					u := time.Date(day.Year, day.Month, day.Day, day.Hour, day.Minute, 0, 0, time.UTC)
					e := u.Add(time.Date(r.End.Year, r.End.Month, r.End.Day, r.End.Hour, r.End.Minute, 0, 0, time.UTC).Sub(
						time.Date(r.Start.Year, r.Start.Month, r.Start.Day, r.Start.Hour, r.Start.Minute, 0, 0, time.UTC)))
					endMissing = len(wallInstants(calendar.Wall(e.Year(), e.Month(), e.Day(), e.Hour(), e.Minute(), 0), loc)) == 0
				}
				if o.Shifted != (startMissing || endMissing) {
					t.Fatalf("%v: Shifted=%v, but wall start missing=%v, wall end missing=%v", o, o.Shifted, startMissing, endMissing)
				}
				if startMissing && r.SkipNonexistent {
					t.Fatalf("%v: SkipNonexistent kept an occurrence whose start does not exist", o)
				}
			}
		}
	})
}

// TestPropCountSkipsNonexistent: with SkipNonexistent, a rule with COUNT=n has exactly
// the first n occurrences of the same rule without COUNT (RFC 5545 §3.3.10: a skipped
// start "MUST NOT be counted"), and none of them starts at a wall-clock time that does
// not exist (none is Shifted). Starts are drawn around the transitions of 2026, at the hours of the gaps.
func TestPropCountSkipsNonexistent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		zone := rapid.SampledFrom(append(slices.Clone(propZones), "Pacific/Apia")).Draw(t, "zone")
		month := rapid.SampledFrom([]time.Month{time.March, time.April, time.September, time.October}).Draw(t, "month")
		start := calendar.Wall(2026, month, rapid.IntRange(1, 28).Draw(t, "day"), rapid.IntRange(0, 3).Draw(t, "hour"),
			15*rapid.IntRange(0, 3).Draw(t, "quarter"), 0)
		base := rapid.SampledFrom([]string{"FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SU", "FREQ=HOURLY", "FREQ=DAILY;BYHOUR=1,2,3",
			"FREQ=MINUTELY;INTERVAL=30", "FREQ=HOURLY;INTERVAL=6"}).Draw(t, "rrule")
		if base == "FREQ=DAILY;BYHOUR=1,2,3" {
			start.Hour = rapid.IntRange(1, 3).Draw(t, "byhour start")
		}
		n := rapid.IntRange(1, 40).Draw(t, "count")
		r := calendar.Rule{Name: "count", Kind: calendar.Window, Zone: zone, Start: start, Duration: 10 * time.Minute,
			RRule: base, SkipNonexistent: true}
		counted := r
		counted.RRule = fmt.Sprintf("%s;COUNT=%d", base, n)
		from := time.Date(2026, month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -2)
		to := from.AddDate(1, 0, 0)
		all, err := r.Occurrences(from, to)
		if err != nil {
			t.Fatal(err)
		}
		got, err := counted.Occurrences(from, to)
		if err != nil {
			t.Fatal(err)
		}
		want := all[:min(n, len(all))]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("COUNT=%d gives\n%v\nwant the first %d of the endless rule\n%v", n, got, n, want)
		}
		if len(got) != n {
			t.Fatalf("COUNT=%d gives %d occurrences", n, len(got))
		}
		for _, o := range got {
			if o.Shifted {
				t.Fatalf("%v was shifted: its start does not exist, and SkipNonexistent should have dropped it", o)
			}
		}
	})
}
