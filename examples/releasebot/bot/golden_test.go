package bot_test

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestCalendarGolden: the exported calendar of the demo rules over March 2026 (a
// DST change in Europe and in North America falls in it) is the committed one.
func TestCalendarGolden(t *testing.T) {
	f := newFixture(t)
	res := f.call(t, "GET", "/calendar.ics?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z", tokRui, nil)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	path := filepath.Join("testdata", "calendar-2026-03.ics")
	if *update {
		require.NoError(t, os.WriteFile(path, res.body, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestCalendarGolden -update to create it")
	require.Equal(t, string(want), string(res.body), "the calendar changed (-want +got); rerun with -update if that is intended")
}
