package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/spf13/cobra"
)

type checkCmd struct {
	a        *app
	cal      calendarFlags
	sub      subjectFlags
	at       string
	duration time.Duration
}

func newCheck(a *app) *cobra.Command {
	c := &checkCmd{a: a}
	cmd := &cobra.Command{
		Use:   "check --calendar FILE --env ENV [--class CLASS] [--at TIME] [--duration D]",
		Short: "Say whether a change may start now and whether it fits before the next freeze",
		Long: `check answers "may this change start now, and does it fit before the next freeze?"
for a change of a class (standard, normal, emergency) and an action (deploy, hotfix,
rollback) in an environment, optionally touching services and owned by a team.

The change runs from --at (default now) for --duration (default one second: "may it
start at all"). It may start when the calendar finds no conflict over that whole time:
no lockdown, no freeze that does not allow its class or action, inside open window time
when windows apply, no booked change to the same services, and room under the
environment's capacity.

It writes the verdict and the reasons to stderr: when the change may start, how long the
calendar stays open for it and what closes it; when it may not, every conflict and the
next opening (the earliest start with room for --duration, within a year). With --json
it writes the same as one JSON document to stdout.

Exit status: 0 may start, 1 may not start, 2 bad input.`,
		Example: `  # the deploy job's gate: a 45-minute standard change in prod, now
  releasekit check --calendar release-calendar.yaml --env prod --class standard --duration 45m

  # an emergency hotfix to the payments service at a given time, as JSON
  releasekit check -c release-calendar.yaml --env prod --class emergency --action hotfix \
    --service payments --at 2026-12-24T10:00:00+01:00 --json

  # the calendar from stdin
  curl -s https://git.example.com/cal.yaml | releasekit check -c - --env prod`,
		Args: cobra.NoArgs,
		RunE: c.run,
	}
	c.cal.register(cmd, true, true)
	c.sub.register(cmd)
	cmd.Flags().StringVar(&c.at, "at", "now", "when the change starts")
	cmd.Flags().DurationVar(&c.duration, "duration", time.Second, "how long the change runs (45m, 2h)")
	return cmd
}

// checkResult is the --json document of check.
type checkResult struct {
	MayStart    bool           `json:"may_start"`
	Change      jsonChange     `json:"change"`
	Conflicts   []jsonConflict `json:"conflicts"`
	OpenUntil   *string        `json:"open_until"`
	ClosedBy    *jsonConflict  `json:"closed_by"`
	NextOpening *jsonSlot      `json:"next_opening"`
	NoOpening   string         `json:"no_opening,omitempty"`
}

type jsonChange struct {
	Environment string   `json:"environment"`
	Services    []string `json:"services"`
	Team        string   `json:"team,omitempty"`
	Class       string   `json:"class"`
	Action      string   `json:"action"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Duration    string   `json:"duration"`
}

type jsonConflict struct {
	Kind        string   `json:"kind"`
	Rule        string   `json:"rule,omitempty"`
	With        []string `json:"with,omitempty"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	Reason      string   `json:"reason"`
	Description string   `json:"description,omitempty"`
	Source      string   `json:"source,omitempty"`
}

type jsonSlot struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func (c *checkCmd) run(cmd *cobra.Command, _ []string) error {
	if err := c.sub.validate(); err != nil {
		return err
	}
	if err := positive("duration", c.duration); err != nil {
		return err
	}
	f, loc, err := c.a.open(&c.cal)
	if err != nil {
		return err
	}
	at, err := parseTime("at", c.at, c.a.env.Now(), loc)
	if err != nil {
		return err
	}
	v := verdictFor(f.Calendar, c.sub, at, c.duration)
	if v.err != nil {
		return usageError("%v", v.err)
	}
	res := c.result(f, v, loc)
	if c.cal.json {
		if err := writeJSON(c.a.env.Stdout, res); err != nil {
			return err
		}
	} else {
		c.print(f, v, loc)
	}
	if !v.mayStart {
		return &exitError{code: ExitNo}
	}
	return nil
}

// verdict is what check decided.
type verdict struct {
	change    calendar.Booking
	conflicts []calendar.Conflict
	mayStart  bool
	// openUntil is when the open time the change starts in ends (zero: not within the
	// horizon); closer is the conflict that closes it.
	openUntil time.Time
	closer    *calendar.Conflict
	// next is the next opening when the change may not start.
	next    *calendar.Booking
	nextErr error
	err     error
}

// verdictFor asks the calendar about a change of sub from at for d. The change may start
// exactly when cal.Check finds no conflict.
func verdictFor(cal *calendar.Calendar, sub subjectFlags, at time.Time, d time.Duration) verdict {
	b := calendar.Booking{
		ID: unusedID(cal, "releasekit-check"), Environment: sub.env, Services: sub.services, Team: sub.team,
		Start: at, End: at.Add(d), Class: calendar.Class(sub.class), Action: calendar.Action(sub.action),
	}
	if err := b.Validate(); err != nil {
		return verdict{err: err}
	}
	v := verdict{change: b}
	v.conflicts = cal.Check(b)
	v.mayStart = len(v.conflicts) == 0
	if v.mayStart {
		// Conflicts are monotone in the interval: the open time ends where the first
		// conflict of a change running to the horizon begins.
		long := b
		long.End = clampEnd(at.Add(horizon))
		for _, cf := range cal.Check(long) {
			start := cf.Start
			if start.Before(at) {
				start = at
			}
			if v.closer == nil || start.Before(v.openUntil) {
				cf := cf
				v.openUntil, v.closer = start, &cf
			}
		}
		return v
	}
	req := calendar.Request{
		ID: b.ID, Environment: b.Environment, Services: b.Services, Team: b.Team, Class: b.Class, Action: b.Action,
		Duration: d, NotBefore: at, NotAfter: clampEnd(at.Add(horizon)),
	}
	slot, err := cal.NextSlot(req)
	if err != nil {
		v.nextErr = err
	} else {
		v.next = &slot
	}
	return v
}

