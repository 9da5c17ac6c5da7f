package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Metric is one value-unit pair of a benchmark result line, such as 1234 ns/op,
// 56 B/op, 7 allocs/op or a custom metric (12.1 bytes/edge, 1500 transitions/s).
type Metric struct {
	Value float64
	Unit  string
}

// Result is one benchmark result line in the standard format
//
//	BenchmarkWaves/n=10000,m=40000/depgraph-2   	     100	    470000 ns/op	  2000 B/op	  6 allocs/op
//
// Name is the full benchmark name without the -GOMAXPROCS suffix; Procs is that suffix
// (1 when there is none). Metrics are in line order.
type Result struct {
	Name       string
	Procs      int
	Iterations int64
	Metrics    []Metric
}

// Value returns the value of the metric with the given unit and whether the line has it.
func (r Result) Value(unit string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value, true
		}
	}
	return 0, false
}

// ParseLine parses one benchmark result line. It reports false for every other line
// (headers such as "goos: linux", PASS, ok, log output, a benchmark name printed
// before its result). It never panics, whatever the input.
//
// A single line cannot tell a -GOMAXPROCS suffix from a name that ends in a dash and
// digits ("kahn-int32" run with GOMAXPROCS=1), so ParseLine keeps the name as printed
// and Procs at 1; [Parse] takes the suffix off when every result line of the output
// carries the same one, as the testing package prints it.
func ParseLine(line string) (Result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return Result{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n <= 0 {
		return Result{}, false
	}
	r := Result{Name: f[0], Procs: 1, Iterations: n}
	for k := 2; k < len(f); k += 2 {
		v, err := strconv.ParseFloat(f[k], 64)
		if err != nil {
			return Result{}, false
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: f[k+1]})
	}
	return r, true
}

// procsSuffix returns the N of a trailing "-N" on the name's last element, or 0.
func procsSuffix(name string) int {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || strings.Contains(name[i:], "/") || !allDigits(name[i+1:]) {
		return 0
	}
	p, err := strconv.Atoi(name[i+1:])
	if err != nil || p <= 0 {
		return 0
	}
	return p
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Skip is a benchmark that called b.Skip, with the first line of its message.
type Skip struct {
	Name   string
	Reason string
}

// Output is what [Parse] finds in the output of one `go test -bench` run.
type Output struct {
	// Results holds every result line, in output order (repeated runs of -count
	// appear as repeated names).
	Results []Result
	// Skipped lists the benchmarks reported as "--- SKIP".
	Skipped []Skip
	// Failed lists the benchmarks reported as "--- FAIL".
	Failed []string
	// CPU is the "cpu:" header the testing package prints, if any.
	CPU string
}

// Parse reads the output of `go test -bench` (stdout and stderr combined are fine).
// It returns an error only when reading fails; lines it does not know are ignored.
func Parse(r io.Reader) (*Output, error) {
	out := &Output{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	pendingSkip := -1 // index in out.Skipped waiting for its reason
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if pendingSkip >= 0 {
			if trimmed != "" && !strings.HasPrefix(trimmed, "---") && line != trimmed {
				out.Skipped[pendingSkip].Reason = trimmed
				pendingSkip = -1
				continue
			}
			pendingSkip = -1
		}
		switch {
		case strings.HasPrefix(trimmed, "--- SKIP: "):
			out.Skipped = append(out.Skipped, Skip{Name: benchName(trimmed[len("--- SKIP: "):])})
			pendingSkip = len(out.Skipped) - 1
		case strings.HasPrefix(trimmed, "--- FAIL: "):
			out.Failed = append(out.Failed, benchName(trimmed[len("--- FAIL: "):]))
		case strings.HasPrefix(line, "cpu: ") && out.CPU == "":
			out.CPU = strings.TrimSpace(line[len("cpu: "):])
		default:
			if res, ok := ParseLine(line); ok {
				out.Results = append(out.Results, res)
			}
		}
	}
	stripProcs(out)
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading benchmark output: %w", err)
	}
	return out, nil
}

// stripProcs takes the -GOMAXPROCS suffix off every name when all result lines carry
// the same one (the testing package adds it to every line when GOMAXPROCS is not 1).
func stripProcs(out *Output) {
	if len(out.Results) == 0 {
		return
	}
	p := procsSuffix(out.Results[0].Name)
	if p == 0 {
		return
	}
	for _, r := range out.Results {
		if procsSuffix(r.Name) != p {
			return
		}
	}
	suffix := "-" + strconv.Itoa(p)
	for i := range out.Results {
		out.Results[i].Name = strings.TrimSuffix(out.Results[i].Name, suffix)
		out.Results[i].Procs = p
	}
	for i := range out.Skipped {
		out.Skipped[i].Name = strings.TrimSuffix(out.Skipped[i].Name, suffix)
	}
	for i := range out.Failed {
		out.Failed[i] = strings.TrimSuffix(out.Failed[i], suffix)
	}
}

// benchName takes the name out of "BenchmarkX-2 (0.00s)".
func benchName(s string) string {
	if i := strings.Index(s, " ("); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
