package cli

import (
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/releasekit/releasekit/calendar"
	"github.com/releasekit/releasekit/calendar/calfile"
	"github.com/spf13/cobra"
)

type occurrencesCmd struct {
	a        *app
	cal      calendarFlags
	from, to string
	rules    []string
	kinds    []string
	env      string
	services []string
	team     string
}

func newOccurrences(a *app) *cobra.Command {
	c := &occurrencesCmd{a: a}
	cmd := &cobra.Command{
		Use:   "occurrences --calendar FILE [--from TIME] [--to TIME]",
		Short: "List the instances of the rules in a range, shifted and skipped ones marked",
		Long: `occurrences lists every instance of the calendar's rules that overlaps
[--from, --to) (default: now and 30 days later), sorted by start, as a table on stdout
(or JSON with --json). The status column says:

  scheduled  the instance runs as its rule says
  shifted    its start or end fell in a spring-forward gap and was moved past it
             (the DST contract: 02:30 on the night clocks jump to 03:00 becomes 03:30)
  skipped    its start fell in a spring-forward gap and the rule says dst_gap: skip
  excluded   its start is listed in the rule's exclude

Skipped and excluded instances do not apply; they are listed so that you can see them.
--rule, --kind, --env, --service and --team narrow the list (rules whose scope matches).

Exit status: 0 done, 2 bad input.`,
		Example: `  # the next 30 days
  releasekit occurrences --calendar release-calendar.yaml

  # the spring-forward weekend in Berlin, freezes only
  releasekit occurrences -c release-calendar.yaml --from 2026-03-28 --to 2026-03-31 --kind freeze

  # what applies to prod in December, as JSON
  releasekit occurrences -c release-calendar.yaml --env prod --from 2026-12-01 --to 2027-01-01 --json`,
		Args: cobra.NoArgs,
		RunE: c.run,
	}
	c.cal.register(cmd, true, true)
	cmd.Flags().StringVar(&c.from, "from", "now", "start of the range")
	cmd.Flags().StringVar(&c.to, "to", "", "end of the range (default 30 days after --from)")
	cmd.Flags().StringSliceVar(&c.rules, "rule", nil, "only the rule with this name (repeat)")
	cmd.Flags().StringSliceVar(&c.kinds, "kind", nil, "only rules of this kind: window, freeze, lockdown (repeat)")
	_ = cmd.RegisterFlagCompletionFunc("kind", fixedCompletions("window", "freeze", "lockdown"))
	cmd.Flags().StringVarP(&c.env, "env", "e", "", "only rules that apply to this environment")
	cmd.Flags().StringSliceVar(&c.services, "service", nil, "only rules that apply to a change of this service (with --env)")
	cmd.Flags().StringVar(&c.team, "team", "", "only rules that apply to this team (with --env)")
	return cmd
}

// Occurrence statuses.
const (
	statusScheduled = "scheduled"
	statusShifted   = "shifted"
	statusSkipped   = "skipped"
	statusExcluded  = "excluded"
)

