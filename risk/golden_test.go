package risk_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/risk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), string(got), "%s differs (-want +got); run go test -update if the change is intended", path)
}

// The explanation people read is pinned: a change to a factor's wording or
// weight shows up here.
func TestAssessmentGolden(t *testing.T) {
	a := risk.DefaultModel().Assess(benchFacts())
	golden(t, "assessment.golden.txt", []byte(a.Summary()+"\n"))
	b, err := json.MarshalIndent(a, "", "  ")
	require.NoError(t, err)
	golden(t, "assessment.golden.json", append(b, '\n'))
}
