package benchreport_test

import (
	"strings"
	"testing"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func TestDefaultGroupsAreValid(t *testing.T) {
	seen := map[string]bool{}
	targets := 0
	for _, g := range benchreport.DefaultGroups() {
		if err := g.Validate(); err != nil {
			t.Errorf("group %s: %v", g.ID, err)
		}
		if seen[g.ID] {
			t.Errorf("group ID %q appears twice", g.ID)
		}
		seen[g.ID] = true
		for _, c := range g.Comparisons {
			if c.Target.Cmp != benchreport.NoCmp {
				targets++
			}
		}
	}
	// The issues' targets: Waves vs gonum and vs Kahn (2 sizes each, and Kahn
	// interleaved), AllConflicts vs bare and pairwise (separate and interleaved), gates
	// within 1.2x, bolt (DB.Batch at 16 writers, Update at 1 writer, NoSync), postgres
	// (interleaved and parallel), random-order booking and the 300-day look-back (each
	// separate and interleaved); approve on recorded evidence within 2x of host-supplied
	// evidence.
	if targets != 20 {
		t.Errorf("%d comparisons with a target, want 20: a target was lost or added without updating this test", targets)
	}
}

// The validator must catch a comparison the group's -bench regexp would not run, a bad
// regexp, a scaling pattern without its capture group, and an unknown module.
func TestValidateFindsEveryProblem(t *testing.T) {
	g := benchreport.Group{
		ID: "broken", Title: "broken", Module: "nowhere", Package: ".",
		Full: benchreport.Settings{Bench: `^BenchmarkA$`, BenchTime: "1x"},
		Comparisons: []benchreport.Comparison{
			{Label: "not selected", Op: benchreport.Measure{Bench: "BenchmarkB"}, Target: benchreport.None("")},
			{Label: "bad target", Op: benchreport.Measure{Bench: "BenchmarkA"}, Target: benchreport.Target{Cmp: benchreport.AtLeast}},
		},
		Scalings: []benchreport.Scaling{{Label: "no group", Pattern: `^BenchmarkA/n=\d+$`}},
		Quick:    benchreport.Settings{Bench: `(`},
	}
	err := g.Validate()
	if err == nil {
		t.Fatal("Validate of a broken group = nil")
	}
	for _, want := range []string{"unknown module", "does not select BenchmarkB", "bound 0", "capture group", "-bench \"(\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error does not mention %q:\n%v", want, err)
		}
	}
}

func TestMatchBench(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{`.`, "BenchmarkA/x", true},
		{`^BenchmarkA$`, "BenchmarkA", true},
		{`^BenchmarkA$`, "BenchmarkAB", false},
		{`^BenchmarkA$`, "BenchmarkA/n=1/depgraph", true},
		{`^(BenchmarkA|BenchmarkB)$/./^(depgraph|kahn)$`, "BenchmarkB/n=1,m=2/kahn", true},
		{`^(BenchmarkA|BenchmarkB)$/./^(depgraph|kahn)$`, "BenchmarkB/n=1,m=2/gonum", false},
		{`^(BenchmarkA|BenchmarkB)$/./^(depgraph|kahn)$`, "BenchmarkB/n=1,m=2/depgraph-string-keys", false},
		{`A/[/]`, "BenchmarkA/x", false}, // a slash in brackets does not split
		{`Waves/n=100000,m=400000`, "BenchmarkWaves/n=100000,m=400000/depgraph", true},
	}
	for _, tt := range tests {
		got, err := benchreport.MatchBench(tt.pattern, tt.name)
		if err != nil || got != tt.want {
			t.Errorf("MatchBench(%q, %q) = %v, %v; want %v", tt.pattern, tt.name, got, err, tt.want)
		}
	}
}

func TestSettingsQuickOverridesOnlyWhatItSets(t *testing.T) {
	g := benchreport.Group{Full: benchreport.Settings{Bench: "A", BenchTime: "2s"}, Quick: benchreport.Settings{BenchTime: "100ms"}}
	if got := g.Settings(true); got.Bench != "A" || got.BenchTime != "100ms" || got.Timeout <= 0 {
		t.Errorf("quick settings = %+v, want Bench A, BenchTime 100ms and a default timeout", got)
	}
	if got := g.Settings(false); got.BenchTime != "2s" {
		t.Errorf("full settings = %+v, want BenchTime 2s", got)
	}
}
