package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/spf13/cobra"
)

// stdinName is the name a calendar read from standard input goes by in positions.
const stdinName = "<stdin>"

// calendarFlags are the flags every command that reads a calendar file shares.
type calendarFlags struct {
	path string
	zone string // --zone: display zone and zone of wall-clock flag values
	json bool
}

func (f *calendarFlags) register(c *cobra.Command, required, withJSON bool) {
	c.Flags().StringVarP(&f.path, "calendar", "c", "", "the calendar file (YAML), or - for stdin")
	if required {
		_ = c.MarkFlagRequired("calendar")
	}
	_ = c.MarkFlagFilename("calendar", "yaml", "yml")
	c.Flags().StringVar(&f.zone, "zone", "", "IANA zone for printed times and wall-clock flag values (default: the calendar's zone, else UTC)")
	if withJSON {
		c.Flags().BoolVar(&f.json, "json", false, "write one JSON document to stdout instead of text to stderr")
	}
}

// load reads the calendar file; every problem becomes bad input.
func (a *app) load(path string) (*calfile.File, error) {
	var f *calfile.File
	var err error
	if path == "-" {
		data, rerr := io.ReadAll(io.LimitReader(a.env.Stdin, calfile.MaxBytes+1))
		if rerr != nil {
			return nil, &exitError{code: ExitBadUsage, err: fmt.Errorf("reading the calendar from stdin: %w", rerr)}
		}
		f, err = calfile.Load(stdinName, data)
	} else {
		f, err = calfile.LoadFile(path)
	}
	if err != nil {
		var fe *calfile.Error
		if errors.As(err, &fe) {
			return nil, &exitError{code: ExitBadUsage, err: fe}
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, &exitError{code: ExitBadUsage, err: fmt.Errorf("the calendar file %s does not exist", path)}
		}
		return nil, &exitError{code: ExitBadUsage, err: err}
	}
	return f, nil
}

// problemsOf lists the problems of an error for --json output.
func problemsOf(err error) []jsonProblem {
	var fe *calfile.Error
	if errors.As(err, &fe) {
		out := make([]jsonProblem, len(fe.Problems))
		for i, p := range fe.Problems {
			out[i] = jsonProblem{File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Column, Message: p.Msg}
		}
		return out
	}
	return []jsonProblem{{Message: err.Error()}}
}

// location is the zone of printed times and of wall-clock flag values.
func (f *calendarFlags) location(file *calfile.File) (*time.Location, error) {
	name := f.zone
	if name == "" && file != nil {
		name = file.Zone
	}
	if name == "" {
		return time.UTC, nil
	}
	loc, err := calendar.LoadZone(name)
	if err != nil {
		return nil, usageError("--zone %q is not an IANA time zone: use a name such as Europe/Berlin or UTC", name)
	}
	return loc, nil
}

// parseTime reads a time flag: "now", RFC 3339, or wall-clock time in loc.
func parseTime(flag, s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "now" {
		return now.In(loc), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.In(loc), nil
		}
	}
	w, err := calfile.ParseWallTime(s)
	if err != nil {
		if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
			return time.Time{}, usageError("--%s: %v", flag, err) // a date, wrong in detail
		}
		return time.Time{}, usageError("--%s %q: use now, an RFC 3339 time (2026-05-05T10:00:00+02:00) or a wall-clock time (2026-05-05 10:00) in the zone %s", flag, s, loc)
	}
	t, _ := calendar.Resolve(w, loc)
	return t.In(loc), nil
}

// subjectFlags describe the change a command asks about.
type subjectFlags struct {
	env      string
	class    string
	action   string
	services []string
	team     string
}

func (s *subjectFlags) register(c *cobra.Command) {
	c.Flags().StringVarP(&s.env, "env", "e", "", "the environment the change runs in (prod)")
	_ = c.MarkFlagRequired("env")
	c.Flags().StringVar(&s.class, "class", string(calendar.ClassNormal), "the change class: "+joinClasses())
	_ = c.RegisterFlagCompletionFunc("class", fixedCompletions(classStrings()...))
	c.Flags().StringVar(&s.action, "action", string(calendar.ActionDeploy), "what the change does: "+joinActions())
	_ = c.RegisterFlagCompletionFunc("action", fixedCompletions(actionStrings()...))
	c.Flags().StringSliceVar(&s.services, "service", nil, "a service the change touches (repeat, or separate with commas)")
	c.Flags().StringVar(&s.team, "team", "", "the team that owns the change")
}

