package benchreport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// Status is how a group's run ended.
type Status string

// The statuses of a group.
const (
	// StatusOK: go test exited cleanly.
	StatusOK Status = "ok"
	// StatusFailed: go test failed (a build error, a failing or timed-out benchmark);
	// the figures it printed before failing are still reported.
	StatusFailed Status = "failed"
	// StatusSkipped: the group was not run (no database for the PostgreSQL groups).
	StatusSkipped Status = "skipped"
	// StatusNotSelected: the group was left out by the -groups filter.
	StatusNotSelected Status = "not selected"
)

// Statuses lists every [Status].
func Statuses() []Status { return []Status{StatusOK, StatusFailed, StatusSkipped, StatusNotSelected} }

// Exec runs one command in dir with the given environment and returns its combined
// output. A non-nil error means the command failed; the output is still returned.
type Exec func(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error)

// CommandExec is the real [Exec]: it runs the command with os/exec and copies its
// output to progress as it comes (nil for none).
func CommandExec(progress io.Writer) Exec {
	return func(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir, cmd.Env = dir, env
		cmd.WaitDelay = 10 * time.Second
		var buf bytes.Buffer
		w := io.Writer(&buf)
		if progress != nil {
			w = io.MultiWriter(&buf, progress)
		}
		cmd.Stdout, cmd.Stderr = w, w
		err := cmd.Run()
		return buf.Bytes(), err
	}
}

// Machine describes where the benchmarks ran.
type Machine struct {
	GoVersion string // `go version` of the toolchain that ran the benchmarks
	GOOS      string
	GOARCH    string
	CPU       string // model name from /proc/cpuinfo, or the testing package's "cpu:" line
	NumCPU    int    // logical CPUs (nproc)
}

// DetectMachine fills a [Machine] from the go command and /proc/cpuinfo.
func DetectMachine(ctx context.Context, run Exec, goBin string) Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU()}
	if out, err := run(ctx, "", os.Environ(), goBin, "version"); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	if out, err := run(ctx, "", os.Environ(), goBin, "env", "GOOS", "GOARCH"); err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 {
			m.GOOS, m.GOARCH = f[0], f[1]
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = CPUModel(string(b))
	}
	return m
}

var modelName = regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`)

// CPUModel returns the first "model name" of a /proc/cpuinfo text, or "".
func CPUModel(cpuinfo string) string {
	if m := modelName.FindStringSubmatch(cpuinfo); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// LoadAverage returns the first three fields of /proc/loadavg ("10.21 11.85 11.74"),
// or "unknown".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// GroupReport is one group's run and what the report computed from it.
type GroupReport struct {
	Group   Group
	Status  Status
	Note    string // why it was skipped, or the tail of the output when it failed
	Command string // the exact command, runnable from the repository root
	// Duration, LoadBefore and LoadAfter describe the run.
	Duration              time.Duration
	LoadBefore, LoadAfter string
	Figures               *Set
	Skipped               []Skip
	CPU                   string // the testing package's "cpu:" header, if printed
	Comparisons           []ComparisonResult
	Scalings              []ScalingResult
}

// Report is a whole run: the machine, when, how, and every group.
type Report struct {
	Machine Machine
	// Start and End are wall-clock times of the run.
	Start, End time.Time
	// LoadStart and LoadEnd are the load averages at the start and the end.
	LoadStart, LoadEnd string
	// Invoked is how the run was started ("make bench"); Command is the report
	// command's own command line.
	Invoked, Command string
	Quick            bool
	Count            int
	Groups           []GroupReport
}

// Runner runs benchmark groups. The zero value is not usable: set Root and Exec.
type Runner struct {
	// Root is the repository root.
	Root string
	// Go is the go command (default "go").
	Go string
	// Count is the number of runs of every benchmark (default 5). They are taken in
	// rounds: the group's go test runs Count times with -count 1, so its benchmarks
	// alternate (op, reference, op, reference, ...) and load from other processes
	// hits an operation and its reference alike. Quick selects the quick settings.
	Count int
	Quick bool
	// PostgresDSN is RELEASEKIT_POSTGRES_DSN; the PostgreSQL groups are skipped when it
	// is empty, with PostgresNote (why there is none) in the report.
	PostgresDSN, PostgresNote string
	// Select, when set, picks the groups to run by ID; the others are reported as
	// not selected.
	Select func(id string) bool
	// Exec runs commands; Now and Load read the clock and the load average (defaults:
	// time.Now and [LoadAverage]).
	Exec Exec
	Now  func() time.Time
	Load func() string
	// RawDir, when set, receives each group's raw output as <id>.txt.
	RawDir string
	// Log receives one line per group as it starts and ends (nil for none).
	Log io.Writer
}

func (r *Runner) defaults() {
	if r.Go == "" {
		r.Go = "go"
	}
	if r.Count <= 0 {
		r.Count = DefaultCount
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Load == nil {
		r.Load = LoadAverage
	}
	if r.Log == nil {
		r.Log = io.Discard
	}
}

// DefaultCount is the number of runs of every benchmark when [Runner].Count is not
// set: the median of at least five, published with its range.
const DefaultCount = 5

// Args returns the go test arguments of one round of a group (-count 1; the runner
// runs Count rounds).
func (r *Runner) Args(g Group) []string {
	r.defaults()
	s := g.Settings(r.Quick)
	return []string{"test", "-run", "^$", "-bench", s.Bench, "-benchmem",
		"-count", "1", "-benchtime", s.BenchTime, "-timeout", s.Timeout.String(), g.Package}
}

// CommandLine returns the group's command as one shell line, runnable from the
// repository root: Count rounds of one go test run.
func (r *Runner) CommandLine(g Group) string {
	r.defaults()
	parts := []string{}
	if d := g.Module.Dir(); d != "." {
		parts = append(parts, "cd", d, "&&")
	}
	if !g.Module.Workspace() {
		parts = append(parts, "GOWORK=off")
	}
	parts = append(parts, r.Go)
	for _, a := range r.Args(g) {
		parts = append(parts, ShellQuote(a))
	}
	line := strings.Join(parts, " ")
	if r.Count == 1 {
		return line
	}
	return fmt.Sprintf("for round in $(seq %d); do (%s); done", r.Count, line)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./=,:+@%-]+$`)

