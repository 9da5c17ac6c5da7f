package release

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/releasekit/releasekit/depgraph"
	"github.com/releasekit/releasekit/gate"
	"github.com/releasekit/releasekit/internal/mermaid"
	"github.com/releasekit/releasekit/risk"
	"github.com/releasekit/releasekit/rollback"
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
	return validation("report options", p)
}

// Report writes the releases of a period as Markdown, for people and for review
// (GitHub renders it, Mermaid charts included). A release belongs to the period
// when it was created in [From, To), its booked slot overlaps it, or it reached
// deployed in it. The report has, in order:
//
//   - a summary table: name, version, environment, class, state, slot and risk, one
//     row per release, numbered (r1, r2…) so the other sections can refer to them;
//   - a Mermaid gantt chart of the booked slots, one section per environment, in
//     UTC, tasks marked done, active or crit by the release's state;
//   - the dependency graph of the components (ReportOptions.Graph, drawn by
//     depgraph) and the needs between the releases of the period;
//   - the gate decisions recorded by approve (gates, status, reasons, waivers);
//   - risk: level, score and the top reasons of each assessed release;
//   - rollbacks: the plan's size and estimated duration, and how its run went;
//   - the post-implementation reviews;
//   - the DORA metrics of the period ([Engine.DORA]) with their bands;
//   - the audit: whether each release's history verifies, and the release is what
//     its history says ([VerifyRelease]).
//
// Releases are ordered by slot start (releases without a slot last), then by ID
// (creation order), and nothing depends on map order, so the same store gives the
// same text. Table cells are escaped (pipes, line breaks, HTML). Report writes
// nothing when it fails: invalid options give a *ValidationError (ErrInvalid), a
// store failure or a cancelled context its error.
func (e *Engine) Report(ctx context.Context, w io.Writer, opts ReportOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	rs, err := e.periodReleases(ctx, opts)
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
	dora, err := e.DORA(ctx, opts.production(), risk.Window{From: opts.From, To: opts.To})
	if err != nil {
		return fmt.Errorf("release: report: DORA metrics: %w", err)
	}
	rep := reportWriter{opts: opts, rs: rs, hist: hist}
	rep.header()
	rep.summary()
	rep.gantt()
	if err := rep.dependencies(); err != nil {
		return err
	}
	rep.gates()
	rep.risk()
	rep.rollouts()
	rep.rollbacks()
	rep.reviews()
	rep.dora(dora)
	rep.audit()
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err = w.Write(rep.b.Bytes())
	return err
}

