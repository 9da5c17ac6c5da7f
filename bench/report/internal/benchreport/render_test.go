package benchreport_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func testReport() *benchreport.Report {
	rep := testRunner(newFake()).Run(context.Background(), testGroups())
	rep.Machine = benchreport.Machine{GoVersion: "go version go1.26.8 linux/amd64", GOOS: "linux", GOARCH: "amd64", CPU: "Test CPU", NumCPU: 2}
	rep.Invoked = "make bench-quick"
	rep.Command = "cd bench && GOWORK=off go run ./report -quick -count 2"
	return rep
}

func TestRenderGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := benchreport.Render(&buf, testReport()); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/report.golden.md"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("Render differs from %s (run go test -update after checking the change):\n%s", golden, lineDiff(string(want), got))
	}
}

// Whatever happened to a group, the report says so.
func TestRenderReportsEveryGroup(t *testing.T) {
	var buf bytes.Buffer
	if err := benchreport.Render(&buf, testReport()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Quick smoke run", "Test CPU", "1.00 2.00 3.00", "make bench-quick",
		"## fast: a package (issue 1)", "21.8x (19.2–25) (ref / op)", "Op >= 10x faster than Ref (ratio >= 10)",
		"## broken: a package that fails (issue 2)", "Status: **failed**", "the reference crashed",
		"## db: needs a database (issue 7)", "Status: **skipped**", "RELEASEKIT_POSTGRES_DSN",
		"## left out: not selected (issue 9)", "**not selected**",
		"## silent: prints no results (issue 9)", "no benchmark results",
		"| 10,000 | `BenchmarkSize/n=10000` | 210 µs (200 µs–220 µs) | 10x | 20x | 1.3 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{benchreport.FormatDuration(177.9), "178 ns"},
		{benchreport.FormatDuration(12.34), "12.3 ns"},
		{benchreport.FormatDuration(470_000), "470 µs"},
		{benchreport.FormatDuration(11_400_000), "11.4 ms"},
		{benchreport.FormatDuration(1_550_000_000), "1.55 s"},
		{benchreport.FormatDuration(123_456_000_000), "123 s"},
		{benchreport.FormatBytes(2644), "2.64 KB"},
		{benchreport.FormatBytes(23_700_000), "23.7 MB"},
		{benchreport.FormatBytes(12), "12 B"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// lineDiff is a small line diff for golden failures: "-" lines from want, "+" from got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, wl, gl)
		}
	}
	return b.String()
}
