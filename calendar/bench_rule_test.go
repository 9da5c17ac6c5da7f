package calendar_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/releasekit/releasekit/calendar"
)

var (
	benchFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	benchTo   = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	benchSink int
)

// benchRuleSet builds n varied rules in three zones.
func benchRuleSet(n int) []calendar.Rule {
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Sydney"}
	rrules := []string{"FREQ=WEEKLY;BYDAY=TU,TH", "FREQ=DAILY", "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=20"}
	rules := make([]calendar.Rule, n)
	for i := range rules {
		h := i % 20
		rules[i] = calendar.Rule{
			Name: fmt.Sprintf("rule %d", i), Kind: calendar.Kinds()[i%2], Zone: zones[i%len(zones)],
			Start: calendar.Wall(2025, time.Month(1+i%12), 1+i%28, h, (i%4)*15, 0),
			End:   calendar.Wall(2025, time.Month(1+i%12), 1+i%28, h+3, (i%4)*15, 0),
			RRule: rrules[i%len(rrules)],
		}
	}
	return rules
}

// BenchmarkOccurrencesWeeklyYear: one weekly rule over a year (compiled form cached).
func BenchmarkOccurrencesWeeklyYear(b *testing.B) {
	r := benchRuleSet(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		occ, err := r.Occurrences(benchFrom, benchTo)
		if err != nil {
			b.Fatal(err)
		}
		benchSink += len(occ)
	}
}

// BenchmarkOccurrences1000RulesYear: 1,000 rules over a year.
func BenchmarkOccurrences1000RulesYear(b *testing.B) {
	rules := benchRuleSet(1000)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range rules {
			occ, err := r.Occurrences(benchFrom, benchTo)
			if err != nil {
				b.Fatal(err)
			}
			benchSink += len(occ)
		}
	}
}

// BenchmarkResolve: one wall-clock time near a transition.
func BenchmarkResolve(b *testing.B) {
	loc, _ := calendar.LoadZone("Europe/Berlin")
	w := calendar.Wall(2026, 3, 29, 2, 30, 0)
	for b.Loop() {
		t, _ := calendar.Resolve(w, loc)
		benchSink += t.Second()
	}
}

func BenchmarkWriteICS200Rules(b *testing.B) {
	rules := benchRuleSet(200)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := calendar.WriteRulesICS(&buf, rules, benchFrom, benchTo); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkReadICS200Rules(b *testing.B) {
	var buf bytes.Buffer
	if err := calendar.WriteRulesICS(&buf, benchRuleSet(200), benchFrom, benchTo); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rules, err := calendar.ReadICS(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		benchSink += len(rules)
	}
}
