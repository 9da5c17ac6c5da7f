package calendar_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/calendar"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestResolve pins the DST contract on the 2026 and 2027 transitions of Europe/Berlin,
// America/New_York and Australia/Sydney.
func TestResolve(t *testing.T) {
	tests := []struct {
		zone    string
		wall    calendar.WallTime
		want    string
		shifted bool
		why     string
	}{
		{"Europe/Berlin", calendar.Wall(2026, 3, 29, 1, 59, 0), "2026-03-29T00:59Z", false, "just before the gap: CET"},
		{"Europe/Berlin", calendar.Wall(2026, 3, 29, 2, 0, 0), "2026-03-29T01:00Z", true, "gap start: offset before the gap, 03:00 CEST"},
		{"Europe/Berlin", calendar.Wall(2026, 3, 29, 2, 30, 0), "2026-03-29T01:30Z", true, "in the gap: 02:30 becomes 03:30 CEST"},
		{"Europe/Berlin", calendar.Wall(2026, 3, 29, 3, 0, 0), "2026-03-29T01:00Z", false, "gap end exists: 03:00 CEST"},
		{"Europe/Berlin", calendar.Wall(2026, 10, 25, 2, 30, 0), "2026-10-25T00:30Z", false, "repeated hour: the first (CEST) one"},
		{"Europe/Berlin", calendar.Wall(2026, 10, 25, 3, 0, 0), "2026-10-25T02:00Z", false, "after the repeated hour: CET"},
		{"Europe/Berlin", calendar.Wall(2027, 3, 28, 2, 15, 0), "2027-03-28T01:15Z", true, "2027 gap"},
		{"Europe/Berlin", calendar.Wall(2027, 10, 31, 2, 45, 0), "2027-10-31T00:45Z", false, "2027 overlap: first"},
		{"America/New_York", calendar.Wall(2026, 3, 8, 2, 30, 0), "2026-03-08T07:30Z", true, "gap: 02:30 becomes 03:30 EDT"},
		{"America/New_York", calendar.Wall(2026, 3, 8, 3, 30, 0), "2026-03-08T07:30Z", false, "03:30 EDT exists"},
		{"America/New_York", calendar.Wall(2026, 11, 1, 1, 30, 0), "2026-11-01T05:30Z", false, "repeated 01:30: the EDT one"},
		{"America/New_York", calendar.Wall(2026, 11, 1, 2, 0, 0), "2026-11-01T07:00Z", false, "02:00 EST after fall back"},
		{"America/New_York", calendar.Wall(2027, 3, 14, 2, 59, 0), "2027-03-14T07:59Z", true, "2027 gap"},
		{"America/New_York", calendar.Wall(2027, 11, 7, 1, 0, 0), "2027-11-07T05:00Z", false, "2027 overlap start: first"},
		{"Australia/Sydney", calendar.Wall(2026, 4, 5, 2, 30, 0), "2026-04-04T15:30Z", false, "repeated hour at the end of DST: AEDT one"},
		{"Australia/Sydney", calendar.Wall(2026, 10, 4, 2, 30, 0), "2026-10-03T16:30Z", true, "gap at the start of DST: 03:30 AEDT"},
		{"Australia/Sydney", calendar.Wall(2027, 4, 4, 2, 0, 0), "2027-04-03T15:00Z", false, "2027 overlap start: first"},
		{"Australia/Sydney", calendar.Wall(2027, 10, 3, 2, 0, 0), "2027-10-02T16:00Z", true, "2027 gap start"},
		{"Australia/Lord_Howe", calendar.Wall(2026, 10, 4, 2, 15, 0), "2026-10-03T15:45Z", true, "half-hour gap: 02:15 +10:30 becomes 02:45 +11"},
		{"UTC", calendar.Wall(2026, 3, 29, 2, 30, 0), "2026-03-29T02:30Z", false, "UTC has no transitions"},
	}
	for _, tc := range tests {
		t.Run(tc.zone+" "+tc.wall.String(), func(t *testing.T) {
			loc, err := calendar.LoadZone(tc.zone)
			require.NoError(t, err)
			got, shifted := calendar.Resolve(tc.wall, loc)
			assert.Equal(t, utc(tc.want), got.UTC(), tc.why)
			assert.Equal(t, tc.shifted, shifted, tc.why)
		})
	}
}

