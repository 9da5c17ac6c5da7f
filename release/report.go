package release

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/dora"
	"github.com/releasekit/releasekit/risk"
)

// ReportFormat is the rendering of an [Engine.Report].
type ReportFormat string

const (
	// ReportMarkdown is Markdown for people and for review: GitHub renders it,
	// Mermaid charts included. It is the default.
	ReportMarkdown ReportFormat = "markdown"
	// ReportHTML is one self-contained HTML page: the calendar and the dependency
	// graph are inline SVG, the styles inline, and nothing needs JavaScript.
	ReportHTML ReportFormat = "html"
)

// ReportOptions selects the releases of an [Engine.Report] and titles it.
type ReportOptions struct {
	// From and To bound the period, [From, To). Both are required.
	From, To time.Time
	// Environment restricts the report to one environment; "" means every one.
	Environment string
	// Production is the environment whose deployments the DORA metrics count (DORA
	// measures production); "" means Environment when it is set, else "prod".
	Production string
	// Graph is the dependency graph of the components, drawn when given.
	Graph *depgraph.Graph[string]
	// Title heads the report; "" means "Release report".
	Title string
	// Format is the rendering: "" or ReportMarkdown, or ReportHTML.
	Format ReportFormat
}

func (o ReportOptions) production() string {
	switch {
	case o.Production != "":
		return o.Production
	case o.Environment != "":
		return o.Environment
	}
	return "prod"
}