// periodReleases lists the releases of the period in report order.
func (e *Engine) periodReleases(ctx context.Context, opts ReportOptions) ([]Release, error) {
	var out []Release
	f := Filter{Environment: opts.Environment, Limit: 1000}
	in := func(t time.Time) bool { return !t.Before(opts.From) && t.Before(opts.To) }
	for {
		page, err := e.store.List(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("release: report: list releases: %w", err)
		}
		for _, r := range page {
			deployed, ok := r.Reached[StateDeployed]
			if in(r.CreatedAt) || ok && in(deployed) ||
				r.Slot != nil && r.Slot.Start.Before(opts.To) && r.Slot.End.After(opts.From) {
				out = append(out, r)
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
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

type reportWriter struct {
	b    bytes.Buffer
	opts ReportOptions
	rs   []Release
	hist [][]AuditEntry
}

func (w *reportWriter) p(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// ref is the short reference of the i-th release: r1, r2…
func ref(i int) string { return "r" + strconv.Itoa(i+1) }

// label names a release for people: "payments 2.1.0 (prod)".
func label(r Release) string { return r.Name + " " + r.Version + " (" + r.Environment + ")" }

const reportTime = "2006-01-02 15:04"

func utc(t time.Time) string { return t.UTC().Format(reportTime) }

func (w *reportWriter) header() {
	title := w.opts.Title
	if strings.TrimSpace(title) == "" {
		title = "Release report"
	}
	env := w.opts.Environment
	if env == "" {
		env = "all"
	}
	w.p("# %s\n\n", oneLine(title))
	w.p("Period: %s to %s UTC · environment: %s · %d releases\n\n", utc(w.opts.From), utc(w.opts.To), oneLine(env), len(w.rs))
}

func (w *reportWriter) summary() {
	w.p("## Releases\n\n")
	if len(w.rs) == 0 {
		w.p("No release was created, slotted or deployed in this period.\n\n")
		return
	}
	w.p("| # | Release | Version | Env | Class | State | Slot (UTC) | Risk |\n")
	w.p("|---|---|---|---|---|---|---|---|\n")
	for i, r := range w.rs {
		slot := "–"
		if r.Slot != nil {
			slot = slotText(*r.Slot)
		}
		rk := "–"
		if r.Risk != nil {
			rk = fmt.Sprintf("%s (%.1f)", r.Risk.Level, r.Risk.Score)
		}
		w.p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", ref(i), cell(r.Name), cell(r.Version), cell(r.Environment),
			cell(string(r.Class)), cell(string(r.State)), cell(slot), cell(rk))
	}
	w.p("\n")
	w.lineage()
}

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

func (w *reportWriter) gantt() {
	w.p("## Calendar\n\n")
	var envs []string
	byEnv := map[string][]int{}
	for i, r := range w.rs {
		if r.Slot == nil {
			continue
		}
		if _, ok := byEnv[r.Environment]; !ok {
			envs = append(envs, r.Environment)
		}
		byEnv[r.Environment] = append(byEnv[r.Environment], i)
	}
	if len(envs) == 0 {
		w.p("No slot was booked in this period.\n\n")
		return
	}
	const dateFormat = "2006-01-02 15:04" // Mermaid: YYYY-MM-DD HH:mm
	w.p("Booked slots, in UTC. Done: ran; active: running; red (crit): failed or rolled back.\n\n")
	w.p("```mermaid\ngantt\n    title Booked slots (UTC)\n    dateFormat YYYY-MM-DD HH:mm\n    axisFormat %%d %%b %%H:%%M\n    todayMarker off\n")
	for _, env := range envs {
		w.p("    section %s\n", ganttText(env))
		for _, i := range byEnv[env] {
			r := w.rs[i]
			w.p("    %s %s :%s%s, %s, %s\n", ganttText(r.Name), ganttText(r.Version), ganttTags(r), ref(i),
				r.Slot.Start.UTC().Format(dateFormat), r.Slot.End.UTC().Format(dateFormat))
		}
	}
	w.p("```\n\n")
}

func (w *reportWriter) dependencies() error {
	w.p("## Dependencies\n\n")
	if w.opts.Graph != nil {
		w.p("### Components\n\nAn arrow points from a component to the components that depend on it (it ships first).\n\n```mermaid\n")
		if err := w.opts.Graph.WriteMermaid(&w.b); err != nil {
			return fmt.Errorf("release: report: draw the dependency graph: %w", err)
		}
		w.p("```\n\n")
	}
	w.p("### Release needs\n\n")
	type edge struct{ from, to, label string }
	var nodes []string
	seen := map[string]bool{}
	node := func(id, text string) {
		if !seen[id] {
			seen[id] = true
			nodes = append(nodes, fmt.Sprintf("    %s[%s]\n", id, mermaid.Label(text)))
		}
	}
	var edges []edge
	missing := 0
	// Releases by environment and name, so a need looks only at releases of its name.
	byName := map[[2]string][]int{}
	for j, o := range w.rs {
		k := [2]string{o.Environment, o.Name}
		byName[k] = append(byName[k], j)
	}
	var m needMatcher
	for i, r := range w.rs {
		for _, n := range r.Needs {
			found := false
			for _, j := range byName[[2]string{r.Environment, n.Name}] {
				if o := w.rs[j]; j != i && m.satisfies(o.Version, n.Version) {
					found = true
					node(ref(j), ref(j)+" "+label(o))
					node(ref(i), ref(i)+" "+label(r))
					edges = append(edges, edge{ref(j), ref(i), n.Version})
				}
			}
			if !found {
				missing++
				id := "need" + strconv.Itoa(missing)
				node(id, needString(n)+" (not in this period)")
				node(ref(i), ref(i)+" "+label(r))
				edges = append(edges, edge{id, ref(i), n.Version})
			}
		}
	}
	if len(edges) == 0 {
		w.p("No release of this period needs another.\n\n")
		return nil
	}
	w.p("An arrow points from a release to the releases that need it in the same environment.\n\n```mermaid\nflowchart LR\n")
	for _, n := range nodes {
		w.p("%s", n)
	}
	for _, e := range edges {
		if e.label == "" {
			w.p("    %s --> %s\n", e.from, e.to)
		} else {
			w.p("    %s -->|%s| %s\n", e.from, mermaid.Label(e.label), e.to)
		}
	}
	w.p("```\n\n")
	return nil
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

func (w *reportWriter) gates() {
	w.p("## Gate decisions\n\n")
	wrote := false
	for i, r := range w.rs {
		for _, h := range w.hist[i] {
			raw, ok := h.Annotations["gates"]
			if h.Event != EventApprove && h.Event != EventDecision || !ok {
				continue
			}
			wrote = true
			var d gate.Decision
			if err := json.Unmarshal(raw, &d); err != nil {
				w.p("### %s %s\n\nThe recorded decision cannot be read: %s\n\n", ref(i), label(r), oneLine(err.Error()))
				continue
			}
			verdict := "Go"
			if !d.Go {
				verdict = "No-Go"
			}
			w.p("### %s %s: %s\n\n", ref(i), label(r), verdict)
			verb := "Approved"
			if h.Event == EventDecision {
				verb = "Approve refused, recorded"
			}
			w.p("%s by %s at %s UTC (revision %d", verb, oneLine(h.Actor.ID), utc(h.Time), h.Sequence-1)
			if d.Input.RiskLevel != "" {
				w.p(", %s risk", oneLine(d.Input.RiskLevel))
			}
			w.p(").\n\n")
			if len(d.Results) == 0 {
				w.p("No gate applied.\n\n")
				continue
			}
			w.p("| Gate | Required | Status | Reason |\n|---|---|---|---|\n")
			for _, res := range d.Results {
				req := "advisory"
				if res.Required {
					req = "required"
				}
				status := string(res.Status)
				if res.Waived != nil {
					status += fmt.Sprintf(" (waived by %s until %s UTC: %s)", res.Waived.Actor, utc(res.Waived.Expires), res.Waived.Reason)
				}
				w.p("| %s | %s | %s | %s |\n", cell(res.Gate), req, cell(status), cell(res.Reason))
			}
			w.p("\n")
		}
	}
	if !wrote {
		w.p("No approval in this period evaluated gates.\n\n")
	}
}

func (w *reportWriter) risk() {
	w.p("## Risk\n\n")
	var rows []string
	for i, r := range w.rs {
		if r.Risk == nil {
			continue
		}
		top := r.Risk.Reasons
		if len(top) > 3 {
			top = top[:3]
		}
		reasons := make([]string, len(top))
		for k, s := range top {
			reasons[k] = cell(s)
		}
		why := strings.Join(reasons, "<br>")
		if why == "" {
			why = "nothing adds risk"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %.1f | %s |\n", ref(i), cell(label(r)), cell(r.Risk.Level), r.Risk.Score, why))
	}
	if len(rows) == 0 {
		w.p("No release of this period was assessed.\n\n")
		return
	}
	w.p("Score 0–100; the top reasons, each with what would lower it.\n\n")
	w.p("| # | Release | Level | Score | Top reasons |\n|---|---|---|---|---|\n")
	for _, row := range rows {
		w.p("%s", row)
	}
	w.p("\n")
}

func (w *reportWriter) rollbacks() {
	w.p("## Rollbacks\n\n")
	wrote := false
	for i, r := range w.rs {
		if r.Rollback == nil {
			continue
		}
		wrote = true
		w.p("### %s %s\n\n", ref(i), label(r))
		var rb rollback.Runbook
		if err := json.Unmarshal(r.Rollback.Plan, &rb); err != nil {
			w.p("- Plan: cannot be read: %s\n", oneLine(err.Error()))
		} else {
			w.p("- Plan: %d waves, %d steps, estimated %s; components in order: %s.\n", len(rb.Waves), len(rb.Steps()),
				humanDuration(r.Rollback.Duration), oneLine(strings.Join(rb.Components(), ", ")))
		}
		if len(r.Rollback.Report) == 0 {
			w.p("- Run: not run yet.\n\n")
			continue
		}
		var rep rollback.Report
		if err := json.Unmarshal(r.Rollback.Report, &rep); err != nil {
			w.p("- Run: the report cannot be read: %s\n\n", oneLine(err.Error()))
			continue
		}
		outcome := "incomplete"
		if rep.Complete() {
			outcome = "complete"
		}
		if rep.Cancelled {
			outcome = "cancelled"
		}
		w.p("- Run: %s: %d done, %d failed, %d not started.\n", outcome, len(rep.Done()), len(rep.Failed()), len(rep.NotStarted()))
		for _, f := range rep.Failed() {
			w.p("  - `%s` failed: %s\n", oneLine(f.ID), oneLine(f.Error))
		}
		w.p("\n")
	}
	if !wrote {
		w.p("No release of this period has a rollback plan.\n\n")
	}
}

func (w *reportWriter) reviews() {
	w.p("## Reviews\n\n")
	wrote := false
	for i, r := range w.rs {
		if r.Review == nil {
			continue
		}
		wrote = true
		w.p("### %s %s: %s\n\n", ref(i), label(r), oneLine(r.Review.Outcome))
		for _, l := range r.Review.Lessons {
			w.p("- Lesson: %s\n", oneLine(l))
		}
		for _, f := range r.Review.FollowUps {
			w.p("- Follow-up: %s\n", oneLine(f))
		}
		if len(r.Review.Lessons)+len(r.Review.FollowUps) > 0 {
			w.p("\n")
		}
	}
	if !wrote {
		w.p("No release of this period was closed with a review.\n\n")
	}
}

func (w *reportWriter) dora(rep risk.Report) {
	w.p("## DORA metrics\n\n")
	m := rep.Overall
	w.p("Deployments to %s in the period: %d. Bands by the DORA State of DevOps thresholds.\n\n", w.opts.production(), m.Deployments)
	w.p("| Metric | Value | Band |\n|---|---|---|\n")
	w.p("| Deployment frequency | %s | %s |\n", freqText(m.DeploymentFrequency), m.DeploymentFrequency.Band)
	w.p("| Lead time for changes | %s | %s |\n", medianText(m.LeadTime), m.LeadTime.Band)
	w.p("| Change failure rate | %s | %s |\n", rateText(m.ChangeFailureRate), m.ChangeFailureRate.Band)
	w.p("| Time to restore service | %s | %s |\n", medianText(m.TimeToRestore), m.TimeToRestore.Band)
	w.p("\n")
	if m.Unrestored > 0 {
		w.p("%d failed deployments are not restored yet.\n\n", m.Unrestored)
	}
	if len(rep.Services) == 0 {
		return
	}
	w.p("Per service (durations are medians):\n\n| Service | Deployments | Frequency | Lead time | Change failure rate | Time to restore |\n|---|---|---|---|---|---|\n")
	names := make([]string, 0, len(rep.Services))
	for k := range rep.Services {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s := rep.Services[k]
		w.p("| %s | %d | %s (%s) | %s (%s) | %s (%s) | %s (%s) |\n", cell(k), s.Deployments,
			freqText(s.DeploymentFrequency), s.DeploymentFrequency.Band, medianShort(s.LeadTime), s.LeadTime.Band,
			rateText(s.ChangeFailureRate), s.ChangeFailureRate.Band, medianShort(s.TimeToRestore), s.TimeToRestore.Band)
	}
	w.p("\n")
}

func (w *reportWriter) audit() {
	w.p("## Audit\n\n")
	if len(w.rs) == 0 {
		w.p("Nothing to verify.\n")
		return
	}
	bad, entries := 0, 0
	var rows []string
	for i, r := range w.rs {
		entries += len(w.hist[i])
		state := "verifies"
		if err := VerifyRelease(r, w.hist[i]); err != nil {
			bad++
			state = "DOES NOT VERIFY: " + err.Error()
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %d | %s |\n", ref(i), cell(label(r)), len(w.hist[i]), cell(state)))
	}
	if bad == 0 {
		w.p("Every history verifies: %d releases, %d hash-chained entries.\n\n", len(w.rs), entries)
	} else {
		w.p("%d of %d histories do not verify.\n\n", bad, len(w.rs))
	}
	w.p("| # | Release | Entries | History |\n|---|---|---|---|\n")
	for _, row := range rows {
		w.p("%s", row)
	}
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
