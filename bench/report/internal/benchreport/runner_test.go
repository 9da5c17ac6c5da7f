package benchreport_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

// fakeGo answers go test runs from canned output by package and records the calls.
type fakeGo struct {
	out   map[string]string // package argument -> output
	fail  map[string]bool
	calls [][]string
	dirs  []string
	envs  [][]string
}

func (f *fakeGo) exec(_ context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	f.dirs, f.envs = append(f.dirs, dir), append(f.envs, env)
	pkg := args[len(args)-1]
	var err error
	if f.fail[pkg] {
		err = errors.New("exit status 1")
	}
	return []byte(f.out[pkg]), err
}

// clock steps a second per reading.
func clock() func() time.Time {
	t := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func testGroups() []benchreport.Group {
	return []benchreport.Group{
		{ID: "fast", Title: "fast: a package", Issue: "issue 1", Module: benchreport.ModuleRoot, Package: "./fast",
			Full: benchreport.Settings{Bench: `.`, BenchTime: "1s"}, Quick: benchreport.Settings{BenchTime: "100ms"},
			Comparisons: []benchreport.Comparison{{Label: "Op vs Ref", Op: benchreport.Measure{Bench: "BenchmarkOp"},
				Ref: &benchreport.Measure{Bench: "BenchmarkRef"}, RefLabel: "ref", Invert: true, RatioLabel: "ref / op",
				Target: benchreport.AtLeastTarget(10, "Op >= 10x faster than Ref")}},
			Scalings: []benchreport.Scaling{{Label: "Op", Pattern: `^BenchmarkSize/n=(\d+)$`, SizeName: "items"}},
			Notes:    "A fast package."},
		{ID: "broken", Title: "broken: a package that fails", Issue: "issue 2", Module: benchreport.ModuleBench, Package: ".",
			Full:        benchreport.Settings{Bench: `^BenchmarkX$`, BenchTime: "3x"},
			Comparisons: []benchreport.Comparison{{Label: "X vs Y", Op: benchreport.Measure{Bench: "BenchmarkX"}, Ref: &benchreport.Measure{Bench: "BenchmarkX/y"}, Target: benchreport.AtMostTarget(2, "X within 2x of Y")}}},
		{ID: "db", Title: "db: needs a database", Issue: "issue 7", Module: benchreport.ModulePostgres, Package: ".", NeedsPostgres: true,
			Full:        benchreport.Settings{Bench: `^BenchmarkTx$`, BenchTime: "30x"},
			Comparisons: []benchreport.Comparison{{Label: "engine vs raw", Op: benchreport.Measure{Bench: "BenchmarkTx", Unit: "engine/raw"}, Target: benchreport.AtLeastTarget(0.7, "engine >= 0.7 of raw")}}},
		{ID: "left-out", Title: "left out: not selected", Issue: "issue 9", Module: benchreport.ModuleRoot, Package: "./other",
			Full: benchreport.Settings{Bench: `.`, BenchTime: "1s"}},
		{ID: "silent", Title: "silent: prints no results", Issue: "issue 9", Module: benchreport.ModuleRoot, Package: "./silent",
			Full: benchreport.Settings{Bench: `.`, BenchTime: "1s"}},
	}
}

const fastOutput = `goos: linux
cpu: Test CPU
BenchmarkOp-2   	 100	  1000 ns/op	  64 B/op	  2 allocs/op
BenchmarkRef-2  	 100	 25000 ns/op	 128 B/op	  4 allocs/op
BenchmarkOp-2   	 100	  1200 ns/op	  64 B/op	  2 allocs/op
BenchmarkRef-2  	 100	 23000 ns/op	 128 B/op	  4 allocs/op
BenchmarkSize/n=100-2  	 100	  1000 ns/op
BenchmarkSize/n=1000-2 	 100	 10000 ns/op
BenchmarkSize/n=10000-2	 100	200000 ns/op	  12.5 bytes/edge
BenchmarkSize/n=100-2  	 100	  1100 ns/op
BenchmarkSize/n=1000-2 	 100	 11000 ns/op
BenchmarkSize/n=10000-2	 100	220000 ns/op	  12.5 bytes/edge
PASS
ok  	example/fast	1.0s
`

const brokenOutput = `BenchmarkX-2   	 3	  5000 ns/op
--- FAIL: BenchmarkX/y
    x_test.go:9: the reference crashed
FAIL
exit status 1
FAIL	example/broken	0.1s
`

func testRunner(f *fakeGo) *benchreport.Runner {
	return &benchreport.Runner{
		Root: "/repo", Go: "go", Count: 2, Quick: true, Exec: f.exec, Now: clock(),
		Load:   func() string { return "1.00 2.00 3.00" },
		Select: func(id string) bool { return id != "left-out" },
	}
}

func newFake() *fakeGo {
	return &fakeGo{
		out:  map[string]string{"./fast": fastOutput, ".": brokenOutput, "./silent": "PASS\nok  \texample/silent\t0.1s\n"},
		fail: map[string]bool{".": true},
	}
}

func TestRunnerRunsEveryGroupAndKeepsFailures(t *testing.T) {
	f := newFake()
	rep := testRunner(f).Run(context.Background(), testGroups())
	got := map[string]benchreport.GroupReport{}
	for _, g := range rep.Groups {
		got[g.Group.ID] = g
	}
	if len(rep.Groups) != 5 {
		t.Fatalf("%d group reports, want 5 (no group may be dropped)", len(rep.Groups))
	}
	wantStatus := map[string]benchreport.Status{"fast": benchreport.StatusOK, "broken": benchreport.StatusFailed,
		"db": benchreport.StatusSkipped, "left-out": benchreport.StatusNotSelected, "silent": benchreport.StatusFailed}
	for id, want := range wantStatus {
		if got[id].Status != want {
			t.Errorf("group %s: status %q, want %q (note %q)", id, got[id].Status, want, got[id].Note)
		}
	}
	// Only the groups that ran called go, once per round (Count 2): fast twice, broken
	// once (its first round failed, so it stopped), silent twice.
	if len(f.calls) != 5 {
		t.Fatalf("go was called %d times, want 5: %q", len(f.calls), f.calls)
	}
	wantArgs := []string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "-benchtime", "100ms", "-timeout", "10m0s", "./fast"}
	if !slices.Equal(f.calls[0], wantArgs) || !slices.Equal(f.calls[1], wantArgs) {
		t.Errorf("go test arguments of both rounds (-want +got):\n-%q\n+%q", wantArgs, f.calls[:2])
	}
	if f.dirs[0] != "/repo" || f.dirs[2] != "/repo/bench" {
		t.Errorf("directories = %q, want /repo twice then /repo/bench", f.dirs)
	}
	if !slices.Contains(f.envs[0], "GOWORK=off") {
		t.Error("go test ran without GOWORK=off: the modules must be measured as their own go.mod says")
	}

	fast := got["fast"]
	// Two rounds of two results each: the medians are those of one round's pair.
	if c := fast.Comparisons[0]; c.Verdict != benchreport.Met || c.Ratio != 24000.0/1100 {
		t.Errorf("fast comparison: ratio %v, verdict %q; want %v, met", c.Ratio, c.Verdict, 24000.0/1100)
	}
	if s := fast.Scalings[0]; len(s.Points) != 3 || s.Points[2].Growth != 20 {
		t.Errorf("fast scaling: %+v, want 3 points with a growth of 20 at the last", s.Points)
	}
	if fast.CPU != "Test CPU" || fast.Command != "for round in $(seq 2); do (GOWORK=off go test -run '^$' -bench . -benchmem -count 1 -benchtime 100ms -timeout 10m0s ./fast); done" {
		t.Errorf("fast: CPU %q, command %q", fast.CPU, fast.Command)
	}

	broken := got["broken"]
	if !strings.Contains(broken.Note, "the reference crashed") || broken.Figures.Len() != 1 {
		t.Errorf("broken: note %q and %d figures; want the failure's lines and the figure printed before it", broken.Note, broken.Figures.Len())
	}
	if c := broken.Comparisons[0]; c.Verdict != benchreport.NoData || !strings.Contains(c.Missing, "BenchmarkX/y") {
		t.Errorf("broken comparison: %q, missing %q; want no data naming BenchmarkX/y", c.Verdict, c.Missing)
	}
	if db := got["db"]; !strings.Contains(db.Note, "RELEASEKIT_POSTGRES_DSN") || db.Comparisons[0].Verdict != benchreport.NoData {
		t.Errorf("db: note %q, verdict %q; want a note naming RELEASEKIT_POSTGRES_DSN and no data", db.Note, db.Comparisons[0].Verdict)
	}
	if s := got["silent"]; !strings.Contains(s.Note, "no benchmark results") {
		t.Errorf("silent: note %q, want it to say go test printed no results", s.Note)
	}
}

func TestRunnerPassesTheDatabase(t *testing.T) {
	f := newFake()
	r := testRunner(f)
	r.PostgresDSN = "postgres://example/db"
	gr := r.RunGroup(context.Background(), testGroups()[2])
	if gr.Status == benchreport.StatusSkipped || !slices.Contains(f.envs[0], "RELEASEKIT_POSTGRES_DSN=postgres://example/db") {
		t.Errorf("status %q, env %q: want the group run with the DSN in its environment", gr.Status, f.envs)
	}
	if f.dirs[0] != "/repo/adapters/postgres" {
		t.Errorf("dir %q, want /repo/adapters/postgres", f.dirs[0])
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := benchreport.CPUModel(info); got != "AMD EPYC 7B13" {
		t.Errorf("CPUModel = %q, want %q", got, "AMD EPYC 7B13")
	}
	if got := benchreport.CPUModel("processor: 0\n"); got != "" {
		t.Errorf("CPUModel without a model name = %q, want empty", got)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"./calendar": "./calendar", "^$": "'^$'", "a b": "'a b'", "it's": `'it'\''s'`, "100ms": "100ms",
	} {
		if got := benchreport.ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
