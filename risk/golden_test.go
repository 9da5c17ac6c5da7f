package risk_test

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/releasekit/releasekit/internal/goldenfile"

	"github.com/stretchr/testify/require"

	"github.com/releasekit/releasekit/risk"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got, *update)
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
