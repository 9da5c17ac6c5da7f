package benchreport

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Module is one of the repository's Go modules; a group's package lives in one.
type Module string

// The repository's modules.
const (
	// ModuleRoot is github.com/releasekit/releasekit at the repository root.
	ModuleRoot Module = "root"
	// ModuleBench is the bench module (bench/), which holds the reference libraries.
	ModuleBench Module = "bench"
	// ModulePostgres is the PostgreSQL adapter's module (adapters/postgres/).
	ModulePostgres Module = "postgres"
)

// Modules lists every [Module].
func Modules() []Module { return []Module{ModuleRoot, ModuleBench, ModulePostgres} }

// Workspace reports whether the module is measured in workspace mode (go.work) rather
// than with GOWORK=off. A published module other than the root requires the root at its
// release version, which go.work maps to the directory; on its own it would fetch that
// version instead of measuring the code in the tree.
func (m Module) Workspace() bool { return m == ModulePostgres }

// Dir is the module's directory relative to the repository root.
func (m Module) Dir() string {
	switch m {
	case ModuleBench:
		return "bench"
	case ModulePostgres:
		return "adapters/postgres"
	default:
		return "."
	}
}

// Settings are the -bench regexp and -benchtime of one kind of run.
type Settings struct {
	// Bench is the -bench regexp; empty in Quick means "the same as the full run".
	Bench string
	// BenchTime is the -benchtime value ("2s", "40x").
	BenchTime string
	// Timeout is the go test -timeout; zero means 10 minutes.
	Timeout time.Duration
}

// Group is one `go test -bench` invocation and what the report makes of it.
type Group struct {
	// ID is a short stable name ("depgraph-scale"), used to select groups.
	ID string
	// Title is the section heading.
	Title string
	// Issue names the issue whose targets the group checks ("issue 3").
	Issue string
	// Module and Package locate the package: Package is relative to the module's
	// directory ("./calendar", ".").
	Module  Module
	Package string
	// Full and Quick are the settings of `make bench` and `make bench-quick`.
	Full, Quick Settings
	// NeedsPostgres marks groups that need RELEASEKIT_POSTGRES_DSN; without it they
	// are skipped with a note.
	NeedsPostgres bool
	// Comparisons and Scalings are what the report computes from the figures.
	Comparisons []Comparison
	Scalings    []Scaling
	// Notes describe the workload and where the write-up lives (Markdown).
	Notes string
}

// Settings returns the settings of a quick or full run.
func (g Group) Settings(quick bool) Settings {
	s := g.Full
	if quick {
		if g.Quick.Bench != "" {
			s.Bench = g.Quick.Bench
		}
		if g.Quick.BenchTime != "" {
			s.BenchTime = g.Quick.BenchTime
		}
		if g.Quick.Timeout != 0 {
			s.Timeout = g.Quick.Timeout
		}
	}
	if s.Timeout == 0 {
		s.Timeout = 10 * time.Minute
	}
	return s
}

// Validate reports every problem of the group at once: a missing ID or title, an
// unknown module, a -bench regexp that does not compile, a comparison whose benchmarks
// the -bench regexp of the full run would not select, a bad target, or a scaling
// pattern without exactly one capture group.
func (g Group) Validate() error {
	var errs []error
	if g.ID == "" || g.Title == "" {
		errs = append(errs, fmt.Errorf("group %q: ID and Title are required", g.ID))
	}
	if !slices.Contains(Modules(), g.Module) {
		errs = append(errs, fmt.Errorf("group %q: unknown module %q: use one of %v", g.ID, g.Module, Modules()))
	}
	if g.Package == "" || g.Full.Bench == "" || g.Full.BenchTime == "" {
		errs = append(errs, fmt.Errorf("group %q: Package, Full.Bench and Full.BenchTime are required", g.ID))
	}
	for _, quick := range []bool{false, true} {
		if _, err := benchMatcher(g.Settings(quick).Bench); err != nil {
			errs = append(errs, fmt.Errorf("group %q: -bench %q: %w", g.ID, g.Settings(quick).Bench, err))
		}
	}
	m, err := benchMatcher(g.Full.Bench)
	for _, c := range g.Comparisons {
		if err := c.Target.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("group %q, comparison %q: %w", g.ID, c.Label, err))
		}
		names := []string{c.Op.Bench}
		if c.Ref != nil {
			names = append(names, c.Ref.Bench)
		}
		for _, n := range names {
			if err == nil && !m(n) {
				errs = append(errs, fmt.Errorf("group %q, comparison %q: -bench %q does not select %s", g.ID, c.Label, g.Full.Bench, n))
			}
		}
	}
	for _, sc := range g.Scalings {
		re, err := regexp.Compile(sc.Pattern)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("group %q, scaling %q: %w", g.ID, sc.Label, err))
		case re.NumSubexp() != 1:
			errs = append(errs, fmt.Errorf("group %q, scaling %q: pattern %q needs exactly one capture group (the size), has %d", g.ID, sc.Label, sc.Pattern, re.NumSubexp()))
		}
	}
	return errors.Join(errs...)
}

// MatchBench reports whether `go test -bench pattern` selects the benchmark with the
// given full name, with the testing package's rules: the pattern is split at slashes
// outside brackets and parentheses, and each part must match the name's element at
// the same level (levels beyond the parts match).
func MatchBench(pattern, name string) (bool, error) {
	m, err := benchMatcher(pattern)
	if err != nil {
		return false, err
	}
	return m(name), nil
}

func benchMatcher(pattern string) (func(string) bool, error) {
	var res []*regexp.Regexp
	for _, part := range splitPattern(pattern) {
		re, err := regexp.Compile(part)
		if err != nil {
			return nil, err
		}
		res = append(res, re)
	}
	return func(name string) bool {
		elems := strings.Split(name, "/")
		for i, re := range res {
			if i >= len(elems) {
				// A sub-benchmark level the name does not have: go test still runs the
				// parent, and the name stands for it.
				return true
			}
			if !re.MatchString(elems[i]) {
				return false
			}
		}
		return true
	}, nil
}

func splitPattern(p string) []string {
	var parts []string
	depth, brackets, start := 0, false, 0
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case brackets:
			if c == ']' {
				brackets = false
			}
		case c == '[':
			brackets = true
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '/' && depth == 0:
			parts = append(parts, p[start:i])
			start = i + 1
		}
	}
	return append(parts, p[start:])
}