func (s *subjectFlags) validate() error {
	var probs []string
	if strings.TrimSpace(s.env) == "" {
		probs = append(probs, "--env is empty: name the environment (prod)")
	}
	if !slices.Contains(classStrings(), s.class) {
		probs = append(probs, fmt.Sprintf("--class %q is unknown: use one of %s", s.class, joinClasses()))
	}
	if !slices.Contains(actionStrings(), s.action) {
		probs = append(probs, fmt.Sprintf("--action %q is unknown: use one of %s", s.action, joinActions()))
	}
	if slices.Contains(s.services, "") {
		probs = append(probs, "--service is empty: name the service")
	}
	if len(probs) > 0 {
		return &exitError{code: ExitBadUsage, err: &flagError{errors.New(strings.Join(probs, "\n"))}}
	}
	return nil
}

func classStrings() []string {
	var out []string
	for _, c := range calendar.Classes() {
		out = append(out, string(c))
	}
	return out
}

func actionStrings() []string {
	var out []string
	for _, c := range calendar.Actions() {
		out = append(out, string(c))
	}
	return out
}

func joinClasses() string { return strings.Join(classStrings(), ", ") }
func joinActions() string { return strings.Join(actionStrings(), ", ") }

// unusedID returns a booking ID that no booking of cal has, so that checking a change
// never replaces a booking of the file.
func unusedID(cal *calendar.Calendar, base string) string {
	id := base
	for i := 2; ; i++ {
		if _, taken := cal.Booking(id); !taken {
			return id
		}
		id = fmt.Sprintf("%s-%d", base, i)
	}
}

const humanLayout = "2006-01-02 15:04 MST"

func human(t time.Time, loc *time.Location) string { return t.In(loc).Format(humanLayout) }

func rfc3339(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

// horizon is how far check, next-slot and lint look ahead.
const horizon = 366 * 24 * time.Hour

// maxSpan bounds the ranges of occurrences and export, so that a typo in a year does
// not expand an hourly rule over centuries.
const maxSpan = 10 * 366 * 24 * time.Hour

// maxInstant is the last instant the calendar handles.
var maxInstant = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

func clampEnd(t time.Time) time.Time {
	if t.After(maxInstant) {
		return maxInstant
	}
	return t
}

// description returns the description of the rule called name, and where it was written.
func ruleInfo(f *calfile.File, name string) (desc, source string) {
	for _, r := range f.Rules {
		if r.Name == name {
			src := r.Pos.String()
			if r.Include != "" {
				src = r.Include + " (included at " + r.Pos.String() + ")"
			}
			return r.Description, src
		}
	}
	return "", ""
}

// plural returns "1 rule", "2 rules".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// open loads the calendar file of cf and returns it with the zone of its times.
func (a *app) open(cf *calendarFlags) (*calfile.File, *time.Location, error) {
	f, err := a.load(cf.path)
	if err != nil {
		return nil, nil, err
	}
	loc, err := cf.location(f)
	if err != nil {
		return nil, nil, err
	}
	return f, loc, nil
}

// span reads a pair of time flags: the end defaults to def(start) when its flag is
// empty, and must come after the start (or on it, when orEqual).
func (a *app) span(startFlag, startVal, endFlag, endVal string, def func(time.Time) time.Time, orEqual bool, loc *time.Location) (time.Time, time.Time, error) {
	now := a.env.Now()
	start, err := parseTime(startFlag, startVal, now, loc)
	if err != nil {
		return start, start, err
	}
	if endVal == "" {
		return start, clampEnd(def(start)), nil
	}
	end, err := parseTime(endFlag, endVal, now, loc)
	if err != nil {
		return start, end, err
	}
	if end.Before(start) || (!orEqual && end.Equal(start)) {
		return start, end, usageError("--%s %s is not after --%s %s: give a range", endFlag, human(end, loc), startFlag, human(start, loc))
	}
	if end.Sub(start) > maxSpan {
		return start, end, usageError("--%s %s is more than ten years after --%s %s: give a shorter range", endFlag, human(end, loc), startFlag, human(start, loc))
	}
	return start, end, nil
}

// positive checks a duration flag.
func positive(flag string, d time.Duration) error {
	if d <= 0 {
		return &exitError{code: ExitBadUsage, err: &flagError{fmt.Errorf("--%s %v: use a positive duration (45m)", flag, d)}}
	}
	return nil
}
