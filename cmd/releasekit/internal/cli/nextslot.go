package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/spf13/cobra"
)

type nextSlotCmd struct {
	a        *app
	cal      calendarFlags
	sub      subjectFlags
	after    string
	before   string
	duration time.Duration
}

func newNextSlot(a *app) *cobra.Command {
	c := &nextSlotCmd{a: a}
	cmd := &cobra.Command{
		Use:   "next-slot --calendar FILE --env ENV --duration D [--after TIME] [--before TIME]",
		Short: "Find the earliest time a change of a given length may start",
		Long: `next-slot finds the earliest start, at or after --after (default now) and at or
before --before (default a year later), at which a change of --duration passes every
rule of the calendar, on the calendar's alignment grid (alignment in the file, default
one minute).

It prints the start as an RFC 3339 time on stdout (for scripts) and a sentence on
stderr; with --json, one JSON document on stdout. When there is none it says which
rules and bookings blocked it.

Exit status: 0 found, 1 none in the range, 2 bad input.`,
		Example: `  # when may a 2-hour normal change run in prod?
  releasekit next-slot --calendar release-calendar.yaml --env prod --duration 2h

  # in a script
  start=$(releasekit next-slot -c release-calendar.yaml --env prod --duration 45m --class standard)

  # after a date, in New York time
  releasekit next-slot -c release-calendar.yaml --env prod --duration 1h --after 2026-12-01 --zone America/New_York --json`,
		Args: cobra.NoArgs,
		RunE: c.run,
	}
	c.cal.register(cmd, true, true)
	c.sub.register(cmd)
	cmd.Flags().DurationVar(&c.duration, "duration", 0, "how long the change runs (45m, 2h)")
	_ = cmd.MarkFlagRequired("duration")
	cmd.Flags().StringVar(&c.after, "after", "now", "the earliest start")
	cmd.Flags().StringVar(&c.before, "before", "", "the latest start (default a year after --after)")
	return cmd
}

type nextSlotResult struct {
	Found     bool         `json:"found"`
	Start     string       `json:"start,omitempty"`
	End       string       `json:"end,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	BlockedBy *jsonBlocked `json:"blocked_by,omitempty"`
}

type jsonBlocked struct {
	Rules    []string `json:"rules"`
	Bookings []string `json:"bookings"`
	Kinds    []string `json:"kinds"`
}

func (c *nextSlotCmd) run(cmd *cobra.Command, _ []string) error {
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
	after, before, err := c.a.span("after", c.after, "before", c.before, func(t time.Time) time.Time { return t.Add(horizon) }, true, loc)
	if err != nil {
		return err
	}
	req := calendar.Request{
		ID: unusedID(f.Calendar, "releasekit-next-slot"), Environment: c.sub.env, Services: c.sub.services, Team: c.sub.team,
		Class: calendar.Class(c.sub.class), Action: calendar.Action(c.sub.action),
		Duration: c.duration, NotBefore: after, NotAfter: before,
	}
	slot, err := f.Calendar.NextSlot(req)
	var ns *calendar.NoSlotError
	switch {
	case err == nil:
	case errors.As(err, &ns):
	default:
		return usageError("%v", err)
	}
	w := c.a.env.Stderr
	if c.cal.json {
		res := nextSlotResult{Found: err == nil}
		if err == nil {
			res.Start, res.End = rfc3339(slot.Start, loc), rfc3339(slot.End, loc)
		} else {
			res.Reason = ns.Error()
			res.BlockedBy = &jsonBlocked{Rules: nonNil(ns.Rules), Bookings: nonNil(ns.Bookings), Kinds: []string{}}
			for _, k := range ns.Kinds {
				res.BlockedBy.Kinds = append(res.BlockedBy.Kinds, string(k))
			}
		}
		if werr := writeJSON(c.a.env.Stdout, res); werr != nil {
			return werr
		}
	} else if err == nil {
		fmt.Fprintln(c.a.env.Stdout, rfc3339(slot.Start, loc))
		fmt.Fprintf(w, "%s %s from %s to %s\n", c.a.paint(green, "next slot:"), describeChange(slot), human(slot.Start, loc), human(slot.End, loc))
	} else {
		fmt.Fprintf(w, "%s %v\n", c.a.paint(red, "no slot:"), ns)
	}
	if err != nil {
		return &exitError{code: ExitNo}
	}
	return nil
}