func (c *checkCmd) result(f *calfile.File, v verdict, loc *time.Location) checkResult {
	res := checkResult{
		MayStart: v.mayStart,
		Change: jsonChange{
			Environment: v.change.Environment, Services: nonNil(v.change.Services), Team: v.change.Team,
			Class: string(v.change.Class), Action: string(v.change.Action),
			Start: rfc3339(v.change.Start, loc), End: rfc3339(v.change.End, loc),
			Duration: v.change.End.Sub(v.change.Start).String(),
		},
		Conflicts: []jsonConflict{},
	}
	for _, cf := range v.conflicts {
		res.Conflicts = append(res.Conflicts, conflictJSON(f, cf, loc))
	}
	if v.closer != nil {
		s := rfc3339(v.openUntil, loc)
		res.OpenUntil = &s
		j := conflictJSON(f, *v.closer, loc)
		// The calendar's reason speaks of the probe that ran to the horizon; say
		// what closes the open time instead.
		j.Reason = "open until " + human(v.openUntil, loc) + ", " + closing(*v.closer)
		if v.closer.Kind == calendar.ConflictOutsideWindow {
			j.Rule = ""
		}
		res.ClosedBy = &j
	}
	if v.next != nil {
		res.NextOpening = &jsonSlot{Start: rfc3339(v.next.Start, loc), End: rfc3339(v.next.End, loc)}
	}
	if v.nextErr != nil {
		res.NoOpening = v.nextErr.Error()
	}
	return res
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func conflictJSON(f *calfile.File, cf calendar.Conflict, loc *time.Location) jsonConflict {
	j := jsonConflict{Kind: string(cf.Kind), Rule: cf.Rule, With: cf.With, Start: rfc3339(cf.Start, loc), End: rfc3339(cf.End, loc), Reason: cf.Reason}
	if cf.Rule != "" && cf.Kind != calendar.ConflictOutsideWindow {
		j.Description, j.Source = ruleInfo(f, cf.Rule)
	}
	return j
}

func describeChange(b calendar.Booking) string {
	class := string(b.Class)
	if class == "" {
		class = string(calendar.ClassNormal)
	}
	action := string(b.Action)
	if action == "" {
		action = string(calendar.ActionDeploy)
	}
	article := "a"
	if strings.ContainsAny(class[:1], "aeiou") {
		article = "an"
	}
	s := fmt.Sprintf("%s %s %s in %s", article, class, action, b.Environment)
	if len(b.Services) > 0 {
		s += " of " + strings.Join(b.Services, ", ")
	}
	if b.Team != "" {
		s += " by " + b.Team
	}
	return s
}

func (c *checkCmd) print(f *calfile.File, v verdict, loc *time.Location) {
	w := c.a.env.Stderr
	span := fmt.Sprintf("from %s to %s", human(v.change.Start, loc), human(v.change.End, loc))
	if v.change.End.Sub(v.change.Start) < time.Minute {
		span = "at " + human(v.change.Start, loc)
	}
	if v.mayStart {
		fmt.Fprintf(w, "%s %s %s\n", c.a.paint(green, "may start:"), describeChange(v.change), span)
		switch {
		case v.closer == nil:
			fmt.Fprintf(w, "open for at least %d days\n", int(horizon/(24*time.Hour)))
		default:
			fmt.Fprintf(w, "open until %s, %s\n", human(v.openUntil, loc), closing(*v.closer))
		}
		return
	}
	fmt.Fprintf(w, "%s %s %s\n", c.a.paint(red, "may not start:"), describeChange(v.change), span)
	for _, cf := range v.conflicts {
		fmt.Fprintf(w, "  - %s: %s\n", cf.Kind, cf.Reason)
		if cf.Rule != "" && cf.Kind != calendar.ConflictOutsideWindow {
			if desc, src := ruleInfo(f, cf.Rule); desc != "" {
				fmt.Fprintf(w, "    %s (%s)\n", desc, src)
			}
		}
	}
	switch {
	case v.next != nil && v.next.End.Sub(v.next.Start) < time.Minute:
		fmt.Fprintf(w, "next opening: %s\n", human(v.next.Start, loc))
	case v.next != nil:
		fmt.Fprintf(w, "next opening: %s (until %s)\n", human(v.next.Start, loc), human(v.next.End, loc))
	case v.nextErr != nil:
		fmt.Fprintf(w, "no opening within %d days: %v\n", int(horizon/(24*time.Hour)), v.nextErr)
	}
}

// closing says what ends the open time.
func closing(cf calendar.Conflict) string {
	switch cf.Kind {
	case calendar.ConflictFreeze:
		return fmt.Sprintf("when freeze %q starts", cf.Rule)
	case calendar.ConflictLockdown:
		return fmt.Sprintf("when lockdown %q starts", cf.Rule)
	case calendar.ConflictOutsideWindow:
		return "when the deployment window closes"
	case calendar.ConflictCapacity:
		return fmt.Sprintf("when the environment is full (bookings %s)", strings.Join(cf.With, ", "))
	case calendar.ConflictOverlap:
		return fmt.Sprintf("when booking %s changes the same services", strings.Join(cf.With, ", "))
	}
	return cf.Reason
}