// Validate reports every problem with o at once, as a *ValidationError.
func (o ReportOptions) Validate() error {
	var p []string
	if o.From.IsZero() {
		p = append(p, "From is zero; give the first instant of the period")
	}
	if o.To.IsZero() {
		p = append(p, "To is zero; give the first instant after the period")
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.To.After(o.From) {
		p = append(p, fmt.Sprintf("To (%s) is not after From (%s); the period is empty",
			o.To.UTC().Format(time.RFC3339), o.From.UTC().Format(time.RFC3339)))
	}
	if o.Format != "" && o.Format != ReportMarkdown && o.Format != ReportHTML {
		p = append(p, fmt.Sprintf("Format %q is not %q or %q", o.Format, ReportMarkdown, ReportHTML))
	}
	return validation("report options", p)
}

// Report writes the releases of a period for the people who answer for them: a
// summary first, then what stopped a release and why, with the detail in an
// appendix. A release belongs to the period when it was created in [From, To), its
// booked slot overlaps it, or it reached deployed in it.
//
// The main body has, in order:
//
//   - the summary: per environment, how many releases shipped, were rolled back,
//     are held (unscheduled before they started) and are booked (other outcomes get
//     a column when a release has them), and which ones;
//   - the releases, numbered (r1, r2…) so the other sections can refer to them:
//     version, environment, class, outcome (shipped, rolled back, held, booked,
//     failed, cancelled…), lifecycle state, slot, risk, and the release it was
//     promoted from;
//   - decisions and refusals, from the histories: No-Go decisions (which gates
//     blocked), refused starts (the calendar, a lockdown, a guard), people's
//     rejections, failures, unschedules, cancels, revoked approvals and calendar
//     overrides, and the lockdowns and freezes declared and lifted in the period,
//     each with who, when and why; a reason longer than a line or two is cut
//     there and given in full in the appendix;
//   - the calendar: a Gantt chart of the booked slots per environment, in UTC;
//   - gate decisions, in a few lines: which approvals passed every gate, which
//     passed with a waiver or a failing advisory gate, which were No-Go;
//   - risk: one row per assessment, the same release assessed alike in several
//     environments once, with its top reason;
//   - rollouts, rollbacks and reviews, one line each;
//   - the DORA metrics of Production ([Engine.DORA]). Lead time is labelled with
//     where it starts: from the commit when every release gave Spec.CommittedAt,
//     otherwise from release creation, whose band is "at best" that one (a
//     release is created after its commit, so the real lead time is longer);
//   - the audit: whether every history verifies ([VerifyRelease]).
//
// The appendix holds the decisions' reasons in full, each distinct gate table once
// (G1, G2…, with the decisions that had it), the full risk reasons, every rollout
// step and measurement, the dependency graphs (ReportOptions.Graph and the needs
// between the releases), the DORA metrics per service and the audit per release.
// For the quickstart's December train (15 releases in three environments) the HTML
// rendering's main body prints on two pages (US Letter), and the Markdown's is at
// most 125 lines.
//
// With Format ReportHTML the same report is one HTML page (html/template, every
// value escaped) whose calendar and dependency graph are inline SVG; it needs no
// JavaScript and no network.
//
// Releases are ordered by slot start (releases without a slot last), then by ID
// (creation order), and nothing depends on map order, so the same store gives the
// same text. Markdown table cells are escaped (pipes, line breaks, HTML). Report
// writes nothing when it fails: invalid options give a *ValidationError
// (ErrInvalid), a store failure or a cancelled context its error.
func (e *Engine) Report(ctx context.Context, w io.Writer, opts ReportOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	rs, metrics, lead, err := e.reportReleases(ctx, opts)
	if err != nil {
		return err
	}
	hist := make([][]AuditEntry, len(rs))
	for i, r := range rs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if hist[i], err = e.store.History(ctx, r.ID); err != nil {
			return fmt.Errorf("release: report: history of %s %s: %w", r.Name, r.Version, err)
		}
	}
	stops, err := e.periodLockdowns(ctx, opts)
	if err != nil {
		return fmt.Errorf("release: report: lockdowns: %w", err)
	}
	m := newReportModel(opts, rs, hist, metrics, lead)
	m.Decisions = append(m.Decisions, stops...)
	var b bytes.Buffer
	if opts.Format == ReportHTML {
		err = writeHTMLReport(&b, m, opts.Graph)
	} else {
		err = writeMarkdownReport(&b, m, opts.Graph)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// periodLockdowns are the decisions table's rows for the lockdowns and freezes
// declared or lifted in the period that cover the report's environment: who
// stopped the line, and who started it again, and why. A store that keeps no
// lockdowns has none.
func (e *Engine) periodLockdowns(ctx context.Context, opts ReportOptions) ([]decisionRow, error) {
	ls, ok := e.store.(LockdownStore)
	if !ok {
		return nil, nil
	}
	h, err := e.readLockdowns(ctx, ls) // verified, as the audit pack reads it
	if err != nil {
		return nil, err
	}
	var out []decisionRow
	for _, en := range h {
		l := en.Lockdown
		if opts.Environment != "" && len(l.Environments) > 0 && !slices.Contains(l.Environments, opts.Environment) {
			continue
		}
		row := decisionRow{Ref: "–", Release: string(l.kind()) + " of " + l.scope()}
		switch en.Event {
		case EventDeclare:
			row.What, row.Who, row.At, row.Why = string(l.kind())+" declared", l.DeclaredBy.ID, l.DeclaredAt, l.Reason
		case EventLift:
			row.What, row.Who, row.At, row.Why = "lifted", l.LiftedBy.ID, l.LiftedAt, l.LiftReason
		default:
			continue
		}
		if row.At.Before(opts.From) || !row.At.Before(opts.To) {
			continue
		}
		if strings.TrimSpace(row.Why) == "" {
			row.Why = "no reason given"
		}
		out = append(out, row)
	}
	return out, nil
}

// reportReleases lists the releases of the period in report order, and computes
// the DORA metrics of the production environment (opts.production()) over the
// period with the basis of their lead times. Every release is read once: one
// listing serves both when the report covers every environment or the production
// one; otherwise the two environments hold different releases, each listed by its
// own index.
func (e *Engine) reportReleases(ctx context.Context, opts ReportOptions) ([]Release, dora.Report, leadBasis, error) {
	period, prod := dora.Period{From: opts.From, To: opts.To}, opts.production()
	if err := period.Validate(); err != nil {
		return nil, dora.Report{}, leadBasis{}, fmt.Errorf("release: report: DORA metrics: %w: %v", ErrInvalid, err)
	}
	var (
		ds        []dora.Deployment
		committed []time.Time
	)
	apart := opts.Environment != "" && opts.Environment != prod
	rs, err := e.periodReleases(ctx, opts, func(r Release) {
		if d, ok := deploymentOf(r); ok && !apart && r.Environment == prod {
			ds = append(ds, d)
			committed = append(committed, r.CommittedAt)
		}
	})
	if err != nil {
		return nil, dora.Report{}, leadBasis{}, err
	}
	if apart {
		if ds, committed, err = e.deployments(ctx, prod); err != nil {
			return nil, dora.Report{}, leadBasis{}, fmt.Errorf("release: report: DORA metrics: %w", err)
		}
	}
	metrics, lead := doraOf(ds, committed, period)
	return rs, metrics, lead, nil
}

// periodReleases lists the releases of the period in report order; each, when not
// nil, sees every release of opts.Environment it lists, in the period or not.
func (e *Engine) periodReleases(ctx context.Context, opts ReportOptions, each func(Release)) ([]Release, error) {
	var out []Release
	in := func(t time.Time) bool { return !t.Before(opts.From) && t.Before(opts.To) }
	err := e.eachRelease(ctx, Filter{Environment: opts.Environment}, func(r Release) {
		deployed, ok := r.Reached[StateDeployed]
		if in(r.CreatedAt) || ok && in(deployed) ||
			r.Slot != nil && r.Slot.Start.Before(opts.To) && r.Slot.End.After(opts.From) {
			out = append(out, r)
		}
		if each != nil {
			each(r)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("release: report: list releases: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Release) int {
		switch {
		case a.Slot != nil && b.Slot != nil:
			if c := a.Slot.Start.Compare(b.Slot.Start); c != 0 {
				return c
			}
		case a.Slot != nil:
			return -1
		case b.Slot != nil:
			return 1
		}
		return a.ID.Compare(b.ID)
	})
	return out, nil
}

// ref is the short reference of the i-th release: r1, r2…
func ref(i int) string { return "r" + strconv.Itoa(i+1) }

// label names a release for people: "payments 2.1.0 (prod)".
func label(r Release) string { return r.Name + " " + r.Version + " (" + r.Environment + ")" }

const reportTime = "2006-01-02 15:04"

func utc(t time.Time) string { return t.UTC().Format(reportTime) }

// slotText writes a slot as "2026-12-17 09:00–09:45", with the end's date when it
// differs.
func slotText(s Slot) string {
	start, end := s.Start.UTC(), s.End.UTC()
	if start.Format(time.DateOnly) == end.Format(time.DateOnly) {
		return utc(start) + "–" + end.Format("15:04")
	}
	return utc(start) + " – " + utc(end)
}

// ganttTags marks a task by its release's state: crit for a failure, done for what
// has run, active for what is running.
func ganttTags(r Release) string {
	_, failed := r.Reached[StateFailed]
	_, back := r.Reached[StateRollingBack]
	switch {
	case r.State == StateDeploying:
		return "active, "
	case r.State == StateFailed || r.State == StateRollingBack:
		return "crit, active, "
	case failed || back:
		return "crit, done, "
	case r.State == StateDeployed || r.State == StateVerified || r.State == StateClosed:
		return "done, "
	}
	return ""
}

// needMatcher answers satisfies (see wire_needs.go) for many pairs, parsing each
// constraint and each version once: a report over thousands of releases asks about
// the same few strings again and again.
type needMatcher struct {
	constraints map[string]*semver.Constraints // nil: does not parse
	versions    map[string]*semver.Version     // nil: does not parse
}

func (m *needMatcher) satisfies(version, constraint string) bool {
	if strings.TrimSpace(constraint) == "" {
		return true
	}
	if m.constraints == nil {
		m.constraints, m.versions = map[string]*semver.Constraints{}, map[string]*semver.Version{}
	}
	c, ok := m.constraints[constraint]
	if !ok {
		c, _ = semver.NewConstraint(constraint)
		m.constraints[constraint] = c
	}
	if c == nil {
		return false
	}
	v, ok := m.versions[version]
	if !ok {
		v, _ = semver.NewVersion(version)
		m.versions[version] = v
	}
	if v == nil {
		return strings.TrimSpace(constraint) == version
	}
	return c.Check(v)
}

func freqText(f risk.Frequency) string {
	return strconv.FormatFloat(f.PerDay, 'f', 2, 64) + " per day"
}

func medianText(d risk.DurationMetric) string {
	if d.Samples == 0 {
		return "no data"
	}
	return fmt.Sprintf("%s (median of %d)", humanDuration(d.Median), d.Samples)
}

func medianShort(d risk.DurationMetric) string {
	if d.Samples == 0 {
		return "no data"
	}
	return humanDuration(d.Median)
}

func rateText(r risk.Rate) string {
	return fmt.Sprintf("%s%% (%d failed)", strconv.FormatFloat(r.Rate*100, 'f', 0, 64), r.Failures)
}

// humanDuration writes d as days, hours and minutes: "1d 2h", "45m", "0m".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < 0 {
		return "-" + humanDuration(-d)
	}
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, mins := d/time.Hour, (d%time.Hour)/time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%dh", hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%dm", mins))
	}
	return strings.Join(parts, " ")
}

// cell escapes s for a Markdown table cell: pipes, line breaks and HTML.
func cell(s string) string {
	var b strings.Builder
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	for _, r := range s {
		switch r {
		case '|':
			b.WriteString(`\|`)
		case '\\':
			b.WriteString(`\\`)
		case '\n', '\r':
			b.WriteString("<br>")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteByte(' ')
			} else {
				b.WriteRune(r)
			}
		}
	}
	if b.Len() == 0 {
		return "–"
	}
	return b.String()
}

// oneLine folds s onto one line, for headings and list items.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// ganttText keeps s from breaking a Mermaid gantt line: the colon ends a task's
// name, and # and ; start comments and statements.
func ganttText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ':', ';', '#', '%':
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return cmp.Or(oneLine(s), "–")
}