type jsonOccurrence struct {
	Rule   string `json:"rule"`
	Kind   string `json:"kind"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Status string `json:"status"`
	Source string `json:"source"`
}

type occurrence struct {
	calendar.Occurrence
	status string
	order  int
	source string
}

func (c *occurrencesCmd) run(cmd *cobra.Command, _ []string) error {
	for _, k := range c.kinds {
		if !slices.Contains(calendar.Kinds(), calendar.Kind(k)) {
			return &exitError{code: ExitBadUsage, err: &flagError{fmt.Errorf("--kind %q is unknown: use window, freeze or lockdown", k)}}
		}
	}
	if c.env == "" && (len(c.services) > 0 || c.team != "") {
		return &exitError{code: ExitBadUsage, err: &flagError{fmt.Errorf("--service and --team narrow rules for an environment: give --env too")}}
	}
	f, loc, err := c.a.open(&c.cal)
	if err != nil {
		return err
	}
	from, to, err := c.a.span("from", c.from, "to", c.to, func(t time.Time) time.Time { return t.AddDate(0, 0, 30) }, false, loc)
	if err != nil {
		return err
	}
	for _, name := range c.rules {
		if !slices.ContainsFunc(f.Rules, func(r calfile.Rule) bool { return r.Name == name }) {
			return usageError("--rule %q: the calendar has no rule of that name", name)
		}
	}
	var all []occurrence
	for i, r := range f.Rules {
		if len(c.rules) > 0 && !slices.Contains(c.rules, r.Name) {
			continue
		}
		if len(c.kinds) > 0 && !slices.Contains(c.kinds, string(r.Kind)) {
			continue
		}
		if c.env != "" && !r.Scope.Matches(c.env, c.services, c.team) {
			continue
		}
		occs, err := instances(r.Rule, from, to)
		if err != nil {
			return usageError("rule %q: %v", r.Name, err)
		}
		src := r.Pos.String()
		if r.Include != "" {
			src = r.Include
		}
		for _, o := range occs {
			o.order, o.source = i, src
			all = append(all, o)
		}
	}
	slices.SortStableFunc(all, func(x, y occurrence) int {
		if c := x.Start.Compare(y.Start); c != 0 {
			return c
		}
		return x.order - y.order
	})
	if c.cal.json {
		out := []jsonOccurrence{}
		for _, o := range all {
			out = append(out, jsonOccurrence{Rule: o.Rule, Kind: string(o.Kind), Start: rfc3339(o.Start, loc), End: rfc3339(o.End, loc), Status: o.status, Source: o.source})
		}
		return writeJSON(c.a.env.Stdout, out)
	}
	if len(all) == 0 {
		fmt.Fprintf(c.a.env.Stderr, "no occurrences from %s to %s\n", human(from, loc), human(to, loc))
		return nil
	}
	tw := tabwriter.NewWriter(c.a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tKIND\tRULE\tSTATUS")
	for _, o := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", human(o.Start, loc), human(o.End, loc), o.Kind, o.Rule, o.status)
	}
	return tw.Flush()
}

// instances returns the occurrences of r overlapping [from, to), and those that the
// rule leaves out (skipped in a DST gap, excluded by date), each with its status.
func instances(r calendar.Rule, from, to time.Time) ([]occurrence, error) {
	occs, err := r.Occurrences(from, to)
	if err != nil {
		return nil, err
	}
	out := make([]occurrence, 0, len(occs))
	kept := map[time.Time]bool{}
	for _, o := range occs {
		st := statusScheduled
		if o.Shifted {
			st = statusShifted
		}
		out = append(out, occurrence{Occurrence: o, status: st})
		kept[o.Start.UTC()] = true
	}
	if !r.SkipNonexistent && len(r.ExDates) == 0 {
		return out, nil
	}
	// The instances left out: those of the rule without exclusions and without
	// skipping that the rule itself does not produce.
	noEx := r
	noEx.ExDates = nil
	withEx, err := noEx.Occurrences(from, to)
	if err != nil {
		return nil, err
	}
	excluded := map[time.Time]bool{}
	for _, o := range withEx {
		if !kept[o.Start.UTC()] {
			excluded[o.Start.UTC()] = true
			out = append(out, occurrence{Occurrence: o, status: statusExcluded})
		}
	}
	if r.SkipNonexistent {
		full := noEx
		full.SkipNonexistent = false
		occsFull, err := full.Occurrences(from, to)
		if err != nil {
			return nil, err
		}
		inNoEx := map[time.Time]bool{}
		for _, o := range withEx {
			inNoEx[o.Start.UTC()] = true
		}
		for _, o := range occsFull {
			if !inNoEx[o.Start.UTC()] && !kept[o.Start.UTC()] && o.Shifted {
				out = append(out, occurrence{Occurrence: o, status: statusSkipped})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y occurrence) int { return x.Start.Compare(y.Start) })
	return out, nil
}
