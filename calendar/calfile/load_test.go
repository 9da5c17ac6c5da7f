package calfile_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/releasekit/releasekit/internal/doccheck"
	"github.com/releasekit/releasekit/internal/goldenfile"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestLoadExample(t *testing.T) {
	f, err := calfile.LoadFile("testdata/example.yaml")
	require.NoError(t, err)
	require.Equal(t, "Europe/Berlin", f.Zone)

	type row struct {
		name, kind, pos, include, desc string
	}
	var got []row
	for _, r := range f.Rules {
		got = append(got, row{r.Name, string(r.Kind), r.Pos.String(), r.Include, r.Description})
	}
	require.Equal(t, []row{
		{"release train", "window", "testdata/example.yaml:21:5", "", "Tuesdays and Thursdays, 10:00-16:00 Berlin time"},
		{"month-end", "freeze", "testdata/example.yaml:30:5", "", "the last two business days of every month; ask #release-managers"},
		{"year-end", "freeze", "testdata/example.yaml:39:5", "", ""},
		{"data-centre move", "lockdown", "testdata/example.yaml:46:5", "", ""},
		{"holiday: Labour Day", "freeze", "testdata/example.yaml:52:5", "testdata/holidays.ics", ""},
		{"holiday: German Unity Day", "freeze", "testdata/example.yaml:52:5", "testdata/holidays.ics", ""},
	}, got)

	train, ok := f.Calendar.Rule("release train")
	require.True(t, ok)
	require.Equal(t, calendar.Rule{
		Name: "release train", Kind: calendar.Window, Zone: "Europe/Berlin",
		Start: calendar.Wall(2026, 1, 6, 10, 0, 0), End: calendar.Wall(2026, 1, 6, 16, 0, 0),
		RRule: "FREQ=WEEKLY;BYDAY=TU,TH", ExDates: []calendar.WallTime{calendar.Wall(2026, 12, 24, 10, 0, 0)},
		Scope: calendar.Scope{Environments: []string{"prod"}},
	}, train)
	move, _ := f.Calendar.Rule("data-centre move")
	require.Equal(t, "America/New_York", move.Zone)
	require.Equal(t, 30*time.Hour, move.Duration)
	yearEnd, _ := f.Calendar.Rule("year-end")
	require.Equal(t, []calendar.Class{calendar.ClassEmergency}, yearEnd.AllowClasses, "a single value counts as a list of one")
	holiday, _ := f.Calendar.Rule("holiday: Labour Day")
	require.Equal(t, []string{"prod"}, holiday.Scope.Environments, "the include's scope applies to imported rules without one")
	require.Equal(t, []calendar.Class{calendar.ClassEmergency}, holiday.AllowClasses)

	require.Equal(t, 2, f.Calendar.Capacity("prod"))
	require.Equal(t, 0, f.Calendar.Capacity("staging"))
	require.Equal(t, 15*time.Minute, f.Calendar.Alignment())
	bs := f.Calendar.Bookings()
	require.Len(t, bs, 1)
	require.Equal(t, "db-migration", bs[0].ID)
	require.True(t, bs[0].Start.Equal(time.Date(2026, 5, 5, 8, 0, 0, 0, time.UTC)), "a wall-clock booking time is read in the file's zone (CEST)")
	require.Equal(t, 2*time.Hour, bs[0].End.Sub(bs[0].Start))
}

// The loaded calendar answers as the same rules written in Go do.
func TestLoadExampleAnswers(t *testing.T) {
	f, err := calfile.LoadFile("testdata/example.yaml")
	require.NoError(t, err)
	berlin, _ := calendar.LoadZone("Europe/Berlin")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, berlin) }
	for _, tc := range []struct {
		why   string
		start time.Time
		class calendar.Class
		kinds []calendar.ConflictKind
	}{
		{"Tuesday 10:00 is in the release train", at(2026, 5, 12, 10, 0), calendar.ClassStandard, nil},
		{"Monday is outside the train", at(2026, 5, 11, 10, 0), calendar.ClassStandard, []calendar.ConflictKind{calendar.ConflictOutsideWindow}},
		{"24 December is excluded from the train (and frozen)", at(2026, 12, 24, 10, 0), calendar.ClassStandard, []calendar.ConflictKind{calendar.ConflictFreeze, calendar.ConflictOutsideWindow}},
		{"Labour Day, from the included .ics, freezes prod", at(2026, 5, 1, 10, 0), calendar.ClassStandard, []calendar.ConflictKind{calendar.ConflictFreeze, calendar.ConflictOutsideWindow}},
		{"emergencies pass the year-end freeze but not the window", at(2026, 12, 22, 10, 0), calendar.ClassEmergency, nil},
		{"the month-end freeze (Thu 28 May) stops standard changes", at(2026, 5, 28, 10, 0), calendar.ClassStandard, []calendar.ConflictKind{calendar.ConflictFreeze}},
	} {
		b := calendar.Booking{ID: "x", Environment: "prod", Start: tc.start, End: tc.start.Add(time.Hour), Class: tc.class}
		var kinds []calendar.ConflictKind
		for _, c := range f.Calendar.Check(b) {
			kinds = append(kinds, c.Kind)
		}
		require.Equal(t, tc.kinds, kinds, tc.why)
	}
}

