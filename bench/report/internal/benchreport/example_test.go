package benchreport_test

import (
	"fmt"
	"strings"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func ExampleParseLine() {
	r, ok := benchreport.ParseLine("BenchmarkAssess-2   \t      50\t     15854 ns/op\t    2644 B/op\t      38 allocs/op")
	ns, _ := r.Value("ns/op")
	fmt.Println(ok, r.Name, r.Iterations, ns)
	// Output: true BenchmarkAssess-2 50 15854
}

func ExampleComparison_Evaluate() {
	out, _ := benchreport.Parse(strings.NewReader(`
BenchmarkWaves/depgraph-2     3    11400000 ns/op
BenchmarkWaves/gonum-2        3  1550000000 ns/op
`))
	c := benchreport.Comparison{
		Label: "Waves vs gonum topo.Sort",
		Op:    benchreport.Measure{Bench: "BenchmarkWaves/depgraph"},
		Ref:   &benchreport.Measure{Bench: "BenchmarkWaves/gonum"}, Invert: true,
		Target: benchreport.AtLeastTarget(10, "Waves >= 10x faster than gonum topo.Sort"),
	}
	r := c.Evaluate(benchreport.Collect(out.Results))
	fmt.Printf("%.0fx: %s\n", r.Ratio, r.Verdict)
	// Output: 136x: met
}

func ExampleScaling_Evaluate() {
	out, _ := benchreport.Parse(strings.NewReader(`
BenchmarkPlan/components=100-2      100     330000 ns/op
BenchmarkPlan/components=1000-2      20    4900000 ns/op
BenchmarkPlan/components=10000-2     20   62000000 ns/op
`))
	s := benchreport.Scaling{Label: "Plan", Pattern: `^BenchmarkPlan/components=(\d+)$`, SizeName: "components"}
	r := s.Evaluate(benchreport.Collect(out.Results))
	for _, p := range r.Points[1:] {
		fmt.Printf("%.0f: %.1fx the cost for %.0fx the size\n", p.Size, p.Growth, p.SizeFactor)
	}
	fmt.Printf("exponent %.2f\n", r.Exponent)
	// Output:
	// 1000: 14.8x the cost for 10x the size
	// 10000: 12.7x the cost for 10x the size
	// exponent 1.14
}
