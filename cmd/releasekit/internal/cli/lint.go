package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/spf13/cobra"
)

type lintCmd struct {
	a      *app
	cal    calendarFlags
	at     string
	strict bool
}

func newLint(a *app) *cobra.Command {
	c := &lintCmd{a: a}
	cmd := &cobra.Command{
		Use:   "lint [FILE...]",
		Short: "Report every problem of calendar files at once",
		Long: `lint reads each calendar file (the arguments, or --calendar) and reports every
problem at once, each as file:line:column: message on stderr (with --json, one JSON
document on stdout): YAML syntax, unknown or repeated keys, missing fields, bad
times, durations, zones, classes and actions, invalid RRULEs, ends before starts,
repeated rule names and booking ids, unreadable or malformed included .ics files.

It also warns about rules that have no occurrence from --at (default now) to a year
later: they have ended (or start much later) and can go.

Exit status: 0 clean (warnings allowed), 1 warnings with --strict, 2 problems.`,
		Example: `  releasekit lint release-calendar.yaml
  releasekit lint --strict calendars/*.yaml
  # as a pre-commit hook, or in CI before anything else
  releasekit lint --json release-calendar.yaml > lint.json`,
		RunE: c.run,
	}
	c.cal.register(cmd, false, true)
	cmd.Flags().StringVar(&c.at, "at", "now", "the time from which rules must still have occurrences")
	cmd.Flags().BoolVar(&c.strict, "strict", false, "exit 1 when there are warnings")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return cmd
}

type lintFile struct {
	File     string        `json:"file"`
	OK       bool          `json:"ok"`
	Problems []jsonProblem `json:"problems"`
	Warnings []jsonProblem `json:"warnings"`
	Summary  string        `json:"summary,omitempty"`
}

func (c *lintCmd) run(cmd *cobra.Command, args []string) error {
	paths := args
	if c.cal.path != "" {
		paths = append([]string{c.cal.path}, paths...)
	}
	if len(paths) == 0 {
		return &exitError{code: ExitBadUsage, err: &flagError{errors.New("name a calendar file: releasekit lint FILE, or --calendar FILE")}}
	}
	var files []lintFile
	bad, warned := false, false
	for _, p := range paths {
		lf := lintFile{File: p, Problems: []jsonProblem{}, Warnings: []jsonProblem{}}
		f, err := c.a.load(p)
		if err != nil {
			bad = true
			lf.Problems = problemsOf(err)
			if p == "-" {
				lf.File = stdinName
			}
			files = append(files, lf)
			continue
		}
		lf.File = f.Name
		loc, err := c.cal.location(f)
		if err != nil {
			return err
		}
		at, err := parseTime("at", c.at, c.a.env.Now(), loc)
		if err != nil {
			return err
		}
		lf.Warnings = warnings(f, at, loc)
		warned = warned || len(lf.Warnings) > 0
		lf.OK = true
		lf.Summary = summary(f)
		files = append(files, lf)
	}
	if c.cal.json {
		if err := writeJSON(c.a.env.Stdout, struct {
			Files []lintFile `json:"files"`
		}{files}); err != nil {
			return err
		}
	} else {
		w := c.a.env.Stderr
		for _, lf := range files {
			for _, p := range lf.Problems {
				fmt.Fprintf(w, "%s %s\n", c.a.paint(red, "error:"), formatProblem(p))
			}
			for _, p := range lf.Warnings {
				fmt.Fprintf(w, "%s %s\n", c.a.paint(yellow, "warning:"), formatProblem(p))
			}
			if lf.OK {
				fmt.Fprintf(w, "%s: ok: %s\n", lf.File, lf.Summary)
			} else {
				fmt.Fprintf(w, "%s: %s\n", lf.File, plural(len(lf.Problems), "problem"))
			}
		}
	}
	switch {
	case bad:
		return &exitError{code: ExitBadUsage}
	case warned && c.strict:
		return &exitError{code: ExitNo}
	}
	return nil
}

func formatProblem(p jsonProblem) string {
	switch {
	case p.File == "":
		return p.Message
	case p.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	default:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
}

// warnings lists the rules with no occurrence in [at, at+horizon).
func warnings(f *calfile.File, at time.Time, loc *time.Location) []jsonProblem {
	out := []jsonProblem{}
	end := clampEnd(at.Add(horizon))
	for _, r := range f.Rules {
		occs, err := r.Occurrences(at, end)
		if err != nil || len(occs) > 0 {
			continue
		}
		p := jsonProblem{File: r.Pos.File, Line: r.Pos.Line, Column: r.Pos.Column,
			Message: fmt.Sprintf("%s %q has no occurrence from %s to %s: it has ended (or starts later); remove it or move it", r.Kind, r.Name, human(at, loc), human(end, loc))}
		if r.Include != "" {
			p.Message += " (read from " + r.Include + ")"
		}
		out = append(out, p)
	}
	return out
}

func summary(f *calfile.File) string {
	counts := map[calendar.Kind]int{}
	included := 0
	for _, r := range f.Rules {
		counts[r.Kind]++
		if r.Include != "" {
			included++
		}
	}
	s := fmt.Sprintf("%s (%s, %s, %s", plural(len(f.Rules), "rule"), plural(counts[calendar.Window], "window"),
		plural(counts[calendar.Freeze], "freeze"), plural(counts[calendar.Lockdown], "lockdown"))
	if included > 0 {
		s += fmt.Sprintf("; %d included", included)
	}
	return s + "), " + plural(f.Calendar.Len(), "booking")
}
