package benchreport_test

import (
	"math"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func TestTargetCheck(t *testing.T) {
	tests := []struct {
		name   string
		target benchreport.Target
		ratio  float64
		want   benchreport.Verdict
	}{
		{"at least, above", benchreport.AtLeastTarget(10, "10x faster"), 44, benchreport.Met},
		{"at least, exactly on the bound", benchreport.AtLeastTarget(10, "10x faster"), 10, benchreport.Met},
		{"at least, below", benchreport.AtLeastTarget(0.7, "0.7 of raw"), 0.69, benchreport.NotMet},
		{"at most, below", benchreport.AtMostTarget(1.5, "within 1.5x"), 1.07, benchreport.Met},
		{"at most, exactly on the bound", benchreport.AtMostTarget(1.2, "within 1.2x"), 1.2, benchreport.Met},
		{"at most, above", benchreport.AtMostTarget(2, "within 2x"), 2.01, benchreport.NotMet},
		{"no target", benchreport.None("none set"), 3, benchreport.NoTarget},
		{"NaN ratio", benchreport.AtMostTarget(2, "within 2x"), math.NaN(), benchreport.NoData},
		{"infinite ratio", benchreport.AtLeastTarget(2, "2x"), math.Inf(1), benchreport.NoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.target.Check(tt.ratio); got != tt.want {
				t.Errorf("%v.Check(%v) = %q, want %q", tt.target, tt.ratio, got, tt.want)
			}
		})
	}
}