// Every bad file reports every one of its problems, each at its place, and no calendar.
func TestLoadProblems(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := calfile.LoadFile(path)
			require.Nil(t, f, "nothing half-read is returned")
			require.ErrorIs(t, err, calfile.ErrInvalid)
			var fe *calfile.Error
			require.ErrorAs(t, err, &fe)
			for _, p := range fe.Problems {
				require.NotEmpty(t, p.Pos.File)
				require.Positive(t, p.Pos.Line, "every problem has a line: %v", p)
			}
			goldenfile.Check(t, strings.TrimSuffix(path, ".yaml")+".err", []byte(err.Error()+"\n"), *update)
		})
	}
}

func TestLoadUnwrapsCauses(t *testing.T) {
	_, err := calfile.Load("zone.yaml", []byte("version: 1\nzone: Mars/Olympus\n"))
	require.ErrorIs(t, err, calfile.ErrInvalid)
	require.ErrorIs(t, err, calendar.ErrUnknownZone)
	_, err = calfile.LoadFile("testdata/bad/include-bad.yaml")
	require.ErrorIs(t, err, calendar.ErrMalformedICS)
}

func TestLoadFileMissing(t *testing.T) {
	_, err := calfile.LoadFile("testdata/no-such-file.yaml")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.False(t, errors.Is(err, calfile.ErrInvalid), "an unreadable file is not a file with problems")
}

func TestWithFS(t *testing.T) {
	ics, err := os.ReadFile("testdata/holidays.ics")
	require.NoError(t, err)
	fsys := fstest.MapFS{"cal/shared/holidays.ics": {Data: ics}}
	src := "version: 1\nzone: Europe/Berlin\ninclude:\n  - ics: shared/holidays.ics\n"
	f, err := calfile.Load("cal/calendar.yaml", []byte(src), calfile.WithFS(fsys))
	require.NoError(t, err)
	require.Len(t, f.Rules, 2)
	require.Equal(t, "cal/shared/holidays.ics", f.Rules[0].Include)

	_, err = calfile.Load("cal/calendar.yaml", []byte(strings.Replace(src, "shared/", "other/", 1)), calfile.WithFS(fsys))
	require.ErrorContains(t, err, "cal/calendar.yaml:4:5: cannot read the included file")
}

func TestParseWallTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want calendar.WallTime
		err  string
	}{
		{"2026-01-06", calendar.Wall(2026, 1, 6, 0, 0, 0), ""},
		{"2026-01-06 10:00", calendar.Wall(2026, 1, 6, 10, 0, 0), ""},
		{"2026-01-06T10:00:30", calendar.Wall(2026, 1, 6, 10, 0, 30), ""},
		{"2026-03-29 02:30", calendar.Wall(2026, 3, 29, 2, 30, 0), ""}, // in Berlin's gap: a wall time may not exist
		{"2026-02-29", calendar.WallTime{}, "February 2026 has 28 days"},
		{"2026-01-06 24:00", calendar.WallTime{}, "the hour must be from 00 to 23"},
		{"2026-01-06T10:00Z", calendar.WallTime{}, "UTC offset"},
		{"2026-01-06T10:00+01:00", calendar.WallTime{}, "UTC offset"},
		{"06.01.2026", calendar.WallTime{}, "write it as 2026-01-06"},
		{"2026-1-6", calendar.WallTime{}, "write it as 2026-01-06"},
		{"2026-01-06 10", calendar.WallTime{}, "write the time as 10:00"},
		{"2026-01-06 1:00", calendar.WallTime{}, "write the time as 10:00"},
		{"1899-12-31", calendar.WallTime{}, "the year must be from 1900 to 2200"},
	} {
		got, err := calfile.ParseWallTime(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// A file written with CRLF line ends and a schema modeline loads like any other.
func TestLoadCRLF(t *testing.T) {
	src := "# yaml-language-server: $schema=releasekit-calendar.schema.json\r\nversion: 1\r\nzone: UTC\r\nfreezes:\r\n  - name: f\r\n    start: 2026-01-06\r\n    duration: 24h\r\n"
	f, err := calfile.Load("crlf.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, "crlf.yaml:5:5", f.Rules[0].Pos.String())
}

// Every yaml block of docs/CALENDAR-FILE.md is a complete file that loads; included
// files resolve beside the documented example.
func TestDocumentedFilesLoad(t *testing.T) {
	blocks := docYAMLBlocks(t)
	for i, b := range blocks {
		if _, err := calfile.Load(filepath.Join("..", "..", "docs", "examples", "doc.yaml"), []byte(b)); err != nil {
			t.Errorf("block %d of docs/CALENDAR-FILE.md does not load: %v\n%s", i+1, err, b)
		}
	}
	f, err := calfile.LoadFile("../../docs/examples/release-calendar.yaml")
	require.NoError(t, err)
	require.Len(t, f.Rules, 7)
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

func docYAMLBlocks(t *testing.T) []string {
	doc, err := os.ReadFile("../../docs/CALENDAR-FILE.md")
	require.NoError(t, err)
	var out []string
	for _, m := range yamlBlock.FindAllStringSubmatch(string(doc), -1) {
		out = append(out, m[1])
	}
	require.GreaterOrEqual(t, len(out), 4, "the check would pass vacuously")
	return out
}

func TestDocumentedGoIsCompiled(t *testing.T) {
	doccheck.Excerpts(t, "../../docs/CALENDAR-FILE.md", "example_test.go")
}
