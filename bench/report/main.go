// Command report runs every benchmark of the repository and writes the benchmark
// report, docs/BENCHMARKS.md: each figure beside its reference measured in the same run,
// the ratio, the target from its issue and whether it is met, the machine, and how cost
// grows with size. It is what `make bench` and `make bench-quick` run.
//
// Usage, from the bench module's directory:
//
//	cd bench && GOWORK=off go run ./report [flags]
//
// Flags:
//
//	-count N         runs per benchmark, taken in N rounds of go test -count 1 so that an
//	                 operation and its reference alternate; figures are medians with their
//	                 min–max range (default 5)
//	-quick           short benchtimes for a smoke run (use with -count 1)
//	-groups REGEXP   run only the groups whose ID matches; the others are listed as not selected
//	-out FILE        where to write the report (default <repository root>/docs/BENCHMARKS.md; - for stdout)
//	-root DIR        the repository root (default: found from the working directory)
//	-raw DIR         also keep each group's raw go test output as DIR/<group>.txt (for benchstat)
//	-go PATH         the go command (default go)
//	-invoked TEXT    how the run was started, recorded in the report (make passes "make bench")
//	-postgres-note TEXT  why RELEASEKIT_POSTGRES_DSN is unset, recorded with the skipped groups
//	-list            print the groups and exit
//
// The PostgreSQL groups read RELEASEKIT_POSTGRES_DSN from the environment and are
// skipped, with a note in the report, when it is unset. Progress and the raw output go
// to standard error. The exit status is 0 when the report was written, whatever the
// verdicts (a benchmark report is a measurement, not a test), and 1 when it could not be.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/releasekit/releasekit/bench/report/internal/benchreport"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	count := fs.Int("count", benchreport.DefaultCount, "runs per benchmark, taken in rounds of go test -count 1; figures are medians with min–max")
	quick := fs.Bool("quick", false, "short benchtimes for a smoke run")
	groups := fs.String("groups", "", "run only the groups whose ID matches this regexp")
	out := fs.String("out", "", "report file (default <root>/docs/BENCHMARKS.md; - for stdout)")
	root := fs.String("root", "", "repository root (default: found from the working directory)")
	raw := fs.String("raw", "", "directory for each group's raw go test output")
	goBin := fs.String("go", "go", "the go command")
	invoked := fs.String("invoked", "", "how the run was started, recorded in the report")
	pgNote := fs.String("postgres-note", "", "why RELEASEKIT_POSTGRES_DSN is unset")
	list := fs.Bool("list", false, "print the groups and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: every setting is a flag (see -h)", fs.Args())
	}
	if *count < 1 {
		return fmt.Errorf("-count %d: need at least 1 run", *count)
	}
	all := benchreport.DefaultGroups()
	var errs []error
	for _, g := range all {
		if err := g.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("the group table is invalid: %w", err)
	}
	if *list {
		for _, g := range all {
			s := g.Settings(*quick)
			fmt.Printf("%-22s %-9s %-20s -bench %s -benchtime %s\n", g.ID, g.Module, g.Package, s.Bench, s.BenchTime)
		}
		return nil
	}
	var sel func(string) bool
	if *groups != "" {
		re, err := regexp.Compile(*groups)
		if err != nil {
			return fmt.Errorf("-groups %q: %w", *groups, err)
		}
		sel = re.MatchString
		n := 0
		for _, g := range all {
			if sel(g.ID) {
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("-groups %q matches no group; run with -list to see them", *groups)
		}
	}
	if *root == "" {
		r, err := findRoot()
		if err != nil {
			return err
		}
		*root = r
	}
	if *out == "" {
		*out = filepath.Join(*root, "docs", "BENCHMARKS.md")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	exec := benchreport.CommandExec(os.Stderr)
	r := &benchreport.Runner{
		Root: *root, Go: *goBin, Count: *count, Quick: *quick,
		PostgresDSN: os.Getenv("RELEASEKIT_POSTGRES_DSN"), PostgresNote: *pgNote,
		Select: sel, Exec: exec, RawDir: *raw, Log: os.Stderr,
	}
	machine := benchreport.DetectMachine(ctx, benchreport.CommandExec(nil), *goBin)
	rep := r.Run(ctx, all)
	rep.Machine = machine
	if rep.Machine.CPU == "" {
		rep.Machine.CPU = firstCPU(rep)
	}
	rep.Invoked = *invoked
	rep.Command = commandLine(args)

	var buf bytes.Buffer
	if err := benchreport.Render(&buf, rep); err != nil {
		return err
	}
	if *out == "-" {
		_, err := os.Stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s\n", *out)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: the report at %s is partial", *out)
	}
	return nil
}

// firstCPU is the fallback CPU model when /proc/cpuinfo is unreadable: the testing
// package's "cpu:" header of the first group that printed one.
func firstCPU(rep *benchreport.Report) string {
	for _, g := range rep.Groups {
		if g.CPU != "" {
			return g.CPU
		}
	}
	return ""
}

func commandLine(args []string) string {
	parts := []string{"cd bench && GOWORK=off go run ./report"}
	for _, a := range args {
		parts = append(parts, benchreport.ShellQuote(a))
	}
	return strings.Join(parts, " ")
}

// findRoot walks up from the working directory to the directory whose go.mod declares
// module github.com/releasekit/releasekit.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/releasekit/releasekit\n")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no repository root above %s (a go.mod declaring module github.com/releasekit/releasekit): pass -root", dir)
		}
		d = parent
	}
}
