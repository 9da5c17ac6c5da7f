// Package cli is the releasekit command: the release calendar as code for any CI
// pipeline. main calls [Main]; tests call it in-process with their own streams, clock
// and environment.
//
// Each subcommand lives in its own file and is listed once in [commands]; a new one
// (verify-audit, once the audit pack exists) is a new file and one line there.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit statuses, the same for every command.
const (
	ExitOK       = 0 // check: may start; next-slot: found; lint: clean; others: done
	ExitNo       = 1 // check: may not start; next-slot: none found; lint --strict: warnings
	ExitBadUsage = 2 // bad input: flags, a calendar file with problems, an unreadable file
)

// Env is what the command reads from outside its arguments.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable (NO_COLOR, TERM).
	Getenv func(string) string
	// Now is the clock behind "now", the default of --at, --from and --after.
	Now func() time.Time
	// StderrIsTerminal reports whether stderr is a terminal (for --color=auto).
	StderrIsTerminal bool
	// Version is printed by --version; empty means the module version from the build.
	Version string
}

// OSEnv is the process's real environment.
func OSEnv() Env {
	return Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Now: time.Now,
		StderrIsTerminal: isTerminal(os.Stderr),
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// app is shared by every command of one run.
type app struct {
	env   Env
	color string // --color
}

// commands lists every subcommand's constructor, in the order --help shows them.
var commands = []func(*app) *cobra.Command{
	newCheck,
	newNextSlot,
	newOccurrences,
	newExport,
	newLint,
	newSchema,
}

// exitError carries an exit status and, for bad input, what was wrong.
type exitError struct {
	code int
	err  error
	// json is the document already written for --json, if any.
	quiet bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad input (exit status 2).
func usageError(format string, args ...any) error {
	return &exitError{code: ExitBadUsage, err: fmt.Errorf(format, args...)}
}

// Main runs the command with args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	a := &app{env: env}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// Cobra's own errors: unknown command, unknown or missing flags, bad values.
		ee = &exitError{code: ExitBadUsage, err: err}
	}
	if ee.err != nil && !ee.quiet {
		if wantJSON(cmd) {
			a.writeJSONError(ee.err)
		} else {
			a.printError(cmd, ee)
		}
	}
	return ee.code
}

func wantJSON(cmd *cobra.Command) bool {
	if cmd == nil {
		return false
	}
	f := cmd.Flags().Lookup("json")
	return f != nil && f.Value.String() == "true"
}

func (a *app) printError(cmd *cobra.Command, ee *exitError) {
	w := a.env.Stderr
	msg := ee.err.Error()
	if ee.code == ExitBadUsage {
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintf(w, "%s %s\n", a.paint(red, "error:"), line)
		}
		var usage bool
		var fe *flagError
		if errors.As(ee.err, &fe) || !errors.As(ee.err, new(*exitError)) {
			usage = true
		}
		if usage && cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return
	}
	fmt.Fprintln(w, msg)
}

// jsonProblem is one problem in --json output.
type jsonProblem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func (a *app) writeJSONError(err error) {
	doc := struct {
		Errors []jsonProblem `json:"errors"`
	}{Errors: problemsOf(err)}
	_ = writeJSON(a.env.Stdout, doc)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// flagError is a bad flag value.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "releasekit",
		Short: "The release calendar as code, for any CI pipeline",
		Long: `releasekit answers what every deploy job should ask before it starts: may this
change run now, and does it fit before the next freeze? It reads the release calendar
from one YAML file (windows, freezes, lockdowns, exceptions by change class, scopes,
capacities, IANA zones, included .ics files) that every pipeline shares.

Exit status, for every command:
  0  yes: the change may start, a slot was found, the file is clean, the work is done
  1  no: the change may not start, no slot was found (lint --strict: warnings)
  2  bad input: a bad flag, or a calendar file with problems (each shown as file:line:column)

Times (--at, --from, --to, --after, --before) are "now", an RFC 3339 time
(2026-05-05T10:00:00+02:00), or a wall-clock time (2026-05-05 10:00, 2026-05-05) in the
zone of --zone, else the calendar file's zone; a range is at most ten years long.
--calendar - reads the file from stdin (included files are then read relative to the
current directory).
Color goes to stderr on a terminal only; NO_COLOR (or --color never) turns it off.

The file format: docs/CALENDAR-FILE.md; CI recipes: docs/CI.md.`,
		Example: `  releasekit check --calendar release-calendar.yaml --env prod --class standard --duration 45m
  releasekit next-slot -c release-calendar.yaml --env prod --duration 2h
  releasekit lint release-calendar.yaml
  releasekit completion bash > /etc/bash_completion.d/releasekit`,
		Version:       a.version(),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("releasekit {{.Version}}\n")
	root.PersistentFlags().StringVar(&a.color, "color", "auto", "color the verdicts on stderr: auto (a terminal, unless NO_COLOR is set), always or never")
	_ = root.RegisterFlagCompletionFunc("color", fixedCompletions("auto", "always", "never"))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: ExitBadUsage, err: &flagError{err}}
	})
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		switch a.color {
		case "auto", "always", "never":
			return nil
		}
		return &exitError{code: ExitBadUsage, err: &flagError{fmt.Errorf("--color %q: use auto, always or never", a.color)}}
	}
	for _, newCmd := range commands {
		c := newCmd(a)
		c.Flags().SortFlags = false
		root.AddCommand(c)
	}
	return root
}

func (a *app) version() string {
	if a.env.Version != "" {
		return a.env.Version
	}
	return buildVersion()
}

// version is set by -ldflags "-X github.com/releasekit/releasekit/cmd/releasekit/internal/cli.version=v1.2.3".
var version string

func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version // a tagged version under go install …@v1.2.3
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" && (v == "(devel)" || strings.Contains(v, "-0.")) {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + dirty
	}
	return v + " " + bi.GoVersion
}

func fixedCompletions(vals ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return vals, cobra.ShellCompDirectiveNoFileComp
	}
}

// ---- color ----

const (
	red    = "31"
	green  = "32"
	yellow = "33"
)

func (a *app) colorOn() bool {
	switch a.color {
	case "always":
		return true
	case "auto":
	default:
		return false
	}
	if a.env.Getenv("NO_COLOR") != "" || a.env.Getenv("TERM") == "dumb" {
		return false
	}
	return a.env.StderrIsTerminal
}

// paint colors s for stderr when color is on.
func (a *app) paint(code, s string) string {
	if !a.colorOn() {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