type occ struct {
	start, end string
	shifted    bool
}

func occs(t *testing.T, r calendar.Rule, from, to string) []occ {
	t.Helper()
	got, err := r.Occurrences(utc(from), utc(to))
	require.NoError(t, err)
	var out []occ
	for _, o := range got {
		out = append(out, occ{o.Start.UTC().Format("2006-01-02T15:04Z"), o.End.UTC().Format("2006-01-02T15:04Z"), o.Shifted})
	}
	return out
}

// TestOccurrencesDST covers windows in the gap, in the repeated hour, across a
// transition, and freezes spanning one, in the three zones of the contract.
func TestOccurrencesDST(t *testing.T) {
	tests := []struct {
		name     string
		rule     calendar.Rule
		from, to string
		want     []occ
	}{
		{
			name: "Berlin nightly window in the gap is shifted past it, keeping its wall-clock length",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2026, 3, 1, 2, 30, 0), End: calendar.Wall(2026, 3, 1, 3, 30, 0), RRule: "FREQ=DAILY"},
			from: "2026-03-28T00:00Z", to: "2026-03-31T00:00Z",
			want: []occ{{"2026-03-28T01:30Z", "2026-03-28T02:30Z", false}, {"2026-03-29T01:30Z", "2026-03-29T02:30Z", true}, {"2026-03-30T00:30Z", "2026-03-30T01:30Z", false}},
		},
		{
			name: "Berlin SkipNonexistent drops the occurrence in the gap",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2026, 3, 1, 2, 30, 0), End: calendar.Wall(2026, 3, 1, 3, 30, 0), RRule: "FREQ=DAILY", SkipNonexistent: true},
			from: "2026-03-28T00:00Z", to: "2026-03-31T00:00Z",
			want: []occ{{"2026-03-28T01:30Z", "2026-03-28T02:30Z", false}, {"2026-03-30T00:30Z", "2026-03-30T01:30Z", false}},
		},
		{
			name: "Berlin 01:00-04:00 window across the spring transition is two hours long",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2027, 3, 27, 1, 0, 0), End: calendar.Wall(2027, 3, 27, 4, 0, 0), RRule: "FREQ=DAILY;COUNT=3"},
			from: "2027-03-01T00:00Z", to: "2027-04-01T00:00Z",
			want: []occ{{"2027-03-27T00:00Z", "2027-03-27T03:00Z", false}, {"2027-03-28T00:00Z", "2027-03-28T02:00Z", false}, {"2027-03-28T23:00Z", "2027-03-29T02:00Z", false}},
		},
		{
			name: "Berlin window in the repeated hour starts at its first occurrence, and is two hours long",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2026, 10, 24, 2, 30, 0), End: calendar.Wall(2026, 10, 24, 3, 30, 0), RRule: "FREQ=DAILY;COUNT=2"},
			from: "2026-10-01T00:00Z", to: "2026-11-01T00:00Z",
			want: []occ{{"2026-10-24T00:30Z", "2026-10-24T01:30Z", false}, {"2026-10-25T00:30Z", "2026-10-25T02:30Z", false}},
		},
		{
			name: "Berlin exact Duration keeps its real length across the transition",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2026, 10, 24, 1, 0, 0), Duration: 3 * time.Hour, RRule: "FREQ=DAILY;COUNT=2"},
			from: "2026-10-01T00:00Z", to: "2026-11-01T00:00Z",
			want: []occ{{"2026-10-23T23:00Z", "2026-10-24T02:00Z", false}, {"2026-10-24T23:00Z", "2026-10-25T02:00Z", false}},
		},
		{
			name: "New York weekend freeze spanning the fall-back transition is 61 hours long",
			rule: calendar.Rule{Zone: "America/New_York", Start: calendar.Wall(2026, 10, 23, 18, 0, 0), End: calendar.Wall(2026, 10, 26, 6, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=FR"},
			from: "2026-10-30T00:00Z", to: "2026-11-03T00:00Z",
			want: []occ{{"2026-10-30T22:00Z", "2026-11-02T11:00Z", false}},
		},
		{
			name: "New York weekend freeze spanning spring forward is 59 hours long",
			rule: calendar.Rule{Zone: "America/New_York", Start: calendar.Wall(2027, 3, 5, 18, 0, 0), End: calendar.Wall(2027, 3, 8, 6, 0, 0), RRule: "FREQ=WEEKLY;BYDAY=FR"},
			from: "2027-03-12T00:00Z", to: "2027-03-16T00:00Z",
			want: []occ{{"2027-03-12T23:00Z", "2027-03-15T10:00Z", false}},
		},
		{
			name: "New York window ending in the gap is shifted at its end",
			rule: calendar.Rule{Zone: "America/New_York", Start: calendar.Wall(2026, 3, 7, 1, 0, 0), End: calendar.Wall(2026, 3, 7, 2, 30, 0), RRule: "FREQ=DAILY;COUNT=2"},
			from: "2026-03-01T00:00Z", to: "2026-03-10T00:00Z",
			want: []occ{{"2026-03-07T06:00Z", "2026-03-07T07:30Z", false}, {"2026-03-08T06:00Z", "2026-03-08T07:30Z", true}},
		},
		{
			name: "Sydney window in the repeated hour (end of DST, April) takes the first occurrence",
			rule: calendar.Rule{Zone: "Australia/Sydney", Start: calendar.Wall(2027, 4, 3, 2, 0, 0), End: calendar.Wall(2027, 4, 3, 2, 45, 0), RRule: "FREQ=DAILY;COUNT=2"},
			from: "2027-03-01T00:00Z", to: "2027-05-01T00:00Z",
			want: []occ{{"2027-04-02T15:00Z", "2027-04-02T15:45Z", false}, {"2027-04-03T15:00Z", "2027-04-03T15:45Z", false}},
		},
		{
			name: "Sydney window in the gap (start of DST, October) is shifted",
			rule: calendar.Rule{Zone: "Australia/Sydney", Start: calendar.Wall(2026, 10, 3, 2, 0, 0), End: calendar.Wall(2026, 10, 3, 4, 0, 0), RRule: "FREQ=DAILY;COUNT=2"},
			from: "2026-09-01T00:00Z", to: "2026-11-01T00:00Z",
			want: []occ{{"2026-10-02T16:00Z", "2026-10-02T18:00Z", false}, {"2026-10-03T16:00Z", "2026-10-03T17:00Z", true}},
		},
		{
			name: "Sydney freeze spanning the October transition is an hour shorter in real time",
			rule: calendar.Rule{Zone: "Australia/Sydney", Start: calendar.Wall(2027, 10, 1, 18, 0, 0), End: calendar.Wall(2027, 10, 5, 9, 0, 0)},
			from: "2027-09-01T00:00Z", to: "2027-11-01T00:00Z",
			want: []occ{{"2027-10-01T08:00Z", "2027-10-04T22:00Z", false}},
		},
		{
			name: "an occurrence that started before the range but overlaps it is returned",
			rule: calendar.Rule{Zone: "Europe/Berlin", Start: calendar.Wall(2026, 12, 18, 18, 0, 0), End: calendar.Wall(2027, 1, 4, 8, 0, 0), RRule: "FREQ=YEARLY"},
			from: "2027-01-01T00:00Z", to: "2027-01-02T00:00Z",
			want: []occ{{"2026-12-18T17:00Z", "2027-01-04T07:00Z", false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.rule.Name, tc.rule.Kind = tc.name, calendar.Window
			assert.Equal(t, tc.want, occs(t, tc.rule, tc.from, tc.to))
		})
	}
}