// ShellQuote quotes s for a POSIX shell when it needs quoting.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run runs the groups in order and returns the report. It never stops early: a group
// that fails or is skipped is recorded as such and the next one runs. Only a cancelled
// context ends the run; the groups not run then are reported as failed with the
// context's error.
func (r *Runner) Run(ctx context.Context, groups []Group) *Report {
	r.defaults()
	rep := &Report{Start: r.Now(), LoadStart: r.Load(), Quick: r.Quick, Count: r.Count}
	for _, g := range groups {
		rep.Groups = append(rep.Groups, r.RunGroup(ctx, g))
	}
	rep.End, rep.LoadEnd = r.Now(), r.Load()
	return rep
}

// RunGroup runs one group.
func (r *Runner) RunGroup(ctx context.Context, g Group) GroupReport {
	r.defaults()
	gr := GroupReport{Group: g, Command: r.CommandLine(g), Figures: Collect(nil)}
	if r.Select != nil && !r.Select(g.ID) {
		gr.Status, gr.Note = StatusNotSelected, "left out by the -groups filter of this run"
		gr.Comparisons, gr.Scalings = evaluate(g, gr.Figures)
		return gr
	}
	if g.NeedsPostgres && r.PostgresDSN == "" {
		gr.Status = StatusSkipped
		gr.Note = "RELEASEKIT_POSTGRES_DSN is not set"
		if r.PostgresNote != "" {
			gr.Note += ": " + r.PostgresNote
		}
		gr.Note += ". Set it to a database you own, or run `make bench` on a machine with initdb (it starts a throwaway cluster)."
		gr.Comparisons, gr.Scalings = evaluate(g, gr.Figures)
		fmt.Fprintf(r.Log, "== %s: skipped (%s)\n", g.ID, gr.Note)
		return gr
	}
	fmt.Fprintf(r.Log, "== %s: %s\n", g.ID, gr.Command)
	gr.LoadBefore = r.Load()
	start := r.Now()
	env := append(os.Environ(), "GOWORK=off")
	if g.Module.Workspace() {
		env[len(env)-1] = "GOWORK=" + filepath.Join(r.Root, "go.work")
	}
	if r.PostgresDSN != "" {
		env = append(env, "RELEASEKIT_POSTGRES_DSN="+r.PostgresDSN)
	}
	s := g.Settings(r.Quick)
	gctx, cancel := context.WithTimeout(ctx, time.Duration(r.Count)*s.Timeout+2*time.Minute)
	var out []byte
	var err error
	for range r.Count {
		o, rerr := r.Exec(gctx, filepath.Join(r.Root, g.Module.Dir()), env, r.Go, r.Args(g)...)
		out = append(out, o...)
		if rerr != nil {
			err = rerr
			break
		}
	}
	cancel()
	gr.Duration, gr.LoadAfter = r.Now().Sub(start), r.Load()
	if r.RawDir != "" {
		if werr := os.MkdirAll(r.RawDir, 0o755); werr == nil {
			_ = os.WriteFile(filepath.Join(r.RawDir, g.ID+".txt"), out, 0o644)
		}
	}
	parsed, perr := Parse(bytes.NewReader(out))
	gr.Status = StatusOK
	if err != nil || perr != nil {
		gr.Status = StatusFailed
		gr.Note = failureNote(errors.Join(err, perr), out)
	}
	gr.Figures = Collect(parsed.Results)
	gr.Skipped, gr.CPU = parsed.Skipped, parsed.CPU
	if gr.Status == StatusOK && gr.Figures.Len() == 0 {
		gr.Status = StatusFailed
		gr.Note = "go test printed no benchmark results" + skippedSuffix(parsed.Skipped) + "\n\n" + tail(out, 15)
	}
	gr.Comparisons, gr.Scalings = evaluate(g, gr.Figures)
	fmt.Fprintf(r.Log, "== %s: %s in %s\n", g.ID, gr.Status, gr.Duration.Round(time.Second))
	return gr
}

func evaluate(g Group, s *Set) ([]ComparisonResult, []ScalingResult) {
	var cs []ComparisonResult
	for _, c := range g.Comparisons {
		cs = append(cs, c.Evaluate(s))
	}
	var ss []ScalingResult
	for _, sc := range g.Scalings {
		ss = append(ss, sc.Evaluate(s))
	}
	return cs, ss
}

func skippedSuffix(sk []Skip) string {
	if len(sk) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d skipped: %s)", len(sk), sk[0].Reason)
}

func failureNote(err error, out []byte) string {
	t := tail(out, 20)
	if strings.Contains(t, err.Error()) {
		return t
	}
	return err.Error() + "\n\n" + t
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
