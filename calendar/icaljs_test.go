package calendar_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/releasekit/releasekit/calendar"
)

// issueCases are the rules of issue 14 and their neighbours, each in both DST modes:
// COUNT over a gap, hourly and minutely rules across one, BYHOUR=1,2,3, an EXDATE on
// the gap instance, Lord Howe's 30-minute gap, Samoa's lost day, a start that is not
// on its rule, a start inside a gap, single-instance rules and UNTIL as a date.
func issueCases() []calendar.Rule {
	type c struct {
		zone  string
		start calendar.WallTime
		rrule string
		ex    []calendar.WallTime
	}
	cases := []c{
		{"America/New_York", calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", nil},
		{"Europe/Berlin", calendar.Wall(2026, 3, 28, 2, 30, 0), "FREQ=DAILY;COUNT=4", nil},
		{"Australia/Sydney", calendar.Wall(2026, 9, 27, 2, 30, 0), "FREQ=WEEKLY;BYDAY=SU;COUNT=3", nil},
		{"Australia/Lord_Howe", calendar.Wall(2026, 10, 3, 2, 15, 0), "FREQ=DAILY;COUNT=3", nil},
		{"America/New_York", calendar.Wall(2026, 3, 7, 23, 0, 0), "FREQ=HOURLY;COUNT=6", nil},
		{"America/New_York", calendar.Wall(2026, 3, 8, 0, 0, 0), "FREQ=HOURLY;COUNT=5", nil},
		{"America/New_York", calendar.Wall(2026, 3, 7, 1, 0, 0), "FREQ=DAILY;BYHOUR=1,2,3;COUNT=6", nil},
		{"America/New_York", calendar.Wall(2026, 3, 8, 1, 0, 0), "FREQ=MINUTELY;INTERVAL=30;COUNT=6", nil},
		{"America/New_York", calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", []calendar.WallTime{calendar.Wall(2026, 3, 8, 2, 30, 0)}},
		{"America/New_York", calendar.Wall(2026, 3, 7, 2, 30, 0), "FREQ=DAILY;COUNT=4", []calendar.WallTime{calendar.Wall(2026, 3, 9, 2, 30, 0)}},
		{"Pacific/Apia", calendar.Wall(2011, 12, 27, 10, 0, 0), "FREQ=DAILY;COUNT=6", nil},
		{"Pacific/Apia", calendar.Wall(2011, 12, 28, 0, 0, 0), "FREQ=HOURLY;INTERVAL=6;COUNT=16", nil},
		{"America/New_York", calendar.Wall(2026, 1, 7, 9, 0, 0), "FREQ=WEEKLY;BYDAY=MO;COUNT=3", nil},
		{"America/New_York", calendar.Wall(2026, 1, 7, 9, 0, 0), "FREQ=WEEKLY;BYDAY=MO", nil},
		{"Europe/Berlin", calendar.Wall(2026, 3, 29, 2, 30, 0), "FREQ=DAILY;COUNT=5", nil},
		{"America/New_York", calendar.Wall(2026, 3, 8, 2, 30, 0), "FREQ=DAILY", nil},
		{"America/New_York", calendar.Wall(2026, 3, 5, 9, 0, 0), "FREQ=DAILY;UNTIL=20260305", nil},
		{"Europe/Berlin", calendar.Wall(2026, 6, 1, 9, 0, 0), "FREQ=YEARLY;UNTIL=20261231T235959Z", nil},
		{"America/New_York", calendar.Wall(2026, 3, 5, 9, 0, 0), "FREQ=DAILY;UNTIL=20260310", nil},
		{"America/New_York", calendar.Wall(2026, 3, 8, 2, 30, 0), "", nil},
		{"America/New_York", calendar.Wall(2026, 11, 1, 1, 30, 0), "FREQ=DAILY;COUNT=3", nil},
		{"America/New_York", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MINUTELY;INTERVAL=15;COUNT=6", nil},
		{"America/New_York", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MINUTELY;INTERVAL=90;COUNT=4", nil},
		{"America/New_York", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16;UNTIL=19970910T000000Z", nil},
		{"America/New_York", calendar.Wall(1997, 9, 2, 9, 0, 0), "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40;UNTIL=19970910T000000Z", nil},
	}
	var out []calendar.Rule
	for i, x := range cases {
		for _, skip := range []bool{false, true} {
			out = append(out, calendar.Rule{Name: fmt.Sprintf("case %02d skip=%v %s %s %s", i, skip, x.zone, x.start, x.rrule),
				Kind: calendar.Window, Zone: x.zone, Start: x.start, Duration: 20 * time.Minute, RRule: x.rrule, ExDates: x.ex, SkipNonexistent: skip})
		}
	}
	return out
}

// icaljsInstants writes rules as .ics over [from, to) and expands the file with
// ical.js (docs/ics-check/check.mjs), returning its lines ("NAME\tSTART\tEND").
func icaljsInstants(t *testing.T, modules string, rules []calendar.Rule, from, to time.Time) []string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, calendar.WriteRulesICS(&buf, rules, from, to))
	file := filepath.Join(t.TempDir(), "export.ics")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o644))
	cmd := exec.Command("node", "../docs/ics-check/check.mjs", file, from.Format(time.RFC3339), to.Format(time.RFC3339))
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestAgreesWithICALJS is the reference check of the export: ical.js (Mozilla's
// iCalendar library, used by Thunderbird) expands the exported .ics, and every
// instant must be the library's. It needs Node.js and ical.js, so it runs only when
// RELEASEKIT_ICALJS names a directory whose node_modules holds ical.js:
//
//	mkdir -p /tmp/icaljs && (cd /tmp/icaljs && npm install ical.js)
//	RELEASEKIT_ICALJS=/tmp/icaljs go test ./calendar -run TestAgreesWithICALJS -v
//
// It checks the cases of issue 14 (issueCases) and RELEASEKIT_ICALJS_RULES random
// rules (default 600) from the property tests' generator, and logs the agreement.
func TestAgreesWithICALJS(t *testing.T) {
	dir := os.Getenv("RELEASEKIT_ICALJS")
	if dir == "" {
		t.Skip("RELEASEKIT_ICALJS is not set: see the test's comment (and docs/ics-check/README.md) to run the ical.js check")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	modules := filepath.Join(dir, "node_modules")
	n := 600
	if v := os.Getenv("RELEASEKIT_ICALJS_RULES"); v != "" {
		_, err := fmt.Sscan(v, &n)
		require.NoError(t, err)
	}
	type batch struct {
		name     string
		rules    []calendar.Rule
		from, to time.Time
	}
	var batches []batch
	for _, r := range issueCases() {
		from := time.Date(r.Start.Year, r.Start.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		batches = append(batches, batch{r.Name, []calendar.Rule{r}, from, from.AddDate(0, 3, 0)})
	}
	gen := rapid.Custom(func(t *rapid.T) calendar.Rule { return drawRule(t) })
	const perBatch = 50
	for i := 0; i < n; i += perBatch {
		b := batch{name: fmt.Sprintf("random %d-%d", i, min(n, i+perBatch)-1),
			from: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), to: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
		for j := i; j < min(n, i+perBatch); j++ {
			r := gen.Example(j)
			r.Name = fmt.Sprintf("random %04d %s %s %q skip=%v", j, r.Zone, r.Start, r.RRule, r.SkipNonexistent)
			b.rules = append(b.rules, r)
		}
		batches = append(batches, b)
	}
	var rules, rulesAgree, instants, instantsAgree int
	for _, b := range batches {
		want := strings.Split(strings.TrimSpace(instantsText(t, b.rules, b.from, b.to)), "\n")
		got := icaljsInstants(t, modules, b.rules, b.from, b.to)
		byRule := func(lines []string) map[string][]string {
			m := map[string][]string{}
			for _, l := range lines {
				if name, rest, ok := strings.Cut(l, "\t"); ok {
					m[name] = append(m[name], rest)
				}
			}
			return m
		}
		w, g := byRule(want), byRule(got)
		for _, r := range b.rules {
			rules++
			ws, gs := w[r.Name], g[r.Name]
			union := map[string]int{}
			for _, x := range ws {
				union[x] |= 1
			}
			for _, x := range gs {
				union[x] |= 2
			}
			agree := 0
			for _, v := range union {
				if v == 3 {
					agree++
				}
			}
			instants += len(union)
			instantsAgree += agree
			if agree == len(union) && len(ws) == len(gs) {
				rulesAgree++
				continue
			}
			sort.Strings(ws)
			sort.Strings(gs)
			t.Errorf("%s: ical.js disagrees over [%s, %s)\nlibrary:\n  %s\nical.js:\n  %s", r.Name, b.from.Format(time.DateOnly), b.to.Format(time.DateOnly),
				strings.Join(ws, "\n  "), strings.Join(gs, "\n  "))
		}
	}
	t.Logf("ical.js agreement: %d of %d rules expand to the same instants; %d of %d distinct instants agree", rulesAgree, rules, instantsAgree, instants)
}
