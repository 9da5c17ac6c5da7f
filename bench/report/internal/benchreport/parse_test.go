package benchreport_test

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		want   benchreport.Result
		wantOK bool
	}{
		{"standard line with -benchmem", "BenchmarkAssess-2   \t      50\t     15854 ns/op\t    2644 B/op\t      38 allocs/op",
			benchreport.Result{Name: "BenchmarkAssess-2", Procs: 1, Iterations: 50, Metrics: []benchreport.Metric{{15854, "ns/op"}, {2644, "B/op"}, {38, "allocs/op"}}}, true},
		{"custom metrics and MB/s keep their order", "BenchmarkVerify/signature_only-2  50  2745 ns/op  277.63 MB/s  625 B/op  11 allocs/op",
			benchreport.Result{Name: "BenchmarkVerify/signature_only-2", Procs: 1, Iterations: 50, Metrics: []benchreport.Metric{{2745, "ns/op"}, {277.63, "MB/s"}, {625, "B/op"}, {11, "allocs/op"}}}, true},
		{"fractional ns/op and a ratio metric", "BenchmarkResolve 1000000 177.9 ns/op 0.86 engine/raw_tx",
			benchreport.Result{Name: "BenchmarkResolve", Procs: 1, Iterations: 1000000, Metrics: []benchreport.Metric{{177.9, "ns/op"}, {0.86, "engine/raw_tx"}}}, true},
		{"a benchmark name printed before its result is not a result", "BenchmarkBuild/n=10000,m=40000/depgraph", benchreport.Result{}, false},
		{"a header line is not a result", "goos: linux", benchreport.Result{}, false},
		{"an ok line is not a result", "ok  \tgithub.com/releasekit/releasekit/risk\t0.022s", benchreport.Result{}, false},
		{"a value without a unit is not a result", "BenchmarkX-2 10 123 ns/op 45", benchreport.Result{}, false},
		{"a non-numeric value is not a result", "BenchmarkX-2 10 fast ns/op", benchreport.Result{}, false},
		{"zero iterations is not a result", "BenchmarkX-2 0 123 ns/op", benchreport.Result{}, false},
		{"a log line that starts like a benchmark is not a result", "Benchmarking took long: 3 s", benchreport.Result{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := benchreport.ParseLine(tt.line)
			if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q) (-want +got):\n-%+v %v\n+%+v %v", tt.line, tt.want, tt.wantOK, got, ok)
			}
		})
	}
}

func TestParseSample(t *testing.T) {
	f, err := os.Open("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := benchreport.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range out.Results {
		names = append(names, r.Name)
		if r.Procs != 2 {
			t.Errorf("%s: Procs = %d, want 2", r.Name, r.Procs)
		}
	}
	want := []string{
		"BenchmarkWaves/n=10000,m=40000/depgraph", "BenchmarkWaves/n=10000,m=40000/kahn-int32",
		"BenchmarkWaves/n=10000,m=40000/depgraph", "BenchmarkWaves/n=10000,m=40000/kahn-int32",
		"BenchmarkWaves/n=10000,m=40000/depgraph", "BenchmarkWaves/n=10000,m=40000/kahn-int32",
		"BenchmarkBuild/n=10000,m=40000/depgraph", "BenchmarkTransitionsInterleaved",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("result names (-want +got):\n-%q\n+%q", want, names)
	}
	wantSkip := []benchreport.Skip{{Name: "BenchmarkTransitions/engine", Reason: "helpers_test.go:37: RELEASEKIT_POSTGRES_DSN is not set: these tests need a PostgreSQL database."}}
	if !reflect.DeepEqual(out.Skipped, wantSkip) {
		t.Errorf("Skipped (-want +got):\n-%+v\n+%+v", wantSkip, out.Skipped)
	}
	if want := []string{"BenchmarkBroken"}; !reflect.DeepEqual(out.Failed, want) {
		t.Errorf("Failed (-want +got):\n-%q\n+%q", want, out.Failed)
	}
	if out.CPU != "AMD EPYC 7B13" {
		t.Errorf("CPU = %q, want %q", out.CPU, "AMD EPYC 7B13")
	}
	if v, ok := out.Results[6].Value("bytes/edge"); !ok || v != 20.1 {
		t.Errorf("bytes/edge = %v, %v; want 20.1, true", v, ok)
	}
}

// With GOMAXPROCS=1 the testing package adds no suffix, and a name that ends in a dash
// and digits must survive.
func TestParseKeepsNamesWithoutProcsSuffix(t *testing.T) {
	in := "BenchmarkWaves/n=10/kahn-int32 \t 3 \t 100 ns/op\nBenchmarkWaves/n=10/depgraph \t 3 \t 90 ns/op\n"
	out, err := benchreport.Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{out.Results[0].Name, out.Results[1].Name}
	want := []string{"BenchmarkWaves/n=10/kahn-int32", "BenchmarkWaves/n=10/depgraph"}
	if !reflect.DeepEqual(got, want) || out.Results[0].Procs != 1 {
		t.Errorf("names (-want +got):\n-%q\n+%q (procs %d)", want, got, out.Results[0].Procs)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"BenchmarkAssess-2   \t      50\t     15854 ns/op\t    2644 B/op\t      38 allocs/op",
		"BenchmarkVerify/signature_only-2  50  2745 ns/op  277.63 MB/s",
		"BenchmarkX 1 NaN ns/op", "BenchmarkX 1 1e309 x/y", "Benchmark 1 2 3", "goos: linux", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := benchreport.ParseLine(line)
		if !ok {
			return
		}
		if r.Iterations <= 0 || len(r.Metrics) == 0 || !strings.HasPrefix(r.Name, "Benchmark") {
			t.Fatalf("ParseLine(%q) accepted a malformed result: %+v", line, r)
		}
		// Printing the result back in the standard format and parsing it gives the same.
		var b strings.Builder
		fmt.Fprintf(&b, "%s\t%d", r.Name, r.Iterations)
		for _, m := range r.Metrics {
			fmt.Fprintf(&b, "\t%v %s", m.Value, m.Unit)
		}
		again, ok := benchreport.ParseLine(b.String())
		if !ok || !reflect.DeepEqual(again.Name, r.Name) || again.Iterations != r.Iterations || len(again.Metrics) != len(r.Metrics) {
			t.Fatalf("round trip of %q: (-want +got):\n-%+v\n+%+v %v", line, r, again, ok)
		}
	})
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("--- SKIP: BenchmarkX\n")
	f.Add("--- FAIL: BenchmarkX-2 (0.00s)\n    x_test.go:1: boom\n")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := benchreport.Parse(strings.NewReader(s))
		if err != nil && len(s) < 1<<20 {
			t.Fatalf("Parse failed on a short input: %v", err)
		}
		if out == nil {
			t.Fatal("Parse returned nil output")
		}
	})
}