func TestTargetValidate(t *testing.T) {
	for _, bad := range []benchreport.Target{
		{Cmp: ">", Value: 1, Text: "unknown comparison"},
		{Cmp: benchreport.AtLeast, Value: 0, Text: "zero bound"},
		{Cmp: benchreport.AtMost, Value: math.NaN(), Text: "NaN bound"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	for _, good := range []benchreport.Target{benchreport.None("x"), benchreport.AtLeastTarget(0.7, "x"), benchreport.AtMostTarget(1.5, "x")} {
		if err := good.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", good, err)
		}
	}
}

func set(lines ...string) *benchreport.Set {
	out, err := benchreport.Parse(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		panic(err)
	}
	return benchreport.Collect(out.Results)
}

func TestComparisonEvaluate(t *testing.T) {
	s := set(
		"BenchmarkWaves/depgraph-2 3 11000000 ns/op",
		"BenchmarkWaves/depgraph-2 3 13000000 ns/op",
		"BenchmarkWaves/gonum-2 3 1550000000 ns/op",
		"BenchmarkWaves/kahn-2 3 6000000 ns/op",
		"BenchmarkGates-2 3 54000000 ns/op",
		"BenchmarkTx/engine-2 3 0 ns/op 1000 transitions/s",
		"BenchmarkTx/raw-2 3 0 ns/op 2000 transitions/s",
		"BenchmarkRatio-2 3 0 ns/op 1.07 x-bare",
		"BenchmarkZero-2 3 0 ns/op",
	)
	ref := func(b string) *benchreport.Measure { return &benchreport.Measure{Bench: b} }
	tests := []struct {
		name      string
		c         benchreport.Comparison
		wantRatio float64
		want      benchreport.Verdict
	}{
		{"speed-up against a slower reference (ref / op of medians)",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/depgraph"}, Ref: ref("BenchmarkWaves/gonum"), Invert: true, Target: benchreport.AtLeastTarget(10, "10x")},
			1550.0 / 12, benchreport.Met},
		{"slow-down against a floor (op / ref) that misses its target",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/depgraph"}, Ref: ref("BenchmarkWaves/kahn"), Target: benchreport.AtMostTarget(1.5, "1.5x")},
			2, benchreport.NotMet},
		{"a fixed reference",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkGates"}, RefConst: 50e6, Target: benchreport.AtMostTarget(1.2, "1.2x")},
			1.08, benchreport.Met},
		{"throughput in a custom unit",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkTx/engine", Unit: "transitions/s"}, Ref: &benchreport.Measure{Bench: "BenchmarkTx/raw", Unit: "transitions/s"}, Target: benchreport.AtLeastTarget(0.7, "0.7")},
			0.5, benchreport.NotMet},
		{"a ratio the benchmark measured itself",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkRatio", Unit: "x-bare"}, Target: benchreport.AtMostTarget(1.5, "1.5x")},
			1.07, benchreport.Met},
		{"no target",
			benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/depgraph"}, Ref: ref("BenchmarkWaves/kahn"), Target: benchreport.None("none")},
			2, benchreport.NoTarget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.Evaluate(s)
			if !got.RatioMeasured || math.Abs(got.Ratio-tt.wantRatio) > 1e-9*tt.wantRatio || got.Verdict != tt.want {
				t.Errorf("Evaluate: (-want +got):\n-ratio %v, %q\n+ratio %v, %q (%s)", tt.wantRatio, tt.want, got.Ratio, got.Verdict, got.Missing)
			}
		})
	}

	noData := []struct {
		name        string
		c           benchreport.Comparison
		wantMissing string
	}{
		{"missing operation", benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkNope"}, Ref: ref("BenchmarkWaves/kahn"), Target: benchreport.AtMostTarget(2, "2x")}, "BenchmarkNope"},
		{"missing reference", benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/kahn"}, Ref: ref("BenchmarkGone"), Target: benchreport.AtMostTarget(2, "2x")}, "BenchmarkGone"},
		{"missing unit", benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/kahn", Unit: "bytes/edge"}, Ref: ref("BenchmarkWaves/kahn"), Target: benchreport.AtMostTarget(2, "2x")}, "bytes/edge"},
		{"zero reference", benchreport.Comparison{Op: benchreport.Measure{Bench: "BenchmarkWaves/kahn"}, Ref: ref("BenchmarkZero"), Target: benchreport.AtMostTarget(2, "2x")}, "zero"},
	}
	for _, tt := range noData {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.c.Evaluate(s)
			if got.Verdict != benchreport.NoData || got.RatioMeasured || !strings.Contains(got.Missing, tt.wantMissing) {
				t.Errorf("Evaluate = %q, measured %v, missing %q; want no data naming %q", got.Verdict, got.RatioMeasured, got.Missing, tt.wantMissing)
			}
		})
	}
}

func TestScalingEvaluate(t *testing.T) {
	s := set(
		// Listed out of size order: the points come back sorted by size.
		"BenchmarkPlan/components=1000-2 3 4000000 ns/op",
		"BenchmarkPlan/components=100-2 3 400000 ns/op",
		"BenchmarkPlan/components=10000-2 3 40000000 ns/op",
		"BenchmarkCheck/bookings=1000-2 3 2000 ns/op",
		"BenchmarkCheck/bookings=100000-2 3 6000 ns/op",
		"BenchmarkCheck/bookings=10000-2 3 1700 ns/op",
		"BenchmarkPair/n=1000-2 3 1000 ns/op",
		"BenchmarkPair/n=10000-2 3 100000 ns/op",
	)
	linear := benchreport.Scaling{Label: "Plan", Pattern: `^BenchmarkPlan/components=(\d+)$`, SizeName: "components"}.Evaluate(s)
	if len(linear.Points) != 3 || linear.Points[0].Size != 100 || linear.Points[2].Size != 10000 {
		t.Fatalf("points = %+v, want sizes 100, 1000, 10000", linear.Points)
	}
	for _, p := range linear.Points[1:] {
		if p.SizeFactor != 10 || math.Abs(p.Growth-10) > 1e-9 || math.Abs(p.Exponent-1) > 1e-9 {
			t.Errorf("point %s: factor %v, growth %v, exponent %v; want 10, 10, 1", p.Bench, p.SizeFactor, p.Growth, p.Exponent)
		}
	}
	if math.Abs(linear.Exponent-1) > 1e-9 || linear.Verdict != benchreport.NoTarget || linear.Note != "" {
		t.Errorf("overall exponent %v, verdict %q, note %q; want 1, no target, no note", linear.Exponent, linear.Verdict, linear.Note)
	}

	logCheck := benchreport.Scaling{Pattern: `^BenchmarkCheck/bookings=(\d+)$`, MaxExponent: 0.5}
	if got := logCheck.Evaluate(s); got.Verdict != benchreport.Met || math.Abs(got.Exponent-math.Log(3)/math.Log(100)) > 1e-9 {
		t.Errorf("Check: exponent %v, verdict %q; want log(3)/log(100), met", got.Exponent, got.Verdict)
	}
	quadratic := benchreport.Scaling{Pattern: `^BenchmarkPair/n=(\d+)$`, MaxExponent: 0.5}.Evaluate(s)
	if quadratic.Verdict != benchreport.NotMet || math.Abs(quadratic.Exponent-2) > 1e-9 || !strings.Contains(quadratic.Note, "two sizes") {
		t.Errorf("Pair: exponent %v, verdict %q, note %q; want 2, not met, a note on two sizes", quadratic.Exponent, quadratic.Verdict, quadratic.Note)
	}
	one := benchreport.Scaling{Pattern: `^BenchmarkPlan/components=(100)$`}.Evaluate(s)
	if one.Verdict != benchreport.NoData || !math.IsNaN(one.Exponent) || one.Note == "" {
		t.Errorf("one size: verdict %q, exponent %v, note %q; want no data, NaN, a note", one.Verdict, one.Exponent, one.Note)
	}
	none := benchreport.Scaling{Pattern: `^BenchmarkNothing/(\d+)$`}.Evaluate(s)
	if none.Verdict != benchreport.NoData || len(none.Points) != 0 {
		t.Errorf("no sizes: verdict %q, %d points; want no data, 0", none.Verdict, len(none.Points))
	}
}

func TestListsAreComplete(t *testing.T) {
	if len(benchreport.Verdicts()) != 4 || len(benchreport.Cmps()) != 3 || len(benchreport.Modules()) != 3 || len(benchreport.Statuses()) != 4 {
		t.Errorf("Verdicts %v, Cmps %v, Modules %v, Statuses %v: a constant is missing from its list",
			benchreport.Verdicts(), benchreport.Cmps(), benchreport.Modules(), benchreport.Statuses())
	}
}
